// Risk: limits, the pre-trade order check, and the account's kill-switch decider.
export { checkOrder, reducesPosition, ordersInWindow } from './check.ts';
export { riskDecider, decideRisk, evolveRisk, markEquity, observeEquity, observeOrder, observeRealisedPnl, NotHalted } from './decider.ts';
export type { RiskCommand, RiskEvent, RiskInput, RiskObservation } from './decider.ts';
export { initialRiskState, cloneRiskState, RATE_WINDOW_MS, DAY_MS } from './limits.ts';
export type { HaltReason, RiskLimits, RiskState } from './limits.ts';
