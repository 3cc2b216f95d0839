// @qts/projections: read models (kysely migrations + batch handlers), the projector with checkpoints, rebuild, and the queries the API reads.
export type * from './db.ts';
export { num } from './db.ts';
export { defineProjection, lastByKey } from './projection.ts';
export type { Positioned, Projection } from './projection.ts';
export { Projector } from './projector.ts';
export type { ProjectorOptions, RunningProjector, CommittedListener } from './projector.ts';
export { defaultProjections } from './projections/index.ts';
export { instrumentsProjection } from './projections/instruments.ts';
export { barsProjection, createBarsProjection, defaultRollups } from './projections/bars.ts';
export { signalsProjection } from './projections/signals.ts';
export { ordersProjection, evolveOrder } from './projections/orders.ts';
export { positionsProjection, createPositionsProjection, applyFill, unrealizedPnl, ACCOUNT_WIDE } from './projections/positions.ts';
export type { PositionState, PositionsOptions } from './projections/positions.ts';
export { strategiesProjection } from './projections/strategies.ts';
export { riskProjection } from './projections/risk.ts';
export { recordDeadLetters, deadLetterRow } from './projections/dead-letters.ts';
export type { DeadLetterInput } from './projections/dead-letters.ts';
export { createReadModels, encodeCursor, decodeCursor } from './read-models.ts';
