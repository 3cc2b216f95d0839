// Benchmark: the trading path's per-bar work (mark, equity, kill switch) and per-signal/per-fill work (executor, risk, accounting).
// Run alone with `node --import tsx core/bench/trading.bench.ts`, or through `npm run bench`.
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { makeEvent } from '@qts/schemas';
import type { DomainEvent, OrderFilled, OrderRequested } from '@qts/schemas';
import { checkOrder, initialRiskState, markEquity } from '../src/risk/index.ts';
import { decideOrders } from '../src/executor/index.ts';
import type { ExecutionContext, ExecutorConfig } from '../src/executor/index.ts';
import { applyFill, emptyPortfolio, equity, markPrice } from '../src/portfolio/index.ts';

export interface BenchRow {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
}

const TRIALS = 5;

function median(run: () => number): { median: number; min: number } {
  run(); // warm-up: let V8 optimise before timing
  const rates: number[] = [];
  for (let t = 0; t < TRIALS; t++) rates.push(run());
  rates.sort((a, b) => a - b);
  return { median: rates[Math.floor(TRIALS / 2)]!, min: rates[0]! };
}

function rate(n: number, body: () => void): number {
  const start = process.hrtime.bigint();
  body();
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

export async function benchTrading(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const row = (name: string, r: { median: number; min: number }, unit: string, target?: string): void => {
    rows.push({ name: `${name} (median of ${TRIALS}, min ${(r.min / 1e6).toFixed(2)}M)`, value: r.median, unit, ...(target ? { target } : {}) });
  };

  // Per bar: mark the open position, compute equity, run the kill switch. A price walk keeps it honest.
  const BARS = 5_000_000;
  const p = emptyPortfolio(100_000);
  applyFill(p, fill('buy', 1.5, 30_000, 'f0'));
  const risk = initialRiskState();
  const limits = { maxDailyLoss: 1e9, maxDrawdownPct: 99 };
  let sink = 0;
  row('portfolio mark + equity + risk markEquity per bar', median(() => rate(BARS, () => {
    let price = 30_000;
    for (let i = 0; i < BARS; i++) {
      price += ((i * 7919) % 13) - 6;
      markPrice(p, 'BTC/USDT', price, i * 60_000);
      const eq = equity(p);
      if (markEquity(risk, 'main', eq, i * 60_000, limits) !== null) sink++;
      sink += eq > 0 ? 1 : 0;
    }
  })), 'bars/s', '>= 20M bars/s (a small share of the 1M bars/s backtest budget)');

  // Per order: the risk check of one order with every limit set.
  const ctx: ExecutionContext = {
    position: { quantity: 0.5, averagePrice: 30_000 }, equity: 100_000, cash: 85_000, lastPrice: 30_000,
    rules: { tickSize: 0.01, lotStep: 0.00001, minQuantity: 0.00001, minNotional: 5, makerFeeBps: 10, takerFeeBps: 10 },
    risk: initialRiskState(),
    limits: { maxPositionNotional: 1e6, maxGrossExposure: 1e6, maxOrderNotional: 1e6, maxOrdersPerMinute: 100, cooldownAfterLossMs: 60_000 },
    now: 1_700_000_000_000,
  };
  const order: OrderRequested = {
    clientOrderId: 'o', signalId: 's', strategyId: 'x', account: 'main', venue: 'sim', instrument: 'BTC/USDT', side: 'buy',
    type: 'market', quantity: 1, timeInForce: 'GTC', reduceOnly: false, ts: 1_700_000_000_000,
  };
  const CHECKS = 2_000_000;
  row('risk checkOrder, all limits set', median(() => rate(CHECKS, () => {
    for (let i = 0; i < CHECKS; i++) if (checkOrder(order, ctx) !== null) sink++;
  })), 'orders/s');

  // Per signal: the executor deciding an all-in entry with stop-loss and take-profit children.
  const config: ExecutorConfig = { account: 'main', venue: 'sim', sizing: { kind: 'percent-equity', percent: 100 }, orderType: 'market', limitOffsetBps: 5, stopLossPct: 2, takeProfitPct: 4, allowShort: false, timeInForce: 'GTC' };
  const signals: DomainEvent<'SignalEmitted'>[] = [];
  for (let i = 0; i < 1_000; i++) {
    const id = `0190a5b2-7c3d-7e4f-8a9b-${i.toString(16).padStart(12, '0')}`;
    signals.push(makeEvent('SignalEmitted', { strategyId: 'sma', instrument: 'BTC/USDT', direction: i % 2 ? 'long' : 'flat', strength: 1, price: 30_000, asOf: 1, reason: 'x' }, { id, occurredAt: 1, recordedAt: 1 }));
  }
  const SIGNALS = 200_000;
  const flat = { ...ctx, position: { quantity: 0, averagePrice: 0 } };
  row('executor decideOrders (entry + 2 children, or exit)', median(() => rate(SIGNALS, () => {
    for (let i = 0; i < SIGNALS; i++) sink += decideOrders(signals[i % 1_000]!, i % 2 ? flat : ctx, config).length;
  })), 'signals/s');

  // Per fill: exact (BigInt fixed-point) accounting of a fill, round trips with partial closes.
  const FILLS = 200_000;
  row('portfolio applyFill (exact fixed-point)', median(() => {
    const book = emptyPortfolio(1_000_000);
    return rate(FILLS, () => {
      for (let i = 0; i < FILLS; i++) applyFill(book, fill(i % 3 === 0 ? 'buy' : 'sell', i % 3 === 0 ? 0.3 : 0.15, 30_000 + (i % 17), `f${i}-${book.fillIds.size}`));
    });
  }), 'fills/s');
  if (sink === -1) console.log(sink);
  return rows;
}

function fill(side: 'buy' | 'sell', quantity: number, price: number, fillId: string): OrderFilled {
  return { clientOrderId: 'o', instrument: 'BTC/USDT', venueOrderId: 'v', fillId, side, price, quantity, fee: 0.01, feeCurrency: 'USDT', liquidity: 'taker', ts: 1 };
}

if (resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  console.table(await benchTrading());
}
