// The live executor against the Binance stand-in through the real ccxt client, on a PGlite event store: orders once, fills once, reconciliation, errors, secrets.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { allTopics, derivedId, makeEvent, type DomainEvent, type OrderRequested } from '@qts/schemas';
import type { EventStore } from '@qts/core';
import { CcxtVenue, InProcessBus, PostgresEventStore, createPgliteDb, type PgDatabase } from '@qts/adapters';
import { BinanceStandin, eventually } from '@qts/adapters/testing';
import { LiveExecutor, type LiveExecutorConfig } from './live-executor.ts';

// Planted credentials: no log line and no stored event may contain them.
const API_KEY = 'planted-live-key-3e8c1a9f5b7d2e4a6c8f0b1d3e5a7c9e';
const SECRET = 'planted-live-secret-b2d4f6a8c0e1a3c5e7b9d1f3a5c7e9b0';

const lines: string[] = [];
const log = pino({ level: 'debug', base: { service: 'test' } }, { write: (s: string) => { lines.push(s); } });

// One store per test, as one executor account has its own system of record; all are read for planted secrets at the end.
let shared: Promise<PgDatabase> | null = null;
const stores: EventStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
  await (await shared)?.close();
});

interface Harness {
  readonly standin: BinanceStandin;
  readonly store: EventStore;
  readonly account: string;
  executor: LiveExecutor;
  venue: CcxtVenue;
  start(over?: Partial<LiveExecutorConfig> & { orderType?: 'market' | 'limit'; limitOffsetBps?: number; timeoutMs?: number }): Promise<{ reconciled: number; anomalies: number }>;
  stop(): Promise<void>;
}

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) {
    await h.stop();
    await h.standin.close();
  }
});

let accounts = 0;
async function harness(): Promise<Harness> {
  const standin = await BinanceStandin.start({ apiKeys: { [API_KEY]: SECRET } });
  standin.setPrice('BTCUSDT', 20_000);
  standin.setBalance('USDT', 10_000);
  const account = `live${Date.now().toString(36)}${++accounts}`;
  // One PGlite for the file (it is slow to start), a schema per test.
  shared ??= createPgliteDb('memory://');
  const store = await PostgresEventStore.create(await shared, { schema: `es_${accounts + 1}` });
  stores.push(store);
  const bus = new InProcessBus({ logger: log });
  await bus.ensureTopics(allTopics.map((topic) => ({ topic, partitions: 1 })));
  let running: { executor: LiveExecutor; venue: CcxtVenue } | null = null;
  const h: Harness = {
    standin, account, store,
    get executor() { return running!.executor; },
    get venue() { return running!.venue; },
    async start(over = {}) {
      const venue = await CcxtVenue.connect({
        exchange: 'binance', credentials: { apiKey: API_KEY, secret: SECRET }, baseUrl: standin.url, log: log.child({ component: 'venue' }),
        timeoutMs: over.timeoutMs ?? 5_000, backoffMs: () => 20, pollIntervalMs: 50,
      });
      const executor = new LiveExecutor({
        account, cash: 10_000, instruments: ['BTC/USDT'], maxSignalAgeMs: 60_000, followUpIntervalMs: 200,
        desk: { executor: { sizing: { kind: 'percent-equity', percent: 50 }, orderType: over.orderType ?? 'market', limitOffsetBps: over.limitOffsetBps ?? 0 } },
        ...over,
      }, { store, bus, clock: { now: () => Date.now() }, log: log.child({ worker: 'executor' }), venue, sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 50))) });
      running = { executor, venue };
      return executor.start();
    },
    async stop() {
      if (!running) return;
      await running.executor.stop();
      await running.venue.close();
      running = null;
    },
  };
  open.push(h);
  return h;
}

let signals = 0;
function signal(direction: 'long' | 'flat', asOf = Date.now()): DomainEvent<'SignalEmitted'> {
  const data = { strategyId: 'sma-live', instrument: 'BTC/USDT', direction, strength: 1, price: 20_000, asOf, reason: 'test' };
  return makeEvent('SignalEmitted', data, { id: derivedId(`test-signal:${Date.now()}:${++signals}`, asOf), occurredAt: asOf, recordedAt: Date.now() });
}

/** The order events in this test's store, in order (risk refusals have no OrderRequested before them). */
async function orderEvents(h: Harness): Promise<DomainEvent[]> {
  const out: DomainEvent[] = [];
  for await (const { event } of h.store.readAll()) if (event.type.startsWith('Order')) out.push(event);
  return out;
}

const typesOf = (events: readonly DomainEvent[], cid: string) => events.filter((e) => (e.data as { clientOrderId?: string }).clientOrderId === cid).map((e) => e.type);
const atExchange = (standin: BinanceStandin, cid: string) => standin.engine.allOrders().filter((o) => o.clientOrderId === cid);
const baseAtExchange = (standin: BinanceStandin) => {
  const b = standin.engine.balancesSnapshot().find((x) => x.asset === 'BTC');
  return b ? Number(b.free) + Number(b.locked) : 0;
};

describe('live executor on the Binance stand-in', () => {
  it('buys on a long signal once, records the fill under the exchange trade id once, and sells what the account holds on flat', async () => {
    const h = await harness();
    await h.start();
    const long = signal('long');
    await h.executor.onSignal(long);
    await h.executor.onSignal(long); // redelivered
    const events = await orderEvents(h);
    const buy = events.find((e): e is DomainEvent<'OrderRequested'> => e.type === 'OrderRequested')!;
    expect(typesOf(events, buy.data.clientOrderId)).toEqual(['OrderRequested', 'OrderSubmitted', 'OrderAccepted', 'OrderFilled']);
    const placed = atExchange(h.standin, buy.data.clientOrderId);
    expect(placed).toHaveLength(1);
    const fill = events.find((e): e is DomainEvent<'OrderFilled'> => e.type === 'OrderFilled')!;
    expect(fill.data.fillId).toBe(String(h.standin.engine.tradesOf(placed[0]!.orderId)[0]!.id));
    expect(fill.causationId).toBe(buy.id);
    expect(buy.causationId).toBe(long.id);
    // Binance charges the buy's fee in BTC: the book holds what the exchange holds, not the ordered quantity.
    expect(fill.data).toEqual(expect.objectContaining({ quantity: buy.data.quantity, feeCurrency: 'BTC' }));
    expect(h.executor.positions()['BTC/USDT']!.baseHeld).toBeCloseTo(baseAtExchange(h.standin), 8);
    expect(h.executor.positions()['BTC/USDT']!.position).toBeCloseTo(buy.data.quantity - fill.data.fee, 8);

    await h.executor.onSignal(signal('flat'));
    const after = await orderEvents(h);
    const sell = after.filter((e): e is DomainEvent<'OrderRequested'> => e.type === 'OrderRequested')[1]!;
    expect(sell.data).toEqual(expect.objectContaining({ side: 'sell', reduceOnly: true }));
    expect(typesOf(after, sell.data.clientOrderId)).toEqual(['OrderRequested', 'OrderSubmitted', 'OrderAccepted', 'OrderFilled']);
    expect(sell.data.quantity).toBeLessThan(buy.data.quantity);
    // What is left is below one lot: the desk is flat, so the next long signal buys again.
    expect(baseAtExchange(h.standin)).toBeLessThan(0.00001);
    expect(h.executor.positions()['BTC/USDT']!.position).toBeLessThan(0.00001);
    expect(h.standin.engine.allOrders()).toHaveLength(2);
    await h.executor.onSignal(signal('long'));
    expect(h.standin.engine.allOrders()).toHaveLength(3);
  });

  it('records an insufficient-balance refusal as OrderRejected with the venue\'s code, and trades again once funded', async () => {
    const h = await harness();
    h.standin.setBalance('USDT', 100);
    await h.start();
    await h.executor.onSignal(signal('long'));
    let events = await orderEvents(h);
    const refused = events.find((e): e is DomainEvent<'OrderRejected'> => e.type === 'OrderRejected')!;
    expect(refused.data.reason).toEqual(expect.objectContaining({ kind: 'VenueRejected', code: 'INSUFFICIENT_FUNDS' }));
    expect(atExchange(h.standin, refused.data.clientOrderId)).toHaveLength(0);
    expect(h.executor.positions()['BTC/USDT']!.position).toBe(0);
    expect(h.executor.openOrders()).toEqual([]);

    h.standin.setBalance('USDT', 10_000);
    await h.executor.onSignal(signal('long'));
    events = await orderEvents(h);
    expect(events.filter((e) => e.type === 'OrderFilled')).toHaveLength(1);
    expect(h.executor.positions()['BTC/USDT']!.position).toBeGreaterThan(0);
  });

  it('asks the exchange after a timeout and records what it did, sending the order only once', async () => {
    const h = await harness();
    await h.start({ timeoutMs: 400 });
    const postsBefore = h.standin.countOf('POST', '/api/v3/order');
    h.standin.holdNextResponse('POST', '/api/v3/order', 1_500);
    await h.executor.onSignal(signal('long'));
    const events = await orderEvents(h);
    const req = events.find((e): e is DomainEvent<'OrderRequested'> => e.type === 'OrderRequested')!;
    expect(typesOf(events, req.data.clientOrderId)).toEqual(['OrderRequested', 'OrderSubmitted', 'OrderAccepted', 'OrderFilled']);
    expect(events.filter((e) => e.type !== 'OrderRequested').every((e) => e.meta['reconciled'] === 'unknown-outcome')).toBe(true);
    expect(atExchange(h.standin, req.data.clientOrderId)).toHaveLength(1);
    expect(h.standin.countOf('POST', '/api/v3/order') - postsBefore).toBe(1);
    expect(h.standin.requests.some((r) => r.method === 'GET' && r.path === '/api/v3/order')).toBe(true);
    expect(h.executor.positions()['BTC/USDT']!.position).toBeGreaterThan(0);
  });

  it('retries a rate-limited order with the same clientOrderId and places it once', async () => {
    const h = await harness();
    await h.start();
    h.standin.rateLimitNext(2, { method: 'POST', path: '/api/v3/order' });
    await h.executor.onSignal(signal('long'));
    const events = await orderEvents(h);
    const req = events.find((e): e is DomainEvent<'OrderRequested'> => e.type === 'OrderRequested')!;
    expect(typesOf(events, req.data.clientOrderId)).toEqual(['OrderRequested', 'OrderSubmitted', 'OrderAccepted', 'OrderFilled']);
    expect(h.standin.requests.filter((r) => r.method === 'POST' && r.path === '/api/v3/order').map((r) => r.status)).toEqual([429, 429, 200]);
    expect(atExchange(h.standin, req.data.clientOrderId)).toHaveLength(1);
  });

  it('reconciles on restart: fills made while down become events once, an order the exchange never got is rejected, one the store never saw is recorded', async () => {
    const h = await harness();
    await h.start({ orderType: 'limit', limitOffsetBps: 100 });
    await h.executor.onSignal(signal('long'));
    let events = await orderEvents(h);
    const resting = events.find((e): e is DomainEvent<'OrderRequested'> => e.type === 'OrderRequested')!;
    expect(typesOf(events, resting.data.clientOrderId)).toEqual(['OrderRequested', 'OrderSubmitted', 'OrderAccepted']);
    expect(resting.data.limitPrice).toBe(19_800);
    await h.stop();

    // While the executor is down: the resting buy fills in two parts ...
    h.standin.engine.makerFillLimit = Math.round((resting.data.quantity / 2) * 1e5) / 1e5;
    h.standin.setPrice('BTCUSDT', 19_790);
    h.standin.setPrice('BTCUSDT', 19_780);
    const trades = h.standin.engine.tradesOf(atExchange(h.standin, resting.data.clientOrderId)[0]!.orderId);
    expect(trades).toHaveLength(2);
    // ... an order was recorded but the process died before sending it ...
    const lost: OrderRequested = { ...resting.data, clientOrderId: `qe${'0'.repeat(24)}${Date.now().toString(16).slice(-8)}`, signalId: null, ts: Date.now() };
    const lostEvent = makeEvent('OrderRequested', lost, { id: derivedId(`lost:${lost.clientOrderId}`, lost.ts), occurredAt: lost.ts, recordedAt: lost.ts });
    await h.store.append(lostEvent.stream, [lostEvent], 'any');
    // ... and an order of ours reached the exchange whose request the store never recorded.
    const stray: OrderRequested = { ...resting.data, clientOrderId: `qe${'f'.repeat(24)}${Date.now().toString(16).slice(-8)}`, quantity: 0.001, limitPrice: 15_000, signalId: null, ts: Date.now() };
    const other = await CcxtVenue.connect({ exchange: 'binance', credentials: { apiKey: API_KEY, secret: SECRET }, baseUrl: h.standin.url });
    await other.submit(stray);
    await other.close();

    const first = await h.start({ orderType: 'limit', limitOffsetBps: 100 });
    events = await orderEvents(h);
    const fills = events.filter((e): e is DomainEvent<'OrderFilled'> => e.type === 'OrderFilled');
    expect(fills.map((f) => f.data.fillId).sort()).toEqual(trades.map((t) => String(t.id)).sort());
    expect(fills.every((f) => f.meta['reconciled'] === 'missed-while-down')).toBe(true);
    expect(typesOf(events, lost.clientOrderId)).toEqual(['OrderRequested', 'OrderSubmitted', 'OrderRejected']);
    expect(events.find((e) => e.type === 'OrderRejected' && e.data.clientOrderId === lost.clientOrderId)!.data).toEqual(expect.objectContaining({ reason: expect.objectContaining({ code: 'UNKNOWN_ORDER' }) }));
    expect(typesOf(events, stray.clientOrderId)).toEqual(['OrderRequested', 'OrderSubmitted', 'OrderAccepted']);
    expect(events.find((e) => e.type === 'OrderRequested' && e.data.clientOrderId === stray.clientOrderId)!.meta['reconciled']).toBe('unknown-to-store');
    expect(first.reconciled).toBeGreaterThanOrEqual(7);
    expect(h.executor.positions()['BTC/USDT']!.baseHeld).toBeCloseTo(resting.data.quantity * 0.999, 8);
    expect(h.executor.positions()['BTC/USDT']!.position).toBeCloseTo(resting.data.quantity * 0.999, 8);
    expect(h.executor.openOrders()).toEqual([stray.clientOrderId]);
    await h.stop();

    // A second restart finds nothing new: no event twice.
    const count = events.length;
    const second = await h.start({ orderType: 'limit', limitOffsetBps: 100 });
    expect(second.reconciled).toBe(0);
    expect(await orderEvents(h)).toHaveLength(count);
    expect(h.executor.positions()['BTC/USDT']!.position).toBeCloseTo(resting.data.quantity * 0.999, 8);
  });

  it('refuses new positions while an operator halt stands, trades after the resume, follows pushed fills, and still lets exits out', async () => {
    const h = await harness();
    await h.start({ orderType: 'limit', limitOffsetBps: 100 });
    await eventually(() => expect(h.standin.streams.subscribers.user).toBeGreaterThan(0));
    const at = Date.now();
    const halt = (n: number) => makeEvent('TradingHalted', { account: h.account, reason: { kind: 'Manual' as const, by: 'operator', note: 'test' }, ts: at + n }, { id: derivedId(`halt:${h.account}:${n}`, at + n), occurredAt: at + n, recordedAt: at + n });
    await h.executor.onRisk(halt(0));
    await h.executor.onSignal(signal('long'));
    let events = await orderEvents(h);
    expect(events.map((e) => e.type)).toEqual(['OrderRejected']);
    expect(events[0]!.data).toEqual(expect.objectContaining({ reason: { kind: 'TradingHalted', since: at } }));
    expect(h.standin.engine.allOrders()).toHaveLength(0);

    const resume = makeEvent('TradingResumed', { account: h.account, by: 'operator', note: 'test', ts: at + 1 }, { id: derivedId(`resume:${h.account}`, at + 1), occurredAt: at + 1, recordedAt: at + 1 });
    await h.executor.onRisk(resume);
    await h.executor.onRisk(halt(0)); // a redelivered old halt does not undo the resume
    await h.executor.onSignal(signal('long'));
    expect(h.standin.engine.allOrders()).toHaveLength(1);
    h.standin.setPrice('BTCUSDT', 19_700);
    // The resting buy fills at the exchange; the user-data stream tells the executor, which records it once.
    await eventually(async () => expect((await orderEvents(h)).filter((e) => e.type === 'OrderFilled')).toHaveLength(1));
    expect(h.executor.positions()['BTC/USDT']!.position).toBeGreaterThan(0);

    await h.executor.onRisk(halt(2));
    await h.executor.onSignal(signal('flat'));
    events = await orderEvents(h);
    expect(events.filter((e) => e.type === 'OrderRequested').map((e) => (e.data as OrderRequested).side)).toEqual(['buy', 'sell']);
    expect(h.standin.engine.allOrders()).toHaveLength(2);
  });

  it('does not trade a signal older than maxSignalAgeMs', async () => {
    const h = await harness();
    await h.start();
    await h.executor.onSignal(signal('long', Date.now() - 10 * 60_000));
    expect(await orderEvents(h)).toEqual([]);
    expect(h.standin.engine.allOrders()).toHaveLength(0);
    expect(lines.some((l) => l.includes('signal too old to trade live'))).toBe(true);
  });

  it('never writes the exchange key or secret into a log line or a stored event', async () => {
    expect(lines.length).toBeGreaterThan(50);
    const stored: string[] = [];
    for (const store of stores) for await (const { event } of store.readAll()) stored.push(JSON.stringify(event));
    expect(stored.length).toBeGreaterThan(20);
    for (const text of [...lines, ...stored]) {
      expect(text).not.toContain(API_KEY);
      expect(text).not.toContain(SECRET);
    }
  });
});
