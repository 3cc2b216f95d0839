// SMA crossover: long when the fast average crosses above the slow one, short (flat for a long-only executor) when it crosses below.
import { z } from 'zod';
import type { BarClosed } from '@qts/schemas';
import { Sma } from '../indicators/sma.ts';
import { fmt, NO_SIGNALS, opinions, stateWithStep } from './strategy.ts';
import type { Direction, MutableStep, Opinion, Strategy, StrategyStep } from './strategy.ts';

export const SmaCrossParams = z.strictObject({
  fast: z.int().min(2).max(200).default(10).meta({ description: 'fast SMA period (bars)' }),
  slow: z.int().min(3).max(500).default(30).meta({ description: 'slow SMA period (bars)' }),
}).refine((p) => p.fast < p.slow, {
  path: ['fast'],
  error: (issue) => {
    const p = issue.input as { fast: number; slow: number };
    return `must be below slow (${p.slow}), got ${p.fast}`;
  },
  when: (payload) => payload.issues.length === 0,
});
export type SmaCrossParams = z.infer<typeof SmaCrossParams>;

export interface SmaCrossState {
  readonly fast: Sma;
  readonly slow: Sma;
  /** 'long' while fast > slow, 'short' while fast < slow; unchanged on a tie; null before warm-up. */
  view: Direction | null;
  readonly step: MutableStep<SmaCrossState>;
}

/**
 * The view is set by which average is on top; a signal is emitted only when the view flips after
 * warm-up (a cross), never at warm-up itself (no cross was seen) and never twice in a row.
 * Warm-up: `slow` bars.
 */
export const smaCross: Strategy<SmaCrossParams, SmaCrossState> = {
  kind: 'sma-cross',
  description: 'Long when the fast SMA of closes crosses above the slow SMA; short (exit when long-only) when it crosses below.',
  params: SmaCrossParams,
  init(params) {
    return stateWithStep<SmaCrossState>({ fast: new Sma(params.fast), slow: new Sma(params.slow), view: null });
  },
  onBar(s, bar: BarClosed): StrategyStep<SmaCrossState> {
    s.fast.update(bar.close);
    s.slow.update(bar.close);
    const fast = s.fast.value;
    const slow = s.slow.value;
    s.step[1] = NO_SIGNALS;
    if (!s.slow.isReady) return s.step;
    const next: Direction = fast > slow ? 'long' : fast < slow ? 'short' : (s.view ?? 'flat');
    if (s.view !== null && next !== s.view) {
      s.step[1] = [{
        direction: next,
        strength: 1,
        reason: `SMA(${s.fast.period}) ${fmt(fast)} crossed ${next === 'long' ? 'above' : 'below'} SMA(${s.slow.period}) ${fmt(slow)}`,
      }];
    }
    s.view = next;
    return s.step;
  },
  warmupBars: (p) => p.slow,
  opinion(s): Opinion | null {
    return s.view === null ? null : opinions[s.view];
  },
};
