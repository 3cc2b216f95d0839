// @qts/core/testing: helpers for tests of the domain and of adapters.
export { deciderSpec } from './decider.ts';
export type { AssertEqual, Decider, DeciderGiven, DeciderSpec, DeciderWhen } from './decider.ts';
export { loadBars, dataFiles, sharedDataDir, sampleDataDir, repoRoot } from './data.ts';
export type { Bars } from './data.ts';
