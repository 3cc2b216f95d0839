// @qts/core: the pure trading domain and the ports the edges implement.
export * from './errors.ts';
export * from './ports/clock.ts';
export type * from './ports/event-store.ts';
export type * from './ports/bus.ts';
