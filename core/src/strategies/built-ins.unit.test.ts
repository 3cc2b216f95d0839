// Each built-in emits at the right crossing on a hand-computed series and on recorded data agrees with tulind's indicators.
import { describe, expect, it } from 'vitest';
import { bollingerBatch, macdBatch, rsiBatch, smaBatch } from '../indicators/index.ts';
import { loadBars } from '../testing/data.ts';
import { bollingerBreakout } from './bollinger-breakout.ts';
import { builtInStrategies } from './builtins.ts';
import { macdCross } from './macd-cross.ts';
import { rsiReversion } from './rsi-reversion.ts';
import { smaCross } from './sma-cross.ts';
import { NO_SIGNALS, parseStrategyParams } from './strategy.ts';
import type { AnyStrategy, Direction } from './strategy.ts';
import { barsFromCloses, barsFromColumns, collectSignals } from './testing.ts';
import type { EmittedSignal } from './testing.ts';

const calls = (signals: readonly EmittedSignal[]) => signals.map((s) => [s.at, s.intent.direction]);

describe('sma-cross', () => {
  it('goes long on the cross above and short on the cross below, not at warm-up', () => {
    // fast SMA(2) vs slow SMA(3): i=2 11.5>11 (warm-up, view long, no signal); i=4 10.5<11 short; i=7 10.5>10 long.
    const signals = collectSignals(smaCross, barsFromCloses([10, 11, 12, 11, 10, 9, 10, 11, 12, 13]), { fast: 2, slow: 3 });
    expect(calls(signals)).toEqual([[4, 'short'], [7, 'long']]);
    expect(signals[0]!.intent).toEqual({ direction: 'short', strength: 1, reason: 'SMA(2) 10.5 crossed below SMA(3) 11' });
  });

  it('treats touching the slow average as no cross', () => {
    // SMA(2) vs SMA(4): i=3 11.5>11.25 long; i=4 both 12 (touch, view holds); i=5 12.5>12 still long; i=6 9<10.5 short.
    const signals = collectSignals(smaCross, barsFromCloses([9, 13, 11, 12, 12, 13, 5]), { fast: 2, slow: 4 });
    expect(calls(signals)).toEqual([[6, 'short']]);
  });

  it('has no opinion before warm-up, then the side the fast average is on', () => {
    const bars = barsFromCloses([10, 11, 12, 11, 10]);
    let s = smaCross.init({ fast: 2, slow: 3 });
    const views: (string | null)[] = [];
    for (const bar of bars) {
      s = smaCross.onBar(s, bar)[0];
      views.push(smaCross.opinion(s)?.direction ?? null);
    }
    expect(views).toEqual([null, null, 'long', 'long', 'short']);
  });

  it('returns the shared empty list on quiet bars', () => {
    const s = smaCross.init({ fast: 2, slow: 3 });
    expect(smaCross.onBar(s, barsFromCloses([10])[0]!)[1]).toBe(NO_SIGNALS);
    expect(Object.isFrozen(NO_SIGNALS)).toBe(true);
  });
});

describe('macd-cross', () => {
  it('goes long when MACD crosses above its signal line and short when below', () => {
    // MACD(2,3,2): flat closes give MACD = signal = 0 (view flat at warm-up, i=2). i=5: fast EMA 10.667, slow 10.5,
    // MACD 0.1667 > signal 0.1111 -> long; i=8: 0.2770 < 0.2989 -> short; i=12: -0.2516 > -0.2566 -> long.
    const closes = [10, 10, 10, 10, 10, 11, 12, 13, 13, 12, 11, 10, 10, 11];
    expect(calls(collectSignals(macdCross, barsFromCloses(closes), { fast: 2, slow: 3, signal: 2 }))).toEqual([[5, 'long'], [8, 'short'], [12, 'long']]);
  });
});

describe('rsi-reversion', () => {
  it('goes long leaving oversold, short leaving overbought, and never repeats a direction', () => {
    // RSI(2): i=2 0 (warm-up); i=3 50 up through 30 -> long; i=4 75; i=5 87.5; i=6 43.75 down through 70 -> short;
    // i=7 21.9; i=8 10.9; i=9 55.5 -> long; i=10 27.7; i=11 63.9 crosses 30 again but is already long -> nothing.
    const closes = [10, 9, 8, 9, 10, 11, 10, 9, 8, 9, 8, 9];
    const signals = collectSignals(rsiReversion, barsFromCloses(closes), { period: 2, oversold: 30, overbought: 70 });
    expect(calls(signals)).toEqual([[3, 'long'], [6, 'short'], [9, 'long']]);
    expect(signals[1]!.intent.reason).toBe('RSI(2) crossed down through overbought 70: 87.5 -> 43.75');
  });
});

describe('rsi-reversion levels', () => {
  it('counts reaching the oversold level exactly as crossing it', () => {
    // RSI(2): moves -3, -3 seed up 0, down 3 (RSI 0); +1 gives up 0.5, down 1.5: RSI exactly 25.
    const signals = collectSignals(rsiReversion, barsFromCloses([16, 13, 10, 11]), { period: 2, oversold: 25, overbought: 75 });
    expect(calls(signals)).toEqual([[3, 'long']]);
  });
});

describe('bollinger-breakout', () => {
  it('enters on a close outside a band and exits on the close back across the middle band', () => {
    // BB(4, 1): i=3 flat window, bands all 10 (warm-up, flat); i=4 upper 11.37 < 12 -> long; i=5 upper exactly 12,
    // close 12 is not above it and is above the middle 11 -> hold; i=6 close 11 < middle 11.25 -> flat;
    // i=7 close 9 < lower 9.78 -> short; i=8 10 between lower 9.38 and middle 10.5 -> hold; i=9 11 > middle 10.25 -> flat.
    const closes = [10, 10, 10, 10, 12, 12, 11, 9, 10, 11];
    const signals = collectSignals(bollingerBreakout, barsFromCloses(closes), { period: 4, stddev: 1 });
    expect(calls(signals)).toEqual([[4, 'long'], [6, 'flat'], [7, 'short'], [9, 'flat']]);
    expect(signals[1]!.intent.reason).toBe('close 11 fell back below the middle BB(4,1) band 11.25');
  });
});

/** The crossing rule written plainly over tulind's batch outputs: an independent reference. */
function referenceCalls(first: number, viewAt: (i: number, view: Direction) => Direction, n: number): (number | Direction)[][] {
  const out: (number | Direction)[][] = [];
  let view: Direction | null = null;
  for (let i = first; i < n; i++) {
    const next = viewAt(i, view ?? 'flat');
    if (view !== null && next !== view) out.push([i, next]);
    view = next;
  }
  return out;
}

describe('on recorded data the built-ins act on exactly tulind\'s numbers', () => {
  const series = loadBars('GOOG-1d');
  const bars = barsFromColumns(series, 86_400_000);
  const close = series.close;

  it('sma-cross', async () => {
    const [fast, slow] = await Promise.all([smaBatch(close, 10), smaBatch(close, 30)]);
    const expected = referenceCalls(29, (i, v) => (fast[i]! > slow[i]! ? 'long' : fast[i]! < slow[i]! ? 'short' : v), close.length);
    expect(expected.length).toBeGreaterThan(20);
    expect(calls(collectSignals(smaCross, bars))).toEqual(expected);
  });

  it('macd-cross (12, 26, 9 with tulip\'s alphas)', async () => {
    const m = await macdBatch(close, 12, 26, 9);
    const expected = referenceCalls(25, (i, v) => (m.macd[i]! > m.signal[i]! ? 'long' : m.macd[i]! < m.signal[i]! ? 'short' : v), close.length);
    expect(expected.length).toBeGreaterThan(50);
    expect(calls(collectSignals(macdCross, bars))).toEqual(expected);
  });

  it('rsi-reversion', async () => {
    const rsi = await rsiBatch(close, 14);
    const expected = referenceCalls(14, (i, v) => {
      if (i === 14) return v;
      if (rsi[i - 1]! < 30 && rsi[i]! >= 30) return 'long';
      if (rsi[i - 1]! > 70 && rsi[i]! <= 70) return 'short';
      return v;
    }, close.length);
    expect(expected.length).toBeGreaterThan(10);
    expect(calls(collectSignals(rsiReversion, bars))).toEqual(expected);
  });

  it('bollinger-breakout', async () => {
    const b = await bollingerBatch(close, 20, 2);
    const expected = referenceCalls(19, (i, v) => {
      const c = close[i]!;
      if (c > b.upper[i]!) return 'long';
      if (c < b.lower[i]!) return 'short';
      if (v === 'long' && c < b.middle[i]!) return 'flat';
      if (v === 'short' && c > b.middle[i]!) return 'flat';
      return v;
    }, close.length);
    expect(expected.length).toBeGreaterThan(20);
    expect(calls(collectSignals(bollingerBreakout, bars))).toEqual(expected);
  });
});

describe('every built-in', () => {
  const bars = barsFromColumns(loadBars('BTCUSDT-5m'), 300_000);

  it.each(Object.keys(builtInStrategies))('%s never emits the same direction twice in a row', (kind) => {
    const signals = collectSignals(builtInStrategies[kind]!, bars);
    expect(signals.length).toBeGreaterThan(5);
    for (let i = 1; i < signals.length; i++) expect(signals[i]!.intent.direction).not.toBe(signals[i - 1]!.intent.direction);
  });

  it.each(Object.keys(builtInStrategies))('%s is deterministic: same bars, same signals', (kind) => {
    const strategy: AnyStrategy = builtInStrategies[kind]!;
    expect(collectSignals(strategy, bars)).toEqual(collectSignals(strategy, bars));
  });

  it.each(Object.keys(builtInStrategies))('%s reuses one step and the shared empty list on quiet bars (no allocation per bar)', (kind) => {
    const strategy: AnyStrategy = builtInStrategies[kind]!;
    let s = strategy.init(parseStrategyParams(strategy, undefined));
    const first = strategy.onBar(s, bars[0]!);
    let quiet = 0;
    for (const bar of bars.slice(1, 2000)) {
      const step = strategy.onBar(s, bar);
      expect(step).toBe(first);
      s = step[0];
      if (step[1].length === 0) {
        expect(step[1]).toBe(NO_SIGNALS);
        quiet++;
      }
    }
    expect(quiet).toBeGreaterThan(1500);
  });

  it.each(Object.keys(builtInStrategies))('%s states are independent: two runs interleaved give the runs alone', (kind) => {
    const strategy: AnyStrategy = builtInStrategies[kind]!;
    const params = parseStrategyParams(strategy, undefined);
    let a = strategy.init(params);
    let b = strategy.init(params);
    const fromA: number[] = [];
    for (let i = 0; i < bars.length; i++) {
      const [na, ia] = strategy.onBar(a, bars[i]!);
      a = na;
      if (ia.length > 0) fromA.push(i);
      b = strategy.onBar(b, bars[bars.length - 1 - i]!)[0];
    }
    expect(fromA).toEqual(collectSignals(strategy, bars).map((s) => s.at));
  });
});
