// Strategy control: a strategy instance started, stopped, or given new parameters.
import { z } from 'zod';
import { EpochMs, Instrument, Timeframe } from './common.ts';

const StrategyId = z.string().min(1).max(128);

export const StrategyStartedV1 = z.object({
  strategyId: StrategyId,
  kind: z.string().min(1).max(64),
  instruments: z.array(Instrument).min(1),
  timeframe: Timeframe,
  params: z.record(z.string(), z.unknown()),
  by: z.string().max(128),
  ts: EpochMs,
});
export const StrategyStoppedV1 = z.object({ strategyId: StrategyId, reason: z.string().max(512), by: z.string().max(128), ts: EpochMs });
export const StrategyParamsChangedV1 = z.object({
  strategyId: StrategyId,
  params: z.record(z.string(), z.unknown()),
  previous: z.record(z.string(), z.unknown()),
  by: z.string().max(128),
  ts: EpochMs,
});

/**
 * A worker refused a parameter change (say, a value out of the strategy's range): the strategy keeps
 * trading with its previous params; the issues name each wrong field.
 */
export const StrategyParamsRejectedV1 = z.object({
  strategyId: StrategyId,
  params: z.record(z.string(), z.unknown()),
  /** The id of the StrategyParamsChanged event refused. */
  changeId: z.string().max(128),
  issues: z.array(z.object({ path: z.string().max(256), message: z.string().max(512) })).max(64),
  ts: EpochMs,
});

export type StrategyStarted = z.infer<typeof StrategyStartedV1>;
export type StrategyStopped = z.infer<typeof StrategyStoppedV1>;
export type StrategyParamsChanged = z.infer<typeof StrategyParamsChangedV1>;
export type StrategyParamsRejected = z.infer<typeof StrategyParamsRejectedV1>;
