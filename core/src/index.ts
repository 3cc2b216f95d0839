// @qts/core: the pure trading domain and the ports the edges implement.
export * from './errors.ts';
export * from './ports/clock.ts';
export type * from './ports/event-store.ts';
export type * from './ports/bus.ts';
export * from './indicators/index.ts';
export * from './money/index.ts';
export * from './orders/index.ts';
export * from './strategies/index.ts';
export * from './venue/index.ts';
export * from './backtest/index.ts';
export * from './risk/index.ts';
export * from './executor/index.ts';
export * from './portfolio/index.ts';
export * from './ports/venue.ts';
export * from './live/index.ts';
export * from './ml/index.ts';
