// Reconciliation: what the event store knows about orders against what the venue reports, and the events that close the gap.
//
// Pure: the caller gathers both sides (reconcileWithVenue in sync.ts does it through the Venue port)
// and appends what this returns. Event times come from the venue's records, so running it twice over
// the same state yields the same events; fills carry the venue's trade id, so the order decider drops
// any it has already counted.
import type { OrderFilled, OrderRequested, RejectionReason } from '@qts/schemas';
import type { OrderState, OrderStatus } from '../orders/order.ts';
import type { VenueOrder, VenueReport, VenueReportMeta, VenueTrade } from '../ports/venue.ts';

/** What the store knows of one order: enough to tell what is missing. */
export interface KnownOrder {
  readonly order: Pick<OrderRequested, 'clientOrderId' | 'signalId' | 'strategyId' | 'instrument' | 'venue' | 'side' | 'quantity'>;
  readonly status: OrderStatus;
  readonly venueOrderId: string | null;
  readonly filledQuantity: number;
  readonly fillIds: readonly string[];
}

/** An OrderRequested synthesised for an order the venue has and the store never saw (flagged in meta). */
export type ReconcileEvent = VenueReport | { readonly type: 'OrderRequested'; readonly data: OrderRequested; readonly meta: VenueReportMeta };

export interface Anomaly {
  readonly clientOrderId: string | null;
  readonly venueOrderId: string | null;
  readonly detail: string;
}

export interface ReconcileResult {
  readonly events: readonly ReconcileEvent[];
  /** Disagreements no event can express (the store closed an order the venue still has): for a human. */
  readonly anomalies: readonly Anomaly[];
}

export interface VenueState {
  /** The venue's open orders (all of the account's, or those of the instruments in play). */
  readonly openOrders: readonly VenueOrder[];
  /** fetchOrder answers for the known orders that are not terminal and not open: null = the venue does not know it. */
  readonly fetched: ReadonlyMap<string, VenueOrder | null>;
  /** The account's recent executions; matched to orders by venue order id. */
  readonly trades: readonly VenueTrade[];
}

export interface ReconcileOptions {
  /** Orders whose clientOrderId starts with this are ours even if the store does not know them. Default 'q'. */
  readonly clientOrderIdPrefix?: string;
  /** Account recorded on synthesised OrderRequested events. */
  readonly account?: string;
  /** Time for events that have no venue time (an order the venue does not know). */
  readonly now: number;
}

const OPEN: ReadonlySet<OrderStatus> = new Set(['requested', 'submitted', 'accepted', 'partially-filled']);

/** A store order's state in the shape reconciliation reads. */
export function knownOrderOf(state: OrderState): KnownOrder | null {
  if (state.order === null || state.status === 'none') return null;
  return { order: state.order, status: state.status, venueOrderId: state.venueOrderId, filledQuantity: state.filledQuantity, fillIds: state.fillIds };
}

/** Known orders whose venue state is neither terminal in the store nor among the venue's open orders: fetch these. */
export function ordersToQuery(known: readonly KnownOrder[], openOrders: readonly VenueOrder[]): readonly KnownOrder[] {
  const open = new Set(openOrders.map((o) => o.clientOrderId));
  return known.filter((k) => OPEN.has(k.status) && !open.has(k.order.clientOrderId));
}

/**
 * The events that bring one known order level with the venue's view of it.
 * `venueOrder` null means the venue does not know the order.
 */
export function reconcileOrder(
  known: KnownOrder, venueOrder: VenueOrder | null, extraTrades: readonly VenueTrade[], now: number,
  /** How the events came about, recorded in their meta; null for a venue's direct answer or push. */
  reconciled: NonNullable<VenueReportMeta['reconciled']> | null = 'missed-while-down',
): ReconcileResult {
  const { order } = known;
  const cid = order.clientOrderId;
  const events: ReconcileEvent[] = [];
  const anomalies: Anomaly[] = [];
  const meta = (venueRaw?: unknown): VenueReportMeta => ({ ...(reconciled !== null ? { reconciled } : {}), ...(venueRaw !== undefined ? { venueRaw } : {}) });

  if (venueOrder === null) {
    if (known.status === 'requested' || known.status === 'submitted') {
      if (known.status === 'requested') events.push({ type: 'OrderSubmitted', data: { clientOrderId: cid, instrument: order.instrument, venue: order.venue, ts: now }, meta: meta() });
      const reason: RejectionReason = { kind: 'VenueRejected', code: 'UNKNOWN_ORDER', message: 'the venue has no order with this clientOrderId: it was never placed' };
      events.push({ type: 'OrderRejected', data: { clientOrderId: cid, signalId: order.signalId, strategyId: order.strategyId, instrument: order.instrument, reason, ts: now }, meta: meta() });
    } else if (known.status === 'accepted') {
      // Venues purge cancelled and expired orders that never traded; one they accepted and forgot is gone.
      events.push({ type: 'OrderCancelled', data: { clientOrderId: cid, instrument: order.instrument, reason: 'the venue no longer knows the order (purged after cancel or expiry)', ts: now }, meta: meta() });
    } else if (known.status === 'partially-filled') {
      anomalies.push({ clientOrderId: cid, venueOrderId: known.venueOrderId, detail: 'a partially filled order is unknown to the venue' });
    }
    return { events, anomalies };
  }

  if (venueOrder.side !== order.side || venueOrder.instrument !== order.instrument) {
    anomalies.push({ clientOrderId: cid, venueOrderId: venueOrder.venueOrderId, detail: `the venue's order is a ${venueOrder.side} on ${venueOrder.instrument}, the store's a ${order.side} on ${order.instrument}` });
    return { events, anomalies };
  }
  if (known.status === 'rejected') {
    anomalies.push({ clientOrderId: cid, venueOrderId: venueOrder.venueOrderId, detail: `the store rejected the order but the venue has it (${venueOrder.status}, filled ${venueOrder.filledQuantity})` });
    return { events, anomalies };
  }

  if (known.status === 'requested') {
    events.push({ type: 'OrderSubmitted', data: { clientOrderId: cid, instrument: order.instrument, venue: order.venue, ts: venueOrder.ts }, meta: meta() });
  }
  if (venueOrder.status === 'rejected') {
    if (known.status === 'requested' || known.status === 'submitted') {
      const reason: RejectionReason = { kind: 'VenueRejected', code: 'REJECTED', message: 'the venue reports the order rejected' };
      events.push({ type: 'OrderRejected', data: { clientOrderId: cid, signalId: order.signalId, strategyId: order.strategyId, instrument: order.instrument, reason, ts: venueOrder.updatedAt }, meta: meta(venueOrder.raw) });
    }
    return { events, anomalies };
  }
  if (known.venueOrderId === null) {
    events.push({ type: 'OrderAccepted', data: { clientOrderId: cid, instrument: order.instrument, venueOrderId: venueOrder.venueOrderId, ts: venueOrder.ts }, meta: meta(venueOrder.raw) });
  }

  const seen = new Set(known.fillIds);
  let filled = known.filledQuantity;
  for (const trade of mergeFills(venueOrder.fills, extraTrades, venueOrder.venueOrderId)) {
    if (seen.has(trade.fillId)) continue;
    seen.add(trade.fillId);
    filled += trade.quantity;
    events.push({ type: 'OrderFilled', data: fillData(cid, trade), meta: meta(trade) });
  }
  if (venueOrder.filledQuantity > filled * (1 + 1e-9) + 1e-12) {
    anomalies.push({ clientOrderId: cid, venueOrderId: venueOrder.venueOrderId, detail: `the venue reports ${venueOrder.filledQuantity} filled but only ${filled} is accounted for by trades (older trades not fetched?)` });
  }

  const closedInStore = known.status === 'cancelled' || known.status === 'expired' || known.status === 'filled';
  if (!closedInStore && venueOrder.status === 'cancelled') {
    events.push({ type: 'OrderCancelled', data: { clientOrderId: cid, instrument: order.instrument, reason: 'cancelled at the venue', ts: venueOrder.updatedAt }, meta: meta(venueOrder.raw) });
  } else if (!closedInStore && venueOrder.status === 'expired') {
    events.push({ type: 'OrderExpired', data: { clientOrderId: cid, instrument: order.instrument, ts: venueOrder.updatedAt }, meta: meta(venueOrder.raw) });
  }
  return { events, anomalies };
}

/**
 * Everything the store is missing, across orders: fills, cancels and expiries that happened while we
 * were down, store orders the venue never got, and orders with our clientOrderId prefix the store
 * never recorded (recorded as OrderRequested with strategyId 'unknown', flagged 'unknown-to-store').
 */
export function reconcile(known: readonly KnownOrder[], venue: VenueState, options: ReconcileOptions): ReconcileResult {
  const prefix = options.clientOrderIdPrefix ?? 'q';
  const byClientId = new Map<string, VenueOrder>();
  for (const o of venue.openOrders) byClientId.set(o.clientOrderId, o);
  for (const [cid, o] of venue.fetched) if (o !== null) byClientId.set(cid, o);
  const tradesByOrder = new Map<string, VenueTrade[]>();
  for (const t of venue.trades) {
    const list = tradesByOrder.get(t.venueOrderId);
    if (list) list.push(t);
    else tradesByOrder.set(t.venueOrderId, [t]);
  }

  const events: ReconcileEvent[] = [];
  const anomalies: Anomaly[] = [];
  const knownIds = new Set<string>();
  const claimedOrders = new Set<string>();
  for (const k of known) {
    const cid = k.order.clientOrderId;
    knownIds.add(cid);
    if (k.venueOrderId !== null) claimedOrders.add(k.venueOrderId);
    let venueOrder = byClientId.get(cid);
    if (venueOrder === undefined) {
      if (!venue.fetched.has(cid)) {
        // Not asked about: a terminal order; fills can still arrive on a cancelled or expired order.
        const late = k.venueOrderId === null ? [] : (tradesByOrder.get(k.venueOrderId) ?? []);
        const fresh = late.filter((t) => !k.fillIds.includes(t.fillId));
        if (fresh.length === 0 || k.status === 'rejected') continue;
        for (const t of fresh) events.push({ type: 'OrderFilled', data: fillData(cid, t), meta: { reconciled: 'missed-while-down', venueRaw: t } });
        continue;
      }
      venueOrder = undefined;
    }
    if (venueOrder !== undefined) claimedOrders.add(venueOrder.venueOrderId);
    const extra = venueOrder === undefined ? [] : (tradesByOrder.get(venueOrder.venueOrderId) ?? []);
    const r = reconcileOrder(k, venueOrder ?? null, extra, options.now);
    events.push(...r.events);
    anomalies.push(...r.anomalies);
  }

  for (const o of venue.openOrders) {
    if (knownIds.has(o.clientOrderId)) continue;
    if (!o.clientOrderId.startsWith(prefix)) continue;
    claimedOrders.add(o.venueOrderId);
    const meta: VenueReportMeta = { reconciled: 'unknown-to-store', venueRaw: o.raw };
    const requested: OrderRequested = {
      clientOrderId: o.clientOrderId, signalId: null, strategyId: 'unknown', account: options.account ?? 'unknown', venue: 'unknown',
      instrument: o.instrument, side: o.side, type: o.limitPrice === null ? 'market' : 'limit', quantity: o.quantity,
      ...(o.limitPrice !== null ? { limitPrice: o.limitPrice } : {}),
      timeInForce: 'GTC', reduceOnly: false, ts: o.ts,
    };
    events.push({ type: 'OrderRequested', data: requested, meta });
    const placeholder: KnownOrder = { order: { ...requested }, status: 'requested', venueOrderId: null, filledQuantity: 0, fillIds: [] };
    const r = reconcileOrder(placeholder, o, tradesByOrder.get(o.venueOrderId) ?? [], options.now, 'unknown-to-store');
    events.push(...r.events);
    anomalies.push(...r.anomalies);
  }

  for (const [venueOrderId, trades] of tradesByOrder) {
    if (claimedOrders.has(venueOrderId)) continue;
    const cid = trades[0]!.clientOrderId ?? null;
    if (cid !== null && !cid.startsWith(prefix)) continue;
    anomalies.push({ clientOrderId: cid, venueOrderId, detail: `${trades.length} trade(s) on an order the store does not know (not open any more; fetch it to record it)` });
  }
  return { events, anomalies };
}

function mergeFills(own: readonly VenueTrade[], extra: readonly VenueTrade[], venueOrderId: string): VenueTrade[] {
  if (extra.length === 0) return [...own].sort(byTime);
  const byId = new Map<string, VenueTrade>();
  for (const t of own) byId.set(t.fillId, t);
  for (const t of extra) if (t.venueOrderId === venueOrderId && !byId.has(t.fillId)) byId.set(t.fillId, t);
  return [...byId.values()].sort(byTime);
}

function byTime(a: VenueTrade, b: VenueTrade): number {
  return a.ts - b.ts || (a.fillId < b.fillId ? -1 : a.fillId > b.fillId ? 1 : 0);
}

export function fillData(clientOrderId: string, t: VenueTrade): OrderFilled {
  return {
    clientOrderId, instrument: t.instrument, venueOrderId: t.venueOrderId, fillId: t.fillId, side: t.side,
    price: t.price, quantity: t.quantity, fee: t.fee, feeCurrency: t.feeCurrency, liquidity: t.liquidity, ts: t.ts,
  };
}
