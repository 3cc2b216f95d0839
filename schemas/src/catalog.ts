// The event catalog: each event type's versioned schemas, upcasters, topic, stream name and partition key.
import type { z } from 'zod';
import { BarClosedV1, BarClosedV2, QuoteUpdatedV1, TradeTickV1, upcastBarClosedV1 } from './events/market.ts';
import { BarEvaluatedV1, SignalEmittedV1 } from './events/signals.ts';
import {
  OrderAcceptedV1, OrderCancelledV1, OrderCancelRequestedV1, OrderExpiredV1, OrderFilledV1,
  OrderRejectedV1, OrderRequestedV1, OrderSubmittedV1,
} from './events/orders.ts';
import { RiskLimitBreachedV1, TradingHaltedV1, TradingResumedV1 } from './events/risk.ts';
import { StrategyParamsChangedV1, StrategyParamsRejectedV1, StrategyStartedV1, StrategyStoppedV1 } from './events/strategy.ts';
import { ExperimentConcludedV1, ExperimentSignalRecordedV1, ExperimentStartedV1, ModelPromotedV1, ModelRetiredV1, ModelTrainedV1 } from './events/models.ts';

export const topics = {
  ticks: 'market.ticks',
  quotes: 'market.quotes',
  bars: 'market.bars',
  signals: 'signals',
  orders: 'orders',
  risk: 'risk',
  strategy: 'strategy.control',
  models: 'models',
} as const;
export type Topic = (typeof topics)[keyof typeof topics];
export const allTopics: readonly Topic[] = Object.values(topics);
export const deadLetterTopic = (topic: string): string => `dlq.${topic}`;

export interface EventDefinition<TData> {
  readonly topic: Topic;
  /** Schema per stored version; the highest is what the code sees. */
  readonly versions: Readonly<Record<number, z.ZodType>>;
  readonly latest: number;
  /** upcasters[v] turns version v data into version v + 1 data. */
  readonly upcasters: Readonly<Record<number, (data: never) => unknown>>;
  readonly stream: (data: TData) => string;
  readonly key: (data: TData) => string;
}

function define<S extends z.ZodType>(
  topic: Topic,
  schema: S,
  stream: (data: z.infer<S>) => string,
  key: (data: z.infer<S>) => string,
  history: { versions: Record<number, z.ZodType>; upcasters: Record<number, (data: never) => unknown> } = { versions: {}, upcasters: {} },
): EventDefinition<z.infer<S>> & { schema: S } {
  const latest = Object.keys(history.versions).length + 1;
  return { topic, schema, versions: { ...history.versions, [latest]: schema }, latest, upcasters: history.upcasters, stream, key };
}

const safe = (s: string): string => s.replace(/\//g, '_');
const byInstrument = (d: { instrument: string }): string => d.instrument;

export const catalog = {
  TradeTick: define(topics.ticks, TradeTickV1, (d) => `ticks-${d.venue}.${safe(d.instrument)}`, byInstrument),
  QuoteUpdated: define(topics.quotes, QuoteUpdatedV1, (d) => `quotes-${d.venue}.${safe(d.instrument)}`, byInstrument),
  BarClosed: define(topics.bars, BarClosedV2, (d) => `bars-${d.venue}.${safe(d.instrument)}.${d.timeframe}`, byInstrument, {
    versions: { 1: BarClosedV1 },
    upcasters: { 1: upcastBarClosedV1 as (data: never) => unknown },
  }),
  SignalEmitted: define(topics.signals, SignalEmittedV1, (d) => `signals-${d.strategyId}`, byInstrument),
  // One stream with the signals it follows: a store never holds a progress marker without the signals before it.
  BarEvaluated: define(topics.signals, BarEvaluatedV1, (d) => `signals-${d.strategyId}`, byInstrument),
  OrderRequested: define(topics.orders, OrderRequestedV1, (d) => `order-${d.clientOrderId}`, byInstrument),
  OrderRejected: define(topics.orders, OrderRejectedV1, (d) => `order-${d.clientOrderId}`, byInstrument),
  OrderSubmitted: define(topics.orders, OrderSubmittedV1, (d) => `order-${d.clientOrderId}`, byInstrument),
  OrderAccepted: define(topics.orders, OrderAcceptedV1, (d) => `order-${d.clientOrderId}`, byInstrument),
  OrderFilled: define(topics.orders, OrderFilledV1, (d) => `order-${d.clientOrderId}`, byInstrument),
  OrderCancelRequested: define(topics.orders, OrderCancelRequestedV1, (d) => `order-${d.clientOrderId}`, byInstrument),
  OrderCancelled: define(topics.orders, OrderCancelledV1, (d) => `order-${d.clientOrderId}`, byInstrument),
  OrderExpired: define(topics.orders, OrderExpiredV1, (d) => `order-${d.clientOrderId}`, byInstrument),
  RiskLimitBreached: define(topics.risk, RiskLimitBreachedV1, (d) => `risk-${d.account}`, (d) => d.account),
  TradingHalted: define(topics.risk, TradingHaltedV1, (d) => `risk-${d.account}`, (d) => d.account),
  TradingResumed: define(topics.risk, TradingResumedV1, (d) => `risk-${d.account}`, (d) => d.account),
  StrategyStarted: define(topics.strategy, StrategyStartedV1, (d) => `strategy-${d.strategyId}`, (d) => d.strategyId),
  StrategyStopped: define(topics.strategy, StrategyStoppedV1, (d) => `strategy-${d.strategyId}`, (d) => d.strategyId),
  StrategyParamsChanged: define(topics.strategy, StrategyParamsChangedV1, (d) => `strategy-${d.strategyId}`, (d) => d.strategyId),
  StrategyParamsRejected: define(topics.strategy, StrategyParamsRejectedV1, (d) => `strategy-${d.strategyId}`, (d) => d.strategyId),
  ModelTrained: define(topics.models, ModelTrainedV1, (d) => `model-${d.family}`, (d) => d.family),
  ModelPromoted: define(topics.models, ModelPromotedV1, (d) => `model-${d.family}`, (d) => d.family),
  ModelRetired: define(topics.models, ModelRetiredV1, (d) => `model-${d.family}`, (d) => d.family),
  ExperimentStarted: define(topics.models, ExperimentStartedV1, (d) => `experiment-${d.experimentId}`, (d) => d.family),
  ExperimentSignalRecorded: define(topics.models, ExperimentSignalRecordedV1, (d) => `experiment-${d.experimentId}`, (d) => d.family),
  ExperimentConcluded: define(topics.models, ExperimentConcludedV1, (d) => `experiment-${d.experimentId}`, (d) => d.family),
};

export type Catalog = typeof catalog;
export type EventType = keyof Catalog;
export type EventData<T extends EventType> = z.infer<Catalog[T]['schema']>;
export const eventTypes = Object.keys(catalog) as EventType[];

export function isEventType(type: string): type is EventType {
  return Object.prototype.hasOwnProperty.call(catalog, type);
}

export function definitionOf<T extends EventType>(type: T): EventDefinition<EventData<T>> {
  return catalog[type] as unknown as EventDefinition<EventData<T>>;
}
