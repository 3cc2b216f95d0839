// Test helpers for strategies: bar series from closes or recorded columns, and a runner that collects signals.
import type { BarClosed } from '@qts/schemas';
import { parseStrategyParams } from './strategy.ts';
import type { AnyStrategy, SignalIntent } from './strategy.ts';

const MINUTE = 60_000;

/** Bars whose close is each given value (open = previous close), one minute apart from t0. */
export function barsFromCloses(closes: readonly number[], instrument = 'TEST/USD', t0 = 1_700_000_000_000): BarClosed[] {
  return closes.map((close, i) => {
    const open = i === 0 ? close : closes[i - 1]!;
    return {
      venue: 'test', instrument, timeframe: '1m', openTime: t0 + i * MINUTE, closeTime: t0 + (i + 1) * MINUTE,
      open, high: Math.max(open, close), low: Math.min(open, close), close, volume: 1,
    };
  });
}

/** Recorded columnar bars (core/src/testing/data.ts loadBars) as BarClosed events. */
export function barsFromColumns(cols: {
  readonly name: string; readonly length: number; readonly time: ArrayLike<number>;
  readonly open: ArrayLike<number>; readonly high: ArrayLike<number>; readonly low: ArrayLike<number>;
  readonly close: ArrayLike<number>; readonly volume: ArrayLike<number>;
}, timeframeMs = 60_000): BarClosed[] {
  const out: BarClosed[] = [];
  for (let i = 0; i < cols.length; i++) {
    out.push({
      venue: 'recorded', instrument: cols.name.replace(/[^A-Z0-9._-]/gi, '').toUpperCase() || 'X', timeframe: '1m',
      openTime: cols.time[i]!, closeTime: cols.time[i]! + timeframeMs,
      open: cols.open[i]!, high: cols.high[i]!, low: cols.low[i]!, close: cols.close[i]!, volume: cols.volume[i]!,
    });
  }
  return out;
}

export interface EmittedSignal {
  /** Index of the bar the signal was emitted on. */
  readonly at: number;
  readonly intent: SignalIntent;
}

/** Runs a strategy from a fresh state over `bars` and returns every intent with its bar index. */
export function collectSignals(strategy: AnyStrategy, bars: readonly BarClosed[], params?: unknown): EmittedSignal[] {
  let state = strategy.init(parseStrategyParams(strategy, params));
  const out: EmittedSignal[] = [];
  for (let i = 0; i < bars.length; i++) {
    const [next, intents] = strategy.onBar(state, bars[i]!);
    state = next;
    for (const intent of intents) out.push({ at: i, intent });
  }
  return out;
}
