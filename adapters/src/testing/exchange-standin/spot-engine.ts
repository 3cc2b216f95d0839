// The stand-in exchange's state: markets, balances, a price per market, orders and trades, matched as Binance spot does.
//
// Market orders fill at once at the current price; limit orders that cross fill as takers, the rest wait
// and fill as makers at their limit when the price reaches them (setPrice). Stop orders (STOP_LOSS,
// TAKE_PROFIT and their _LIMIT forms) wait untriggered, then act as a market or limit order. Funds an
// order may need are locked while it waits. Commission is charged in the asset received, as Binance does
// without BNB. Numbers are rounded to 8 decimals like Binance's strings.

export interface StandinMarket {
  /** Binance symbol, e.g. 'BTCUSDT'. */
  readonly symbol: string;
  readonly base: string;
  readonly quote: string;
  readonly tickSize: string;
  readonly stepSize: string;
  readonly minQty: string;
  readonly minNotional: string;
}

export type BinanceOrderStatus = 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'EXPIRED' | 'REJECTED';

export interface BinanceOrder {
  symbol: string;
  orderId: number;
  orderListId: number;
  clientOrderId: string;
  price: string;
  origQty: string;
  executedQty: string;
  cummulativeQuoteQty: string;
  status: BinanceOrderStatus;
  timeInForce: string;
  type: string;
  side: 'BUY' | 'SELL';
  stopPrice: string;
  icebergQty: string;
  time: number;
  updateTime: number;
  isWorking: boolean;
  workingTime: number;
  origQuoteOrderQty: string;
  selfTradePreventionMode: string;
}

export interface BinanceTrade {
  symbol: string;
  id: number;
  orderId: number;
  orderListId: number;
  price: string;
  qty: string;
  quoteQty: string;
  commission: string;
  commissionAsset: string;
  time: number;
  isBuyer: boolean;
  isMaker: boolean;
  isBestMatch: boolean;
}

/** A refusal in Binance's words: HTTP status, error code and message. */
export class BinanceError extends Error {
  constructor(readonly status: number, readonly code: number, message: string) {
    super(message);
  }
}

export const INSUFFICIENT_BALANCE = 'Account has insufficient balance for requested action.';
export const DUPLICATE_ORDER = 'Duplicate order sent.';

const r8 = (x: number): number => Math.round(x * 1e8) / 1e8;
const s8 = (x: number): string => r8(x).toFixed(8);

function onStep(value: number, step: number): boolean {
  const n = value / step;
  return Math.abs(n - Math.round(n)) < 1e-7;
}

interface Balance { free: number; locked: number }
interface Lock { readonly asset: string; readonly amount: number }

/** Binance's conditional spot order types: which way the trigger looks, and whether it becomes a limit. */
const STOP_TYPES: Readonly<Record<string, { readonly limit: boolean; readonly takeProfit: boolean }>> = {
  STOP_LOSS: { limit: false, takeProfit: false },
  STOP_LOSS_LIMIT: { limit: true, takeProfit: false },
  TAKE_PROFIT: { limit: false, takeProfit: true },
  TAKE_PROFIT_LIMIT: { limit: true, takeProfit: true },
};

/** STOP_LOSS triggers against the position (sell below, buy above), TAKE_PROFIT with it. */
function triggered(side: 'BUY' | 'SELL', takeProfit: boolean, stop: number, price: number): boolean {
  const up = (side === 'BUY') !== takeProfit;
  return up ? price >= stop : price <= stop;
}

export interface PlaceOrderParams {
  readonly symbol?: string;
  readonly side?: string;
  readonly type?: string;
  readonly quantity?: string;
  readonly price?: string;
  readonly timeInForce?: string;
  readonly newClientOrderId?: string;
  readonly newOrderRespType?: string;
  readonly stopPrice?: string;
}

export class SpotEngine {
  readonly markets = new Map<string, StandinMarket>();
  private readonly prices = new Map<string, number>();
  private readonly balances = new Map<string, Balance>();
  private readonly orders = new Map<number, BinanceOrder>();
  private readonly trades: BinanceTrade[] = [];
  private readonly locks = new Map<number, Lock>();
  /** Stop orders not yet triggered. */
  private readonly waitingStops = new Set<number>();
  private nextOrderId = 1_000;
  private nextTradeId = 50_000;
  /** Commission rate on every fill (0.1%, Binance's base spot rate). */
  feeRate = 0.001;
  /** The most a resting limit order fills per price move (base units), so orders fill in parts; null = all at once. */
  makerFillLimit: number | null = null;
  /** Called after any order changes: the user-data stream pushes it. */
  onOrderUpdate: ((order: BinanceOrder, trade: BinanceTrade | null) => void) | null = null;

  constructor(markets: readonly StandinMarket[]) {
    for (const m of markets) this.markets.set(m.symbol, m);
  }

  setBalance(asset: string, free: number): void {
    const b = this.balanceOf(asset);
    b.free = r8(free);
  }

  balancesSnapshot(): { asset: string; free: string; locked: string }[] {
    return [...this.balances].map(([asset, b]) => ({ asset, free: s8(b.free), locked: s8(b.locked) }));
  }

  priceOf(symbol: string): number | undefined {
    return this.prices.get(symbol);
  }

  /** Moves the market: stops the price reaches trigger, then resting limits it reaches fill as makers at their limit. */
  setPrice(symbol: string, price: number, now: number): void {
    this.prices.set(symbol, price);
    const market = this.markets.get(symbol)!;
    for (const o of [...this.orders.values()]) {
      if (o.symbol !== symbol || !this.waitingStops.has(o.orderId)) continue;
      const kind = STOP_TYPES[o.type]!;
      if (!triggered(o.side, kind.takeProfit, Number(o.stopPrice), price)) continue;
      this.waitingStops.delete(o.orderId);
      this.release(o);
      o.isWorking = true;
      o.workingTime = now;
      if (!kind.limit) {
        this.fill(o, market, Number(o.origQty), price, false, now);
        continue;
      }
      const limit = Number(o.price);
      if (o.side === 'BUY' ? price <= limit : price >= limit) this.fill(o, market, Number(o.origQty), price, false, now);
      else this.lock(market, o, Number(o.origQty), limit);
    }
    for (const o of [...this.orders.values()]) {
      if (o.symbol !== symbol || (o.status !== 'NEW' && o.status !== 'PARTIALLY_FILLED') || this.waitingStops.has(o.orderId)) continue;
      const limit = Number(o.price);
      if (!(limit > 0)) continue;
      const crosses = o.side === 'BUY' ? price <= limit : price >= limit;
      if (!crosses) continue;
      const remaining = r8(Number(o.origQty) - Number(o.executedQty));
      const qty = this.makerFillLimit === null ? remaining : Math.min(remaining, this.makerFillLimit);
      // Release what the order had locked, settle the fill as if it were fresh, lock what still rests.
      this.release(o);
      this.fill(o, market, qty, limit, true, now);
      if (qty < remaining) this.lock(market, o, r8(remaining - qty), limit);
    }
  }

  orderById(symbol: string, orderId: number): BinanceOrder | undefined {
    const o = this.orders.get(orderId);
    return o && o.symbol === symbol ? o : undefined;
  }

  /** The most recent order with this client id on the symbol (Binance looks up origClientOrderId the same way). */
  orderByClientId(symbol: string, clientOrderId: string): BinanceOrder | undefined {
    let found: BinanceOrder | undefined;
    for (const o of this.orders.values()) if (o.symbol === symbol && o.clientOrderId === clientOrderId) found = o;
    return found;
  }

  openOrders(symbol?: string): BinanceOrder[] {
    return [...this.orders.values()].filter((o) => (symbol === undefined || o.symbol === symbol) && (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED'));
  }

  allOrders(): BinanceOrder[] {
    return [...this.orders.values()];
  }

  myTrades(symbol: string, filter: { startTime?: number; endTime?: number; fromId?: number; orderId?: number; limit: number }): BinanceTrade[] {
    const out = this.trades.filter((t) => t.symbol === symbol
      && (filter.orderId === undefined || t.orderId === filter.orderId)
      && (filter.fromId === undefined || t.id >= filter.fromId)
      && (filter.startTime === undefined || t.time >= filter.startTime)
      && (filter.endTime === undefined || t.time <= filter.endTime));
    // Binance returns the oldest `limit` from a start, the newest `limit` without one.
    return filter.startTime === undefined && filter.fromId === undefined ? out.slice(-filter.limit) : out.slice(0, filter.limit);
  }

  tradesOf(orderId: number): BinanceTrade[] {
    return this.trades.filter((t) => t.orderId === orderId);
  }

  place(p: PlaceOrderParams, now: number): { order: BinanceOrder; fills: BinanceTrade[] } {
    const market = p.symbol === undefined ? undefined : this.markets.get(p.symbol);
    if (market === undefined) throw new BinanceError(400, -1121, 'Invalid symbol.');
    if (p.side !== 'BUY' && p.side !== 'SELL') throw new BinanceError(400, -1102, "Mandatory parameter 'side' was not sent, was empty/null, or malformed.");
    const stopKind = p.type === undefined ? undefined : STOP_TYPES[p.type];
    if (p.type !== 'MARKET' && p.type !== 'LIMIT' && stopKind === undefined) throw new BinanceError(400, -1116, 'Invalid orderType.');
    const qty = Number(p.quantity);
    if (p.quantity === undefined || !(qty > 0)) throw new BinanceError(400, -1102, "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed.");
    const step = Number(market.stepSize);
    if (qty < Number(market.minQty) || !onStep(qty, step)) throw new BinanceError(400, -1013, 'Filter failure: LOT_SIZE');
    let limit: number | null = null;
    let tif = 'GTC';
    if (p.type === 'LIMIT' || stopKind?.limit) {
      limit = Number(p.price);
      if (p.price === undefined || !(limit > 0)) throw new BinanceError(400, -1102, "Mandatory parameter 'price' was not sent, was empty/null, or malformed.");
      if (!onStep(limit, Number(market.tickSize))) throw new BinanceError(400, -1013, 'Filter failure: PRICE_FILTER');
      if (p.timeInForce === undefined) throw new BinanceError(400, -1102, "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.");
      if (!['GTC', 'IOC', 'FOK'].includes(p.timeInForce)) throw new BinanceError(400, -1115, 'Invalid timeInForce.');
      tif = p.timeInForce;
    }
    let stop: number | null = null;
    if (stopKind !== undefined) {
      stop = Number(p.stopPrice);
      if (p.stopPrice === undefined || !(stop > 0)) throw new BinanceError(400, -1102, "Mandatory parameter 'stopPrice' was not sent, was empty/null, or malformed.");
      if (!onStep(stop, Number(market.tickSize))) throw new BinanceError(400, -1013, 'Filter failure: PRICE_FILTER');
    }
    const price = this.prices.get(market.symbol);
    if (price === undefined) throw new BinanceError(400, -1013, 'Market is closed.');
    const notional = qty * (limit ?? stop ?? price);
    if (notional < Number(market.minNotional)) throw new BinanceError(400, -1013, 'Filter failure: NOTIONAL');
    const cid = p.newClientOrderId ?? `standin-${this.nextOrderId}`;
    if (!/^[.A-Z:/a-z0-9_-]{1,36}$/.test(cid)) throw new BinanceError(400, -1100, "Illegal characters found in parameter 'newClientOrderId'; legal range is '^[\\.A-Z\\:/a-z0-9_-]{1,36}$'.");
    // Binance keeps client order ids unique among open orders only.
    if (this.openOrders(market.symbol).some((o) => o.clientOrderId === cid)) throw new BinanceError(400, -2010, DUPLICATE_ORDER);
    if (stopKind !== undefined && triggered(p.side, stopKind.takeProfit, stop!, price)) throw new BinanceError(400, -2010, 'Stop price would trigger immediately.');
    const marketable = stopKind === undefined && (limit === null || (p.side === 'BUY' ? price <= limit : price >= limit));
    const fillPrice = marketable ? price : (limit ?? stop ?? price);
    if (p.side === 'BUY' && this.balanceOf(market.quote).free < r8(qty * fillPrice)) throw new BinanceError(400, -2010, INSUFFICIENT_BALANCE);
    if (p.side === 'SELL' && this.balanceOf(market.base).free < qty) throw new BinanceError(400, -2010, INSUFFICIENT_BALANCE);

    const order: BinanceOrder = {
      symbol: market.symbol, orderId: this.nextOrderId++, orderListId: -1, clientOrderId: cid,
      price: s8(limit ?? 0), origQty: s8(qty), executedQty: s8(0), cummulativeQuoteQty: s8(0), status: 'NEW',
      timeInForce: tif, type: p.type as string, side: p.side, stopPrice: s8(stop ?? 0), icebergQty: s8(0), time: now, updateTime: now,
      isWorking: stopKind === undefined, workingTime: stopKind === undefined ? now : -1, origQuoteOrderQty: s8(0), selfTradePreventionMode: 'EXPIRE_MAKER',
    };
    this.orders.set(order.orderId, order);
    if (stopKind !== undefined) {
      this.waitingStops.add(order.orderId);
      this.lock(market, order, qty, limit ?? stop!);
      this.onOrderUpdate?.(order, null);
      return { order, fills: [] };
    }
    if (marketable) {
      return { order, fills: [this.fill(order, market, qty, fillPrice, false, now)] };
    }
    if (tif === 'IOC' || tif === 'FOK') {
      order.status = 'EXPIRED';
      this.onOrderUpdate?.(order, null);
      return { order, fills: [] };
    }
    this.lock(market, order, qty, limit!);
    this.onOrderUpdate?.(order, null);
    return { order, fills: [] };
  }

  cancel(order: BinanceOrder, now: number): BinanceOrder {
    if (order.status !== 'NEW' && order.status !== 'PARTIALLY_FILLED') throw new BinanceError(400, -2011, 'Unknown order sent.');
    this.release(order);
    this.waitingStops.delete(order.orderId);
    order.status = 'CANCELED';
    order.updateTime = now;
    this.onOrderUpdate?.(order, null);
    return order;
  }

  private balanceOf(asset: string): Balance {
    let b = this.balances.get(asset);
    if (b === undefined) {
      b = { free: 0, locked: 0 };
      this.balances.set(asset, b);
    }
    return b;
  }

  private lock(market: StandinMarket, order: BinanceOrder, qty: number, atPrice: number): void {
    const lock: Lock = order.side === 'BUY' ? { asset: market.quote, amount: r8(qty * atPrice) } : { asset: market.base, amount: qty };
    const b = this.balanceOf(lock.asset);
    b.free = r8(b.free - lock.amount);
    b.locked = r8(b.locked + lock.amount);
    this.locks.set(order.orderId, lock);
  }

  /** Gives back what the order had locked (it filled, triggered or was cancelled). */
  private release(order: BinanceOrder): void {
    const lock = this.locks.get(order.orderId);
    if (lock === undefined) return;
    this.locks.delete(order.orderId);
    const b = this.balanceOf(lock.asset);
    b.free = r8(b.free + lock.amount);
    b.locked = r8(b.locked - lock.amount);
  }

  private fill(order: BinanceOrder, market: StandinMarket, qty: number, price: number, maker: boolean, now: number): BinanceTrade {
    const quoteQty = r8(qty * price);
    const buy = order.side === 'BUY';
    const received = buy ? market.base : market.quote;
    const commission = r8((buy ? qty : quoteQty) * this.feeRate);
    const base = this.balanceOf(market.base);
    const quote = this.balanceOf(market.quote);
    if (buy) {
      quote.free = r8(quote.free - quoteQty);
      base.free = r8(base.free + qty - commission);
    } else {
      base.free = r8(base.free - qty);
      quote.free = r8(quote.free + quoteQty - commission);
    }
    const trade: BinanceTrade = {
      symbol: market.symbol, id: this.nextTradeId++, orderId: order.orderId, orderListId: -1, price: s8(price), qty: s8(qty),
      quoteQty: s8(quoteQty), commission: s8(commission), commissionAsset: received, time: now, isBuyer: buy, isMaker: maker, isBestMatch: true,
    };
    this.trades.push(trade);
    const executed = r8(Number(order.executedQty) + qty);
    order.executedQty = s8(executed);
    order.cummulativeQuoteQty = s8(Number(order.cummulativeQuoteQty) + quoteQty);
    order.status = executed >= Number(order.origQty) ? 'FILLED' : 'PARTIALLY_FILLED';
    order.updateTime = now;
    this.onOrderUpdate?.(order, trade);
    return trade;
  }
}
