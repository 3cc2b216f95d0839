// The Venue port: where live orders go (an exchange through ccxt, or any broker), and what it reports back.
import type {
  OrderAccepted, OrderCancelled, OrderExpired, OrderFilled, OrderRejected, OrderRequested, OrderSubmitted, Side,
} from '@qts/schemas';
import { QtsError } from '../errors.ts';

/**
 * Event data the venue reported, ready for the executor to wrap with makeEvent and append to the
 * order's stream. `meta` carries the raw venue report it was derived from (for the audit trail).
 */
export type VenueReport =
  | { readonly type: 'OrderSubmitted'; readonly data: OrderSubmitted; readonly meta?: VenueReportMeta }
  | { readonly type: 'OrderAccepted'; readonly data: OrderAccepted; readonly meta?: VenueReportMeta }
  | { readonly type: 'OrderRejected'; readonly data: OrderRejected; readonly meta?: VenueReportMeta }
  | { readonly type: 'OrderFilled'; readonly data: OrderFilled; readonly meta?: VenueReportMeta }
  | { readonly type: 'OrderCancelled'; readonly data: OrderCancelled; readonly meta?: VenueReportMeta }
  | { readonly type: 'OrderExpired'; readonly data: OrderExpired; readonly meta?: VenueReportMeta };

export type VenueReportType = VenueReport['type'];

export interface VenueReportMeta {
  /** The venue's own record this event was derived from (exchange JSON), never credentials. */
  readonly venueRaw?: unknown;
  /** Set on events that reconciliation produced (the store learnt them late, or the order was not ours). */
  readonly reconciled?: 'missed-while-down' | 'unknown-to-store' | 'unknown-outcome';
  readonly [key: string]: unknown;
}

/** The venue's view of an order's lifecycle, in our vocabulary. */
export type VenueOrderStatus = 'open' | 'filled' | 'cancelled' | 'expired' | 'rejected';

/** One execution at the venue; `fillId` is the venue's trade id (unique per venue and instrument). */
export interface VenueTrade {
  readonly fillId: string;
  readonly venueOrderId: string;
  /** Known when the venue reports it with the trade; Binance's myTrades does not. */
  readonly clientOrderId?: string;
  readonly instrument: string;
  readonly side: Side;
  readonly price: number;
  readonly quantity: number;
  readonly fee: number;
  readonly feeCurrency: string;
  readonly liquidity: 'maker' | 'taker';
  readonly ts: number;
}

/** An order as the venue reports it, with the fills that belong to it (when `withFills` was asked). */
export interface VenueOrder {
  readonly clientOrderId: string;
  readonly venueOrderId: string;
  readonly instrument: string;
  readonly side: Side;
  readonly type: string;
  readonly status: VenueOrderStatus;
  readonly quantity: number;
  readonly filledQuantity: number;
  readonly averagePrice: number | null;
  readonly limitPrice: number | null;
  /** Creation time at the venue (epoch ms). */
  readonly ts: number;
  /** Last update at the venue (epoch ms): when it filled, was cancelled or expired. */
  readonly updatedAt: number;
  readonly fills: readonly VenueTrade[];
  readonly raw: unknown;
}

export type FetchOrderResult =
  | { readonly found: true; readonly order: VenueOrder }
  | { readonly found: false; readonly clientOrderId: string; readonly instrument: string };

export type CancelResult =
  /** The venue cancelled it now: append the report. */
  | { readonly outcome: 'cancelled'; readonly report: VenueReport & { readonly type: 'OrderCancelled' }; readonly order: VenueOrder | null }
  /** Too late: it had already filled, expired or was cancelled; reconcile the order to learn what happened. */
  | { readonly outcome: 'already-closed'; readonly order: VenueOrder | null }
  /** The venue has no such order (never placed, or purged). */
  | { readonly outcome: 'not-found'; readonly clientOrderId: string; readonly instrument: string };

export interface VenueBalance {
  readonly currency: string;
  readonly free: number;
  readonly used: number;
  readonly total: number;
}

/** Pushed by venues that stream the user's orders and trades (or by a poller standing in for them). */
export type VenueUpdate =
  | { readonly kind: 'order'; readonly order: VenueOrder }
  | { readonly kind: 'trade'; readonly trade: VenueTrade };

export interface VenueWatch {
  close(): Promise<void>;
}

/**
 * A live venue. How the executor drives it (reports go through the order decider with applyReports, so
 * a report the order has moved past, a second acknowledgement or a fill id seen before, yields no event):
 *
 * @example
 *   // on start, before taking new signals: close the gap between the store and the venue
 *   const { events, anomalies } = await reconcileWithVenue(venue, openOrderStates, { now: clock.now });
 *   // per OrderRequested the executor appended:
 *   let reports: readonly VenueReport[];
 *   try { reports = await venue.submit(order); }
 *   catch (e) {
 *     if (!(e instanceof UnknownOrderOutcome)) throw e;        // VenueRateLimited / VenueRequestRefused: nothing was placed
 *     reports = await resolveUnknownOutcome(venue, order, { sleep, now: clock.now });  // never resubmits
 *   }
 *   const { events, state: next } = applyReports(state, reports);   // append events (with their meta) at the expected revision
 *   // afterwards: venue.watch(u => applyReports(stateOf(u), reportsForUpdate(known, u, now))) or poll fetchOrder
 */
export interface Venue {
  /** The venue name on events (`OrderRequested.venue` routes to it). */
  readonly name: string;
  /**
   * Sends the order. Resolves with what the venue said: OrderSubmitted, then OrderAccepted (with its
   * venue order id) and OrderFilled per immediate fill (and OrderExpired for an IOC/FOK remainder), or
   * OrderSubmitted then OrderRejected{VenueRejected, code} when the venue refused it.
   * Sending the same clientOrderId again from the same process never creates a second order: the
   * venue's answer for the first one comes back instead. Across a restart, venues dedupe only what is
   * still open (Binance), so an order the store holds as requested or submitted is settled with
   * reconcileWithVenue on start, never sent again.
   * @throws UnknownOrderOutcome when the venue may or may not have taken the order (timeout, network):
   *   call resolveUnknownOutcome(venue, order) and append what it returns. Never treat it as a rejection.
   */
  submit(order: OrderRequested): Promise<readonly VenueReport[]>;
  /** @throws UnknownOrderOutcome when it is not known whether the cancel reached the venue. */
  cancel(clientOrderId: string, instrument: string): Promise<CancelResult>;
  /** The order and its fills, looked up by our clientOrderId. */
  fetchOrder(clientOrderId: string, instrument: string): Promise<FetchOrderResult>;
  fetchOpenOrders(instrument?: string): Promise<readonly VenueOrder[]>;
  /** The account's executions on an instrument since `since` (epoch ms), oldest first. */
  fetchMyTrades(instrument: string, since?: number): Promise<readonly VenueTrade[]>;
  fetchBalance(): Promise<readonly VenueBalance[]>;
  /**
   * Streams order and trade updates as the venue pushes them. Absent when the venue cannot push:
   * the executor then polls fetchOrder / reconcile for its open orders.
   */
  watch?(handler: (update: VenueUpdate) => void, onError?: (error: unknown) => void): Promise<VenueWatch>;
  close(): Promise<void>;
}

/**
 * The venue may or may not have taken the order (or the cancel): a timeout or a broken connection after
 * the request left. Retryable in the sense that asking again (by clientOrderId) will tell.
 */
export class UnknownOrderOutcome extends QtsError {
  readonly kind = 'UnknownOrderOutcome';
  readonly retryable = true;
  constructor(
    readonly clientOrderId: string,
    readonly instrument: string,
    readonly operation: 'submit' | 'cancel' | 'fetch',
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${operation} of order ${clientOrderId} on ${instrument}: outcome unknown (${detail}); query the venue by clientOrderId`, { clientOrderId, instrument, operation }, options);
  }
}

/** The venue refused a request that is not an order rejection (bad credentials, bad signature, a bad symbol). */
export class VenueRequestRefused extends QtsError {
  readonly kind = 'VenueRequestRefused';
  readonly retryable = false;
  constructor(readonly code: string, message: string, context: Readonly<Record<string, unknown>> = {}, options?: { cause?: unknown }) {
    super(message, { ...context, code }, options);
  }
}

/** The venue asked us to slow down and the retries ran out; nothing was placed. */
export class VenueRateLimited extends QtsError {
  readonly kind = 'VenueRateLimited';
  readonly retryable = true;
}
