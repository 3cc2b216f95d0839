// Live trading's pure pieces and wiring rules: fills as the account holds them, sells cut to holdings, the candle feed's gaps and restarts, config refusals.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { allTopics, type BarClosed, type OrderFilled, type OrderRequested, type Timeframe } from '@qts/schemas';
import type { OrderDecision } from '@qts/core';
import { InMemoryEventStore, InProcessBus } from '@qts/adapters';
import { eventually } from '@qts/adapters/testing';
import { loadConfig } from '../runtime/config.ts';
import { asHeld, fitSellsToHoldings } from './live-executor.ts';
import { startLiveExecutor } from './live-executor-wiring.ts';
import { startExchangeIngest, type CandleSource } from './exchange-ingest.ts';

const silent = pino({ level: 'silent' });
const rules = { tickSize: 0.01, lotStep: 0.00001, minQuantity: 0.00001, minNotional: 5, makerFeeBps: 10, takerFeeBps: 10 };

const fill = (over: Partial<OrderFilled>): OrderFilled => ({
  clientOrderId: 'qe1', instrument: 'BTC/USDT', venueOrderId: '1', fillId: 't1', side: 'buy', price: 20_000, quantity: 0.1,
  fee: 0.0001, feeCurrency: 'BTC', liquidity: 'taker', ts: 1, ...over,
});

describe('asHeld', () => {
  it('books a buy whose fee is taken in the bought asset as the net quantity, paying exactly the traded cash', () => {
    const f = asHeld(fill({}), 'BTC');
    expect(f.quantity).toBeCloseTo(0.0999, 12);
    expect(f.fee).toBe(0);
    expect(f.quantity * f.price).toBeCloseTo(0.1 * 20_000, 8);
  });
  it('leaves a fill alone when the fee is in the quote currency', () => {
    const f = fill({ side: 'sell', fee: 2, feeCurrency: 'USDT' });
    expect(asHeld(f, 'BTC')).toBe(f);
  });
});

describe('fitSellsToHoldings', () => {
  const sell = (quantity: number, reduceOnly = true): OrderDecision => ({ type: 'OrderRequested', data: {
    clientOrderId: 'qx1', signalId: 's', strategyId: 'x', account: 'a', venue: 'binance', instrument: 'BTC/USDT', side: 'sell', type: 'market',
    quantity, timeInForce: 'GTC', reduceOnly, ts: 1,
  } as OrderRequested });

  it('cuts an exit to what the account holds, rounded down to the lot', () => {
    const [d] = fitSellsToHoldings([sell(0.1)], 0.0999123, rules, 20_000);
    expect(d!.type === 'OrderRequested' && d!.data.quantity).toBe(0.09991);
  });
  it('keeps an exit the holdings cover', () => {
    const decisions = [sell(0.05)];
    expect(fitSellsToHoldings(decisions, 0.1, rules, 20_000)).toEqual(decisions);
  });
  it('turns an exit that cannot be cut to a tradeable size into a rejection with the reason', () => {
    const [d] = fitSellsToHoldings([sell(0.1)], 0.0001, rules, 20_000);
    expect(d).toEqual({ type: 'OrderRejected', data: expect.objectContaining({ clientOrderId: 'qx1', reason: { kind: 'InsufficientFunds', available: 2, required: 2_000 } }) });
  });
});

/** A hand-written candle source: history from an array, live candles pushed by the test. */
function candles(timeframe: Timeframe) {
  const history: BarClosed[] = [];
  let push: ((bar: BarClosed) => void) | null = null;
  const bar = (i: number): BarClosed => ({ venue: 'binance', instrument: 'BTC/USDT', timeframe, openTime: i * 60_000, closeTime: (i + 1) * 60_000, open: 100 + i, high: 101 + i, low: 99 + i, close: 100.5 + i, volume: 1 });
  const source: CandleSource = {
    venue: 'binance',
    async *backfillBars(_i, _tf, since, until) {
      yield history.filter((b) => b.openTime >= since && (until === undefined || b.openTime < until));
    },
    async watchBars(_i, _tf, onBar) {
      push = onBar;
      return { close: async () => { push = null; } };
    },
  };
  return { source, history, bar, push: (b: BarClosed) => push!(b) };
}

describe('exchange candle feed', () => {
  it('warms up from history, fills a gap in the live candles from history, and stores each bar once across a restart', async () => {
    const store = new InMemoryEventStore();
    const bus = new InProcessBus({ logger: silent });
    await bus.ensureTopics(allTopics.map((topic) => ({ topic, partitions: 1 })));
    const c = candles('1m');
    for (let i = 0; i < 10; i++) c.history.push(c.bar(i));
    let now = 10 * 60_000;
    const clock = { now: () => now };
    const stored = async () => {
      const out: number[] = [];
      for await (const { event } of store.readStream('bars-binance.BTC_USDT.1m')) if (event.type === 'BarClosed') out.push(event.data.openTime / 60_000);
      return out;
    };

    const first = await startExchangeIngest({ symbols: ['BTC/USDT'], timeframe: '1m', warmupBars: 5 }, { market: c.source, store, bus, clock, log: silent });
    await first.caughtUp;
    expect(await stored()).toEqual([4, 5, 6, 7, 8, 9]);
    for (let i = 10; i < 14; i++) c.history.push(c.bar(i));
    now = 14 * 60_000;
    c.push(c.bar(9));  // a repeat of what history gave
    c.push(c.bar(13)); // the websocket missed 10..12
    await eventually(async () => expect(await stored()).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13]));
    await first.stop();

    for (let i = 14; i < 16; i++) c.history.push(c.bar(i));
    now = 16 * 60_000;
    const second = await startExchangeIngest({ symbols: ['BTC/USDT'], timeframe: '1m', warmupBars: 5 }, { market: c.source, store, bus, clock, log: silent });
    await second.caughtUp;
    c.push(c.bar(15));
    await eventually(async () => expect(await stored()).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]));
    expect(second.published()).toBe(2);
    await second.stop();
    await bus.close();
  });
});

describe('live venue configuration', () => {
  const base = { venue: { kind: 'ccxt', exchange: 'binance', baseUrl: 'http://127.0.0.1:9' } };
  const load = (file: object, env: Record<string, string> = {}) => {
    const dir = mkdtempSync(join(tmpdir(), 'qts-live-cfg-'));
    writeFileSync(join(dir, 'qts.config.json'), JSON.stringify(file));
    return loadConfig({ env, cwd: dir });
  };
  const deps = () => ({ bus: new InProcessBus({ logger: silent }), store: new InMemoryEventStore(), clock: { now: () => 0 }, log: silent });

  it('parses the ccxt venue and feed with their defaults', async () => {
    const { config } = load({ ...base, market: { kind: 'ccxt', exchange: 'binance', symbols: ['BTC/USDT'], timeframe: '1m' } });
    expect(config.venue).toEqual({ kind: 'ccxt', exchange: 'binance', baseUrl: 'http://127.0.0.1:9', sandbox: false, updates: 'auto', maxSignalAgeMs: 120_000, timeoutMs: 10_000 });
    expect(config.market).toEqual({ kind: 'ccxt', exchange: 'binance', symbols: ['BTC/USDT'], timeframe: '1m', sandbox: false, updates: 'auto', warmupBars: 300 });
  });

  it('refuses to start without exchange keys in the environment, naming both variables', async () => {
    const { config, secrets } = load(base);
    await expect(startLiveExecutor(config, config.venue as never, secrets, deps())).rejects.toThrow(/QTS_EXCHANGE_API_KEY and QTS_EXCHANGE_SECRET/);
  });

  it('refuses short selling and protective orders on a live spot venue instead of ignoring them', async () => {
    const { config, secrets } = load({ ...base, executor: { allowShort: true, stopLossPct: 2 } }, { QTS_EXCHANGE_API_KEY: 'k', QTS_EXCHANGE_SECRET: 's' });
    await expect(startLiveExecutor(config, config.venue as never, secrets, deps())).rejects.toThrow(/executor\.allowShort[\s\S]*executor\.stopLossPct/);
  });
});
