// The executor: target positions to orders, sizing, venue grids, protective children, risk, idempotent ids.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Dec, roundToLot } from '../money/index.ts';
import { makeEvent } from '@qts/schemas';
import type { DomainEvent, OrderRequested, SignalEmitted } from '@qts/schemas';
import { initialRiskState, riskDecider } from '../risk/index.ts';
import { clientOrderIdFor, decideOrders } from './index.ts';
import type { ExecutionContext, ExecutorConfig } from './index.ts';

const SIGNAL_ID = '0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b';
const NOW = 1_700_000_000_000;
const signal = (direction: SignalEmitted['direction'], id = SIGNAL_ID, strength = 1): DomainEvent<'SignalEmitted'> => makeEvent('SignalEmitted', {
  strategyId: 'sma-cross', instrument: 'BTC/USDT', direction, strength, price: 100, asOf: NOW - 1, reason: 'fast above slow',
}, { id, occurredAt: NOW - 1, recordedAt: NOW });
const config = (over: Partial<ExecutorConfig> = {}): ExecutorConfig => ({
  account: 'main', venue: 'sim', sizing: { kind: 'percent-equity', percent: 100 }, orderType: 'market', limitOffsetBps: 10,
  allowShort: false, timeInForce: 'GTC', ...over,
});
const ctx = (over: Partial<ExecutionContext> = {}): ExecutionContext => ({
  position: { quantity: 0, averagePrice: 0 }, equity: 10_000, cash: 10_000, lastPrice: 100,
  rules: { tickSize: 0.01, lotStep: 0.001, minQuantity: 0.001, minNotional: 5, makerFeeBps: 10, takerFeeBps: 10 },
  risk: initialRiskState(), limits: {}, now: NOW, ...over,
});
const requested = (d: ReturnType<typeof decideOrders>[number]): OrderRequested => {
  if (d.type !== 'OrderRequested') throw new Error(`expected an order, got a rejection: ${JSON.stringify(d.data)}`);
  return d.data;
};
const long = (quantity: number): Partial<ExecutionContext> => ({ position: { quantity, averagePrice: 90 }, cash: 10_000 - quantity * 90, equity: 10_000 + quantity * 10 });

describe('decideOrders: target positions', () => {
  it('buys all-in from flat on a long signal, leaving room for the taker fee', () => {
    const [entry, ...rest] = decideOrders(signal('long'), ctx(), config());
    expect(rest).toEqual([]);
    const order = requested(entry!);
    expect(order).toEqual({
      clientOrderId: clientOrderIdFor(SIGNAL_ID, 'entry'), signalId: SIGNAL_ID, strategyId: 'sma-cross', account: 'main', venue: 'sim',
      instrument: 'BTC/USDT', side: 'buy', type: 'market', quantity: 99.9, timeInForce: 'GTC', reduceOnly: false, ts: NOW,
    });
    // 10 000 / (100 * 1.001) = 99.9000999 -> 99.9 on the 0.001 grid; cost with fee stays within cash.
    expect(order.quantity * 100 * 1.001).toBeLessThanOrEqual(10_000);
  });
  it('sells the whole position, reduce-only, on a flat signal', () => {
    const decisions = decideOrders(signal('flat'), ctx(long(2.5)), config());
    expect(decisions.map(requested)).toMatchObject([{ side: 'sell', quantity: 2.5, reduceOnly: true, type: 'market', clientOrderId: clientOrderIdFor(SIGNAL_ID, 'exit') }]);
  });
  it('does nothing when the target is already held, and nothing for flat while flat', () => {
    expect(decideOrders(signal('long'), ctx(long(2.5)), config())).toEqual([]);
    expect(decideOrders(signal('flat'), ctx(), config())).toEqual([]);
  });
  it('long-only: a short signal exits a long and does nothing while flat', () => {
    expect(decideOrders(signal('short'), ctx(long(2.5)), config()).map(requested)).toMatchObject([{ side: 'sell', quantity: 2.5, reduceOnly: true }]);
    expect(decideOrders(signal('short'), ctx(), config())).toEqual([]);
  });
  it('with shorting allowed, flips a long: exit first, then the short entry', () => {
    const decisions = decideOrders(signal('short'), ctx(long(2.5)), config({ allowShort: true, sizing: { kind: 'fixed-quantity', quantity: 1 } }));
    expect(decisions.map(requested)).toMatchObject([
      { side: 'sell', quantity: 2.5, reduceOnly: true, clientOrderId: clientOrderIdFor(SIGNAL_ID, 'exit') },
      { side: 'sell', quantity: 1, reduceOnly: false, clientOrderId: clientOrderIdFor(SIGNAL_ID, 'entry') },
    ]);
  });
  it('treats a position below the venue minimum as dust: flat', () => {
    expect(decideOrders(signal('flat'), ctx(long(0.0004)), config())).toEqual([]);
    expect(requested(decideOrders(signal('long'), ctx(long(0.0004)), config())[0]!).side).toBe('buy');
  });
});

describe('decideOrders: idempotency', () => {
  it('a redelivered signal yields the very same OrderRequested', () => {
    const first = decideOrders(signal('long'), ctx(), config({ stopLossPct: 2 }));
    const again = decideOrders(signal('long'), ctx(), config({ stopLossPct: 2 }));
    expect(again).toEqual(first);
    expect(requested(decideOrders(signal('long', '0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5c'), ctx(), config())[0]!).clientOrderId)
      .not.toBe(requested(first[0]!).clientOrderId);
  });
  it('derives short, venue-safe ids, distinct per leg', () => {
    const ids = (['entry', 'exit', 'stop-loss', 'take-profit'] as const).map((leg) => clientOrderIdFor(SIGNAL_ID, leg));
    expect(new Set(ids).size).toBe(4);
    for (const id of [...ids, clientOrderIdFor('signal-from-elsewhere', 'entry')]) expect(id).toMatch(/^[a-z0-9]{1,36}$/);
    expect(clientOrderIdFor('signal-from-elsewhere', 'entry')).toBe(clientOrderIdFor('signal-from-elsewhere', 'entry'));
    expect(clientOrderIdFor('signal-from-elsewhere', 'entry')).not.toBe(clientOrderIdFor('signal-from-elsewherf', 'entry'));
  });
});

describe('decideOrders: sizing and venue rules', () => {
  it('rounds a fixed quantity down to the lot step', () => {
    expect(requested(decideOrders(signal('long'), ctx(), config({ sizing: { kind: 'fixed-quantity', quantity: 0.12399 } }))[0]!).quantity).toBe(0.123);
  });
  it('sizes a fixed notional at the price', () => {
    expect(requested(decideOrders(signal('long'), ctx(), config({ sizing: { kind: 'fixed-notional', notional: 2_500 } }))[0]!).quantity).toBe(25);
  });
  it('sizes by percent of equity, optionally scaled by signal strength', () => {
    const cfg = config({ sizing: { kind: 'percent-equity', percent: 50 }, scaleByStrength: true });
    // 10 000 * 0.5 / 100.1 * 0.5 = 24.975... -> 24.975
    expect(requested(decideOrders(signal('long', SIGNAL_ID, 0.5), ctx(), cfg)[0]!).quantity).toBe(24.975);
  });
  it('sizes by volatility: equity * risk% / (ATR * multiple), and rejects clearly without an ATR', () => {
    const cfg = config({ sizing: { kind: 'volatility-target', riskPercent: 1, atrMultiple: 2 } });
    expect(requested(decideOrders(signal('long'), ctx({ atr: 2 }), cfg)[0]!).quantity).toBe(25);
    const [rejection] = decideOrders(signal('long'), ctx(), cfg);
    expect(rejection).toMatchObject({ type: 'OrderRejected', data: { clientOrderId: clientOrderIdFor(SIGNAL_ID, 'entry'), reason: { kind: 'NothingToDo' } } });
    expect(JSON.stringify(rejection)).toContain('ATR');
  });
  it('rejects below the minimum quantity and below the minimum notional with the numbers', () => {
    expect(decideOrders(signal('long'), ctx(), config({ sizing: { kind: 'fixed-quantity', quantity: 0.0009 } }))[0]).toMatchObject({
      type: 'OrderRejected', data: { reason: { kind: 'BelowMinQuantity', limit: 0.001, requested: 0.0009 } },
    });
    expect(decideOrders(signal('long'), ctx(), config({ sizing: { kind: 'fixed-quantity', quantity: 0.04 } }))[0]).toMatchObject({
      type: 'OrderRejected', data: { reason: { kind: 'BelowMinNotional', limit: 5, requested: 4 } },
    });
  });
  it('never leverages a buy: a fixed size beyond cash is refused, percent sizing is capped to cash', () => {
    expect(decideOrders(signal('long'), ctx(), config({ sizing: { kind: 'fixed-quantity', quantity: 200 } }))[0]).toMatchObject({
      type: 'OrderRejected', data: { reason: { kind: 'InsufficientFunds', available: 10_000 } },
    });
    expect(requested(decideOrders(signal('long'), ctx(), config({ sizing: { kind: 'percent-equity', percent: 300 } }))[0]!).quantity).toBe(99.9);
  });
});

describe('decideOrders: order types and protection', () => {
  it('places a buy limit below and a sell limit above the price, on the tick grid', () => {
    const buy = requested(decideOrders(signal('long'), ctx({ lastPrice: 100.005 }), config({ orderType: 'limit', sizing: { kind: 'fixed-quantity', quantity: 1 } }))[0]!);
    expect(buy).toMatchObject({ type: 'limit', limitPrice: 99.9 });
    const sell = requested(decideOrders(signal('flat'), ctx({ ...long(1), lastPrice: 100 }), config({ orderType: 'limit' }))[0]!);
    expect(sell).toMatchObject({ type: 'limit', side: 'sell', limitPrice: 100.1, reduceOnly: true });
  });
  it('places stop entries on the breakout side; a stop-limit caps one more offset beyond', () => {
    const q = { sizing: { kind: 'fixed-quantity', quantity: 1 } } as const;
    expect(requested(decideOrders(signal('long'), ctx(), config({ ...q, orderType: 'stop-market' }))[0]!)).toMatchObject({ type: 'stop-market', stopPrice: 100.1 });
    expect(requested(decideOrders(signal('long'), ctx(), config({ ...q, orderType: 'stop-limit' }))[0]!)).toMatchObject({ type: 'stop-limit', stopPrice: 100.1, limitPrice: 100.2 });
  });
  it('attaches reduce-only stop-loss and take-profit children to the entry', () => {
    const decisions = decideOrders(signal('long'), ctx({ lastPrice: 100.003 }), config({ sizing: { kind: 'fixed-quantity', quantity: 2 }, stopLossPct: 2, takeProfitPct: 5 })).map(requested);
    const entryId = clientOrderIdFor(SIGNAL_ID, 'entry');
    expect(decisions).toMatchObject([
      { clientOrderId: entryId, side: 'buy', quantity: 2, protective: { stopLoss: 98.01, takeProfit: 105.01 } },
      { clientOrderId: clientOrderIdFor(SIGNAL_ID, 'stop-loss'), side: 'sell', type: 'stop-market', stopPrice: 98.01, quantity: 2, reduceOnly: true, parentClientOrderId: entryId },
      { clientOrderId: clientOrderIdFor(SIGNAL_ID, 'take-profit'), side: 'sell', type: 'limit', limitPrice: 105.01, quantity: 2, reduceOnly: true, parentClientOrderId: entryId },
    ]);
  });
  it('puts a short\'s stop above and its take-profit below', () => {
    const decisions = decideOrders(signal('short'), ctx(), config({ allowShort: true, sizing: { kind: 'fixed-quantity', quantity: 1 }, stopLossPct: 2, takeProfitPct: 5 })).map(requested);
    expect(decisions).toMatchObject([{ side: 'sell' }, { side: 'buy', stopPrice: 102 }, { side: 'buy', limitPrice: 95 }]);
  });
});

describe('decideOrders: risk', () => {
  it('while halted rejects the entry but still exits', () => {
    const risk = riskDecider.evolve(initialRiskState(), { type: 'TradingHalted', data: { account: 'main', reason: { kind: 'Manual', by: 'me', note: 'x' }, ts: NOW - 10 } });
    expect(decideOrders(signal('long'), ctx({ risk }), config())).toEqual([{
      type: 'OrderRejected',
      data: { clientOrderId: clientOrderIdFor(SIGNAL_ID, 'entry'), signalId: SIGNAL_ID, strategyId: 'sma-cross', instrument: 'BTC/USDT', reason: { kind: 'TradingHalted', since: NOW - 10 }, ts: NOW },
    }]);
    expect(decideOrders(signal('flat'), ctx({ ...long(2), risk }), config()).map(requested)).toMatchObject([{ side: 'sell', quantity: 2, reduceOnly: true }]);
  });
  it('rejects an entry beyond the position limit with the limit and the notional', () => {
    const [d] = decideOrders(signal('long'), ctx({ limits: { maxPositionNotional: 5_000 } }), config());
    expect(d).toMatchObject({ type: 'OrderRejected', data: { reason: { kind: 'MaxPositionExceeded', limit: 5_000 } } });
    expect((d!.data as { reason: { requested: number } }).reason.requested).toBeCloseTo(9_990, 6);
  });
  it('values a market entry at the signal price when the context has no last price', () => {
    const [d] = decideOrders(signal('long'), ctx({ lastPrice: Number.NaN, limits: { maxOrderNotional: 5_000 } }), config());
    expect(d).toMatchObject({ type: 'OrderRejected', data: { reason: { kind: 'MaxOrderNotionalExceeded', limit: 5_000 } } });
  });
  it('checks a flip\'s entry against the position after the exit', () => {
    const decisions = decideOrders(signal('short'), ctx({ ...long(40), limits: { maxPositionNotional: 3_000 } }),
      config({ allowShort: true, sizing: { kind: 'fixed-quantity', quantity: 25 } }));
    expect(decisions.map((d) => d.type)).toEqual(['OrderRequested', 'OrderRequested']);
  });
});

describe('decideOrders: flips and cash', () => {
  it('flips a short to long: buys back the short, then sizes the long on the cash left after buying back', () => {
    // Short 10 at 100 opened with 10 000 cash: cash 11 000, equity 10 000 at a price of 100.
    const c = ctx({ position: { quantity: -10, averagePrice: 100 }, cash: 11_000, equity: 10_000 });
    const decisions = decideOrders(signal('long'), c, config({ allowShort: true })).map(requested);
    expect(decisions).toMatchObject([{ side: 'buy', quantity: 10, reduceOnly: true }, { side: 'buy', reduceOnly: false }]);
    // After the buy-back: 11 000 - 1 000 * 1.001 = 9 999; all-in at 100.1 per unit with the fee.
    const entry = decisions[1]!;
    expect(entry.quantity).toBe(99.89);
    expect(10 * 100 * 1.001 + entry.quantity * 100 * 1.001).toBeLessThanOrEqual(11_000);
  });
  it('skips the entry when risk refuses it, keeping the exit', () => {
    const risk = riskDecider.evolve(initialRiskState(), { type: 'TradingHalted', data: { account: 'main', reason: { kind: 'MaxDrawdown', limit: 20, drawdown: 21 }, ts: NOW - 1 } });
    const decisions = decideOrders(signal('short'), ctx({ ...long(3), risk }), config({ allowShort: true, stopLossPct: 1 }));
    expect(decisions.map((d) => d.type)).toEqual(['OrderRequested', 'OrderRejected']);
    expect(decisions[1]).toMatchObject({ data: { reason: { kind: 'TradingHalted' } } });
  });
});

describe('decideOrders: invariants over random accounts', () => {
  it('an all-in buy sits on the lot grid and, filled at its price with the taker fee, never takes cash below zero', () => {
    fc.assert(fc.property(
      fc.double({ min: 10, max: 1e7, noNaN: true }), fc.double({ min: 0.0001, max: 1e5, noNaN: true }),
      fc.constantFrom(1, 0.1, 0.001, 0.00001, 1e-8), fc.integer({ min: 0, max: 100 }),
      (cash, price, lotStep, feeBps) => {
        // Beyond ~1e14 lots a double cannot hold every point of the lot grid.
        fc.pre(cash / price / lotStep < 1e14);
        const c = ctx({ cash, equity: cash, lastPrice: price, rules: { tickSize: 1e-8, lotStep, minQuantity: 0, minNotional: 0, makerFeeBps: feeBps, takerFeeBps: feeBps } });
        const decisions = decideOrders(signal('long'), c, config());
        expect(decideOrders(signal('long'), c, config())).toEqual(decisions);
        const [d] = decisions;
        if (d!.type === 'OrderRejected') {
          expect(d!.data.reason.kind).toBe('BelowMinQuantity');
          expect(cash / (price * (1 + feeBps / 10_000))).toBeLessThan(lotStep);
          return;
        }
        const q = d!.data.quantity;
        expect(roundToLot(q, lotStep)).toBe(q);
        expect(new Dec(cash).minus(new Dec(q).times(price).times(1 + feeBps / 10_000)).gte(0)).toBe(true);
        // and it is all-in: one more lot would not fit
        expect(new Dec(q).plus(lotStep).times(price).times(1 + feeBps / 10_000).gt(cash * (1 - 1e-9))).toBe(true);
      },
    ), { numRuns: 500 });
  });
});
