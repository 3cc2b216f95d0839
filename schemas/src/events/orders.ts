// The order lifecycle: requested or rejected by the executor, then the venue's acknowledgements and fills.
import { z } from 'zod';
import { EpochMs, Instrument, Money, PositiveQuantity, Price, Side, Venue } from './common.ts';

export const OrderType = z.enum(['market', 'limit', 'stop-market', 'stop-limit']);
export const TimeInForce = z.enum(['GTC', 'IOC', 'FOK', 'DAY']);
export type OrderType = z.infer<typeof OrderType>;

const ClientOrderId = z.string().min(1).max(64);

export const OrderRequestedV1 = z.object({
  clientOrderId: ClientOrderId,
  /** The signal this order answers; null for a manual order. */
  signalId: z.string().max(128).nullable(),
  strategyId: z.string().max(128),
  account: z.string().max(64),
  venue: Venue,
  instrument: Instrument,
  side: Side,
  type: OrderType,
  quantity: PositiveQuantity,
  limitPrice: Price.optional(),
  stopPrice: Price.optional(),
  timeInForce: TimeInForce,
  reduceOnly: z.boolean(),
  /** Set on protective children (stop-loss, take-profit) of an entry order. */
  parentClientOrderId: ClientOrderId.optional(),
  protective: z.object({ stopLoss: Price.optional(), takeProfit: Price.optional() }).optional(),
  ts: EpochMs,
});

/** Why the executor or risk said no: a typed reason that names the limit and the numbers. */
export const RejectionReason = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('MaxPositionExceeded'), limit: Money, requested: Money }),
  z.object({ kind: z.literal('MaxGrossExposureExceeded'), limit: Money, requested: Money }),
  z.object({ kind: z.literal('MaxOrderNotionalExceeded'), limit: Money, requested: Money }),
  z.object({ kind: z.literal('MaxOrdersPerMinuteExceeded'), limit: z.number(), requested: z.number() }),
  z.object({ kind: z.literal('CooldownAfterLoss'), until: EpochMs }),
  z.object({ kind: z.literal('TradingHalted'), since: EpochMs }),
  z.object({ kind: z.literal('BelowMinNotional'), limit: Money, requested: Money }),
  z.object({ kind: z.literal('BelowMinQuantity'), limit: z.number(), requested: z.number() }),
  z.object({ kind: z.literal('InsufficientFunds'), available: Money, required: Money }),
  z.object({ kind: z.literal('NothingToDo'), detail: z.string().max(256) }),
  z.object({ kind: z.literal('VenueRejected'), code: z.string().max(64), message: z.string().max(512) }),
]);
export type RejectionReason = z.infer<typeof RejectionReason>;

export const OrderRejectedV1 = z.object({
  clientOrderId: ClientOrderId,
  signalId: z.string().max(128).nullable(),
  strategyId: z.string().max(128),
  instrument: Instrument,
  reason: RejectionReason,
  ts: EpochMs,
});

export const OrderSubmittedV1 = z.object({ clientOrderId: ClientOrderId, instrument: Instrument, venue: Venue, ts: EpochMs });
export const OrderAcceptedV1 = z.object({
  clientOrderId: ClientOrderId,
  instrument: Instrument,
  venueOrderId: z.string().min(1).max(128),
  ts: EpochMs,
});

export const OrderFilledV1 = z.object({
  clientOrderId: ClientOrderId,
  instrument: Instrument,
  venueOrderId: z.string().max(128),
  /** Unique per venue; a redelivered fill carries the same id and is counted once. */
  fillId: z.string().min(1).max(128),
  side: Side,
  price: Price,
  quantity: PositiveQuantity,
  fee: Money,
  feeCurrency: z.string().max(16),
  liquidity: z.enum(['maker', 'taker']),
  ts: EpochMs,
});

export const OrderCancelRequestedV1 = z.object({ clientOrderId: ClientOrderId, instrument: Instrument, reason: z.string().max(256), ts: EpochMs });
export const OrderCancelledV1 = z.object({ clientOrderId: ClientOrderId, instrument: Instrument, reason: z.string().max(256), ts: EpochMs });
export const OrderExpiredV1 = z.object({ clientOrderId: ClientOrderId, instrument: Instrument, ts: EpochMs });

export type OrderRequested = z.infer<typeof OrderRequestedV1>;
export type OrderRejected = z.infer<typeof OrderRejectedV1>;
export type OrderSubmitted = z.infer<typeof OrderSubmittedV1>;
export type OrderAccepted = z.infer<typeof OrderAcceptedV1>;
export type OrderFilled = z.infer<typeof OrderFilledV1>;
export type OrderCancelRequested = z.infer<typeof OrderCancelRequestedV1>;
export type OrderCancelled = z.infer<typeof OrderCancelledV1>;
export type OrderExpired = z.infer<typeof OrderExpiredV1>;
