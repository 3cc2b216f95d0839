// The replay engine: next-open fills, all-in long-only defaults, fees, brackets, risk halts, determinism and no look-ahead.
import { describe, expect, it } from 'vitest';
import { validateEvent, type BarClosed, type DomainEvent } from '@qts/schemas';
import { loadBars } from '../testing/data.ts';
import { builtInStrategies } from '../strategies/builtins.ts';
import { NO_SIGNALS, defaultParams, type Direction, type SignalIntent, type Strategy } from '../strategies/strategy.ts';
import { smaCross } from '../strategies/sma-cross.ts';
import { runBacktest } from './engine.ts';
import { hashEventLog } from './event-log.ts';
import { evaluatePoints, expandGrid, walkForward } from './optimize.ts';
import { emptySeries, type BarSeries } from './series.ts';

const MIN = 60_000;

/** A series from rows of [open, high, low, close], one minute apart. */
function series(rows: readonly (readonly [number, number, number, number])[]): BarSeries {
  const s = emptySeries('BTC/USDT', '1m', 'sim', rows.length);
  rows.forEach(([o, h, l, c], i) => {
    s.openTime[i] = 1_700_000_000_000 + i * MIN; s.open[i] = o; s.high[i] = h; s.low[i] = l; s.close[i] = c; s.volume[i] = 1_000;
  });
  return s;
}

/** A hand-written strategy that states the given direction at the close of the given bar indexes. */
function scripted(plan: Readonly<Record<number, Direction>>): Strategy<Record<string, never>, { i: number; step: [unknown, readonly SignalIntent[]] }> {
  return {
    kind: 'scripted', description: 'test', params: smaCross.params as never,
    init: () => ({ i: 0, step: [null, NO_SIGNALS] }),
    onBar(s, _bar: BarClosed) {
      const d = plan[s.i++];
      s.step[0] = s;
      s.step[1] = d ? [{ direction: d, strength: 1, reason: `plan ${d}` }] : NO_SIGNALS;
      return s.step as never;
    },
    opinion: () => null,
  };
}

function real(name: string): BarSeries {
  const b = loadBars(name);
  return { instrument: 'BTC/USDT', venue: 'csv', timeframe: name.endsWith('5m') ? '5m' : name.endsWith('1h') ? '1h' : '1m', length: b.length, openTime: b.time, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume };
}

const fillsOf = (events: readonly DomainEvent[] | null) => (events ?? []).filter((e): e is DomainEvent<'OrderFilled'> => e.type === 'OrderFilled').map((e) => e.data);

describe('runBacktest', () => {
  const bars = series([[100, 101, 99, 100], [102, 103, 101, 102], [104, 106, 103, 105], [110, 111, 109, 110], [108, 109, 107, 108]]);

  it('fills a signal at a close at the next bar open, all-in and long-only, with the fee on notional', () => {
    const r = runBacktest({ bars, strategy: scripted({ 0: 'long', 2: 'short' }), params: {}, cash: 10_000, keepEvents: true, venue: { takerFeeBps: 10, makerFeeBps: 10 } });
    const [buy, sell] = fillsOf(r.events);
    expect(buy).toMatchObject({ side: 'buy', price: 102, ts: bars.openTime[1] });
    // all-in, sized at the close (100) but capped by the cash at the fill price (102), fee included
    expect(buy!.quantity * 102 * 1.001).toBeLessThanOrEqual(10_000 + 1e-6);
    expect(buy!.quantity * 102 * 1.001).toBeGreaterThan(10_000 - 0.01);
    expect(buy!.fee).toBeCloseTo(buy!.quantity * 102 * 0.001, 10);
    // 'short' without --allow-short means flat: the exit sells the whole position at the next open
    expect(sell).toMatchObject({ side: 'sell', price: 110, quantity: buy!.quantity, ts: bars.openTime[3] });
    expect(r.openPosition).toBe(0);
    const expected = 10_000 - buy!.quantity * 102 - buy!.fee + sell!.quantity * 110 - sell!.fee;
    expect(r.metrics.finalEquity).toBeCloseTo(expected, 6);
    expect(r.trades).toHaveLength(1);
    expect(r.trades[0]!.pnl).toBeCloseTo(expected - 10_000, 6);
    expect(r.metrics.trades).toBe(1);
    // in the market at the closes of bars 1 and 2
    expect(r.metrics.exposure).toBeCloseTo(2 / 5, 12);
  });

  it('marks equity at each close', () => {
    const r = runBacktest({ bars, strategy: scripted({ 0: 'long' }), params: {}, cash: 10_000, keepEvents: true, venue: { takerFeeBps: 0, makerFeeBps: 0 } });
    const q = fillsOf(r.events)[0]!.quantity;
    const cash = 10_000 - q * 102;
    expect(Array.from(r.equityCurve.equity)).toEqual([10_000, cash + q * 102, cash + q * 105, cash + q * 110, cash + q * 108].map((x) => expect.closeTo(x, 6)));
    expect(r.equityCurve.time[0]).toBe(bars.openTime[0]! + MIN);
  });

  it('opens shorts and flips when shorting is allowed', () => {
    const r = runBacktest({ bars, strategy: scripted({ 0: 'short', 2: 'long' }), params: {}, cash: 10_000, keepEvents: true, executor: { allowShort: true }, venue: { takerFeeBps: 0, makerFeeBps: 0 } });
    const f = fillsOf(r.events);
    expect(f.map((x) => [x.side, x.price])).toEqual([['sell', 102], ['buy', 110], ['buy', 110]]);
    expect(r.trades[0]).toMatchObject({ direction: 'short', entryPrice: 102, exitPrice: 110 });
    expect(r.openPosition).toBeGreaterThan(0);
  });

  it('exits through the protective stop-loss child, cancelling its take-profit sibling', () => {
    const drop = series([[100, 101, 99, 100], [100, 101, 99, 100], [100, 100, 90, 91], [91, 92, 90, 91]]);
    const r = runBacktest({ bars: drop, strategy: scripted({ 0: 'long' }), params: {}, cash: 10_000, keepEvents: true, executor: { stopLossPct: 5, takeProfitPct: 5 }, venue: { takerFeeBps: 0, makerFeeBps: 0 } });
    const f = fillsOf(r.events);
    expect(f.map((x) => x.side)).toEqual(['buy', 'sell']);
    expect(f[1]!.price).toBeCloseTo(95, 6);
    expect(r.events!.some((e) => e.type === 'OrderCancelled')).toBe(true);
    expect(r.openPosition).toBe(0);
  });

  it('halts trading when the drawdown limit is breached, and later entries are rejected', () => {
    const crash = series([[100, 101, 99, 100], [100, 101, 99, 100], [100, 100, 60, 60], [60, 61, 59, 60], [60, 61, 59, 60], [60, 61, 59, 60]]);
    const r = runBacktest({ bars: crash, strategy: scripted({ 0: 'long', 3: 'flat', 4: 'long' }), params: {}, cash: 10_000, keepEvents: true, limits: { maxDrawdownPct: 20 } });
    const types = r.events!.map((e) => e.type);
    expect(types).toContain('TradingHalted');
    const rejected = r.events!.filter((e): e is DomainEvent<'OrderRejected'> => e.type === 'OrderRejected');
    expect(rejected.at(-1)?.data.reason.kind).toBe('TradingHalted');
  });

  it('gives the same event hash for the same input and seed, another for another seed', () => {
    const s = real('BTCUSDT-5m');
    const a = runBacktest({ bars: s, strategy: smaCross, params: { fast: 10, slow: 30 }, seed: 7 });
    const b = runBacktest({ bars: s, strategy: smaCross, params: { fast: 10, slow: 30 }, seed: 7 });
    const c = runBacktest({ bars: s, strategy: smaCross, params: { fast: 10, slow: 30 }, seed: 8 });
    expect(a.eventHash).toBe(b.eventHash);
    expect(c.eventHash).not.toBe(a.eventHash);
    expect(c.metrics.finalEquity).toBe(a.metrics.finalEquity);
  });
});

describe('golden run: sma-cross 10/30 on BTCUSDT-5m, defaults (all-in, long-only, 10 bps fees, no slippage)', () => {
  const s = real('BTCUSDT-5m');
  const run = () => runBacktest({ bars: s, strategy: smaCross, params: { fast: 10, slow: 30 }, cash: 10_000, seed: 1 });

  it('pins the event count, fills, final equity to the cent and the event hash', () => {
    const r = run();
    expect({
      bars: r.metrics.bars, events: r.eventCount, signals: r.signals, orders: r.orders, fills: r.fills, trades: r.metrics.trades,
      finalEquity: Math.round(r.metrics.finalEquity * 100) / 100, hash: r.eventHash,
    }).toEqual(GOLDEN);
  });

  it('reproduces the identical hash on a second run', () => {
    expect(run().eventHash).toBe(run().eventHash);
  });

  it('hashes the same whether or not the events are kept, and the kept events are valid, hash to it and chain causes', () => {
    const kept = runBacktest({ bars: s, strategy: smaCross, params: { fast: 10, slow: 30 }, cash: 10_000, seed: 1, keepEvents: true });
    expect(kept.eventHash).toBe(run().eventHash);
    expect(hashEventLog(kept.events!)).toBe(kept.eventHash);
    expect(kept.events).toHaveLength(kept.eventCount);
    for (const e of kept.events!) expect(validateEvent(JSON.parse(JSON.stringify(e))).ok).toBe(true);
    const byId = new Map(kept.events!.map((e) => [e.id, e]));
    const fill = kept.events!.find((e) => e.type === 'OrderFilled')!;
    const order = byId.get(fill.causationId!)!;
    expect(order.type).toBe('OrderRequested');
    expect(byId.get(order.causationId!)!.type).toBe('SignalEmitted');
    expect(fill.correlationId).toBe(order.causationId);
  });
});

const GOLDEN = {
  bars: 10_999, events: 2_227, signals: 435, orders: 434, fills: 434, trades: 217, finalEquity: 8_207.32,
  hash: 'f9a940854dca4e26c1f0e7a8cb6b118f37952843204a8bbffacb990425b551ea',
};

describe('cross-check against an independent vectorised computation', () => {
  it('trades at the next open after each SMA cross and compounds all-in returns net of fees to the same equity', () => {
    const s = real('BTCUSDT-5m');
    const sma = (p: number, i: number) => { let t = 0; for (let k = i - p + 1; k <= i; k++) t += s.close[k]!; return t / p; };
    // Long from the open after a cross up to the open after the next cross down; first state after warm-up is not a cross.
    let view: 'long' | 'short' | null = null;
    let entry = NaN;
    let equity = 10_000;
    const f = 0.001;
    const trades: [number, number][] = [];
    for (let i = 29; i < s.length - 1; i++) {
      const a = sma(10, i); const b = sma(30, i);
      const next: 'long' | 'short' | null = a > b ? 'long' : a < b ? 'short' : view;
      if (view !== null && next !== view) {
        if (next === 'long') entry = s.open[i + 1]!;
        else if (!Number.isNaN(entry)) { trades.push([entry, s.open[i + 1]!]); equity *= (s.open[i + 1]! * (1 - f)) / (entry * (1 + f)); entry = NaN; }
      }
      view = next;
    }
    const r = runBacktest({ bars: s, strategy: smaCross, params: { fast: 10, slow: 30 }, cash: 10_000 });
    const round = (x: number) => Math.round(x * 1e6) / 1e6;
    expect(r.trades.map((t) => [round(t.entryPrice), round(t.exitPrice)])).toEqual(trades);
    const last = r.trades.at(-1)!;
    const closedEquity = 10_000 + r.trades.reduce((x, t) => x + t.pnl, 0);
    expect(closedEquity / equity - 1).toBeCloseTo(0, 5); // lot rounding (1e-8) is the only difference
    expect(last.exitTime).toBeLessThan(s.openTime[s.length - 1]! + 1);
  });
});

describe('no look-ahead', () => {
  const s = real('BTCUSDT-5m');
  const T = 6_000;
  const cutoff = s.openTime[T]! + 5 * MIN; // bar T's close time

  /** The same series with every bar after T changed (prices scaled and jittered, volumes halved). */
  function alteredAfterT(): BarSeries {
    const c = { ...s, openTime: s.openTime.slice(), open: s.open.slice(), high: s.high.slice(), low: s.low.slice(), close: s.close.slice(), volume: s.volume.slice() };
    for (let i = T + 1; i < c.length; i++) {
      const k = 1 + 0.05 * Math.sin(i);
      c.open[i]! *= k; c.high[i]! *= k * 1.01; c.low[i]! *= k * 0.99; c.close[i]! *= k; c.volume[i]! *= 0.5;
    }
    return c;
  }

  for (const [kind, strategy] of Object.entries(builtInStrategies)) {
    it(`${kind}: changing any bar after T changes no signal and no order at or before T`, () => {
      const params = defaultParams(strategy);
      const decided = (bars: BarSeries) => runBacktest({ bars, strategy, params, keepEvents: true, executor: { allowShort: true } }).events!
        .filter((e) => Date.parse(e.occurredAt) <= cutoff && (e.type === 'SignalEmitted' || e.type === 'OrderRequested' || e.type === 'OrderRejected'));
      const before = decided(s);
      expect(before.length).toBeGreaterThan(0);
      expect(decided(alteredAfterT())).toEqual(before);
    });
  }
});

describe('walk-forward', () => {
  it('optimises on each training window, trades only the following test window, and stitches the test windows', async () => {
    const s = real('BTCUSDT-5m');
    const points = expandGrid({ fast: [5, 10], slow: [20, 40] });
    const base = { cash: 10_000 };
    const wf = await walkForward({
      series: s, points, trainBars: 3_000, testBars: 2_000, objective: 'sharpe', base, strategy: smaCross,
      evaluate: async (train, pts) => evaluatePoints(smaCross, train, pts, base),
    });
    expect(wf.folds.map((f) => [f.trainFrom, f.testFrom, f.testTo])).toEqual([
      [0, 3_000, 5_000], [2_000, 5_000, 7_000], [4_000, 7_000, 9_000], [6_000, 9_000, 10_999],
    ]);
    expect(wf.equityCurve.equity.length).toBe(10_999 - 3_000);
    expect(wf.equityCurve.time[0]).toBe(s.openTime[3_000]! + 5 * MIN);
    for (const t of wf.trades) expect(t.entryTime).toBeGreaterThanOrEqual(s.openTime[3_000]!);
    // stitched: compounding each fold's out-of-sample return
    const compounded = wf.folds.reduce((eq, f) => eq * (1 + f.outOfSample.totalReturn), 10_000);
    expect(wf.metrics.finalEquity).toBeCloseTo(compounded, 6);
  });
});
