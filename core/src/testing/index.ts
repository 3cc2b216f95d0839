// @qts/core/testing: helpers for tests of the domain and of adapters.
export {};
