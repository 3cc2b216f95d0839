// What the API needs from the rest of the system: read models to query, commands to send, backtests and model training to run.
import type {
  BacktestJobView, BacktestRequest, BarsQuery, BarView, CreateStrategy, DeadLetterView, EquityPoint, EquityQuery,
  EquityView, InstrumentView, ManualOrder, OrderDetail, OrdersQuery, OrderView, Page, PositionsQuery, PositionView,
  RiskStateView, SignalsQuery, SignalView, StrategyView, EventsQuery, EventView, ExperimentsQuery, ExperimentView, ModelCommandResult,
  ModelFamilyView, TrainJobView, TrainRequest,
} from './schemas.ts';

/** The read side: implemented over the projections' tables (see @qts/projections createReadModels). */
export interface ReadModels {
  instruments(): Promise<InstrumentView[]>;
  bars(q: BarsQuery): Promise<Page<BarView>>;
  signals(q: SignalsQuery): Promise<Page<SignalView>>;
  orders(q: OrdersQuery): Promise<Page<OrderView>>;
  order(clientOrderId: string): Promise<OrderDetail | null>;
  positions(q: PositionsQuery): Promise<PositionView[]>;
  equity(): Promise<EquityView[]>;
  equityCurve(account: string, q: EquityQuery): Promise<Page<EquityPoint>>;
  strategies(): Promise<StrategyView[]>;
  strategy(strategyId: string): Promise<StrategyView | null>;
  riskStates(): Promise<RiskStateView[]>;
  deadLetters(q: { cursor?: string | undefined; limit: number }): Promise<Page<DeadLetterView>>;
  /** Every model family with its versions (newest first) and champion. */
  models(): Promise<ModelFamilyView[]>;
  model(family: string): Promise<ModelFamilyView | null>;
  /** A/B experiments, newest first, with per-variant signal counts and, once concluded, the decision. */
  experiments(q: ExperimentsQuery): Promise<ExperimentView[]>;
  /** Audit queries not by stream, over an index of the store; without it the API pages through the event store itself. */
  events?(q: EventsQuery): Promise<Page<EventView>>;
  /** Each projection's checkpoint, and whether the database answers (readiness). */
  checkpoints(): Promise<Record<string, string>>;
}

export interface CommandContext {
  /** Who asked (from the token's label); recorded in the events as `by`. */
  readonly by: string;
  /** Ties the resulting events to the request (x-correlation-id header, or a fresh id). */
  readonly correlationId: string;
}

/**
 * The write side. Implementations append events (never write read models); they throw QtsError kinds
 * the HTTP layer maps: ValidationError 400, NotFound 404, WrongExpectedRevision / IllegalOrderTransition 409.
 */
export interface Commands {
  placeManualOrder(order: ManualOrder, ctx: CommandContext): Promise<{ clientOrderId: string; status: string }>;
  cancelOrder(clientOrderId: string, reason: string, ctx: CommandContext): Promise<{ clientOrderId: string; status: string }>;
  createStrategy(s: CreateStrategy, ctx: CommandContext): Promise<{ strategyId: string; revision: number }>;
  changeParams(strategyId: string, params: Record<string, unknown>, expectedRevision: number | undefined, ctx: CommandContext): Promise<{ strategyId: string; revision: number }>;
  startStrategy(strategyId: string, ctx: CommandContext): Promise<{ strategyId: string; revision: number }>;
  stopStrategy(strategyId: string, reason: string, ctx: CommandContext): Promise<{ strategyId: string; revision: number }>;
  submitBacktest(request: BacktestRequest, ctx: CommandContext): Promise<{ jobId: string }>;
  halt(account: string, by: string, note: string, ctx: CommandContext): Promise<{ account: string; halted: boolean; revision: number }>;
  resume(account: string, by: string, note: string, ctx: CommandContext): Promise<{ account: string; halted: boolean; revision: number }>;
  /** Makes a live version its family's champion (ModelPromoted): NotFound for an unknown version, Conflict when retired or already champion. */
  promoteModel(version: string, reason: string, ctx: CommandContext): Promise<ModelCommandResult>;
  /** Retires a version (ModelRetired); a retired champion leaves its family without one. NotFound, or Conflict when already retired. */
  retireModel(version: string, reason: string, ctx: CommandContext): Promise<ModelCommandResult>;
}

/** Backtest jobs: status and results by id (results live with the job runner, not in the event store). */
export interface BacktestJobs {
  submit(request: BacktestRequest): Promise<{ jobId: string }>;
  get(jobId: string): Promise<(BacktestJobView & { result: Record<string, unknown> | null }) | null>;
}

/** Model training runs (optional in the API: a process without them answers POST /models/train with 503). */
export interface ModelTrainingJobs {
  /** Validates and queues a training run; throws ValidationError (400) for a request it cannot run. */
  submit(request: TrainRequest, by: string): Promise<{ jobId: string }>;
  get(jobId: string): Promise<TrainJobView | null>;
}
