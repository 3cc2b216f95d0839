// Executor: the only place that turns signals into orders, after sizing, venue rules and risk.
export { decideOrders } from './executor.ts';
export { clientOrderIdFor } from './ids.ts';
export type { ExecutionContext, ExecutorConfig, OrderDecision, OrderLeg, Sizing, VenueRules } from './types.ts';
export { ExecutorConfigSchema, RiskLimitsSchema, SizingSchema, VenueRulesSchema, parseExecutorConfig, parseRiskLimits, parseVenueRules } from './config.ts';
