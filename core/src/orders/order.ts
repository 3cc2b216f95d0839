// The order aggregate as a decider: the lifecycle from request to fill, cancel, reject or expiry.
import type {
  OrderAccepted, OrderCancelled, OrderCancelRequested, OrderExpired, OrderFilled, OrderRejected,
  OrderRequested, OrderSubmitted, RejectionReason,
} from '@qts/schemas';
import { divUnits, fromUnits, mulUnits, toUnits } from '../money/fixed.ts';
import { FillRefused, IllegalOrderTransition } from './errors.ts';

export type OrderStatus =
  | 'requested' | 'submitted' | 'accepted' | 'partially-filled'
  | 'filled' | 'cancelled' | 'rejected' | 'expired';

export const terminalStatuses: ReadonlySet<OrderStatus> = new Set(['filled', 'cancelled', 'rejected', 'expired']);

export interface OrderState {
  /** 'none' before the order exists. */
  readonly status: OrderStatus | 'none';
  readonly order: OrderRequested | null;
  readonly clientOrderId: string | null;
  readonly venueOrderId: string | null;
  readonly filledQuantity: number;
  readonly averageFillPrice: number;
  readonly fees: number;
  /** Fill ids already counted: a redelivered fill is recognised and ignored. */
  readonly fillIds: readonly string[];
  /** A cancel was asked for and not yet confirmed; fills may still arrive meanwhile. */
  readonly cancelRequested: boolean;
  readonly rejection: RejectionReason | null;
  readonly updatedAt: number;
}

export type OrderEvent =
  | { readonly type: 'OrderRequested'; readonly data: OrderRequested }
  | { readonly type: 'OrderSubmitted'; readonly data: OrderSubmitted }
  | { readonly type: 'OrderAccepted'; readonly data: OrderAccepted }
  | { readonly type: 'OrderFilled'; readonly data: OrderFilled }
  | { readonly type: 'OrderCancelRequested'; readonly data: OrderCancelRequested }
  | { readonly type: 'OrderCancelled'; readonly data: OrderCancelled }
  | { readonly type: 'OrderRejected'; readonly data: OrderRejected }
  | { readonly type: 'OrderExpired'; readonly data: OrderExpired };

/** Who the order is, for a rejection of an order that was never requested (executor or risk said no). */
export type OrderIdentity = Pick<OrderRejected, 'clientOrderId' | 'signalId' | 'strategyId' | 'instrument'>;

export type OrderCommand =
  | { readonly type: 'RequestOrder'; readonly order: OrderRequested }
  | { readonly type: 'SubmitOrder'; readonly ts: number }
  | { readonly type: 'AcceptOrder'; readonly venueOrderId: string; readonly ts: number }
  | { readonly type: 'FillOrder'; readonly fill: OrderFilled }
  | { readonly type: 'RequestCancel'; readonly reason: string; readonly ts: number }
  | { readonly type: 'CancelOrder'; readonly reason: string; readonly ts: number }
  | { readonly type: 'RejectOrder'; readonly reason: RejectionReason; readonly ts: number; readonly order?: OrderIdentity }
  | { readonly type: 'ExpireOrder'; readonly ts: number };

const NOTHING: readonly OrderEvent[] = Object.freeze([]);

export const initialOrderState: OrderState = Object.freeze({
  status: 'none', order: null, clientOrderId: null, venueOrderId: null, filledQuantity: 0, averageFillPrice: 0,
  fees: 0, fillIds: Object.freeze([]) as readonly string[], cancelRequested: false, rejection: null, updatedAt: 0,
});

/**
 * Decides what a command means for an order. Repeating a transition that already happened (a
 * redelivered fill, a second cancel confirmation, the same request again) yields no event; any other
 * move the lifecycle does not allow throws IllegalOrderTransition. Fills racing a cancel or expiry are
 * accepted: the venue traded, and the books must see it.
 */
export function decideOrder(command: OrderCommand, state: OrderState): readonly OrderEvent[] {
  switch (command.type) {
    case 'RequestOrder': {
      if (state.status === 'none') return [{ type: 'OrderRequested', data: command.order }];
      if (state.order !== null && sameOrder(state.order, command.order)) return NOTHING;
      throw illegal(state, 'requested', 'a different order already uses this clientOrderId');
    }
    case 'SubmitOrder': {
      if (state.status === 'submitted') return NOTHING;
      const order = requireStatus(state, ['requested'], 'submitted');
      return [{ type: 'OrderSubmitted', data: { clientOrderId: order.clientOrderId, instrument: order.instrument, venue: order.venue, ts: command.ts } }];
    }
    case 'AcceptOrder': {
      if (state.venueOrderId === command.venueOrderId && state.status !== 'submitted') return NOTHING;
      // A late acknowledgement after a fill only records the venue's id (evolve never moves the status back).
      const late = state.venueOrderId === null && (state.status === 'partially-filled' || state.status === 'filled');
      const order = requireStatus(state, late ? [state.status] : ['submitted'], 'accepted');
      return [{ type: 'OrderAccepted', data: { clientOrderId: order.clientOrderId, instrument: order.instrument, venueOrderId: command.venueOrderId, ts: command.ts } }];
    }
    case 'FillOrder':
      return decideFill(command.fill, state);
    case 'RequestCancel': {
      if (state.cancelRequested && !terminalStatuses.has(state.status as OrderStatus)) return NOTHING;
      const order = requireStatus(state, ['requested', 'submitted', 'accepted', 'partially-filled'], 'cancel-requested');
      return [{ type: 'OrderCancelRequested', data: { clientOrderId: order.clientOrderId, instrument: order.instrument, reason: command.reason, ts: command.ts } }];
    }
    case 'CancelOrder': {
      if (state.status === 'cancelled') return NOTHING;
      const order = requireStatus(state, ['requested', 'submitted', 'accepted', 'partially-filled'], 'cancelled');
      return [{ type: 'OrderCancelled', data: { clientOrderId: order.clientOrderId, instrument: order.instrument, reason: command.reason, ts: command.ts } }];
    }
    case 'RejectOrder': {
      if (state.status === 'rejected') return NOTHING;
      if (state.status === 'none') {
        if (!command.order) throw illegal(state, 'rejected', 'rejecting an order that was never requested needs its identity');
        return [{ type: 'OrderRejected', data: { ...command.order, reason: command.reason, ts: command.ts } }];
      }
      const order = requireStatus(state, ['requested', 'submitted'], 'rejected');
      return [{
        type: 'OrderRejected',
        data: { clientOrderId: order.clientOrderId, signalId: order.signalId, strategyId: order.strategyId, instrument: order.instrument, reason: command.reason, ts: command.ts },
      }];
    }
    case 'ExpireOrder': {
      if (state.status === 'expired') return NOTHING;
      const order = requireStatus(state, ['submitted', 'accepted', 'partially-filled'], 'expired');
      return [{ type: 'OrderExpired', data: { clientOrderId: order.clientOrderId, instrument: order.instrument, ts: command.ts } }];
    }
    default:
      return assertNever(command);
  }
}

function decideFill(fill: OrderFilled, state: OrderState): readonly OrderEvent[] {
  if (state.fillIds.includes(fill.fillId)) return NOTHING;
  const target = state.order === null ? 'filled' : remainingAfter(state, fill) === 0 ? 'filled' : 'partially-filled';
  // 'filled' is listed so that one fill too many is reported as the overfill it is.
  const order = requireStatus(state, ['submitted', 'accepted', 'partially-filled', 'filled', 'cancelled', 'expired'], target);
  if (fill.clientOrderId !== order.clientOrderId || fill.instrument !== order.instrument) {
    throw new FillRefused(order.clientOrderId, 'order-mismatch', `fill for ${fill.clientOrderId} ${fill.instrument}`);
  }
  if (fill.side !== order.side) {
    throw new FillRefused(order.clientOrderId, 'side-mismatch', `a ${fill.side} fill on a ${order.side} order`);
  }
  const remaining = remainingAfter(state, fill);
  if (remaining < 0) {
    throw new FillRefused(order.clientOrderId, 'overfill', `${fill.quantity} more would fill ${state.filledQuantity + fill.quantity} of ${order.quantity}`);
  }
  return [{ type: 'OrderFilled', data: fill }];
}

/** Applies an event; the order's numbers are summed exactly so "filled" means exactly the ordered quantity. */
export function evolveOrder(state: OrderState, event: OrderEvent): OrderState {
  switch (event.type) {
    case 'OrderRequested':
      return { ...state, status: 'requested', order: event.data, clientOrderId: event.data.clientOrderId, updatedAt: event.data.ts };
    case 'OrderSubmitted':
      return { ...state, status: 'submitted', updatedAt: event.data.ts };
    case 'OrderAccepted':
      return { ...state, status: state.status === 'submitted' ? 'accepted' : state.status, venueOrderId: event.data.venueOrderId, updatedAt: event.data.ts };
    case 'OrderFilled': {
      const fill = event.data;
      const before = toUnits(state.filledQuantity);
      const quantity = toUnits(fill.quantity);
      const filled = before + quantity;
      const average = divUnits(mulUnits(before, toUnits(state.averageFillPrice)) + mulUnits(quantity, toUnits(fill.price)), filled);
      const complete = state.order !== null && filled >= toUnits(state.order.quantity);
      const status: OrderStatus = complete ? 'filled' : state.status === 'cancelled' || state.status === 'expired' ? state.status : 'partially-filled';
      return {
        ...state,
        status,
        venueOrderId: state.venueOrderId ?? (fill.venueOrderId || null),
        filledQuantity: fromUnits(filled),
        averageFillPrice: fromUnits(average),
        fees: fromUnits(toUnits(state.fees) + toUnits(fill.fee)),
        fillIds: [...state.fillIds, fill.fillId],
        updatedAt: fill.ts,
      };
    }
    case 'OrderCancelRequested':
      return { ...state, cancelRequested: true, updatedAt: event.data.ts };
    case 'OrderCancelled':
      return { ...state, status: 'cancelled', cancelRequested: false, updatedAt: event.data.ts };
    case 'OrderRejected':
      return { ...state, status: 'rejected', clientOrderId: event.data.clientOrderId, rejection: event.data.reason, updatedAt: event.data.ts };
    case 'OrderExpired':
      return { ...state, status: 'expired', updatedAt: event.data.ts };
    default:
      return assertNever(event);
  }
}

/** Quantity still open on the order; 0 once filled, cancelled with nothing pending, or terminal. */
export function remainingQuantity(state: OrderState): number {
  if (state.order === null || terminalStatuses.has(state.status as OrderStatus)) return 0;
  return fromUnits(toUnits(state.order.quantity) - toUnits(state.filledQuantity));
}

/** The order decider: `initialState`, `decide`, `evolve` (see deciderSpec in @qts/core/testing). */
export const orderDecider = {
  initialState: (): OrderState => initialOrderState,
  decide: decideOrder,
  evolve: evolveOrder,
};

function remainingAfter(state: OrderState, fill: OrderFilled): number {
  if (state.order === null) return 0;
  return fromUnits(toUnits(state.order.quantity) - toUnits(state.filledQuantity) - toUnits(fill.quantity));
}

function requireStatus(state: OrderState, allowed: readonly OrderState['status'][], to: string): OrderRequested {
  if (!allowed.includes(state.status)) throw illegal(state, to);
  if (state.order === null) throw illegal(state, to, 'the order was never requested');
  return state.order;
}

function illegal(state: OrderState, to: string, detail?: string): IllegalOrderTransition {
  return new IllegalOrderTransition(state.clientOrderId ?? '(none)', state.status, to, detail);
}

function sameOrder(a: OrderRequested, b: OrderRequested): boolean {
  return sameValue(a, b);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function assertNever(value: never): never {
  throw new Error(`unhandled ${JSON.stringify(value)}`);
}
