// Signals: what a strategy or model wants the position to be; only the executor turns them into orders.
import { z } from 'zod';
import { EpochMs, Instrument, Price } from './common.ts';

export const SignalEmittedV1 = z.object({
  strategyId: z.string().min(1).max(128),
  instrument: Instrument,
  /** The position the strategy wants: long, short or flat. Re-stating the same target is harmless. */
  direction: z.enum(['long', 'short', 'flat']),
  /** Conviction in [0, 1]; sizing may scale by it. */
  strength: z.number().min(0).max(1),
  /** The last price the strategy saw, for sizing and audit. */
  price: Price,
  /** Time of the market event the decision was taken on (no look-ahead past it). */
  asOf: EpochMs,
  reason: z.string().max(512),
  model: z.object({
    version: z.string().max(128),
    probability: z.number().min(0).max(1),
    confidence: z.number().min(0).max(1),
  }).optional(),
});
export type SignalEmitted = z.infer<typeof SignalEmittedV1>;

/**
 * A strategy's progress: it evaluated the bar closing at `asOf` and emitted `signals` signals for it,
 * published after them. The executor trades a bar only once every strategy of the instrument has
 * evaluated the bar before it, so live paper trading is processed in event time exactly like a
 * backtest, whatever the delivery timing; and the audit shows every bar a strategy looked at.
 */
export const BarEvaluatedV1 = z.object({
  strategyId: z.string().min(1).max(128),
  instrument: Instrument,
  asOf: EpochMs,
  signals: z.number().int().nonnegative(),
});
export type BarEvaluated = z.infer<typeof BarEvaluatedV1>;
