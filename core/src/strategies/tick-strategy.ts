// The tick strategy contract: like Strategy, but fed every trade (TradeTick) instead of closed bars.
import type { z } from 'zod';
import type { SignalEmitted, TradeTick } from '@qts/schemas';
import type { Opinion, SignalIntent, StrategyStep } from './strategy.ts';

/**
 * A strategy that reacts to each trade print: order-flow and microstructure rules that bars would
 * average away. Same rules as a bar strategy: pure in effect, signal intents only (never orders),
 * NO_SIGNALS on a quiet tick, and no reference kept to `tick` (callers may reuse one object).
 */
export interface TickStrategy<P = unknown, S = unknown> {
  readonly kind: string;
  readonly description: string;
  readonly params: z.ZodType<P>;
  init(params: P): S;
  onTick(state: S, tick: TradeTick): StrategyStep<S>;
  /** Current view; null until warmed up. */
  opinion(state: S): Opinion | null;
}

const MAX_REASON = 512;

/** The SignalEmitted data for an intent taken on a trade: priced at that trade, as of its time. */
export function tickSignalData(strategyId: string, tick: TradeTick, intent: SignalIntent): SignalEmitted {
  return {
    strategyId,
    instrument: tick.instrument,
    direction: intent.direction,
    strength: Math.min(1, Math.max(0, intent.strength)),
    price: tick.price,
    asOf: tick.ts,
    reason: intent.reason.length > MAX_REASON ? `${intent.reason.slice(0, MAX_REASON - 1)}…` : intent.reason,
  };
}
