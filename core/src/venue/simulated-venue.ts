// The simulated venue: accepts orders, fills them against recorded bars or ticks, expires and cancels them.
//
// Pure and deterministic: time comes from the bars and the submit calls, ids are derived from the
// client order id, so the same orders and bars give the same events. Used by backtests and paper
// trading alike. The fill rules per order type are in fill-rules.ts.
import type {
  OrderAccepted, OrderCancelled, OrderExpired, OrderFilled, OrderRejected, OrderRequested, OrderSubmitted, TradeTick,
} from '@qts/schemas';
import { roundToLot } from '../money/rounding.ts';
import { limitFill, marketFill, stopGapped, stopMarketFill, stopTriggered, type BarPrices, type FillPrice } from './fill-rules.ts';

export interface SimulatedVenueConfig {
  /** Moves every taker fill against the taker, in basis points of price. */
  readonly slippageBps: number;
  /** Fees in basis points of notional (price * quantity), charged in the quote currency. */
  readonly makerFeeBps: number;
  readonly takerFeeBps: number;
  /** Partial fills: at most this share of a bar's volume fills per bar (0.1 = 10%); 1 = no cap. */
  readonly maxVolumeShare: number;
  /** An order may only trade on bars (or ticks) that open at or after its submit time + latency. */
  readonly latencyMs: number;
  /** The venue name on submitted orders; 'sim' unless given. */
  readonly venue?: string;
  /** Partial fill quantities are rounded down to this step; 0 = no rounding. */
  readonly lotStep?: number;
}

export const defaultVenueConfig: SimulatedVenueConfig = { slippageBps: 0, makerFeeBps: 10, takerFeeBps: 10, maxVolumeShare: 1, latencyMs: 0 };

export type VenueEvent =
  | { readonly type: 'OrderSubmitted'; readonly data: OrderSubmitted }
  | { readonly type: 'OrderAccepted'; readonly data: OrderAccepted }
  | { readonly type: 'OrderRejected'; readonly data: OrderRejected }
  | { readonly type: 'OrderFilled'; readonly data: OrderFilled }
  | { readonly type: 'OrderExpired'; readonly data: OrderExpired }
  | { readonly type: 'OrderCancelled'; readonly data: OrderCancelled };

/** What the venue holds for one accepted order. */
export interface OpenOrder {
  readonly order: OrderRequested;
  readonly venueOrderId: string;
  /** The first bar open time this order may trade on (submit time + latency). */
  readonly eligibleFrom: number;
  remaining: number;
  filled: number;
  fillCount: number;
  /** A stop-limit whose stop has triggered rests as a limit from the next bar. */
  triggered: boolean;
  triggeredAt: number;
  /** Left the book (filled, cancelled or expired). */
  done: boolean;
  /** Protective children wait until their parent is done filling. */
  waitingForParent: boolean;
  /** Epoch ms at which a DAY order expires (the next UTC midnight after submission). */
  readonly expiresAt: number;
}

const NO_EVENTS: readonly VenueEvent[] = Object.freeze([]);
const DAY_MS = 86_400_000;
/** Quantities below this are float dust, not an open remainder. */
const DUST = 1e-12;

/** The currency fees and cash are in: the part after the slash (BTC/USDT -> USDT), else USD. */
export function quoteCurrency(instrument: string): string {
  const slash = instrument.indexOf('/');
  return slash >= 0 ? instrument.slice(slash + 1) : 'USD';
}

function validationProblem(o: OrderRequested): string | null {
  if (!(o.quantity > 0) || !Number.isFinite(o.quantity)) return 'quantity must be a positive finite number';
  if ((o.type === 'limit' || o.type === 'stop-limit') && !(o.limitPrice! > 0)) return `${o.type} order needs a positive limitPrice`;
  if ((o.type === 'stop-market' || o.type === 'stop-limit') && !(o.stopPrice! > 0)) return `${o.type} order needs a positive stopPrice`;
  return null;
}

export class SimulatedVenue {
  readonly name: string;
  private readonly open: OpenOrder[] = [];
  private readonly known = new Set<string>();
  private readonly positions = new Map<string, number>();
  private readonly out: VenueEvent[] = [];
  /** Cash left for buys inside the bar being traded (NaN: no cash source, buys are not capped). */
  private cashLeft = NaN;
  private onTickNow = false;

  /**
   * `cash`, when given, makes this a spot account: a buy that adds to a position is never leveraged.
   * It fills at most what the cash pays at the fill price, fee included, and the rest is cancelled,
   * so all-in sizing decided at a close still works when the next open gaps up (backtesting.py and
   * Freqtrade size at the fill price too).
   */
  constructor(readonly config: SimulatedVenueConfig = defaultVenueConfig, private readonly cash?: () => number) {
    this.name = config.venue ?? 'sim';
    if (!(config.maxVolumeShare > 0) || config.maxVolumeShare > 1) throw new RangeError('maxVolumeShare must be in (0, 1]');
    if (!(config.latencyMs >= 0)) throw new RangeError('latencyMs must be >= 0');
  }

  /** True while any order rests: lets a replay skip the venue on the (many) bars with nothing to do. */
  get hasOpenOrders(): boolean {
    return this.open.length > 0;
  }

  openOrders(): readonly OpenOrder[] {
    return this.open;
  }

  /** The net position the venue's own fills have built (signed); reduce-only orders are capped by it. */
  positionOf(instrument: string): number {
    return this.positions.get(instrument) ?? 0;
  }

  /**
   * Takes an order: OrderSubmitted then OrderAccepted, or OrderRejected for an order the venue
   * cannot hold. A client order id seen before gives no events (a redelivered order is not doubled).
   */
  submit(order: OrderRequested, now: number): readonly VenueEvent[] {
    if (this.known.has(order.clientOrderId)) return NO_EVENTS;
    this.known.add(order.clientOrderId);
    const { clientOrderId, instrument } = order;
    const problem = validationProblem(order);
    if (problem !== null) {
      return [{
        type: 'OrderRejected',
        data: { clientOrderId, signalId: order.signalId, strategyId: order.strategyId, instrument, reason: { kind: 'VenueRejected', code: 'INVALID_ORDER', message: problem }, ts: now },
      }];
    }
    const venueOrderId = `${this.name}-${clientOrderId}`;
    const parent = order.parentClientOrderId;
    this.open.push({
      order, venueOrderId, eligibleFrom: now + this.config.latencyMs, remaining: order.quantity, filled: 0, fillCount: 0,
      triggered: false, triggeredAt: -1, done: false,
      waitingForParent: parent !== undefined && this.open.some((o) => o.order.clientOrderId === parent),
      expiresAt: (Math.floor(now / DAY_MS) + 1) * DAY_MS,
    });
    return [
      { type: 'OrderSubmitted', data: { clientOrderId, instrument, venue: this.name, ts: now } },
      { type: 'OrderAccepted', data: { clientOrderId, instrument, venueOrderId, ts: now } },
    ];
  }

  /** Cancels a resting order; nothing when it is unknown or already done. */
  cancel(clientOrderId: string, now: number, reason = 'cancelled by request'): readonly VenueEvent[] {
    const i = this.open.findIndex((o) => o.order.clientOrderId === clientOrderId);
    if (i < 0) return NO_EVENTS;
    this.out.length = 0;
    this.close(i, now, reason, 'cancel');
    return this.out.splice(0);
  }

  /** Cancels every resting order of an instrument (e.g. a new signal replaces the previous one's orders). */
  cancelAll(instrument: string, now: number, reason: string): readonly VenueEvent[] {
    if (this.open.length === 0) return NO_EVENTS;
    this.out.length = 0;
    for (let i = this.open.length - 1; i >= 0; i--) {
      if (this.open[i]!.order.instrument === instrument) this.close(i, now, reason, 'cancel');
    }
    return this.out.length === 0 ? NO_EVENTS : this.out.splice(0).reverse();
  }

  /**
   * A trade tick is a bar of one price, with one difference: a resting limit is hit by a trade through
   * it and fills at its own price as a maker (the trade printed beyond our resting order), never at
   * the trade's better price; a trade at the limit is a touch and fills nothing.
   */
  onTick(tick: TradeTick): readonly VenueEvent[] {
    this.onTickNow = true;
    try {
      return this.onBar({ instrument: tick.instrument, openTime: tick.ts, open: tick.price, high: tick.price, low: tick.price, close: tick.price, volume: tick.size });
    } finally {
      this.onTickNow = false;
    }
  }

  /**
   * Trades the resting orders of the bar's instrument on this bar: expiries first, then market
   * orders at the open, then stops, then limits (the conservative intrabar order, see fill-rules.ts).
   */
  onBar(bar: BarPrices & { readonly instrument: string }): readonly VenueEvent[] {
    if (this.open.length === 0) return NO_EVENTS;
    this.out.length = 0;
    const t = bar.openTime;
    const cap = this.config.maxVolumeShare >= 1 ? Infinity : this.config.maxVolumeShare * bar.volume;
    const budget = { left: cap };
    this.cashLeft = this.cash ? this.cash() : NaN;
    for (let i = 0; i < this.open.length; i++) {
      const o = this.open[i]!;
      if (o.order.instrument === bar.instrument && o.order.timeInForce === 'DAY' && t >= o.expiresAt) this.close(i--, t, 'DAY order expired', 'expire');
    }
    // Orders can leave the book while a pass runs (fills, one-cancels-other): walk a snapshot.
    const book = this.open.slice();
    for (let pass = 0; pass < 3; pass++) {
      for (const o of book) {
        if (o.done || o.order.instrument !== bar.instrument || o.waitingForParent || t < o.eligibleFrom) continue;
        const kind = o.order.type === 'market' ? 0 : o.order.type === 'limit' || (o.order.type === 'stop-limit' && o.triggered) ? 2 : 1;
        if (kind === pass) this.trade(o, bar, budget);
      }
    }
    // IOC and FOK end on their first eligible bar with whatever filled.
    for (const o of book) {
      if (o.done || o.order.instrument !== bar.instrument || o.waitingForParent || t < o.eligibleFrom) continue;
      if (o.order.timeInForce === 'IOC' || o.order.timeInForce === 'FOK') this.close(this.open.indexOf(o), t, `${o.order.timeInForce} remainder`, 'expire');
    }
    return this.out.length === 0 ? NO_EVENTS : this.out.splice(0);
  }

  /** Tries one order on one bar. */
  private trade(o: OpenOrder, bar: BarPrices, budget: { left: number }): void {
    const { side, type } = o.order;
    const ioc = o.order.timeInForce === 'IOC' || o.order.timeInForce === 'FOK';
    let fill: FillPrice | null;
    if (type === 'market') fill = marketFill(bar, side, this.config.slippageBps);
    else if (type === 'stop-market') fill = stopMarketFill(bar, side, o.order.stopPrice!, this.config.slippageBps);
    else if (type === 'stop-limit' && !o.triggered) {
      if (!stopTriggered(bar, side, o.order.stopPrice!)) return;
      o.triggered = true;
      o.triggeredAt = bar.openTime;
      // Triggered inside the bar: the limit rests from the next bar; triggered at the open: it acts now.
      if (!stopGapped(bar, side, o.order.stopPrice!)) return;
      fill = limitFill(bar, side, o.order.limitPrice!, this.config.slippageBps);
    } else {
      if (o.triggeredAt === bar.openTime) return; // a stop-limit triggered in this very bar (see above)
      const limit = o.order.limitPrice!;
      fill = !this.onTickNow ? limitFill(bar, side, limit, this.config.slippageBps)
        : (side === 'buy' ? bar.low < limit : bar.high > limit) ? { price: limit, liquidity: 'maker' } : null;
      // An immediate-or-cancel limit only takes what is marketable at the open, never rests as a maker.
      if (fill !== null && ioc && fill.liquidity === 'maker') fill = null;
    }
    if (fill === null) return;

    let quantity = o.remaining;
    if (o.order.reduceOnly) {
      const pos = this.positionOf(o.order.instrument);
      const reducible = side === 'sell' ? Math.max(0, pos) : Math.max(0, -pos);
      if (reducible <= DUST) {
        this.close(this.open.indexOf(o), bar.openTime, 'reduce-only order with no position to reduce', 'cancel');
        return;
      }
      quantity = Math.min(quantity, reducible);
    }
    if (quantity > budget.left) {
      if (o.order.timeInForce === 'FOK') return;
      quantity = this.roundLot(budget.left);
    }
    let unaffordable = false;
    if (side === 'buy' && !o.order.reduceOnly && !Number.isNaN(this.cashLeft)) {
      const perUnit = fill.price * (1 + this.feeBps(fill) / 10_000);
      const affordable = this.roundLot(Math.max(0, this.cashLeft) / perUnit);
      if (quantity > affordable) {
        if (o.order.timeInForce === 'FOK') return;
        quantity = affordable;
        unaffordable = true;
      }
    }
    if (!(quantity > DUST)) {
      if (unaffordable) this.close(this.open.indexOf(o), bar.openTime, `insufficient cash at the fill price ${fill.price}`, 'cancel');
      return;
    }
    budget.left -= quantity;
    this.emitFill(o, fill, quantity, bar.openTime);
    if (unaffordable) {
      this.close(this.open.indexOf(o), bar.openTime, `insufficient cash for the remaining ${o.remaining} at the fill price ${fill.price}`, 'cancel');
      return;
    }
    if (o.remaining <= DUST * Math.max(1, o.order.quantity) || (o.order.reduceOnly && this.positionOf(o.order.instrument) === 0)) {
      this.finish(o, bar.openTime);
      return;
    }
    this.cancelSiblings(o, bar.openTime);
  }

  private feeBps(fill: FillPrice): number {
    return fill.liquidity === 'maker' ? this.config.makerFeeBps : this.config.takerFeeBps;
  }

  private roundLot(q: number): number {
    const step = this.config.lotStep ?? 0;
    return step > 0 ? roundToLot(q, step) : q;
  }

  private emitFill(o: OpenOrder, fill: FillPrice, quantity: number, ts: number): void {
    const { side, instrument, clientOrderId } = o.order;
    o.remaining -= quantity;
    o.filled += quantity;
    o.fillCount++;
    const bps = this.feeBps(fill);
    const fee = (fill.price * quantity * bps) / 10_000;
    if (!Number.isNaN(this.cashLeft)) this.cashLeft += side === 'buy' ? -(fill.price * quantity) - fee : fill.price * quantity - fee;
    this.positions.set(instrument, this.positionOf(instrument) + (side === 'buy' ? quantity : -quantity));
    this.out.push({
      type: 'OrderFilled',
      data: {
        clientOrderId, instrument, venueOrderId: o.venueOrderId, fillId: `${o.venueOrderId}-${o.fillCount}`, side,
        price: fill.price, quantity, fee, feeCurrency: quoteCurrency(instrument),
        liquidity: fill.liquidity, ts,
      },
    });
  }

  /** The order is done filling: it leaves the book, its children wake, its siblings are cancelled. */
  private finish(o: OpenOrder, ts: number): void {
    const i = this.open.indexOf(o);
    if (i >= 0) this.open.splice(i, 1);
    o.done = true;
    this.releaseChildren(o, ts);
    this.cancelSiblings(o, ts);
  }

  /** Protective children of one entry are one-cancels-other: the first to fill cancels the rest. */
  private cancelSiblings(o: OpenOrder, ts: number): void {
    const parent = o.order.parentClientOrderId;
    if (parent === undefined) return;
    for (let i = this.open.length - 1; i >= 0; i--) {
      const s = this.open[i]!;
      if (s !== o && s.order.parentClientOrderId === parent) this.close(i, ts, `one-cancels-other: ${o.order.clientOrderId} filled`, 'cancel');
    }
  }

  /** Wakes the children of a parent that is done; if it never filled they are cancelled with it. */
  private releaseChildren(parent: OpenOrder, ts: number): void {
    for (let i = this.open.length - 1; i >= 0; i--) {
      const c = this.open[i]!;
      if (c.order.parentClientOrderId !== parent.order.clientOrderId) continue;
      if (parent.filled <= DUST) this.close(i, ts, `parent ${parent.order.clientOrderId} ended without a fill`, 'cancel');
      else {
        c.waitingForParent = false;
        c.remaining = Math.min(c.remaining, parent.filled);
      }
    }
  }

  private close(i: number, ts: number, reason: string, how: 'cancel' | 'expire'): void {
    const o = this.open[i]!;
    this.open.splice(i, 1);
    o.done = true;
    const { clientOrderId, instrument } = o.order;
    this.out.push(how === 'cancel'
      ? { type: 'OrderCancelled', data: { clientOrderId, instrument, reason, ts } }
      : { type: 'OrderExpired', data: { clientOrderId, instrument, ts } });
    this.releaseChildren(o, ts);
  }
}
