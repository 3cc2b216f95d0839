// @qts/adapters/testing: helpers and contract suites that every adapter of a port must pass.
export { busContract, tick } from './bus-contract.ts';
export type { BusContractHarness } from './bus-contract.ts';
