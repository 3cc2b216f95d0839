// Risk as given/when/then: the kill switch halts once with its numbers; orders are checked limit by limit.
import { describe, expect, it } from 'vitest';
import type { OrderRequested } from '@qts/schemas';
import { deciderSpec } from '../testing/decider.ts';
import type { ExecutionContext } from '../executor/types.ts';
import { checkOrder, initialRiskState, markEquity, NotHalted, riskDecider } from './index.ts';
import type { RiskInput, RiskLimits, RiskState } from './index.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 2, 10);
const spec = deciderSpec(riskDecider);
const mark = (equity: number, ts: number): RiskInput => ({ type: 'EquityMarked', data: { equity, ts } });
const markCmd = (equity: number, ts: number, limits: RiskLimits) => ({ type: 'MarkEquity', account: 'main', equity, ts, limits }) as const;
const halted = (reason: { kind: 'Manual'; by: string; note: string }, ts: number): RiskInput => ({ type: 'TradingHalted', data: { account: 'main', reason, ts } });

describe('risk decider: the equity kill switch', () => {
  it('halts when the loss since the start of the UTC day exceeds maxDailyLoss, naming limit and loss', () => {
    spec.given([mark(10_000, T0), mark(9_950, T0 + 60_000)])
      .when(markCmd(9_890, T0 + 120_000, { maxDailyLoss: 100 }))
      .then([{ type: 'TradingHalted', data: { account: 'main', reason: { kind: 'MaxDailyLoss', limit: 100, loss: 110 }, ts: T0 + 120_000 } }]);
  });
  it('allows a loss exactly at the limit', () => {
    spec.given([mark(10_000, T0)]).when(markCmd(9_900, T0 + 1, { maxDailyLoss: 100 })).thenNothing();
  });
  it('measures the daily loss from the previous day\'s last equity, so yesterday\'s loss does not count today', () => {
    const given = [mark(10_000, T0), mark(9_920, T0 + 3_600_000)];
    // New UTC day: the day starts at 9 920; a further 50 is within the limit of 100.
    spec.given(given).when(markCmd(9_870, T0 + DAY, { maxDailyLoss: 100 })).thenNothing();
    // Same day: 130 lost since 10 000.
    spec.given(given).when(markCmd(9_870, T0 + 3_700_000, { maxDailyLoss: 100 }))
      .then([{ type: 'TradingHalted', data: { account: 'main', reason: { kind: 'MaxDailyLoss', limit: 100, loss: 130 }, ts: T0 + 3_700_000 } }]);
  });
  it('halts when equity falls more than maxDrawdownPct below its peak', () => {
    spec.given([mark(10_000, T0), mark(12_000, T0 + DAY), mark(10_000, T0 + 2 * DAY)])
      .when(markCmd(9_500, T0 + 3 * DAY, { maxDrawdownPct: 20 }))
      .then([{ type: 'TradingHalted', data: { account: 'main', reason: { kind: 'MaxDrawdown', limit: 20, drawdown: ((12_000 - 9_500) / 12_000) * 100 }, ts: T0 + 3 * DAY } }]);
  });
  it('halts only once', () => {
    spec.given([mark(10_000, T0), halted({ kind: 'Manual', by: 'me', note: 'x' }, T0)])
      .when(markCmd(5_000, T0 + 1, { maxDailyLoss: 100, maxDrawdownPct: 10 })).thenNothing();
  });
  it('after a resume re-bases the marks: the same breach does not re-halt, a further one does', () => {
    const given: RiskInput[] = [mark(10_000, T0), mark(9_850, T0 + 1), halted({ kind: 'Manual', by: 'risk', note: 'loss' }, T0 + 1),
      { type: 'TradingResumed', data: { account: 'main', by: 'me', note: 'checked', ts: T0 + 2 } }];
    spec.given(given).when(markCmd(9_850, T0 + 3, { maxDailyLoss: 100 })).thenNothing();
    spec.given(given).when(markCmd(9_700, T0 + 4, { maxDailyLoss: 100 }))
      .then([{ type: 'TradingHalted', data: { account: 'main', reason: { kind: 'MaxDailyLoss', limit: 100, loss: 150 }, ts: T0 + 4 } }]);
  });
  it('markEquity (the per-bar path) agrees with decide and evolve', () => {
    const state = initialRiskState();
    expect(markEquity(state, 'main', 10_000, T0, { maxDailyLoss: 100 })).toBeNull();
    expect(markEquity(state, 'main', 9_950, T0 + 1, { maxDailyLoss: 100 })).toBeNull();
    expect(markEquity(state, 'main', 9_899, T0 + 2, { maxDailyLoss: 100 })).toEqual({ account: 'main', reason: { kind: 'MaxDailyLoss', limit: 100, loss: 101 }, ts: T0 + 2 });
  });
});

describe('risk decider: manual halt and resume', () => {
  it('halts by hand, idempotently', () => {
    spec.given([]).when({ type: 'Halt', account: 'main', by: 'alice', note: 'exchange incident', ts: T0 })
      .then([{ type: 'TradingHalted', data: { account: 'main', reason: { kind: 'Manual', by: 'alice', note: 'exchange incident' }, ts: T0 } }]);
    spec.given([halted({ kind: 'Manual', by: 'alice', note: 'x' }, T0)]).when({ type: 'Halt', account: 'main', by: 'bob', note: 'y', ts: T0 + 1 }).thenNothing();
  });
  it('resumes only a halted account', () => {
    const state = spec.given([halted({ kind: 'Manual', by: 'alice', note: 'x' }, T0)])
      .when({ type: 'Resume', account: 'main', by: 'alice', note: 'ok', ts: T0 + 5 })
      .then([{ type: 'TradingResumed', data: { account: 'main', by: 'alice', note: 'ok', ts: T0 + 5 } }]);
    expect(state.halted).toBeNull();
    spec.given([]).when({ type: 'Resume', account: 'main', by: 'alice', note: 'ok', ts: T0 }).thenThrows(NotHalted);
  });
});

const order = (over: Partial<OrderRequested> = {}): OrderRequested => ({
  clientOrderId: 'o', signalId: 's', strategyId: 'x', account: 'main', venue: 'sim', instrument: 'BTC/USDT',
  side: 'buy', type: 'market', quantity: 1, timeInForce: 'GTC', reduceOnly: false, ts: T0, ...over,
});
const ctx = (limits: RiskLimits, over: Partial<ExecutionContext> = {}, risk: RiskState = initialRiskState()): ExecutionContext => ({
  position: { quantity: 0, averagePrice: 0 }, equity: 100_000, cash: 100_000, lastPrice: 100,
  rules: { tickSize: 0.01, lotStep: 0.001, minQuantity: 0.001, minNotional: 5, makerFeeBps: 10, takerFeeBps: 10 },
  risk, limits, now: T0, ...over,
});

describe('checkOrder', () => {
  it('passes when no limit is set or none is hit', () => {
    expect(checkOrder(order(), ctx({}))).toBeNull();
    expect(checkOrder(order(), ctx({ maxOrderNotional: 100, maxPositionNotional: 100, maxGrossExposure: 100 }))).toBeNull();
  });
  it('refuses an order above the max order notional, at its limit price', () => {
    expect(checkOrder(order({ quantity: 2, type: 'limit', limitPrice: 60 }), ctx({ maxOrderNotional: 100 })))
      .toEqual({ kind: 'MaxOrderNotionalExceeded', limit: 100, requested: 120 });
  });
  it('checks the position notional after the order, not the order alone', () => {
    expect(checkOrder(order({ quantity: 3 }), ctx({ maxPositionNotional: 1_000 }, { position: { quantity: 8, averagePrice: 90 } })))
      .toEqual({ kind: 'MaxPositionExceeded', limit: 1_000, requested: 1_100 });
  });
  it('checks gross exposure across instruments', () => {
    expect(checkOrder(order({ quantity: 3 }), ctx({ maxGrossExposure: 5_000 }, { grossExposure: 4_900 })))
      .toEqual({ kind: 'MaxGrossExposureExceeded', limit: 5_000, requested: 5_200 });
  });
  it('limits orders per sliding minute of event time', () => {
    const risk = initialRiskState();
    for (const ts of [T0 - 70_000, T0 - 50_000, T0 - 10_000]) riskDecider.evolve(risk, { type: 'OrderRequested', data: order({ ts }) });
    expect(risk.orderTimes).toEqual([T0 - 50_000, T0 - 10_000]);
    expect(checkOrder(order(), ctx({ maxOrdersPerMinute: 2 }, {}, risk))).toEqual({ kind: 'MaxOrdersPerMinuteExceeded', limit: 2, requested: 3 });
    expect(checkOrder(order({ ts: T0 + 10_001 }), ctx({ maxOrdersPerMinute: 2 }, {}, risk))).toBeNull();
  });
  it('cools down after a realised loss, not after a gain', () => {
    const risk = initialRiskState();
    riskDecider.evolve(risk, { type: 'PnlRealised', data: { instrument: 'BTC/USDT', pnl: 25, ts: T0 - 1_000 } });
    expect(checkOrder(order(), ctx({ cooldownAfterLossMs: 60_000 }, {}, risk))).toBeNull();
    riskDecider.evolve(risk, { type: 'PnlRealised', data: { instrument: 'BTC/USDT', pnl: -25, ts: T0 - 1_000 } });
    expect(checkOrder(order(), ctx({ cooldownAfterLossMs: 60_000 }, {}, risk))).toEqual({ kind: 'CooldownAfterLoss', until: T0 + 59_000 });
    expect(checkOrder(order({ ts: T0 + 59_000 }), ctx({ cooldownAfterLossMs: 60_000 }, {}, risk))).toBeNull();
  });
  it('refuses to pass an order it cannot value while notional limits are set', () => {
    expect(checkOrder(order(), ctx({ maxOrderNotional: 1_000 }, { lastPrice: Number.NaN }))).toMatchObject({ kind: 'NothingToDo' });
    expect(checkOrder(order(), ctx({}, { lastPrice: Number.NaN }))).toBeNull();
  });
  it('while halted refuses new exposure but lets a position be reduced or closed', () => {
    const risk = riskDecider.evolve(initialRiskState(), halted({ kind: 'Manual', by: 'me', note: 'x' }, T0 - 5));
    const long = { position: { quantity: 2, averagePrice: 100 } };
    expect(checkOrder(order(), ctx({}, long, risk))).toEqual({ kind: 'TradingHalted', since: T0 - 5 });
    expect(checkOrder(order({ side: 'sell', quantity: 2 }), ctx({}, long, risk))).toBeNull();
    expect(checkOrder(order({ side: 'sell', quantity: 1 }), ctx({}, long, risk))).toBeNull();
    // Selling 3 of 2 would open a short: that is new exposure.
    expect(checkOrder(order({ side: 'sell', quantity: 3 }), ctx({}, long, risk))).toEqual({ kind: 'TradingHalted', since: T0 - 5 });
    expect(checkOrder(order({ side: 'sell', quantity: 3, reduceOnly: true }), ctx({}, long, risk))).toBeNull();
  });
});
