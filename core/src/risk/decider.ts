// The account's risk state as a decider: the equity kill switch (daily loss, drawdown), manual halt and resume.
import type { OrderRequested, TradingHalted, TradingResumed } from '@qts/schemas';
import { QtsError } from '../errors.ts';
import { DAY_MS, initialRiskState, RATE_WINDOW_MS } from './limits.ts';
import type { HaltReason, RiskLimits, RiskState } from './limits.ts';

/** Events the risk decider emits; they are stored on the account's risk stream. */
export type RiskEvent =
  | { readonly type: 'TradingHalted'; readonly data: TradingHalted }
  | { readonly type: 'TradingResumed'; readonly data: TradingResumed };

/**
 * Facts risk also learns from but never stores itself: they are derived from stored market and order
 * events (equity from fills and prices, realised PnL from fills), so a replay rebuilds them.
 */
export type RiskObservation =
  | { readonly type: 'EquityMarked'; readonly data: { readonly equity: number; readonly ts: number } }
  | { readonly type: 'PnlRealised'; readonly data: { readonly instrument: string; readonly pnl: number; readonly ts: number } }
  | { readonly type: 'OrderRequested'; readonly data: OrderRequested };

export type RiskInput = RiskEvent | RiskObservation;

export type RiskCommand =
  | { readonly type: 'MarkEquity'; readonly account: string; readonly equity: number; readonly ts: number; readonly limits: RiskLimits }
  | { readonly type: 'Halt'; readonly account: string; readonly by: string; readonly note: string; readonly ts: number }
  | { readonly type: 'Resume'; readonly account: string; readonly by: string; readonly note: string; readonly ts: number };

/** Resume while trading runs: nothing to resume, and saying so beats a silent no-op on the kill switch. */
export class NotHalted extends QtsError {
  readonly kind = 'NotHalted';
  readonly retryable = false;
  constructor(readonly account: string) {
    super(`account '${account}' is not halted; there is nothing to resume`, { account });
  }
}

const NOTHING: readonly RiskEvent[] = Object.freeze([]);

/**
 * MarkEquity halts once when the loss since the UTC day's start exceeds maxDailyLoss or the drop from
 * the equity peak exceeds maxDrawdownPct (strictly greater: a limit of 100 allows a loss of 100).
 * Halt is idempotent; Resume needs a halt. The decision includes the new mark, so the caller evolves the
 * EquityMarked observation before or after deciding, as it likes.
 */
export function decideRisk(command: RiskCommand, state: RiskState): readonly RiskEvent[] {
  switch (command.type) {
    case 'MarkEquity': {
      if (state.halted !== null) return NOTHING;
      const day = Math.floor(command.ts / DAY_MS);
      const dayStart = day === state.day ? state.dayStartEquity : dayStartFor(state, command.equity);
      const peak = Number.isNaN(state.peakEquity) ? command.equity : Math.max(state.peakEquity, command.equity);
      const reason = breach(command.equity, dayStart, peak, command.limits);
      return reason === null ? NOTHING : [{ type: 'TradingHalted', data: { account: command.account, reason, ts: command.ts } }];
    }
    case 'Halt':
      if (state.halted !== null) return NOTHING;
      return [{ type: 'TradingHalted', data: { account: command.account, reason: { kind: 'Manual', by: command.by, note: command.note }, ts: command.ts } }];
    case 'Resume':
      if (state.halted === null) throw new NotHalted(command.account);
      return [{ type: 'TradingResumed', data: { account: command.account, by: command.by, note: command.note, ts: command.ts } }];
    default:
      return assertNever(command);
  }
}

/**
 * Applies an event or observation in place and returns the same state. A resume re-bases the daily and
 * peak marks on the last equity: the breach that caused the halt is acknowledged and does not re-halt at
 * once; a further loss of the same size does.
 */
export function evolveRisk(state: RiskState, input: RiskInput): RiskState {
  switch (input.type) {
    case 'TradingHalted':
      state.halted = { since: input.data.ts, reason: input.data.reason };
      return state;
    case 'TradingResumed':
      state.halted = null;
      if (!Number.isNaN(state.lastEquity)) {
        state.peakEquity = state.lastEquity;
        state.dayStartEquity = state.lastEquity;
      }
      return state;
    case 'EquityMarked':
      observeEquity(state, input.data.equity, input.data.ts);
      return state;
    case 'PnlRealised':
      observeRealisedPnl(state, input.data.pnl, input.data.ts);
      return state;
    case 'OrderRequested':
      observeOrder(state, input.data);
      return state;
    default:
      return assertNever(input);
  }
}

/** Moves the day and peak marks; allocation-free, meant for every bar. */
export function observeEquity(state: RiskState, equity: number, ts: number): void {
  const day = Math.floor(ts / DAY_MS);
  if (day !== state.day) {
    state.dayStartEquity = dayStartFor(state, equity);
    state.day = day;
  }
  if (Number.isNaN(state.peakEquity) || equity > state.peakEquity) state.peakEquity = equity;
  state.lastEquity = equity;
  state.lastMarkTs = ts;
}

/** A realised loss starts the cooldown; gains do not end it. */
export function observeRealisedPnl(state: RiskState, pnl: number, ts: number): void {
  if (pnl < 0 && ts > state.lastLossAt) state.lastLossAt = ts;
}

/** Counts an order that adds exposure into the 60 s rate window (reduce-only orders are never limited). */
export function observeOrder(state: RiskState, order: Pick<OrderRequested, 'ts' | 'reduceOnly'>): void {
  if (order.reduceOnly) return;
  const times = state.orderTimes;
  times.push(order.ts);
  let stale = 0;
  while (stale < times.length && (times[stale] as number) <= order.ts - RATE_WINDOW_MS) stale++;
  if (stale > 0) times.splice(0, stale);
}

/**
 * The per-bar path: observe the equity, then return the halt to record if a limit was just breached
 * (append it and evolve it), else null. Allocates only when it halts.
 */
export function markEquity(state: RiskState, account: string, equity: number, ts: number, limits: RiskLimits): TradingHalted | null {
  observeEquity(state, equity, ts);
  if (state.halted !== null) return null;
  const reason = breach(equity, state.dayStartEquity, state.peakEquity, limits);
  return reason === null ? null : { account, reason, ts };
}

function dayStartFor(state: RiskState, equity: number): number {
  // The previous day's last equity, so a loss in the first bar of the day counts.
  return Number.isNaN(state.lastEquity) ? equity : state.lastEquity;
}

function breach(equity: number, dayStart: number, peak: number, limits: RiskLimits): HaltReason | null {
  if (limits.maxDailyLoss !== undefined) {
    const loss = dayStart - equity;
    if (loss > limits.maxDailyLoss) return { kind: 'MaxDailyLoss', limit: limits.maxDailyLoss, loss };
  }
  if (limits.maxDrawdownPct !== undefined && peak > 0) {
    const drawdown = ((peak - equity) / peak) * 100;
    if (drawdown > limits.maxDrawdownPct) return { kind: 'MaxDrawdown', limit: limits.maxDrawdownPct, drawdown };
  }
  return null;
}

/** The risk decider: `initialState`, `decide`, `evolve` (evolve mutates and returns the state it is given). */
export const riskDecider = {
  initialState: initialRiskState,
  decide: decideRisk,
  evolve: evolveRisk,
};

function assertNever(value: never): never {
  throw new Error(`unhandled ${JSON.stringify(value)}`);
}
