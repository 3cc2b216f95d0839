// RSI mean reversion: long when RSI climbs back up through oversold, short (flat for a long-only executor) when it falls back through overbought.
import { z } from 'zod';
import type { BarClosed } from '@qts/schemas';
import { Rsi } from '../indicators/rsi.ts';
import { decayBars, fmt, NO_SIGNALS, opinions, stateWithStep } from './strategy.ts';
import type { Direction, MutableStep, Opinion, Strategy, StrategyStep } from './strategy.ts';

export const RsiReversionParams = z.strictObject({
  period: z.int().min(2).max(100).default(14).meta({ description: 'RSI period (bars, Wilder smoothing)' }),
  oversold: z.number().min(1).max(49).default(30).meta({ description: 'oversold level; crossing back above it goes long', step: 1 }),
  overbought: z.number().min(51).max(99).default(70).meta({ description: 'overbought level; crossing back below it goes short/flat', step: 1 }),
});
export type RsiReversionParams = z.infer<typeof RsiReversionParams>;

export interface RsiReversionState {
  readonly rsi: Rsi;
  readonly oversold: number;
  readonly overbought: number;
  /** RSI of the previous bar (NaN before it exists). */
  prev: number;
  /** Direction of the last crossing; 'flat' before any; null before warm-up. */
  view: Direction | null;
  readonly step: MutableStep<RsiReversionState>;
}

/**
 * Rules: RSI (tulind's definition) moving from below `oversold` to at or above it -> long; from above
 * `overbought` to at or below it -> short. Between crossings the view holds. A crossing that repeats
 * the current view emits nothing. Warm-up: `period + 1` bars; the first crossing can come a bar later.
 */
export const rsiReversion: Strategy<RsiReversionParams, RsiReversionState> = {
  kind: 'rsi-reversion',
  description: 'Long when RSI crosses up through the oversold level; short (exit when long-only) when it crosses down through the overbought level.',
  params: RsiReversionParams,
  init(params) {
    return stateWithStep<RsiReversionState>({
      rsi: new Rsi(params.period), oversold: params.oversold, overbought: params.overbought, prev: NaN, view: null,
    });
  },
  onBar(s, bar: BarClosed): StrategyStep<RsiReversionState> {
    s.rsi.update(bar.close);
    const rsi = s.rsi.value;
    s.step[1] = NO_SIGNALS;
    if (!s.rsi.isReady) return s.step;
    const prev = s.prev;
    s.prev = rsi;
    if (s.view === null) {
      s.view = 'flat';
      return s.step;
    }
    let next: Direction = s.view;
    if (prev < s.oversold && rsi >= s.oversold) next = 'long';
    else if (prev > s.overbought && rsi <= s.overbought) next = 'short';
    if (next !== s.view) {
      s.step[1] = [{
        direction: next,
        strength: 1,
        reason: next === 'long'
          ? `RSI(${s.rsi.period}) crossed up through oversold ${s.oversold}: ${fmt(prev)} -> ${fmt(rsi)}`
          : `RSI(${s.rsi.period}) crossed down through overbought ${s.overbought}: ${fmt(prev)} -> ${fmt(rsi)}`,
      }];
      s.view = next;
    }
    return s.step;
  },
  // Wilder smoothing (alpha 1/period) is seeded with a plain mean: replay until the seed has decayed.
  warmupBars: (p) => p.period + 1 + decayBars(1 / p.period),
  opinion(s): Opinion | null {
    return s.view === null ? null : opinions[s.view];
  },
};
