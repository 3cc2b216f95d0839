// @qts/adapters/testing: helpers and contract suites that every adapter of a port must pass.
export { eventually } from './eventually.ts';
export type { EventuallyOptions } from './eventually.ts';
export { eventStoreContract, contractEvents } from './event-store-contract.ts';
export type { EventStoreContractOptions } from './event-store-contract.ts';
export { busContract, tick } from './bus-contract.ts';
export type { BusContractHarness } from './bus-contract.ts';
export * from './exchange-standin/index.ts';
