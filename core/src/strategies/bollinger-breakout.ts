// Bollinger breakout: long on a close above the upper band, out when the close falls back below the middle band (mirrored for shorts).
import { z } from 'zod';
import type { BarClosed } from '@qts/schemas';
import { BollingerBands } from '../indicators/bollinger.ts';
import { fmt, NO_SIGNALS, opinions, stateWithStep } from './strategy.ts';
import type { Direction, MutableStep, Opinion, Strategy, StrategyStep } from './strategy.ts';

export const BollingerBreakoutParams = z.strictObject({
  period: z.int().min(2).max(200).default(20).meta({ description: 'moving average and deviation window (bars)' }),
  stddev: z.number().min(0.5).max(5).default(2).meta({ description: 'band width in population standard deviations', step: 0.1 }),
});
export type BollingerBreakoutParams = z.infer<typeof BollingerBreakoutParams>;

export interface BollingerBreakoutState {
  readonly bands: BollingerBands;
  /** 'flat' before the first breakout; null before warm-up. */
  view: Direction | null;
  readonly step: MutableStep<BollingerBreakoutState>;
}

/**
 * Rules on each closed bar, bands as tulind's `bbands` (SMA ± k population standard deviations):
 * - close > upper band -> long (from flat, or reversing a short);
 * - close < lower band -> short (from flat, or reversing a long); a long-only executor stays flat;
 * - long and close < middle band -> flat; short and close > middle band -> flat.
 * The breakout rules win over the exits. Warm-up: `period` bars; a close already outside a band on
 * the warm-up bar sets the view without a signal (no breakout was seen).
 */
export const bollingerBreakout: Strategy<BollingerBreakoutParams, BollingerBreakoutState> = {
  kind: 'bollinger-breakout',
  description: 'Long on a close above the upper Bollinger band, flat again on a close below the middle band; the mirror image for shorts.',
  params: BollingerBreakoutParams,
  init(params) {
    return stateWithStep<BollingerBreakoutState>({ bands: new BollingerBands(params.period, params.stddev), view: null });
  },
  onBar(s, bar: BarClosed): StrategyStep<BollingerBreakoutState> {
    const b = s.bands;
    const close = bar.close;
    b.update(close);
    s.step[1] = NO_SIGNALS;
    if (!b.isReady) return s.step;
    const view = s.view ?? 'flat';
    let next: Direction = view;
    if (close > b.upper) next = 'long';
    else if (close < b.lower) next = 'short';
    else if (view === 'long' && close < b.middle) next = 'flat';
    else if (view === 'short' && close > b.middle) next = 'flat';
    if (s.view !== null && next !== view) {
      s.step[1] = [{ direction: next, strength: 1, reason: reasonFor(next, view, close, b) }];
    }
    s.view = next;
    return s.step;
  },
  warmupBars: (p) => p.period,
  opinion(s): Opinion | null {
    return s.view === null ? null : opinions[s.view];
  },
};

function reasonFor(next: Direction, from: Direction, close: number, b: BollingerBands): string {
  const bands = `BB(${b.period},${b.stddev})`;
  if (next === 'long') return `close ${fmt(close)} broke above the upper ${bands} band ${fmt(b.upper)}`;
  if (next === 'short') return `close ${fmt(close)} broke below the lower ${bands} band ${fmt(b.lower)}`;
  return `close ${fmt(close)} fell back ${from === 'long' ? 'below' : 'above'} the middle ${bands} band ${fmt(b.middle)}`;
}
