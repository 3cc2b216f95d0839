// The API's wire shapes as zod schemas: request params/query/bodies and every response, one source for validation and OpenAPI.
import { z } from 'zod';
import { Instrument, OrderType, RejectionReason, Side, TimeInForce, Timeframe, Venue } from '@qts/schemas';

const Num = z.number();
/** Epoch ms in a query or body: bounded so it always fits the bigint columns it is compared with. */
const MsInput = z.coerce.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
/** Quantities and prices a user may type: far beyond any real order, far below what breaks arithmetic. */
const Amount = z.number().finite().positive().max(1e15);
const Ms = z.number().int().describe('epoch milliseconds');
const NullableMs = Ms.nullable();

export const ErrorBody = z.object({
  error: z.object({
    kind: z.string(),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
}).meta({ id: 'Error' });

/** Opaque cursor: where the next page starts. */
export const Cursor = z.string().max(200).regex(/^[A-Za-z0-9_-]+$/, 'an opaque cursor from a previous page');
export const Limit = z.coerce.number().int().min(1).max(1000).default(100);
const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

export const InstrumentView = z.object({
  venue: z.string(), instrument: z.string(), lastPrice: Num.nullable(), lastTs: NullableMs,
  bid: Num.nullable(), ask: Num.nullable(), quoteTs: NullableMs,
}).meta({ id: 'Instrument' });

export const BarView = z.object({
  venue: z.string(), instrument: z.string(), timeframe: z.string(), openTime: Ms, closeTime: Ms,
  open: Num, high: Num, low: Num, close: Num, volume: Num, source: z.string(),
}).meta({ id: 'Bar' });
export const BarsQuery = z.object({
  instrument: Instrument, timeframe: Timeframe.exclude(['tick']).default('1m'), venue: Venue.optional(),
  from: MsInput.optional(), to: MsInput.optional(),
  cursor: Cursor.optional(), limit: Limit,
});

export const SignalView = z.object({
  id: z.string(), strategyId: z.string(), instrument: z.string(), direction: z.enum(['long', 'short', 'flat']),
  strength: Num, price: Num, asOf: Ms, reason: z.string(), correlationId: z.string(),
  model: z.object({ version: z.string(), probability: Num, confidence: Num }).nullable(),
}).meta({ id: 'Signal' });
export const SignalsQuery = z.object({ strategyId: z.string().max(128).optional(), instrument: Instrument.optional(), cursor: Cursor.optional(), limit: Limit });

export const OrderStatus = z.enum(['requested', 'submitted', 'accepted', 'partially-filled', 'filled', 'cancelled', 'rejected', 'expired']);
export const FillView = z.object({
  fillId: z.string(), clientOrderId: z.string(), instrument: z.string(), side: Side, price: Num, quantity: Num,
  fee: Num, feeCurrency: z.string(), liquidity: z.string(), ts: Ms,
}).meta({ id: 'Fill' });
export const OrderView = z.object({
  clientOrderId: z.string(), signalId: z.string().nullable(), strategyId: z.string(), account: z.string().nullable(),
  venue: z.string().nullable(), instrument: z.string(), side: Side.nullable(), type: z.string().nullable(),
  quantity: Num.nullable(), limitPrice: Num.nullable(), stopPrice: Num.nullable(), timeInForce: z.string().nullable(),
  reduceOnly: z.boolean().nullable(), parentClientOrderId: z.string().nullable(), status: OrderStatus,
  filledQuantity: Num, averageFillPrice: Num.nullable(), venueOrderId: z.string().nullable(),
  rejectReason: z.unknown().nullable(), cancelReason: z.string().nullable(), correlationId: z.string(),
  requestedAt: NullableMs, rejectedAt: NullableMs, submittedAt: NullableMs, acceptedAt: NullableMs, firstFillAt: NullableMs,
  filledAt: NullableMs, cancelRequestedAt: NullableMs, cancelledAt: NullableMs, expiredAt: NullableMs, updatedAt: Ms,
}).meta({ id: 'Order' });
export const OrderDetail = OrderView.extend({ fills: z.array(FillView) }).meta({ id: 'OrderDetail' });
export const OrdersQuery = z.object({
  status: OrderStatus.optional(), instrument: Instrument.optional(), strategyId: z.string().max(128).optional(),
  account: z.string().max(64).optional(), cursor: Cursor.optional(), limit: Limit,
});
export const ClientOrderIdParam = z.object({ clientOrderId: z.string().min(1).max(64) });
export const ManualOrderBody = z.object({
  account: z.string().min(1).max(64), venue: Venue, instrument: Instrument, side: Side, type: OrderType,
  quantity: Amount, limitPrice: Amount.optional(), stopPrice: Amount.optional(), timeInForce: TimeInForce.default('GTC'),
  reduceOnly: z.boolean().default(false),
  /** Chosen by the client to make a retried POST harmless; generated when absent. */
  clientOrderId: z.string().min(1).max(64).regex(/^[A-Za-z0-9._:-]+$/).optional(),
}).strict().superRefine((o, ctx) => {
  if ((o.type === 'limit' || o.type === 'stop-limit') && o.limitPrice === undefined) ctx.addIssue({ code: 'custom', path: ['limitPrice'], message: `required for a ${o.type} order` });
  if ((o.type === 'stop-market' || o.type === 'stop-limit') && o.stopPrice === undefined) ctx.addIssue({ code: 'custom', path: ['stopPrice'], message: `required for a ${o.type} order` });
}).meta({ id: 'ManualOrder' });
export const CancelBody = z.object({ reason: z.string().max(256).default('cancelled by user') }).strict();
export const Accepted = z.object({ clientOrderId: z.string(), status: z.string() }).meta({ id: 'OrderCommandResult' });

export const PositionView = z.object({
  account: z.string(), strategyId: z.string(), instrument: z.string(), quantity: Num, averagePrice: Num,
  realizedPnl: Num, unrealizedPnl: Num, fees: Num, lastPrice: Num.nullable(), updatedAt: Ms,
}).meta({ id: 'Position' });
export const PositionsQuery = z.object({
  account: z.string().max(64).optional(),
  /** '*' (default) is the account-wide view; 'all' lists every strategy's share too. */
  strategyId: z.string().max(128).default('*'),
  openOnly: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
});
export const EquityView = z.object({
  account: z.string(), equity: Num, realizedPnl: Num, unrealizedPnl: Num, fees: Num, updatedAt: Ms,
}).meta({ id: 'Equity' });
export const EquityPoint = z.object({ ts: Ms, equity: Num, realizedPnl: Num, unrealizedPnl: Num, fees: Num }).meta({ id: 'EquityPoint' });
export const AccountParam = z.object({ account: z.string().min(1).max(64) });
export const EquityQuery = z.object({ from: MsInput.optional(), to: MsInput.optional(), cursor: Cursor.optional(), limit: Limit });

export const StrategyView = z.object({
  strategyId: z.string(), kind: z.string(), instruments: z.array(z.string()), timeframe: z.string(),
  params: z.record(z.string(), z.unknown()), status: z.enum(['running', 'stopped', 'unknown']),
  startedAt: NullableMs, stoppedAt: NullableMs, stopReason: z.string().nullable(), changedBy: z.string().nullable(),
  signalCount: Num, lastSignalAt: NullableMs, updatedAt: Ms,
  /** The last change its worker refused (params kept as before), until the next accepted change. */
  lastRejectedParams: z.object({
    params: z.record(z.string(), z.unknown()), issues: z.array(z.object({ path: z.string(), message: z.string() })), ts: Ms,
  }).nullable(),
}).meta({ id: 'Strategy' });
export const StrategyIdParam = z.object({ strategyId: z.string().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/) });
export const CreateStrategyBody = z.object({
  strategyId: z.string().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : -'),
  kind: z.string().min(1).max(64), instruments: z.array(Instrument).min(1).max(100), timeframe: Timeframe.exclude(['tick']),
  params: z.record(z.string(), z.unknown()).default({}),
}).strict().meta({ id: 'CreateStrategy' });
export const ChangeParamsBody = z.object({
  params: z.record(z.string(), z.unknown()),
  /** The revision the client last saw; a stale one gets 409 instead of overwriting someone else's change. */
  expectedRevision: z.number().int().nonnegative().max(2 ** 31 - 1).optional(),
}).strict();
export const StopBody = z.object({ reason: z.string().max(512).default('stopped by user') }).strict();
export const StrategyCommandResult = z.object({ strategyId: z.string(), revision: z.number().int() }).meta({ id: 'StrategyCommandResult' });

export const BacktestBody = z.object({
  kind: z.string().min(1).max(64), params: z.record(z.string(), z.unknown()).default({}),
  instrument: Instrument, timeframe: Timeframe.exclude(['tick']).default('5m'),
  /** Needed when the instrument's bars come from more than one venue. */
  venue: Venue.optional(),
  from: MsInput.optional(), to: MsInput.optional(),
  cash: Amount.default(10_000), seed: z.number().int().default(1),
}).strict().meta({ id: 'BacktestRequest' });
export const BacktestJobView = z.object({
  jobId: z.string(), status: z.enum(['queued', 'running', 'succeeded', 'failed']), submittedAt: Ms,
  finishedAt: NullableMs, error: z.string().nullable(), request: z.record(z.string(), z.unknown()),
}).meta({ id: 'BacktestJob' });
export const BacktestResultView = z.object({ jobId: z.string(), result: z.record(z.string(), z.unknown()) }).meta({ id: 'BacktestResult' });
export const JobIdParam = z.object({ jobId: z.string().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/) });

export const RiskStateView = z.object({
  account: z.string(), halted: z.boolean(), haltedAt: NullableMs, haltReason: z.unknown().nullable(),
  resumedAt: NullableMs, resumedBy: z.string().nullable(), lastBreach: z.unknown().nullable(), lastBreachAt: NullableMs,
  breachCount: Num, updatedAt: Ms,
}).meta({ id: 'RiskState' });
export const HaltBody = z.object({ account: z.string().min(1).max(64), by: z.string().min(1).max(128).default('api'), note: z.string().max(512).default('') }).strict();
export const RiskCommandResult = z.object({ account: z.string(), halted: z.boolean(), revision: z.number().int() }).meta({ id: 'RiskCommandResult' });

const Metrics = z.record(z.string(), Num.nullable());
const ModelKind = z.enum(['lstm', 'transformer', 'xgboost', 'ensemble']);
/** `<family>@<n>` as in the registry (core's parseModelVersion). */
const ModelVersionText = z.string().min(3).max(128).regex(/^[a-z0-9][a-z0-9_-]*@[1-9][0-9]*$/, 'a model version like lstm-btcusdt-1h@3');
export const ModelVersionView = z.object({
  version: z.string(), family: z.string(), kind: ModelKind, instrument: z.string(), timeframe: z.string(),
  /** challenger: trained, not retired, not the champion. */
  status: z.enum(['champion', 'challenger', 'retired']),
  metrics: Metrics, params: z.record(z.string(), z.unknown()), featureSpecHash: z.string(),
  dataRange: z.object({ from: Ms, to: Ms, bars: z.number().int() }), codeVersion: z.string(), seed: z.number().int(),
  trainedAt: Ms, promotedAt: NullableMs, retiredAt: NullableMs, retireReason: z.string().nullable(),
}).meta({ id: 'ModelVersion' });
export const ModelFamilyView = z.object({
  family: z.string(), instrument: z.string(), timeframe: z.string(), champion: z.string().nullable(),
  /** Newest first. */
  versions: z.array(ModelVersionView),
}).meta({ id: 'ModelFamily' });
export const ExperimentVariantView = z.object({
  version: z.string(), share: Num, role: z.enum(['champion', 'challenger']),
  /** ExperimentSignalRecorded events for this variant, and how many of them went out to the executor. */
  signals: z.number().int(), traded: z.number().int(),
  /** The concluded experiment's statistics for this variant; null while running. */
  stats: Metrics.nullable(),
}).meta({ id: 'ExperimentVariant' });
export const ExperimentView = z.object({
  experimentId: z.string(), family: z.string(), mode: z.enum(['split', 'shadow']), champion: z.string(),
  status: z.enum(['running', 'concluded']), startedAt: Ms, concludedAt: NullableMs,
  decision: z.enum(['promote', 'reject', 'inconclusive']).nullable(), winner: z.string().nullable(), pValue: Num.nullable(),
  variants: z.array(ExperimentVariantView),
}).meta({ id: 'Experiment' });
export const ExperimentsQuery = z.object({ family: z.string().min(1).max(120).optional() });
export const ModelFamilyParam = z.object({ family: z.string().min(1).max(120).regex(/^[a-z0-9][a-z0-9_-]*$/, 'a model family like lstm-btcusdt-1h') });
export const ModelVersionParam = z.object({ version: ModelVersionText });
export const ModelCommandBody = z.object({ reason: z.string().min(1).max(512) }).strict().meta({ id: 'ModelCommand' });
export const ModelCommandResult = z.object({
  version: z.string(), family: z.string(), event: z.enum(['ModelPromoted', 'ModelRetired']), eventId: z.string(),
}).meta({ id: 'ModelCommandResult' });
export const TrainBody = z.object({
  model: ModelKind, instrument: Instrument, timeframe: Timeframe.exclude(['tick']),
  from: MsInput.optional(), to: MsInput.optional(),
  /** Bars ahead the label looks. */
  horizon: z.number().int().min(1).max(500).default(4),
  epochs: z.number().int().min(1).max(1000).default(10),
  /** Bars per model input window (as `qts train --window`): a shorter one needs less recorded history. */
  window: z.number().int().min(1).max(512).default(32),
  batchSize: z.number().int().min(1).max(65536).default(64),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(1),
  /** Promote the new version to champion when training succeeds. */
  promote: z.boolean().default(false),
}).strict().refine((r) => r.from === undefined || r.to === undefined || r.from < r.to, { path: ['to'], message: 'must be after from' }).meta({ id: 'TrainRequest' });
export const TrainJobView = z.object({
  jobId: z.string(), status: z.enum(['queued', 'running', 'succeeded', 'failed']),
  model: z.string(), instrument: z.string(), timeframe: z.string(),
  /** Progress of a network's training; null for xgboost and before the first epoch. */
  epoch: z.number().int().nullable(), epochs: z.number().int().nullable(), loss: Num.nullable(),
  version: z.string().nullable(), metrics: Metrics.nullable(), error: z.string().nullable(),
  submittedAt: Ms, finishedAt: NullableMs,
}).meta({ id: 'TrainJob' });

export const EventView = z.object({
  position: z.string(), revision: z.number().int(), id: z.string(), type: z.string(), version: z.number().int(),
  stream: z.string(), key: z.string(), occurredAt: z.string(), recordedAt: z.string(),
  causationId: z.string().nullable(), correlationId: z.string(), data: z.unknown(), meta: z.record(z.string(), z.unknown()),
}).meta({ id: 'StoredEvent' });
export const EventsQuery = z.object({
  stream: z.string().min(1).max(512).optional(), type: z.string().min(1).max(128).optional(),
  instrument: Instrument.optional(), correlationId: z.string().min(1).max(128).optional(),
  /** State as of a time: only events stored up to the last one recorded at or before it (epoch ms). */
  asOf: z.coerce.number().int().min(0).optional(),
  cursor: Cursor.optional(), limit: Limit,
});

export const DeadLetterView = z.object({
  topic: z.string(), partition: z.number().int(), offset: z.string(), reason: z.string(), failure: z.unknown(),
  rawText: z.string().nullable(), rawBase64: z.string(), receivedAt: Ms,
}).meta({ id: 'DeadLetter' });
export const PageQuery = z.object({ cursor: Cursor.optional(), limit: Limit });

export const Health = z.object({ status: z.literal('ok'), uptimeSeconds: Num });
export const Readiness = z.object({ ready: z.boolean(), checks: z.record(z.string(), z.object({ ok: z.boolean(), detail: z.string().optional() })) });
export const Empty = z.object({}).strict();

export const pages = {
  bars: page(BarView), signals: page(SignalView), orders: page(OrderView), equity: page(EquityPoint),
  events: page(EventView), deadLetters: page(DeadLetterView),
};
export { RejectionReason };

export type InstrumentView = z.infer<typeof InstrumentView>;
export type BarView = z.infer<typeof BarView>;
export type SignalView = z.infer<typeof SignalView>;
export type OrderView = z.infer<typeof OrderView>;
export type OrderDetail = z.infer<typeof OrderDetail>;
export type FillView = z.infer<typeof FillView>;
export type PositionView = z.infer<typeof PositionView>;
export type EquityView = z.infer<typeof EquityView>;
export type EquityPoint = z.infer<typeof EquityPoint>;
export type StrategyView = z.infer<typeof StrategyView>;
export type RiskStateView = z.infer<typeof RiskStateView>;
export type DeadLetterView = z.infer<typeof DeadLetterView>;
export type EventView = z.infer<typeof EventView>;
export type EventsQuery = z.infer<typeof EventsQuery>;
export type BacktestJobView = z.infer<typeof BacktestJobView>;
export type BarsQuery = z.infer<typeof BarsQuery>;
export type SignalsQuery = z.infer<typeof SignalsQuery>;
export type OrdersQuery = z.infer<typeof OrdersQuery>;
export type PositionsQuery = z.infer<typeof PositionsQuery>;
export type EquityQuery = z.infer<typeof EquityQuery>;
export type ManualOrder = z.infer<typeof ManualOrderBody>;
export type CreateStrategy = z.infer<typeof CreateStrategyBody>;
export type BacktestRequest = z.infer<typeof BacktestBody>;
export type ModelVersionView = z.infer<typeof ModelVersionView>;
export type ModelFamilyView = z.infer<typeof ModelFamilyView>;
export type ExperimentVariantView = z.infer<typeof ExperimentVariantView>;
export type ExperimentView = z.infer<typeof ExperimentView>;
export type ExperimentsQuery = z.infer<typeof ExperimentsQuery>;
export type ModelCommandResult = z.infer<typeof ModelCommandResult>;
export type TrainRequest = z.infer<typeof TrainBody>;
export type TrainJobView = z.infer<typeof TrainJobView>;
export interface Page<T> { readonly items: T[]; readonly nextCursor: string | null }
