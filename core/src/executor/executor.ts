// The executor: turns a signal's target position into orders (exit, entry, protective children) after risk.
import type { DomainEvent, OrderRequested, OrderType, RejectionReason, Side } from '@qts/schemas';
import { roundPriceForSide, roundToLot } from '../money/rounding.ts';
import { checkOrder } from '../risk/check.ts';
import { orderIdBody, orderIdFromBody } from './ids.ts';
import type { ExecutionContext, ExecutorConfig, OrderDecision, OrderLeg, VenueRules } from './types.ts';

const NONE: readonly OrderDecision[] = Object.freeze([]);
type Held = 'long' | 'short' | 'flat';

/**
 * Decides the orders that move the position to the signal's target. Pure: ids derive from the signal id
 * and time from ctx.now, so the same signal in the same context gives the same decisions.
 *
 * - target equals the held side: nothing (a restated signal is harmless).
 * - held long/short, target flat: one reduce-only exit of the whole tradeable position.
 * - held one side, target the other: the exit, then the entry sized after it.
 * - short target without allowShort: treated as flat (long-only).
 * A position smaller than the venue's minimum quantity or notional is dust that cannot be traded: flat.
 * Entries are sized, rounded down to the lot step, checked against the venue minimums and cash (buys
 * are never leveraged), then against risk (checkOrder); a refusal is an OrderRejected with its reason.
 * A passing entry is followed by its stop-loss and take-profit children (reduce-only, one-cancels-other
 * is the venue's job). Limit and stop entries are sized at their own price: a stop entry that gaps
 * through its stop fills higher, so size stop entries below 100 % of equity.
 */
export function decideOrders(signal: DomainEvent<'SignalEmitted'>, ctx: ExecutionContext, config: ExecutorConfig): readonly OrderDecision[] {
  const s = signal.data;
  const target: Held = s.direction === 'short' && !config.allowShort ? 'flat' : s.direction;
  const rules = ctx.rules;
  const price = ctx.lastPrice > 0 && Number.isFinite(ctx.lastPrice) ? ctx.lastPrice : s.price;
  const position = ctx.position.quantity;
  const tradeable = roundToLot(Math.abs(position), rules.lotStep);
  const held: Held = isDust(tradeable, price, rules) ? 'flat' : position > 0 ? 'long' : 'short';
  if (target === held) return NONE;

  const base: Base = { idBody: orderIdBody(signal.id), signalId: signal.id, strategyId: s.strategyId, instrument: s.instrument, ts: ctx.now };
  const out: OrderDecision[] = [];
  const fee = Math.max(rules.takerFeeBps, rules.makerFeeBps) / 10_000;
  let positionAfter = position;
  let cashAfter = ctx.cash;
  if (held !== 'flat') {
    const side: Side = held === 'long' ? 'sell' : 'buy';
    const exitType: OrderType = config.orderType === 'limit' ? 'limit' : 'market';
    const exit = makeOrder(config, base, 'exit', side, exitType, tradeable, price, rules, true);
    const reason = checkOrder(exit, ctx);
    if (reason !== null) return withRejection(out, base, exit.clientOrderId, reason);
    out.push({ type: 'OrderRequested', data: exit });
    positionAfter = held === 'long' ? position - tradeable : position + tradeable;
    const exitPrice = exit.limitPrice ?? price;
    cashAfter = held === 'long' ? ctx.cash + tradeable * exitPrice * (1 - fee) : ctx.cash - tradeable * exitPrice * (1 + fee);
  }
  if (target === 'flat') return out;

  const side: Side = target === 'long' ? 'buy' : 'sell';
  // Built before sizing so the size uses the order's own limit or stop price; its quantity is set below.
  const entry = makeOrder(config, base, 'entry', side, config.orderType, 0, price, rules, false);
  const sizingPrice = entry.limitPrice ?? entry.stopPrice ?? price;
  const sized = sizeEntry(config, ctx, s.strength, side, sizingPrice, fee, cashAfter);
  if (typeof sized !== 'number') return withRejection(out, base, entry.clientOrderId, sized);
  const quantity = roundToLot(sized, rules.lotStep);
  const minimum = belowMinimum(quantity, sized, sizingPrice, rules);
  if (minimum !== null) return withRejection(out, base, entry.clientOrderId, minimum);
  entry.quantity = quantity;

  const stopLoss = config.stopLossPct !== undefined && config.stopLossPct > 0 ? protectiveChild(config, base, entry, 'stop-loss', sizingPrice, rules) : null;
  const takeProfit = config.takeProfitPct !== undefined && config.takeProfitPct > 0 ? protectiveChild(config, base, entry, 'take-profit', sizingPrice, rules) : null;
  if (stopLoss !== null || takeProfit !== null) {
    entry.protective = {};
    if (stopLoss !== null) entry.protective.stopLoss = stopLoss.stopPrice;
    if (takeProfit !== null) entry.protective.takeProfit = takeProfit.limitPrice;
  }
  // Risk sees the position as it will be after the exit (a flip's entry is checked from flat).
  const afterExit: ExecutionContext = held === 'flat' ? (price === ctx.lastPrice ? ctx : { ...ctx, lastPrice: price }) : {
    ...ctx,
    cash: cashAfter,
    position: { quantity: positionAfter, averagePrice: positionAfter === 0 ? 0 : ctx.position.averagePrice },
    grossExposure: (ctx.grossExposure ?? Math.abs(position) * price) - (Math.abs(position) - Math.abs(positionAfter)) * price,
    lastPrice: price,
  };
  const reason = checkOrder(entry, afterExit);
  if (reason !== null) return withRejection(out, base, entry.clientOrderId, reason);
  out.push({ type: 'OrderRequested', data: entry });
  if (stopLoss !== null) out.push({ type: 'OrderRequested', data: stopLoss });
  if (takeProfit !== null) out.push({ type: 'OrderRequested', data: takeProfit });
  return out;
}

interface Base { readonly idBody: string; readonly signalId: string; readonly strategyId: string; readonly instrument: string; readonly ts: number }

function makeOrder(
  config: ExecutorConfig, base: Base, leg: OrderLeg, side: Side, type: OrderType, quantity: number, price: number,
  rules: VenueRules, reduceOnly: boolean,
): OrderRequested {
  const order: Mutable<OrderRequested> = {
    clientOrderId: orderIdFromBody(base.idBody, leg),
    signalId: base.signalId,
    strategyId: base.strategyId,
    account: config.account,
    venue: config.venue,
    instrument: base.instrument,
    side,
    type,
    quantity,
    timeInForce: config.timeInForce,
    reduceOnly,
    ts: base.ts,
  };
  if (type !== 'market') setPrices(order, type, config.limitOffsetBps, price, rules);
  return order;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Limit and stop prices for an order of the given type, rounded so they are never worse than computed
 * (buy down, sell up). Limits sit on the passive side, stops on the breakout side; a stop-limit's limit
 * sits one more offset beyond its stop.
 */
function setPrices(order: Mutable<OrderRequested>, type: OrderType, offsetBps: number, price: number, rules: VenueRules): void {
  const off = offsetBps / 10_000;
  const dir = order.side === 'buy' ? 1 : -1;
  if (type === 'limit') order.limitPrice = roundPriceForSide(price * (1 - dir * off), rules.tickSize, order.side);
  else if (type === 'stop-market') order.stopPrice = roundPriceForSide(price * (1 + dir * off), rules.tickSize, order.side);
  else if (type === 'stop-limit') {
    order.stopPrice = roundPriceForSide(price * (1 + dir * off), rules.tickSize, order.side);
    order.limitPrice = roundPriceForSide(price * (1 + dir * 2 * off), rules.tickSize, order.side);
  }
}

function sizeEntry(
  config: ExecutorConfig, ctx: ExecutionContext, strength: number, side: Side, price: number, fee: number, cash: number,
): number | RejectionReason {
  const sizing = config.sizing;
  let quantity: number;
  let capToCash = true;
  switch (sizing.kind) {
    case 'fixed-quantity':
      quantity = sizing.quantity;
      capToCash = false;
      break;
    case 'fixed-notional':
      quantity = sizing.notional / price;
      capToCash = false;
      break;
    case 'percent-equity':
      // All-in must leave room for the fee, or cash goes negative on the fill.
      quantity = (ctx.equity * sizing.percent) / 100 / (price * (1 + fee));
      break;
    case 'volatility-target':
      if (!(ctx.atr !== undefined && ctx.atr > 0 && Number.isFinite(ctx.atr))) {
        return { kind: 'NothingToDo', detail: 'volatility-target sizing needs the ATR (ctx.atr), which is missing or not yet warmed up' };
      }
      quantity = (ctx.equity * sizing.riskPercent) / 100 / (ctx.atr * sizing.atrMultiple);
      break;
    default:
      return unknownSizing(sizing);
  }
  if (config.scaleByStrength) quantity *= strength;
  if (side === 'buy') {
    // Spot buys are paid in cash: no leverage. A tiny margin absorbs float rounding in the fee.
    const affordable = Math.max(0, cash) / (price * (1 + fee)) * (1 - 1e-12);
    if (quantity > affordable) {
      if (!capToCash) return { kind: 'InsufficientFunds', available: cash, required: quantity * price * (1 + fee) };
      quantity = affordable;
    }
  }
  return Number.isFinite(quantity) && quantity > 0 ? quantity : 0;
}

/** Checks the rounded quantity; a refusal reports the size as computed, before the lot rounding ate it. */
function belowMinimum(quantity: number, sized: number, price: number, rules: VenueRules): RejectionReason | null {
  if (quantity <= 0 || quantity < rules.minQuantity) return { kind: 'BelowMinQuantity', limit: Math.max(rules.minQuantity, rules.lotStep), requested: sized };
  if (quantity * price < rules.minNotional) return { kind: 'BelowMinNotional', limit: rules.minNotional, requested: quantity * price };
  return null;
}

function isDust(quantity: number, price: number, rules: VenueRules): boolean {
  return quantity <= 0 || quantity < rules.minQuantity || quantity * price < rules.minNotional;
}

/** A reduce-only child of the entry: a stop-market stop-loss or a limit take-profit, percent from the entry price. */
function protectiveChild(
  config: ExecutorConfig, base: Base, entry: OrderRequested, leg: 'stop-loss' | 'take-profit', entryPrice: number, rules: VenueRules,
): OrderRequested | null {
  const side: Side = entry.side === 'buy' ? 'sell' : 'buy';
  const dir = entry.side === 'buy' ? 1 : -1;
  const pct = leg === 'stop-loss' ? -(config.stopLossPct ?? 0) : config.takeProfitPct ?? 0;
  const level = roundPriceForSide(entryPrice * (1 + (dir * pct) / 100), rules.tickSize, side);
  if (!(level > 0)) return null;
  const child: Mutable<OrderRequested> = {
    clientOrderId: orderIdFromBody(base.idBody, leg),
    signalId: base.signalId,
    strategyId: base.strategyId,
    account: config.account,
    venue: config.venue,
    instrument: base.instrument,
    side,
    type: leg === 'stop-loss' ? 'stop-market' : 'limit',
    quantity: entry.quantity,
    // Protection must outlive the session that placed it.
    timeInForce: 'GTC',
    reduceOnly: true,
    parentClientOrderId: entry.clientOrderId,
    ts: base.ts,
  };
  if (leg === 'stop-loss') child.stopPrice = level;
  else child.limitPrice = level;
  return child;
}

function withRejection(out: OrderDecision[], base: Base, clientOrderId: string, reason: RejectionReason): readonly OrderDecision[] {
  out.push(reject(base, clientOrderId, reason));
  return out;
}

function reject(base: Base, clientOrderId: string, reason: RejectionReason): OrderDecision {
  return {
    type: 'OrderRejected',
    data: { clientOrderId, signalId: base.signalId, strategyId: base.strategyId, instrument: base.instrument, reason, ts: base.ts },
  };
}

function unknownSizing(sizing: never): never {
  throw new Error(`unknown sizing ${JSON.stringify(sizing)}`);
}
