// Pre-trade risk check of one order: halted, cooldown, order rate, order, position and gross notional.
import type { OrderRequested, RejectionReason } from '@qts/schemas';
import type { ExecutionContext } from '../executor/types.ts';
import { RATE_WINDOW_MS } from './limits.ts';

/**
 * The first limit the order would break, or null. An order that only reduces the position (reduce-only,
 * or opposite side and no larger than the position) always passes: risk never stands between the user
 * and an exit, also while trading is halted (NautilusTrader's REDUCING state). Everything else is
 * refused while halted or cooling down after a loss, and checked against the rate and notional limits.
 */
export function checkOrder(order: OrderRequested, ctx: ExecutionContext): RejectionReason | null {
  const position = ctx.position.quantity;
  if (reducesPosition(order, position)) return null;
  const { risk, limits } = ctx;
  if (risk.halted !== null) return { kind: 'TradingHalted', since: risk.halted.since };
  if (limits.cooldownAfterLossMs !== undefined && order.ts < risk.lastLossAt + limits.cooldownAfterLossMs) {
    return { kind: 'CooldownAfterLoss', until: risk.lastLossAt + limits.cooldownAfterLossMs };
  }
  if (limits.maxOrdersPerMinute !== undefined) {
    const requested = ordersInWindow(risk.orderTimes, order.ts) + 1;
    if (requested > limits.maxOrdersPerMinute) return { kind: 'MaxOrdersPerMinuteExceeded', limit: limits.maxOrdersPerMinute, requested };
  }
  const price = order.limitPrice ?? order.stopPrice ?? ctx.lastPrice;
  const valued = limits.maxOrderNotional !== undefined || limits.maxPositionNotional !== undefined || limits.maxGrossExposure !== undefined;
  // Without a price the notional limits cannot be checked; passing silently would switch them off.
  if (valued && !(price > 0 && Number.isFinite(price))) return { kind: 'NothingToDo', detail: 'no price to value the order against the notional limits' };
  const orderNotional = order.quantity * price;
  if (limits.maxOrderNotional !== undefined && orderNotional > limits.maxOrderNotional) {
    return { kind: 'MaxOrderNotionalExceeded', limit: limits.maxOrderNotional, requested: orderNotional };
  }
  const after = position + (order.side === 'buy' ? order.quantity : -order.quantity);
  const positionNotional = Math.abs(after) * price;
  if (limits.maxPositionNotional !== undefined && positionNotional > limits.maxPositionNotional) {
    return { kind: 'MaxPositionExceeded', limit: limits.maxPositionNotional, requested: positionNotional };
  }
  if (limits.maxGrossExposure !== undefined) {
    const before = ctx.grossExposure ?? Math.abs(position) * ctx.lastPrice;
    const gross = before - Math.abs(position) * ctx.lastPrice + positionNotional;
    if (gross > limits.maxGrossExposure) return { kind: 'MaxGrossExposureExceeded', limit: limits.maxGrossExposure, requested: gross };
  }
  return null;
}

/** True when the order can only bring the position closer to zero. */
export function reducesPosition(order: Pick<OrderRequested, 'side' | 'quantity' | 'reduceOnly'>, position: number): boolean {
  if (order.reduceOnly) return true;
  // A relative tolerance: the exit of a position summed from fills may differ from it in the last bit.
  const slack = Math.abs(position) * 1e-12;
  return order.side === 'sell' ? position > 0 && order.quantity <= position + slack : position < 0 && order.quantity <= -position + slack;
}

/** Orders in the 60 s window ending at ts (exclusive of the window's start). */
export function ordersInWindow(orderTimes: readonly number[], ts: number): number {
  let n = 0;
  for (let i = orderTimes.length - 1; i >= 0 && (orderTimes[i] as number) > ts - RATE_WINDOW_MS; i--) n++;
  return n;
}
