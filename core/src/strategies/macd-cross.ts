// MACD crossover: long when the MACD line crosses above its signal line, short (flat for a long-only executor) when it crosses below.
import { z } from 'zod';
import type { BarClosed } from '@qts/schemas';
import { Macd } from '../indicators/macd.ts';
import { decayBars, fmt, NO_SIGNALS, opinions, stateWithStep } from './strategy.ts';
import type { Direction, MutableStep, Opinion, Strategy, StrategyStep } from './strategy.ts';

export const MacdCrossParams = z.strictObject({
  fast: z.int().min(2).max(100).default(12).meta({ description: 'fast EMA period (bars)' }),
  slow: z.int().min(3).max(200).default(26).meta({ description: 'slow EMA period (bars)' }),
  signal: z.int().min(1).max(100).default(9).meta({ description: 'signal-line EMA period (bars)' }),
}).refine((p) => p.fast < p.slow, {
  path: ['fast'],
  error: (issue) => {
    const p = issue.input as { fast: number; slow: number };
    return `must be below slow (${p.slow}), got ${p.fast}`;
  },
  when: (payload) => payload.issues.length === 0,
});
export type MacdCrossParams = z.infer<typeof MacdCrossParams>;

export interface MacdCrossState {
  readonly macd: Macd;
  /** 'long' while MACD > signal, 'short' while below; unchanged on a tie; null before warm-up. */
  view: Direction | null;
  readonly step: MutableStep<MacdCrossState>;
}

/**
 * MACD as tulind computes it (EMAs seeded with the first close; for 12/26 tulip's alphas 0.15/0.075).
 * Signals only on a flip of the view after warm-up (`slow` bars), never at warm-up itself.
 */
export const macdCross: Strategy<MacdCrossParams, MacdCrossState> = {
  kind: 'macd-cross',
  description: 'Long when the MACD line crosses above its signal line; short (exit when long-only) when it crosses below.',
  params: MacdCrossParams,
  init(params) {
    return stateWithStep<MacdCrossState>({ macd: new Macd(params.fast, params.slow, params.signal), view: null });
  },
  onBar(s, bar: BarClosed): StrategyStep<MacdCrossState> {
    const m = s.macd;
    m.update(bar.close);
    s.step[1] = NO_SIGNALS;
    if (!m.isReady) return s.step;
    const next: Direction = m.macd > m.signal ? 'long' : m.macd < m.signal ? 'short' : (s.view ?? 'flat');
    if (s.view !== null && next !== s.view) {
      s.step[1] = [{
        direction: next,
        strength: 1,
        reason: `MACD(${m.shortPeriod},${m.longPeriod},${m.signalPeriod}) ${fmt(m.macd)} crossed ${next === 'long' ? 'above' : 'below'} its signal ${fmt(m.signal)}`,
      }];
    }
    s.view = next;
    return s.step;
  },
  // Both EMAs are seeded with the first close and the signal EMA with the first MACD value (tulip): replay until both seeds decayed.
  warmupBars: (p) => p.slow + decayBars(p.fast === 12 && p.slow === 26 ? 0.075 : 2 / (p.slow + 1)) + decayBars(2 / (p.signal + 1)),
  opinion(s): Opinion | null {
    return s.view === null ? null : opinions[s.view];
  },
};
