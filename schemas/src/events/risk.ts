// Risk decisions: a limit breached, trading halted by the kill switch, and the explicit resume.
import { z } from 'zod';
import { EpochMs, Instrument, Money } from './common.ts';

export const RiskLimitBreachedV1 = z.object({
  account: z.string().max(64),
  limit: z.enum(['maxPosition', 'maxGrossExposure', 'maxOrderNotional', 'maxOrdersPerMinute', 'cooldownAfterLoss', 'maxDailyLoss', 'maxDrawdown']),
  threshold: Money,
  actual: Money,
  instrument: Instrument.optional(),
  clientOrderId: z.string().max(64).optional(),
  ts: EpochMs,
});

export const TradingHaltedV1 = z.object({
  account: z.string().max(64),
  reason: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('MaxDailyLoss'), limit: Money, loss: Money }),
    z.object({ kind: z.literal('MaxDrawdown'), limit: Money, drawdown: Money }),
    z.object({ kind: z.literal('Manual'), by: z.string().max(128), note: z.string().max(512) }),
  ]),
  ts: EpochMs,
});

export const TradingResumedV1 = z.object({
  account: z.string().max(64),
  by: z.string().max(128),
  note: z.string().max(512),
  ts: EpochMs,
});

export type RiskLimitBreached = z.infer<typeof RiskLimitBreachedV1>;
export type TradingHalted = z.infer<typeof TradingHaltedV1>;
export type TradingResumed = z.infer<typeof TradingResumedV1>;
