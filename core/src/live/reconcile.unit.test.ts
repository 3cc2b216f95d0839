// Reconciliation decisions: store state + venue state -> the events that close the gap, and follow-ups after unknown outcomes.
import { describe, expect, it } from 'vitest';
import type { OrderRequested } from '@qts/schemas';
import { evolveOrder, initialOrderState, decideOrder, type OrderEvent, type OrderState } from '../orders/order.ts';
import { UnknownOrderOutcome, type FetchOrderResult, type Venue, type VenueOrder, type VenueTrade } from '../ports/venue.ts';
import { fillData, knownOrderOf, reconcile, reconcileOrder, ordersToQuery, type KnownOrder } from './reconcile.ts';
import { applyReports, reportToCommand, reportsForUpdate, resolveUnknownOutcome, requestedOnly } from './sync.ts';

const order = (cid: string, over: Partial<OrderRequested> = {}): OrderRequested => ({
  clientOrderId: cid, signalId: 'sig-1', strategyId: 'sma', account: 'main', venue: 'binance', instrument: 'BTC/USDT',
  side: 'buy', type: 'limit', quantity: 1, limitPrice: 100, timeInForce: 'GTC', reduceOnly: false, ts: 1_000, ...over,
});

const trade = (id: string, venueOrderId: string, quantity: number, ts: number): VenueTrade => ({
  fillId: id, venueOrderId, instrument: 'BTC/USDT', side: 'buy', price: 100, quantity, fee: 0.1, feeCurrency: 'USDT', liquidity: 'maker', ts,
});

const venueOrder = (cid: string, over: Partial<VenueOrder> = {}): VenueOrder => ({
  clientOrderId: cid, venueOrderId: `v-${cid}`, instrument: 'BTC/USDT', side: 'buy', type: 'limit', status: 'open', quantity: 1,
  filledQuantity: 0, averagePrice: null, limitPrice: 100, ts: 2_000, updatedAt: 2_000, fills: [], raw: { orderId: 1 }, ...over,
});

function stateOf(events: readonly OrderEvent[]): OrderState {
  return events.reduce(evolveOrder, initialOrderState);
}

function known(o: OrderRequested, ...more: OrderEvent[]): KnownOrder {
  return knownOrderOf(stateOf([{ type: 'OrderRequested', data: o }, ...more]))!;
}

/** Applies reconcile's events through the order decider, as the executor does: proves they are legal transitions. */
function applyThroughDecider(state: OrderState, events: readonly { type: string }[]): OrderState {
  let s = state;
  for (const e of events) {
    if (e.type === 'OrderRequested') continue;
    for (const out of decideOrder(reportToCommand(e as never), s)) s = evolveOrder(s, out);
  }
  return s;
}

const types = (r: { events: readonly { type: string }[] }) => r.events.map((e) => e.type);

describe('reconcileOrder', () => {
  it('records fills the venue has and the store does not, with the venue trade id as fillId, once', () => {
    const o = order('qa1');
    const k = known(o, { type: 'OrderSubmitted', data: { clientOrderId: 'qa1', instrument: 'BTC/USDT', venue: 'binance', ts: 1_500 } },
      { type: 'OrderAccepted', data: { clientOrderId: 'qa1', instrument: 'BTC/USDT', venueOrderId: 'v-qa1', ts: 2_000 } });
    const v = venueOrder('qa1', { status: 'filled', filledQuantity: 1, updatedAt: 3_500, fills: [trade('t2', 'v-qa1', 0.6, 3_500), trade('t1', 'v-qa1', 0.4, 3_000)] });
    const r = reconcileOrder(k, v, [], 9_999);
    expect(types(r)).toEqual(['OrderFilled', 'OrderFilled']);
    expect(r.events.map((e) => (e.type === 'OrderFilled' ? e.data.fillId : ''))).toEqual(['t1', 't2']);
    expect(r.anomalies).toEqual([]);
    const after = applyThroughDecider(stateOf([{ type: 'OrderRequested', data: o }, { type: 'OrderSubmitted', data: { clientOrderId: 'qa1', instrument: 'BTC/USDT', venue: 'binance', ts: 1_500 } }, { type: 'OrderAccepted', data: { clientOrderId: 'qa1', instrument: 'BTC/USDT', venueOrderId: 'v-qa1', ts: 2_000 } }]), r.events);
    expect(after.status).toBe('filled');
    // Run again with the store now holding t1: only t2 is new.
    const again = reconcileOrder({ ...k, fillIds: ['t1'], filledQuantity: 0.4, status: 'partially-filled' }, v, [], 9_999);
    expect(again.events.map((e) => (e.type === 'OrderFilled' ? e.data.fillId : e.type))).toEqual(['t2']);
  });

  it('closes an order cancelled at the venue while we were down, after its partial fill', () => {
    const k = known(order('qa2'), { type: 'OrderSubmitted', data: { clientOrderId: 'qa2', instrument: 'BTC/USDT', venue: 'binance', ts: 1_500 } },
      { type: 'OrderAccepted', data: { clientOrderId: 'qa2', instrument: 'BTC/USDT', venueOrderId: 'v-qa2', ts: 2_000 } });
    const r = reconcileOrder(k, venueOrder('qa2', { status: 'cancelled', filledQuantity: 0.3, updatedAt: 4_000, fills: [trade('t9', 'v-qa2', 0.3, 3_000)] }), [], 9_999);
    expect(types(r)).toEqual(['OrderFilled', 'OrderCancelled']);
    expect(r.events[1]!.data.ts).toBe(4_000);
    expect(r.events.every((e) => e.meta?.reconciled === 'missed-while-down')).toBe(true);
  });

  it('records an expiry at the venue', () => {
    const k = known(order('qa3'), { type: 'OrderSubmitted', data: { clientOrderId: 'qa3', instrument: 'BTC/USDT', venue: 'binance', ts: 1_500 } });
    const r = reconcileOrder(k, venueOrder('qa3', { status: 'expired', updatedAt: 5_000 }), [], 9_999);
    expect(types(r)).toEqual(['OrderAccepted', 'OrderExpired']);
  });

  it('rejects an order the store thinks in flight that the venue does not know, with code UNKNOWN_ORDER', () => {
    const k = known(order('qa4'), { type: 'OrderSubmitted', data: { clientOrderId: 'qa4', instrument: 'BTC/USDT', venue: 'binance', ts: 1_500 } });
    const r = reconcileOrder(k, null, [], 9_999);
    expect(types(r)).toEqual(['OrderRejected']);
    const rej = r.events[0]!;
    expect(rej.type === 'OrderRejected' && rej.data.reason).toEqual(expect.objectContaining({ kind: 'VenueRejected', code: 'UNKNOWN_ORDER' }));
    expect(rej.data.ts).toBe(9_999);
  });

  it('flags, rather than rewrites, a store rejection the venue contradicts', () => {
    const k = known(order('qa5'), { type: 'OrderRejected', data: { clientOrderId: 'qa5', signalId: 'sig-1', strategyId: 'sma', instrument: 'BTC/USDT', reason: { kind: 'VenueRejected', code: 'UNKNOWN_ORDER', message: 'x' }, ts: 2_000 } });
    const r = reconcileOrder(k, venueOrder('qa5', { status: 'filled', filledQuantity: 1, fills: [trade('t1', 'v-qa5', 1, 3_000)] }), [], 9_999);
    expect(r.events).toEqual([]);
    expect(r.anomalies[0]!.detail).toMatch(/store rejected/);
  });

  it('reports a filled quantity the fetched trades do not account for', () => {
    const k = known(order('qa6'));
    const r = reconcileOrder(k, venueOrder('qa6', { status: 'filled', filledQuantity: 1, fills: [trade('t1', 'v-qa6', 0.5, 3_000)] }), [], 9_999);
    expect(types(r)).toEqual(['OrderSubmitted', 'OrderAccepted', 'OrderFilled']);
    expect(r.anomalies[0]!.detail).toMatch(/only 0.5/);
  });
});

describe('reconcile across orders', () => {
  it('asks only about in-flight orders the venue does not list as open', () => {
    const a = known(order('qb1'), { type: 'OrderSubmitted', data: { clientOrderId: 'qb1', instrument: 'BTC/USDT', venue: 'binance', ts: 1 } });
    const b = known(order('qb2'), { type: 'OrderSubmitted', data: { clientOrderId: 'qb2', instrument: 'BTC/USDT', venue: 'binance', ts: 1 } });
    const c = known(order('qb3'), { type: 'OrderRejected', data: { clientOrderId: 'qb3', signalId: null, strategyId: 's', instrument: 'BTC/USDT', reason: { kind: 'NothingToDo', detail: 'x' }, ts: 1 } });
    expect(ordersToQuery([a, b, c], [venueOrder('qb1')]).map((k) => k.order.clientOrderId)).toEqual(['qb2']);
  });

  it('records an open order with our prefix that the store never saw, flagged, and ignores foreign ones', () => {
    const r = reconcile([], { openOrders: [venueOrder('qe-mine', { fills: [], filledQuantity: 0 }), venueOrder('web-123')], fetched: new Map(), trades: [] }, { now: 9_999, clientOrderIdPrefix: 'qe' });
    expect(types(r)).toEqual(['OrderRequested', 'OrderSubmitted', 'OrderAccepted']);
    expect(r.events.every((e) => e.meta?.reconciled === 'unknown-to-store')).toBe(true);
    const req = r.events[0]!;
    expect(req.type === 'OrderRequested' && req.data).toEqual(expect.objectContaining({ clientOrderId: 'qe-mine', strategyId: 'unknown', limitPrice: 100, quantity: 1 }));
  });

  it('picks up late fills on orders the store had closed, matched by venue order id from the trade list', () => {
    const o = order('qc1');
    const k = known(o, { type: 'OrderSubmitted', data: { clientOrderId: 'qc1', instrument: 'BTC/USDT', venue: 'binance', ts: 1 } },
      { type: 'OrderAccepted', data: { clientOrderId: 'qc1', instrument: 'BTC/USDT', venueOrderId: 'v-qc1', ts: 2 } },
      { type: 'OrderCancelled', data: { clientOrderId: 'qc1', instrument: 'BTC/USDT', reason: 'user', ts: 3 } });
    const r = reconcile([k], { openOrders: [], fetched: new Map(), trades: [trade('t77', 'v-qc1', 0.2, 2_500), trade('t88', 'v-other', 1, 2_600)] }, { now: 9_999 });
    expect(r.events.map((e) => (e.type === 'OrderFilled' ? `${e.data.clientOrderId}:${e.data.fillId}` : e.type))).toEqual(['qc1:t77']);
    expect(r.anomalies).toEqual([expect.objectContaining({ venueOrderId: 'v-other' })]);
  });

  it('combines open orders, fetched answers and trades in one pass', () => {
    const inflight = known(order('qd1'), { type: 'OrderSubmitted', data: { clientOrderId: 'qd1', instrument: 'BTC/USDT', venue: 'binance', ts: 1 } });
    const gone = known(order('qd2'), { type: 'OrderSubmitted', data: { clientOrderId: 'qd2', instrument: 'BTC/USDT', venue: 'binance', ts: 1 } });
    const filledAtVenue = venueOrder('qd1', { status: 'filled', filledQuantity: 1 });
    const r = reconcile([inflight, gone], { openOrders: [], fetched: new Map([['qd1', filledAtVenue], ['qd2', null]]), trades: [trade('t1', 'v-qd1', 1, 3_000)] }, { now: 9_999 });
    expect(r.events.map((e) => `${e.data.clientOrderId}:${e.type}`)).toEqual(['qd1:OrderAccepted', 'qd1:OrderFilled', 'qd2:OrderRejected']);
  });
});

/** A hand-written venue whose fetchOrder answers from a script, one answer per call. */
function scriptedVenue(answers: ((cid: string) => FetchOrderResult)[]): Venue & { calls: number; submits: number } {
  const v = {
    name: 'scripted', calls: 0, submits: 0,
    async submit() { v.submits++; return []; },
    async cancel(cid: string, instrument: string) { return { outcome: 'not-found' as const, clientOrderId: cid, instrument }; },
    async fetchOrder(cid: string) {
      const answer = answers[Math.min(v.calls, answers.length - 1)]!;
      v.calls++;
      return answer(cid);
    },
    async fetchOpenOrders() { return []; },
    async fetchMyTrades() { return []; },
    async fetchBalance() { return []; },
    async close() {},
  };
  return v;
}

describe('resolveUnknownOutcome', () => {
  const sleeps: number[] = [];
  const opts = { sleep: async (ms: number) => { sleeps.push(ms); }, now: () => 7_777 };

  it('finds the order the venue took despite the timeout and returns its events, without submitting again', async () => {
    const o = order('qf1', { type: 'market' });
    const venue = scriptedVenue([
      () => { throw new UnknownOrderOutcome('qf1', 'BTC/USDT', 'fetch', 'timeout'); },
      (cid) => ({ found: true, order: venueOrder(cid, { type: 'market', status: 'filled', filledQuantity: 1, fills: [trade('t5', `v-${cid}`, 1, 2_100)] }) }),
    ]);
    const reports = await resolveUnknownOutcome(venue, o, opts);
    expect(reports.map((r) => r.type)).toEqual(['OrderSubmitted', 'OrderAccepted', 'OrderFilled']);
    expect(reports.every((r) => r.meta?.reconciled === 'unknown-outcome')).toBe(true);
    expect(venue.calls).toBe(2);
    expect(venue.submits).toBe(0);
    const after = applyThroughDecider(stateOf([{ type: 'OrderRequested', data: o }]), reports);
    expect(after.status).toBe('filled');
  });

  it('asks again while the venue does not show the order, then rejects it as UNKNOWN_ORDER', async () => {
    const venue = scriptedVenue([(cid) => ({ found: false, clientOrderId: cid, instrument: 'BTC/USDT' })]);
    const reports = await resolveUnknownOutcome(venue, order('qf2'), { ...opts, attempts: 3 });
    expect(venue.calls).toBe(3);
    expect(reports.map((r) => r.type)).toEqual(['OrderSubmitted', 'OrderRejected']);
    expect(reports[1]!.type === 'OrderRejected' && reports[1]!.data.reason).toEqual(expect.objectContaining({ code: 'UNKNOWN_ORDER' }));
  });

  it('gives up after the bounded attempts and rethrows, leaving the order in flight', async () => {
    sleeps.length = 0;
    const venue = scriptedVenue([() => { throw new UnknownOrderOutcome('qf3', 'BTC/USDT', 'fetch', 'network down'); }]);
    await expect(resolveUnknownOutcome(venue, order('qf3'), { ...opts, attempts: 4 })).rejects.toBeInstanceOf(UnknownOrderOutcome);
    expect(venue.calls).toBe(4);
    expect(sleeps).toEqual([250, 500, 1_000]);
  });

  it('does not retry an error that is not retryable', async () => {
    const venue = scriptedVenue([() => { throw new TypeError('bug'); }]);
    await expect(resolveUnknownOutcome(venue, order('qf4'), opts)).rejects.toBeInstanceOf(TypeError);
    expect(venue.calls).toBe(1);
  });

  it('starts from what the store already holds', async () => {
    const o = order('qf5');
    const venue = scriptedVenue([(cid) => ({ found: true, order: venueOrder(cid) })]);
    const reports = await resolveUnknownOutcome(venue, o, { ...opts, known: { ...requestedOnly(o), status: 'submitted' } });
    expect(reports.map((r) => r.type)).toEqual(['OrderAccepted']);
  });
});

describe('reportsForUpdate', () => {
  it('turns a pushed trade into one fill, and a repeat of it into nothing', () => {
    const k = known(order('qg1'), { type: 'OrderSubmitted', data: { clientOrderId: 'qg1', instrument: 'BTC/USDT', venue: 'binance', ts: 1 } },
      { type: 'OrderAccepted', data: { clientOrderId: 'qg1', instrument: 'BTC/USDT', venueOrderId: 'v-qg1', ts: 2 } });
    const t = trade('t1', 'v-qg1', 1, 3_000);
    const reports = reportsForUpdate(k, { kind: 'trade', trade: t }, 9);
    expect(reports).toEqual([{ type: 'OrderFilled', data: expect.objectContaining({ clientOrderId: 'qg1', fillId: 't1', quantity: 1 }), meta: { venueRaw: t } }]);
    expect(reportsForUpdate({ ...k, fillIds: ['t1'] }, { kind: 'trade', trade: t }, 9)).toEqual([]);
  });
  it('turns a pushed cancel into OrderCancelled without a reconciliation flag', () => {
    const k = known(order('qg2'), { type: 'OrderSubmitted', data: { clientOrderId: 'qg2', instrument: 'BTC/USDT', venue: 'binance', ts: 1 } },
      { type: 'OrderAccepted', data: { clientOrderId: 'qg2', instrument: 'BTC/USDT', venueOrderId: 'v-qg2', ts: 2 } });
    const r = reportsForUpdate(k, { kind: 'order', order: venueOrder('qg2', { status: 'cancelled', updatedAt: 5_000 }) }, 9);
    expect(r.map((x) => x.type)).toEqual(['OrderCancelled']);
    expect(r[0]!.meta).toEqual({ venueRaw: { orderId: 1 } });
  });
});

describe('applyReports', () => {
  it('appends what is new, drops what the order has already moved past, and keeps each report\'s meta', () => {
    const o = order('qh1', { type: 'market' });
    const s0 = stateOf([{ type: 'OrderRequested', data: o }]);
    const reports = [
      { type: 'OrderSubmitted' as const, data: { clientOrderId: 'qh1', instrument: 'BTC/USDT', venue: 'binance', ts: 1 } },
      { type: 'OrderAccepted' as const, data: { clientOrderId: 'qh1', instrument: 'BTC/USDT', venueOrderId: 'v1', ts: 2 }, meta: { venueRaw: { orderId: 1 } } },
      { type: 'OrderFilled' as const, data: fillData('qh1', trade('t1', 'v1', 1, 3)) },
    ];
    const a = applyReports(s0, reports);
    expect(a.events.map((e) => e.event.type)).toEqual(['OrderSubmitted', 'OrderAccepted', 'OrderFilled']);
    expect(a.events[1]!.meta).toEqual({ venueRaw: { orderId: 1 } });
    expect(a.state.status).toBe('filled');
    expect(applyReports(a.state, reports).events).toEqual([]);
  });
});
