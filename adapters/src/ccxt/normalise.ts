// ccxt's loosely typed orders, trades, balances and candles, checked with zod and turned into our types at this trust boundary.
import { z } from 'zod';
import { InfrastructureError, type VenueBalance, type VenueOrder, type VenueOrderStatus, type VenueTrade } from '@qts/core';
import { Instrument, type BarClosed, type Timeframe, type TradeTick } from '@qts/schemas';

const num = z.number().finite();
const optNum = num.nullish();

const CcxtFee = z.object({ cost: optNum, currency: z.string().nullish() }).nullish();

export const CcxtTrade = z.object({
  id: z.union([z.string(), z.number()]).transform(String).nullish(),
  order: z.union([z.string(), z.number()]).transform(String).nullish(),
  timestamp: z.number().int().nullish(),
  symbol: z.string().nullish(),
  side: z.enum(['buy', 'sell']).nullish(),
  price: num.positive(),
  amount: num.nonnegative(),
  takerOrMaker: z.enum(['taker', 'maker']).nullish(),
  fee: CcxtFee,
  info: z.unknown(),
});

export const CcxtOrder = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  clientOrderId: z.string().nullish(),
  timestamp: z.number().int().nullish(),
  lastUpdateTimestamp: z.number().int().nullish(),
  lastTradeTimestamp: z.number().int().nullish(),
  symbol: z.string(),
  type: z.string().nullish(),
  side: z.enum(['buy', 'sell']),
  price: optNum,
  average: optNum,
  amount: num.nonnegative(),
  filled: optNum,
  status: z.string().nullish(),
  trades: z.array(z.unknown()).nullish(),
  info: z.unknown(),
});

export const CcxtOhlcv = z.tuple([z.number().int(), num.positive(), num.positive(), num.positive(), num.positive(), num.nonnegative()]);

const statusMap: Record<string, VenueOrderStatus> = { open: 'open', closed: 'filled', canceled: 'cancelled', cancelled: 'cancelled', expired: 'expired', rejected: 'rejected' };

function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new InfrastructureError(`the venue sent a malformed ${what}: ${issues}`, { what });
  }
  return r.data;
}

function instrumentOf(symbol: string): string {
  const r = Instrument.safeParse(symbol);
  if (!r.success) throw new InfrastructureError(`the venue's symbol '${symbol}' is not an instrument we can trade (spot only)`, { symbol });
  return r.data;
}

/** A ccxt trade as our VenueTrade; `order` fills in what the order-embedded fills lack (side, time, order id). */
export function toVenueTrade(value: unknown, order?: { venueOrderId: string; side: 'buy' | 'sell'; instrument: string; ts: number; clientOrderId?: string }): VenueTrade {
  const t = parse(CcxtTrade, value, 'trade');
  if (t.id == null) throw new InfrastructureError('the venue sent a trade without an id', {});
  const side = t.side ?? order?.side;
  const venueOrderId = t.order ?? order?.venueOrderId;
  const instrument = t.symbol != null ? instrumentOf(t.symbol) : order?.instrument;
  if (side == null || venueOrderId == null || instrument === undefined) throw new InfrastructureError(`trade ${t.id} lacks its side, order or symbol`, { fillId: t.id });
  const clientOrderId = order?.clientOrderId;
  return {
    fillId: t.id, venueOrderId, instrument, side, price: t.price, quantity: t.amount,
    fee: t.fee?.cost ?? 0, feeCurrency: t.fee?.currency ?? '', liquidity: t.takerOrMaker ?? 'taker',
    ts: t.timestamp ?? order?.ts ?? 0,
    ...(clientOrderId !== undefined ? { clientOrderId } : {}),
  };
}

/** A ccxt order as our VenueOrder; `extraFills` are trades fetched separately (myTrades by orderId). */
export function toVenueOrder(value: unknown, extraFills: readonly VenueTrade[] = []): VenueOrder {
  const o = parse(CcxtOrder, value, 'order');
  const status = statusMap[o.status ?? ''];
  if (status === undefined) throw new InfrastructureError(`order ${o.id} has an unknown status '${o.status}'`, { venueOrderId: o.id });
  const instrument = instrumentOf(o.symbol);
  // Binance reports workingTime -1 for a stop that has not triggered; ccxt may take it as the order's time.
  const positive = (...xs: (number | null | undefined)[]): number | undefined => xs.find((x): x is number => x != null && x > 0);
  const ts = positive(o.timestamp, o.lastUpdateTimestamp, o.lastTradeTimestamp) ?? 0;
  const updatedAt = positive(o.lastUpdateTimestamp, o.lastTradeTimestamp) ?? ts;
  const clientOrderId = o.clientOrderId ?? '';
  const context = { venueOrderId: o.id, side: o.side, instrument, ts: updatedAt, ...(clientOrderId ? { clientOrderId } : {}) };
  const byId = new Map<string, VenueTrade>();
  for (const raw of o.trades ?? []) {
    const t = toVenueTrade(raw, context);
    byId.set(t.fillId, t);
  }
  for (const t of extraFills) if (t.venueOrderId === o.id) byId.set(t.fillId, clientOrderId ? { ...t, clientOrderId } : t);
  return {
    clientOrderId, venueOrderId: o.id, instrument, side: o.side, type: o.type ?? 'unknown', status, quantity: o.amount,
    filledQuantity: o.filled ?? 0, averagePrice: o.average ?? null, limitPrice: o.type !== 'market' && o.price != null && o.price > 0 ? o.price : null,
    ts, updatedAt, fills: [...byId.values()].sort((a, b) => a.ts - b.ts), raw: o.info,
  };
}

export function toVenueBalances(value: unknown): VenueBalance[] {
  const b = parse(z.object({ free: z.record(z.string(), optNum), used: z.record(z.string(), optNum), total: z.record(z.string(), optNum) }), value, 'balance');
  return Object.keys(b.total).sort().map((currency) => ({
    currency, free: b.free[currency] ?? 0, used: b.used[currency] ?? 0, total: b.total[currency] ?? 0,
  }));
}

/** A ccxt candle as our bar data; closeTime is the first millisecond after it. */
export function toBar(value: unknown, venue: string, instrument: string, timeframe: Timeframe, timeframeMs: number): BarClosed {
  const [openTime, open, high, low, close, volume] = parse(CcxtOhlcv, value, 'candle');
  return { venue, instrument, timeframe, openTime, open, high, low, close, volume, closeTime: openTime + timeframeMs };
}

export function toTradeTick(value: unknown, venue: string): TradeTick {
  const t = parse(CcxtTrade, value, 'trade');
  if (t.symbol == null || t.side == null || t.timestamp == null) throw new InfrastructureError('a public trade lacks its symbol, side or time', {});
  return {
    venue, instrument: instrumentOf(t.symbol), price: t.price, size: t.amount, aggressor: t.side, ts: t.timestamp,
    ...(t.id != null ? { tradeId: t.id } : {}),
  };
}
