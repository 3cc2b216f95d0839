// The REST API: express app and server, ports it depends on, wire schemas, auth, and the event-store command port.
export { createApiApp, startApiServer, API_BASE } from './server.ts';
export type { ApiOptions, ApiServer } from './server.ts';
export type { ReadModels, Commands, CommandContext, BacktestJobs, ModelTrainingJobs } from './ports.ts';
export { eventStoreCommands } from './event-commands.ts';
export type { EventCommandsDeps } from './event-commands.ts';
export { inProcessBacktestJobs, barsBacktestRunner } from './backtest-jobs.ts';
export type { InProcessBacktestOptions } from './backtest-jobs.ts';
export { loadOrCreateApiToken, tokenFromSecret, tokenFromHash, bearerOf } from './auth.ts';
export type { ApiToken } from './auth.ts';
export { NotFound, Conflict, Unauthorized, Forbidden, toHttpError } from './errors.ts';
export { TrainingUnavailable } from './routes.ts';
export { openApiDocument, route } from './route.ts';
export type { Route, RouteInput } from './route.ts';
export * as apiSchemas from './schemas.ts';
export type {
  Page, InstrumentView, BarView, SignalView, OrderView, OrderDetail, FillView, PositionView, EquityView, EquityPoint, StrategyView,
  RiskStateView, DeadLetterView, BacktestJobView, BarsQuery, SignalsQuery, OrdersQuery, PositionsQuery, EquityQuery, ManualOrder,
  CreateStrategy, BacktestRequest, EventView, EventsQuery, ModelVersionView, ModelFamilyView, ExperimentVariantView, ExperimentView,
  ExperimentsQuery, ModelCommandResult, TrainRequest, TrainJobView,
} from './schemas.ts';
