// Risk limits and the risk state they are checked against; the state is mutable so per-bar marks allocate nothing.
import type { TradingHalted } from '@qts/schemas';

/** Every limit is optional: an absent limit is not checked. Money in the account's quote currency. */
export interface RiskLimits {
  /** Largest |position| * price per instrument after the order. */
  readonly maxPositionNotional?: number;
  /** Largest sum over instruments of |position| * price after the order. */
  readonly maxGrossExposure?: number;
  /** Largest quantity * price of one order (fat-finger guard). */
  readonly maxOrderNotional?: number;
  /** Orders that add exposure in any sliding 60 s window of event time. */
  readonly maxOrdersPerMinute?: number;
  /** After a realised loss, no new exposure for this long (event time). */
  readonly cooldownAfterLossMs?: number;
  /** Loss since the start of the UTC day (event time) that halts trading. */
  readonly maxDailyLoss?: number;
  /** Percent below the equity peak that halts trading. */
  readonly maxDrawdownPct?: number;
}

export type HaltReason = TradingHalted['reason'];

/**
 * What risk remembers between events. Updated in place by riskDecider.evolve and the per-bar helpers
 * (deterministically, from event time only); take a copy with cloneRiskState before trying things out.
 */
export interface RiskState {
  halted: { since: number; reason: HaltReason } | null;
  /** Event times of recent orders that added exposure, ascending, pruned to the last 60 s. */
  orderTimes: number[];
  /** Event time of the last realised loss, or -Infinity. */
  lastLossAt: number;
  /** Highest equity seen; NaN before the first mark. */
  peakEquity: number;
  /** Equity at the close of the previous UTC day (or the first mark); the daily loss is measured from it. */
  dayStartEquity: number;
  /** UTC day number (ts / 86 400 000) of the last mark; -1 before the first. */
  day: number;
  lastEquity: number;
  lastMarkTs: number;
}

export const RATE_WINDOW_MS = 60_000;
export const DAY_MS = 86_400_000;

export function initialRiskState(): RiskState {
  return { halted: null, orderTimes: [], lastLossAt: -Infinity, peakEquity: Number.NaN, dayStartEquity: Number.NaN, day: -1, lastEquity: Number.NaN, lastMarkTs: 0 };
}

export function cloneRiskState(state: RiskState): RiskState {
  return { ...state, orderTimes: [...state.orderTimes], halted: state.halted && { ...state.halted } };
}
