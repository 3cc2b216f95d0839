// Strategies: the contract, the built-ins, and the hybrid combinators.
export { NO_SIGNALS, decayBars, defaultParams, paramSpace, paramsFromPoint, parseStrategyParams, signalData, stateWithStep, warmupBarsOf } from './strategy.ts';
export type { AnyStrategy, Direction, MutableStep, Opinion, ParamSpec, SignalIntent, Strategy, StrategyStep } from './strategy.ts';
export { smaCross, SmaCrossParams } from './sma-cross.ts';
export type { SmaCrossState } from './sma-cross.ts';
export { macdCross, MacdCrossParams } from './macd-cross.ts';
export type { MacdCrossState } from './macd-cross.ts';
export { rsiReversion, RsiReversionParams } from './rsi-reversion.ts';
export type { RsiReversionState } from './rsi-reversion.ts';
export { bollingerBreakout, BollingerBreakoutParams } from './bollinger-breakout.ts';
export type { BollingerBreakoutState } from './bollinger-breakout.ts';
export { builtInStrategies, strategyCatalog } from './builtins.ts';
export type { StrategyInfo } from './builtins.ts';
export { gate, majority, unanimous, weighted } from './combinators.ts';
export type { Child, CombinedParams, CombinedState, GateOptions, GateState, WeightedChild } from './combinators.ts';
export { strategyFromSpec } from './spec.ts';
export type { ChildSpec, StrategySpec, WeightedSpec } from './spec.ts';
