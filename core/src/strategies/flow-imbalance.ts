// Order-flow imbalance on trades: long while takers buy most of the recent volume, short while they sell most of it.
import { z } from 'zod';
import type { TradeTick } from '@qts/schemas';
import { fmt, NO_SIGNALS, opinions, stateWithStep } from './strategy.ts';
import type { Direction, MutableStep, Opinion, StrategyStep } from './strategy.ts';
import type { TickStrategy } from './tick-strategy.ts';

export const FlowImbalanceParams = z.strictObject({
  window: z.int().min(2).max(100_000).default(200).meta({ description: 'trades in the rolling window' }),
  threshold: z.number().min(0.01).max(1).default(0.3).meta({ description: 'imbalance (buy - sell volume) / total volume that sets the view', step: 0.01 }),
});
export type FlowImbalanceParams = z.infer<typeof FlowImbalanceParams>;

export interface FlowImbalanceState {
  readonly threshold: number;
  /** Signed sizes of the last `window` trades (+ taker buy, - taker sell), as a ring. */
  readonly ring: Float64Array;
  next: number;
  filled: number;
  buyVolume: number;
  sellVolume: number;
  /** 'long' after the imbalance reached +threshold, 'short' after -threshold; null until one of them was reached. */
  view: Direction | null;
  readonly step: MutableStep<FlowImbalanceState>;
}

/** (buy - sell) / (buy + sell) volume of the window; 0 for an empty one. */
export function imbalanceOf(s: FlowImbalanceState): number {
  const total = s.buyVolume + s.sellVolume;
  return total > 0 ? (s.buyVolume - s.sellVolume) / total : 0;
}

/**
 * Once the window is full, the view follows the imbalance across a dead band: it turns long at
 * +threshold or above, short at -threshold or below, and holds in between, so a flat tape does not
 * flip it back and forth. A signal is emitted on each change of view, including the first one after
 * warm-up (unlike a crossover, a threshold reached is an event of its own). Warm-up: `window` trades.
 */
export const flowImbalance: TickStrategy<FlowImbalanceParams, FlowImbalanceState> = {
  kind: 'flow-imbalance',
  description: 'Long while taker buys outweigh taker sells by the threshold over the last N trades; short (exit when long-only) while sells do.',
  params: FlowImbalanceParams,
  init(params) {
    return stateWithStep<FlowImbalanceState>({
      threshold: params.threshold, ring: new Float64Array(params.window), next: 0, filled: 0, buyVolume: 0, sellVolume: 0, view: null,
    });
  },
  onTick(s, tick: TradeTick): StrategyStep<FlowImbalanceState> {
    const signed = tick.aggressor === 'buy' ? tick.size : -tick.size;
    const out = s.ring[s.next]!;
    s.ring[s.next] = signed;
    s.next = s.next + 1 === s.ring.length ? 0 : s.next + 1;
    if (s.filled < s.ring.length) s.filled++;
    else if (out > 0) s.buyVolume -= out;
    else s.sellVolume += out;
    if (signed > 0) s.buyVolume += signed;
    else s.sellVolume -= signed;
    // Running sums drift by rounding; a fresh sum once per lap keeps them exact to the window's own rounding.
    if (s.next === 0) resum(s);
    s.step[1] = NO_SIGNALS;
    if (s.filled < s.ring.length) return s.step;
    const imbalance = imbalanceOf(s);
    const next: Direction | null = imbalance >= s.threshold ? 'long' : imbalance <= -s.threshold ? 'short' : s.view;
    if (next !== null && next !== s.view) {
      s.step[1] = [{ direction: next, strength: 1, reason: `flow imbalance ${fmt(imbalance)} over ${s.ring.length} trades ${next === 'long' ? 'reached' : 'fell to'} ${next === 'long' ? '' : '-'}${fmt(s.threshold)}` }];
    }
    s.view = next;
    return s.step;
  },
  opinion(s): Opinion | null {
    return s.view === null ? null : opinions[s.view];
  },
};

function resum(s: FlowImbalanceState): void {
  let buy = 0;
  let sell = 0;
  for (const v of s.ring) {
    if (v > 0) buy += v;
    else sell -= v;
  }
  s.buyVolume = buy;
  s.sellVolume = sell;
}
