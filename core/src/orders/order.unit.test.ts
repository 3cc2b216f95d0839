// The order lifecycle as given/when/then: legal moves emit one event, repeats emit none, the rest throw.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { makeEvent } from '@qts/schemas';
import type { OrderFilled, OrderRequested, OrderSubmitted } from '@qts/schemas';
import { deciderSpec } from '../testing/decider.ts';
import { FillRefused, IllegalOrderTransition, orderDecider, remainingQuantity } from './index.ts';
import type { OrderEvent } from './index.ts';

const order: OrderRequested = {
  clientOrderId: 'o-1', signalId: 's-1', strategyId: 'sma', account: 'main', venue: 'binance', instrument: 'BTC/USDT',
  side: 'buy', type: 'limit', quantity: 0.3, limitPrice: 30_000, timeInForce: 'GTC', reduceOnly: false, ts: 1_000,
};
const requested: OrderEvent = { type: 'OrderRequested', data: order };
const submitted: OrderEvent = { type: 'OrderSubmitted', data: { clientOrderId: 'o-1', instrument: 'BTC/USDT', venue: 'binance', ts: 1_001 } };
const accepted: OrderEvent = { type: 'OrderAccepted', data: { clientOrderId: 'o-1', instrument: 'BTC/USDT', venueOrderId: 'v-9', ts: 1_002 } };
const fill = (fillId: string, quantity: number, extra: Partial<OrderFilled> = {}): OrderFilled => ({
  clientOrderId: 'o-1', instrument: 'BTC/USDT', venueOrderId: 'v-9', fillId, side: 'buy', price: 30_000, quantity,
  fee: 0.9, feeCurrency: 'USDT', liquidity: 'maker', ts: 1_010, ...extra,
});
const filled = (f: OrderFilled): OrderEvent => ({ type: 'OrderFilled', data: f });

const spec = deciderSpec(orderDecider);

describe('order decider: the happy path', () => {
  it('requests a new order', () => {
    spec.given([]).when({ type: 'RequestOrder', order }).then([requested]);
  });
  it('submits a requested order to its venue', () => {
    spec.given([requested]).when({ type: 'SubmitOrder', ts: 1_001 }).then([submitted]);
  });
  it('records the venue acknowledgement with its order id', () => {
    const state = spec.given([requested, submitted]).when({ type: 'AcceptOrder', venueOrderId: 'v-9', ts: 1_002 }).then([accepted]);
    expect(state.status).toBe('accepted');
    expect(state.venueOrderId).toBe('v-9');
  });
  it('goes partially filled, then filled exactly when 0.1 + 0.2 of 0.3 have traded', () => {
    const partial = spec.given([requested, submitted, accepted]).when({ type: 'FillOrder', fill: fill('f1', 0.1) }).then([filled(fill('f1', 0.1))]);
    expect(partial.status).toBe('partially-filled');
    expect(remainingQuantity(partial)).toBe(0.2);
    const done = spec.given([requested, submitted, accepted, filled(fill('f1', 0.1))])
      .when({ type: 'FillOrder', fill: fill('f2', 0.2, { price: 30_030 }) })
      .then([filled(fill('f2', 0.2, { price: 30_030 }))]);
    expect(done.status).toBe('filled');
    expect(done.filledQuantity).toBe(0.3);
    expect(done.averageFillPrice).toBe(30_020);
    expect(done.fees).toBe(1.8);
    expect(remainingQuantity(done)).toBe(0);
  });
  it('takes a fill that arrives before the acknowledgement, and the late ack moves nothing back', () => {
    const state = spec.given([requested, submitted]).when({ type: 'FillOrder', fill: fill('f1', 0.3, { venueOrderId: '' }) })
      .then([filled(fill('f1', 0.3, { venueOrderId: '' }))]);
    expect(state.status).toBe('filled');
    const acked = spec.given([requested, submitted, filled(fill('f1', 0.3, { venueOrderId: '' }))])
      .when({ type: 'AcceptOrder', venueOrderId: 'v-9', ts: 1_020 })
      .then([{ type: 'OrderAccepted', data: { clientOrderId: 'o-1', instrument: 'BTC/USDT', venueOrderId: 'v-9', ts: 1_020 } }]);
    expect(acked.status).toBe('filled');
    expect(acked.venueOrderId).toBe('v-9');
  });
});

describe('order decider: cancels, rejections, expiry', () => {
  it('asks for a cancel and then confirms it', () => {
    const cancelRequested: OrderEvent = { type: 'OrderCancelRequested', data: { clientOrderId: 'o-1', instrument: 'BTC/USDT', reason: 'signal flat', ts: 1_005 } };
    spec.given([requested, submitted, accepted]).when({ type: 'RequestCancel', reason: 'signal flat', ts: 1_005 }).then([cancelRequested]);
    spec.given([requested, submitted, accepted, cancelRequested]).when({ type: 'RequestCancel', reason: 'again', ts: 1_006 }).thenNothing();
    const state = spec.given([requested, submitted, accepted, cancelRequested]).when({ type: 'CancelOrder', reason: 'user', ts: 1_007 })
      .then([{ type: 'OrderCancelled', data: { clientOrderId: 'o-1', instrument: 'BTC/USDT', reason: 'user', ts: 1_007 } }]);
    expect(state.status).toBe('cancelled');
  });
  it('still books a fill that raced the cancel confirmation', () => {
    const cancelled: OrderEvent = { type: 'OrderCancelled', data: { clientOrderId: 'o-1', instrument: 'BTC/USDT', reason: 'user', ts: 1_007 } };
    const state = spec.given([requested, submitted, accepted, cancelled]).when({ type: 'FillOrder', fill: fill('f1', 0.1) }).then([filled(fill('f1', 0.1))]);
    expect(state.status).toBe('cancelled');
    expect(state.filledQuantity).toBe(0.1);
  });
  it('rejects at the venue with the reason, and a pre-trade rejection needs the order identity', () => {
    const reason = { kind: 'VenueRejected', code: '-2010', message: 'insufficient balance' } as const;
    spec.given([requested, submitted]).when({ type: 'RejectOrder', reason, ts: 1_003 })
      .then([{ type: 'OrderRejected', data: { clientOrderId: 'o-1', signalId: 's-1', strategyId: 'sma', instrument: 'BTC/USDT', reason, ts: 1_003 } }]);
    const identity = { clientOrderId: 'o-2', signalId: 's-2', strategyId: 'sma', instrument: 'BTC/USDT' };
    const halted = { kind: 'TradingHalted', since: 500 } as const;
    spec.given([]).when({ type: 'RejectOrder', reason: halted, ts: 1_000, order: identity })
      .then([{ type: 'OrderRejected', data: { ...identity, reason: halted, ts: 1_000 } }]);
    spec.given([]).when({ type: 'RejectOrder', reason: halted, ts: 1_000 }).thenThrows(IllegalOrderTransition);
  });
  it('expires a working order', () => {
    spec.given([requested, submitted, accepted]).when({ type: 'ExpireOrder', ts: 2_000 })
      .then([{ type: 'OrderExpired', data: { clientOrderId: 'o-1', instrument: 'BTC/USDT', ts: 2_000 } }]);
  });
});

describe('order decider: redelivery and impossible moves', () => {
  it('ignores a duplicate fill with the same fillId', () => {
    spec.given([requested, submitted, accepted, filled(fill('f1', 0.1))]).when({ type: 'FillOrder', fill: fill('f1', 0.1) }).thenNothing();
  });
  it('ignores the same request twice (a redelivered signal) but refuses another order under the same id', () => {
    spec.given([requested]).when({ type: 'RequestOrder', order: { ...order } }).thenNothing();
    spec.given([requested]).when({ type: 'RequestOrder', order: { ...order, quantity: 1 } }).thenThrows(IllegalOrderTransition);
  });
  it('refuses an overfill and names the numbers', () => {
    const error = spec.given([requested, submitted, accepted, filled(fill('f1', 0.2))])
      .when({ type: 'FillOrder', fill: fill('f2', 0.2) })
      .thenThrows(FillRefused, (e) => expect(e.reason).toBe('overfill'));
    expect(error.message).toContain('0.3');
  });
  it('refuses a fill on the wrong side', () => {
    spec.given([requested, submitted]).when({ type: 'FillOrder', fill: fill('f1', 0.1, { side: 'sell' }) })
      .thenThrows(FillRefused, (e) => expect(e.reason).toBe('side-mismatch'));
  });
  it.each([
    ['submit a filled order', [requested, submitted, filled(fill('f1', 0.3))], { type: 'SubmitOrder', ts: 5 }, 'filled', 'submitted'],
    ['fill an order never submitted', [requested], { type: 'FillOrder', fill: fill('f1', 0.1) }, 'requested', 'partially-filled'],
    ['cancel a filled order', [requested, submitted, filled(fill('f1', 0.3))], { type: 'CancelOrder', reason: 'late', ts: 5 }, 'filled', 'cancelled'],
    ['accept an order before it exists', [], { type: 'AcceptOrder', venueOrderId: 'v', ts: 5 }, 'none', 'accepted'],
    ['expire a rejected order', [requested, { type: 'OrderRejected', data: { clientOrderId: 'o-1', signalId: 's-1', strategyId: 'sma', instrument: 'BTC/USDT', reason: { kind: 'NothingToDo', detail: 'x' }, ts: 2 } }], { type: 'ExpireOrder', ts: 5 }, 'rejected', 'expired'],
  ] as const)('throws IllegalOrderTransition naming from and to: %s', (_name, given, command, from, to) => {
    spec.given(given).when(command).thenThrows(IllegalOrderTransition, (e) => {
      expect(e.from).toBe(from);
      expect(e.to).toBe(to);
      expect(e.kind).toBe('IllegalOrderTransition');
    });
  });
});

describe('order decider: random partial fills', () => {
  it('is filled exactly when the parts add up to the quantity, refuses any more, and ignores redeliveries', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 1, maxLength: 20 }), fc.integer({ min: 0, max: 19 }), (lots, dup) => {
      const total = lots.reduce((a, b) => a + b, 0);
      const quantity = Number((total / 1000).toFixed(3));
      let state = orderDecider.evolve(orderDecider.evolve(orderDecider.initialState(), { type: 'OrderRequested', data: { ...order, quantity } }), submitted);
      const fills = lots.map((l, i) => fill(`f${i}`, l / 1000));
      for (const [i, f] of fills.entries()) {
        for (const e of orderDecider.decide({ type: 'FillOrder', fill: f }, state)) state = orderDecider.evolve(state, e);
        expect(state.status).toBe(i === fills.length - 1 ? 'filled' : 'partially-filled');
        // A redelivered earlier fill changes nothing.
        expect(orderDecider.decide({ type: 'FillOrder', fill: fills[Math.min(dup, i)]! }, state)).toEqual([]);
      }
      expect(state.filledQuantity).toBe(quantity);
      expect(() => orderDecider.decide({ type: 'FillOrder', fill: fill('extra', 0.001) }, state)).toThrow(FillRefused);
    }));
  });
});

describe('order decider: stored envelopes', () => {
  it('evolves straight from envelopes read back from a stream', () => {
    const at = { occurredAt: 1_000, recordedAt: 1_001 };
    const stored = [
      makeEvent('OrderRequested', order, { id: '0190a5b2-7c3d-7e4f-8a9b-000000000001', ...at }),
      makeEvent('OrderSubmitted', submitted.data as OrderSubmitted, { id: '0190a5b2-7c3d-7e4f-8a9b-000000000002', ...at }),
    ];
    const state = stored.reduce(orderDecider.evolve, orderDecider.initialState());
    expect(state.status).toBe('submitted');
    expect(orderDecider.decide({ type: 'SubmitOrder', ts: 2_000 }, state)).toEqual([]);
  });
});
