// Talking to a live venue through its port: resolving unknown outcomes, reconciling on start, reports as order commands.
import type { OrderRequested } from '@qts/schemas';
import { QtsError } from '../errors.ts';
import { decideOrder, evolveOrder, type OrderCommand, type OrderEvent, type OrderState } from '../orders/order.ts';
import type { Venue, VenueOrder, VenueReport, VenueReportMeta, VenueTrade, VenueUpdate } from '../ports/venue.ts';
import { fillData, knownOrderOf, ordersToQuery, reconcile, reconcileOrder, type KnownOrder, type ReconcileResult } from './reconcile.ts';

export interface FollowUpOptions {
  /** fetchOrder attempts before giving up. Default 5. */
  readonly attempts?: number;
  /** Wait before attempt n (from 1). Default 250 ms doubling, at most 5 s. */
  readonly backoffMs?: (attempt: number) => number;
  /** Injected so core stays free of timers in tests; the composition root passes a real sleep. */
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  /** What the store already holds for the order; default: only OrderRequested. */
  readonly known?: KnownOrder;
}

const defaultBackoff = (attempt: number): number => Math.min(5_000, 250 * 2 ** (attempt - 1));

/** The store's view of an order that was requested and nothing more. */
export function requestedOnly(order: OrderRequested): KnownOrder {
  return { order, status: 'requested', venueOrderId: null, filledQuantity: 0, fillIds: [] };
}

/**
 * After submit threw UnknownOrderOutcome: asks the venue for the order by clientOrderId, with bounded
 * retries, and returns the events to append (OrderSubmitted, OrderAccepted, fills, cancel/expiry; or
 * OrderRejected{VenueRejected 'UNKNOWN_ORDER'} once the venue has said, on every attempt, that it does
 * not know it). Never submits again. Rethrows the last error if the venue stayed unreachable: the order
 * then stays in flight and reconciliation on the next start settles it.
 * @example
 *   try { reports = await venue.submit(order) }
 *   catch (e) { if (e instanceof UnknownOrderOutcome) reports = await resolveUnknownOutcome(venue, order, { sleep, now }); else throw e }
 */
export async function resolveUnknownOutcome(venue: Venue, order: OrderRequested, options: FollowUpOptions): Promise<readonly VenueReport[]> {
  const attempts = options.attempts ?? 5;
  const backoff = options.backoffMs ?? defaultBackoff;
  const known = options.known ?? requestedOnly(order);
  let lastError: unknown = null;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await options.sleep(backoff(attempt - 1));
    try {
      const result = await venue.fetchOrder(order.clientOrderId, order.instrument);
      // A venue that has not finished taking the order may not show it yet: ask again before concluding.
      if (!result.found && attempt < attempts) continue;
      const r = reconcileOrder(known, result.found ? result.order : null, [], options.now(), 'unknown-outcome');
      return r.events as readonly VenueReport[];
    } catch (e) {
      if (!(e instanceof QtsError) || !e.retryable) throw e;
      lastError = e;
    }
  }
  throw lastError;
}

export interface ReconcileWithVenueOptions {
  readonly now: () => number;
  /** Trades at or after this time are compared (epoch ms); default: 24 h before now. */
  readonly since?: number;
  /** Instruments whose open orders and trades to read; default: those of the known orders. */
  readonly instruments?: readonly string[];
  readonly clientOrderIdPrefix?: string;
  readonly account?: string;
}

/**
 * Reconciliation on start: reads the venue's open orders, asks about every known order that is in flight
 * and not open, reads recent trades, and returns the events that close the gap (see reconcile()).
 * Accepts the store's order states as they come from the order decider.
 */
export async function reconcileWithVenue(venue: Venue, orders: readonly (OrderState | KnownOrder)[], options: ReconcileWithVenueOptions): Promise<ReconcileResult> {
  const known = orders.map((o) => ('cancelRequested' in o ? knownOrderOf(o) : o)).filter((k): k is KnownOrder => k !== null);
  const instruments = options.instruments ?? [...new Set(known.map((k) => k.order.instrument))];
  const since = options.since ?? options.now() - 86_400_000;
  const openOrders: VenueOrder[] = [];
  const trades: VenueTrade[] = [];
  for (const instrument of instruments) {
    openOrders.push(...await venue.fetchOpenOrders(instrument));
    trades.push(...await venue.fetchMyTrades(instrument, since));
  }
  const fetched = new Map<string, VenueOrder | null>();
  for (const k of ordersToQuery(known, openOrders)) {
    const r = await venue.fetchOrder(k.order.clientOrderId, k.order.instrument);
    fetched.set(k.order.clientOrderId, r.found ? r.order : null);
  }
  return reconcile(known, { openOrders, fetched, trades }, {
    now: options.now(),
    ...(options.clientOrderIdPrefix !== undefined ? { clientOrderIdPrefix: options.clientOrderIdPrefix } : {}),
    ...(options.account !== undefined ? { account: options.account } : {}),
  });
}

/**
 * The events a pushed update (venue.watch) means for an order the store knows: a trade is a fill (once
 * per fill id); an order update brings acknowledgement, fills it carries, cancel or expiry. An order
 * update that says "filled" without its trades adds nothing: the trades arrive as their own updates.
 */
export function reportsForUpdate(known: KnownOrder, update: VenueUpdate, now: number): readonly VenueReport[] {
  if (update.kind === 'trade') {
    const t = update.trade;
    if (known.fillIds.includes(t.fillId)) return [];
    return [{ type: 'OrderFilled', data: fillData(known.order.clientOrderId, t), meta: { venueRaw: t } }];
  }
  return reconcileOrder(known, update.order, [], now, null).events as readonly VenueReport[];
}

/**
 * A venue report as the order decider's command, so the executor appends through decideOrder and a
 * report it has already recorded (same fill id, a second acknowledgement) yields no event.
 */
export function reportToCommand(report: VenueReport): OrderCommand {
  switch (report.type) {
    case 'OrderSubmitted': return { type: 'SubmitOrder', ts: report.data.ts };
    case 'OrderAccepted': return { type: 'AcceptOrder', venueOrderId: report.data.venueOrderId, ts: report.data.ts };
    case 'OrderFilled': return { type: 'FillOrder', fill: report.data };
    case 'OrderCancelled': return { type: 'CancelOrder', reason: report.data.reason, ts: report.data.ts };
    case 'OrderExpired': return { type: 'ExpireOrder', ts: report.data.ts };
    case 'OrderRejected': return { type: 'RejectOrder', reason: report.data.reason, ts: report.data.ts };
    default: {
      const never: never = report;
      throw new Error(`unhandled venue report ${JSON.stringify(never)}`);
    }
  }
}

/**
 * Folds venue reports into an order through the order decider, as the executor appends them: reports
 * the order has already moved past (the same answer twice, a follow-up repeating what submit said) are
 * dropped; anything else the lifecycle forbids still throws IllegalOrderTransition. Each new event keeps
 * its report's meta (the raw venue record).
 * @example const { events, state: next } = applyReports(state, await venue.submit(order));
 */
export function applyReports(state: OrderState, reports: readonly VenueReport[]): { events: readonly { event: OrderEvent; meta: VenueReportMeta }[]; state: OrderState } {
  const events: { event: OrderEvent; meta: VenueReportMeta }[] = [];
  let s = state;
  for (const r of reports) {
    if (alreadyPast(s, r)) continue;
    for (const e of decideOrder(reportToCommand(r), s)) {
      s = evolveOrder(s, e);
      events.push({ event: e, meta: r.meta ?? {} });
    }
  }
  return { events, state: s };
}

function alreadyPast(s: OrderState, r: VenueReport): boolean {
  switch (r.type) {
    case 'OrderSubmitted': return s.status !== 'requested';
    case 'OrderAccepted': return s.venueOrderId !== null || s.status === 'cancelled' || s.status === 'expired' || s.status === 'rejected';
    case 'OrderRejected': return s.status === 'rejected';
    case 'OrderCancelled': return s.status === 'cancelled';
    case 'OrderExpired': return s.status === 'expired';
    case 'OrderFilled': return s.fillIds.includes(r.data.fillId);
    default: {
      const never: never = r;
      throw new Error(`unhandled venue report ${JSON.stringify(never)}`);
    }
  }
}
