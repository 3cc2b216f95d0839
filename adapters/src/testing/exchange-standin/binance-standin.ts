// A local HTTP server speaking Binance spot's REST API (the part ccxt's binance class uses), for testing the real ccxt client offline.
//
// Implements: GET /api/v3/ping, time, exchangeInfo, klines, aggTrades, ticker/price; signed (HMAC-SHA256, X-MBX-APIKEY,
// timestamp + recvWindow) POST/GET/DELETE /api/v3/order, GET openOrders, myTrades, account. Errors use
// Binance's JSON codes and HTTP statuses. Faults can be injected: 429 rate limits, and a response held
// past the client's timeout after the order was taken (the unknown-outcome case). Websockets (ws-streams.ts):
// public trade and kline streams under /ws, and the user-data stream (executionReport) under /ws-api/v3.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BinanceError, SpotEngine, type BinanceOrder, type BinanceTrade, type StandinMarket } from './spot-engine.ts';
import { StandinStreams } from './ws-streams.ts';

export interface StandinBar {
  readonly openTime: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

export interface BinanceStandinOptions {
  /** apiKey -> secret accepted by the signed endpoints. */
  readonly apiKeys: Readonly<Record<string, string>>;
  readonly markets?: readonly StandinMarket[];
  readonly port?: number;
  /** Server clock; default Date.now (ccxt signs with the machine clock). */
  readonly now?: () => number;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly code?: number;
}

interface Hold { method: string; path: string; ms: number }
interface RateLimit { count: number; method?: string; path?: string }

export const defaultStandinMarkets: readonly StandinMarket[] = [
  { symbol: 'BTCUSDT', base: 'BTC', quote: 'USDT', tickSize: '0.01', stepSize: '0.00001', minQty: '0.00001', minNotional: '5' },
  { symbol: 'ETHUSDT', base: 'ETH', quote: 'USDT', tickSize: '0.01', stepSize: '0.0001', minQty: '0.0001', minNotional: '5' },
];

const intervalMs: Record<string, number> = {
  '1s': 1_000, '1m': 60_000, '3m': 180_000, '5m': 300_000, '15m': 900_000, '30m': 1_800_000, '1h': 3_600_000,
  '2h': 7_200_000, '4h': 14_400_000, '6h': 21_600_000, '8h': 28_800_000, '12h': 43_200_000, '1d': 86_400_000, '1w': 604_800_000,
};

const fmt = (x: number): string => String(x);

export class BinanceStandin {
  readonly engine: SpotEngine;
  /** Every request served, without credentials: method, path, HTTP status and Binance code. */
  readonly requests: RecordedRequest[] = [];
  private readonly bars = new Map<string, StandinBar[]>();
  private readonly holds: Hold[] = [];
  private readonly rateLimits: RateLimit[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly now: () => number;
  readonly streams: StandinStreams;
  private tradeSeq = 9_000_000;
  /** Public trades published so far, served by /aggTrades (one aggregate per trade). */
  private readonly publicTrades: { symbol: string; id: number; price: number; qty: number; time: number; buyerMaker: boolean }[] = [];

  private constructor(private readonly server: Server, private readonly options: BinanceStandinOptions) {
    this.engine = new SpotEngine(options.markets ?? defaultStandinMarkets);
    this.now = options.now ?? Date.now;
    this.streams = new StandinStreams(server, options.apiKeys, this.engine, this.now);
  }

  /** Starts on 127.0.0.1 (a free port unless given). */
  static async start(options: BinanceStandinOptions): Promise<BinanceStandin> {
    const server = createServer();
    const standin = new BinanceStandin(server, options);
    server.on('request', (req, res) => standin.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    return standin;
  }

  /** Base URL to give the ccxt adapter (`baseUrl`); REST lives under /api/v3. */
  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Candles served by /klines for a symbol and interval (also sets the price to the last close). */
  loadBars(symbol: string, interval: string, bars: readonly StandinBar[]): void {
    this.bars.set(`${symbol}:${interval}`, [...bars].sort((a, b) => a.openTime - b.openTime));
    const last = bars[bars.length - 1];
    if (last !== undefined && this.engine.priceOf(symbol) === undefined) this.engine.setPrice(symbol, last.close, this.now());
  }

  setPrice(symbol: string, price: number): void {
    this.engine.setPrice(symbol, price, this.now());
  }

  setBalance(asset: string, free: number): void {
    this.engine.setBalance(asset, free);
  }

  /** The next `count` requests (matching method and path, e.g. 'POST', '/api/v3/order') get HTTP 429, code -1003. */
  rateLimitNext(count: number, match: { method?: string; path?: string } = {}): void {
    this.rateLimits.push({ count, ...match });
  }

  /** The next matching request is processed, then its response held for `ms` (longer than the client waits). */
  holdNextResponse(method: string, path: string, ms: number): void {
    this.holds.push({ method, path, ms });
  }

  /** A public trade on the market stream `<symbol>@trade` (the taker's side is `aggressor`); also moves the price. */
  publishTrade(symbol: string, price: number, quantity: number, aggressor: 'buy' | 'sell', time = this.now()): number {
    const id = this.tradeSeq++;
    this.publicTrades.push({ symbol, id, price, qty: quantity, time, buyerMaker: aggressor === 'sell' });
    this.streams.publish(`${symbol.toLowerCase()}@trade`, {
      e: 'trade', E: time, s: symbol, t: id, p: fmt(price), q: fmt(quantity), T: time, m: aggressor === 'sell', M: true,
    });
    this.setPrice(symbol, price);
    return id;
  }

  /** A candle update on `<symbol>@kline_<interval>`; `closed` marks its final update. */
  publishKline(symbol: string, interval: string, bar: StandinBar, closed: boolean): void {
    const step = intervalMs[interval];
    if (step === undefined) throw new Error(`unknown interval ${interval}`);
    this.streams.publish(`${symbol.toLowerCase()}@kline_${interval}`, {
      e: 'kline', E: this.now(), s: symbol,
      k: {
        t: bar.openTime, T: bar.openTime + step - 1, s: symbol, i: interval, f: 1, L: 2, o: fmt(bar.open), c: fmt(bar.close), h: fmt(bar.high),
        l: fmt(bar.low), v: fmt(bar.volume), n: 2, x: closed, q: fmt(bar.volume * bar.close), V: '0', Q: '0', B: '0',
      },
    });
  }

  countOf(method: string, path: string): number {
    return this.requests.filter((r) => r.method === method && r.path === path).length;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.streams.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://standin');
      const method = req.method ?? 'GET';
      const path = url.pathname;
      const rawQuery = url.search.startsWith('?') ? url.search.slice(1) : '';
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const send = (status: number, body: unknown, code?: number, headers: Record<string, string> = {}): void => {
        this.requests.push({ method, path, status, ...(code !== undefined ? { code } : {}) });
        const hold = this.takeHold(method, path);
        const write = (): void => {
          if (res.destroyed) return;
          res.writeHead(status, { 'Content-Type': 'application/json;charset=UTF-8', ...headers });
          res.end(JSON.stringify(body));
        };
        if (hold === null) return write();
        const t = setTimeout(() => {
          this.timers.delete(t);
          write();
        }, hold);
        this.timers.add(t);
      };
      const limited = this.takeRateLimit(method, path);
      if (limited) {
        send(429, { code: -1003, msg: 'Too many requests; current limit of IP(127.0.0.1) is 6000 requests per minute. Please use WebSocket Streams for live updates to avoid polling the API.' }, -1003, { 'Retry-After': '1' });
        return;
      }
      try {
        const params = Object.fromEntries([...new URLSearchParams(rawQuery), ...new URLSearchParams(rawBody)]);
        const body = this.route(method, path, params, req, rawQuery, rawBody);
        send(200, body);
      } catch (e) {
        if (e instanceof BinanceError) send(e.status, { code: e.code, msg: e.message }, e.code);
        else send(500, { code: -1000, msg: 'An unknown error occurred while processing the request.' }, -1000);
      }
    });
  }

  private takeRateLimit(method: string, path: string): boolean {
    const rule = this.rateLimits.find((r) => r.count > 0 && (r.method === undefined || r.method === method) && (r.path === undefined || r.path === path));
    if (rule === undefined) return false;
    rule.count--;
    return true;
  }

  private takeHold(method: string, path: string): number | null {
    const i = this.holds.findIndex((h) => h.method === method && h.path === path);
    if (i < 0) return null;
    return this.holds.splice(i, 1)[0]!.ms;
  }

  private route(method: string, path: string, p: Record<string, string>, req: IncomingMessage, rawQuery: string, rawBody: string): unknown {
    const key = `${method} ${path}`;
    switch (key) {
      case 'GET /api/v3/ping': return {};
      case 'GET /api/v3/time': return { serverTime: this.now() };
      case 'GET /api/v3/exchangeInfo': return this.exchangeInfo();
      case 'GET /api/v3/klines': return this.klines(p);
      case 'GET /api/v3/ticker/price': return this.tickerPrice(p);
      case 'GET /api/v3/aggTrades': return this.aggTrades(p);
      default: break;
    }
    const signed = ['POST /api/v3/order', 'GET /api/v3/order', 'DELETE /api/v3/order', 'GET /api/v3/openOrders', 'GET /api/v3/myTrades', 'GET /api/v3/account'];
    if (!signed.includes(key)) throw new BinanceError(404, -1000, `Unknown endpoint ${method} ${path}.`);
    this.authenticate(req, p, rawQuery, rawBody);
    const now = this.now();
    switch (key) {
      case 'POST /api/v3/order': {
        const { order, fills } = this.engine.place(p, now);
        return this.orderResponse(order, fills, p.newOrderRespType ?? 'FULL', now);
      }
      case 'GET /api/v3/order': return this.findOrder(p, -2013, 'Order does not exist.');
      case 'DELETE /api/v3/order': {
        const order = this.findOrder(p, -2011, 'Unknown order sent.');
        const cancelled = this.engine.cancel(order, now);
        return { ...cancelled, origClientOrderId: cancelled.clientOrderId, transactTime: now };
      }
      case 'GET /api/v3/openOrders': {
        if (p.symbol !== undefined && !this.engine.markets.has(p.symbol)) throw new BinanceError(400, -1121, 'Invalid symbol.');
        return this.engine.openOrders(p.symbol);
      }
      case 'GET /api/v3/myTrades': {
        if (p.symbol === undefined || !this.engine.markets.has(p.symbol)) throw new BinanceError(400, -1121, 'Invalid symbol.');
        const int = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));
        const limit = Math.min(1000, int(p.limit) ?? 500);
        return this.engine.myTrades(p.symbol, {
          limit,
          ...(p.startTime !== undefined ? { startTime: int(p.startTime)! } : {}),
          ...(p.endTime !== undefined ? { endTime: int(p.endTime)! } : {}),
          ...(p.fromId !== undefined ? { fromId: int(p.fromId)! } : {}),
          ...(p.orderId !== undefined ? { orderId: int(p.orderId)! } : {}),
        });
      }
      case 'GET /api/v3/account': return {
        makerCommission: 10, takerCommission: 10, buyerCommission: 0, sellerCommission: 0,
        commissionRates: { maker: '0.00100000', taker: '0.00100000', buyer: '0.00000000', seller: '0.00000000' },
        canTrade: true, canWithdraw: true, canDeposit: true, brokered: false, requireSelfTradePrevention: false, preventSor: false,
        updateTime: now, accountType: 'SPOT', balances: this.engine.balancesSnapshot(), permissions: ['SPOT'], uid: 1,
      };
      default: throw new BinanceError(404, -1000, `Unknown endpoint ${method} ${path}.`);
    }
  }

  /** X-MBX-APIKEY must name a known key; the HMAC-SHA256 of the query string and body must match; the timestamp must be fresh. */
  private authenticate(req: IncomingMessage, p: Record<string, string>, rawQuery: string, rawBody: string): void {
    const apiKey = req.headers['x-mbx-apikey'];
    if (typeof apiKey !== 'string' || apiKey === '') throw new BinanceError(401, -2014, 'API-key format invalid.');
    const secret = this.options.apiKeys[apiKey];
    if (secret === undefined) throw new BinanceError(401, -2015, 'Invalid API-key, IP, or permissions for action.');
    const strip = (raw: string): string => raw.split('&').filter((kv) => kv !== '' && !kv.startsWith('signature=')).join('&');
    const signature = p.signature;
    if (signature === undefined) throw new BinanceError(400, -1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.");
    const totalParams = strip(rawQuery) + strip(rawBody);
    const expected = createHmac('sha256', secret).update(totalParams).digest('hex');
    const a = Buffer.from(expected);
    const b = Buffer.from(signature.toLowerCase());
    if (a.length !== b.length || !timingSafeEqual(a, b)) throw new BinanceError(400, -1022, 'Signature for this request is not valid.');
    const timestamp = Number(p.timestamp);
    if (p.timestamp === undefined || !Number.isFinite(timestamp)) throw new BinanceError(400, -1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.");
    const recvWindow = p.recvWindow === undefined ? 5_000 : Number(p.recvWindow);
    if (!(recvWindow > 0) || recvWindow > 60_000) throw new BinanceError(400, -1131, 'recvWindow must be less than 60000');
    const now = this.now();
    if (timestamp >= now + 1_000 || now - timestamp > recvWindow) throw new BinanceError(400, -1021, 'Timestamp for this request is outside of the recvWindow.');
  }

  private findOrder(p: Record<string, string>, code: number, message: string): BinanceOrder {
    if (p.symbol === undefined || !this.engine.markets.has(p.symbol)) throw new BinanceError(400, -1121, 'Invalid symbol.');
    let order: BinanceOrder | undefined;
    if (p.orderId !== undefined) order = this.engine.orderById(p.symbol, Number(p.orderId));
    else if (p.origClientOrderId !== undefined) order = this.engine.orderByClientId(p.symbol, p.origClientOrderId);
    else throw new BinanceError(400, -1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!");
    if (order === undefined) throw new BinanceError(400, code, message);
    return order;
  }

  private orderResponse(order: BinanceOrder, fills: BinanceTrade[], respType: string, now: number): unknown {
    const ack = { symbol: order.symbol, orderId: order.orderId, orderListId: -1, clientOrderId: order.clientOrderId, transactTime: now };
    if (respType === 'ACK') return ack;
    const result = {
      ...ack, price: order.price, origQty: order.origQty, executedQty: order.executedQty, origQuoteOrderQty: order.origQuoteOrderQty,
      cummulativeQuoteQty: order.cummulativeQuoteQty, status: order.status, timeInForce: order.timeInForce, type: order.type,
      side: order.side, workingTime: order.workingTime, selfTradePreventionMode: order.selfTradePreventionMode,
    };
    if (respType === 'RESULT') return result;
    return { ...result, fills: fills.map((t) => ({ price: t.price, qty: t.qty, commission: t.commission, commissionAsset: t.commissionAsset, tradeId: t.id })) };
  }

  private exchangeInfo(): unknown {
    return {
      timezone: 'UTC',
      serverTime: this.now(),
      rateLimits: [
        { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 },
        { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
        { rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: 200000 },
      ],
      exchangeFilters: [],
      symbols: [...this.engine.markets.values()].map((m) => ({
        symbol: m.symbol, status: 'TRADING', baseAsset: m.base, baseAssetPrecision: 8, quoteAsset: m.quote, quotePrecision: 8,
        quoteAssetPrecision: 8, baseCommissionPrecision: 8, quoteCommissionPrecision: 8,
        orderTypes: ['LIMIT', 'MARKET', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'],
        icebergAllowed: true, ocoAllowed: true, otoAllowed: true, quoteOrderQtyMarketAllowed: true, allowTrailingStop: true,
        cancelReplaceAllowed: true, isSpotTradingAllowed: true, isMarginTradingAllowed: false,
        filters: [
          { filterType: 'PRICE_FILTER', minPrice: m.tickSize, maxPrice: '1000000.00000000', tickSize: m.tickSize },
          { filterType: 'LOT_SIZE', minQty: m.minQty, maxQty: '9000.00000000', stepSize: m.stepSize },
          { filterType: 'MARKET_LOT_SIZE', minQty: '0.00000000', maxQty: '100.00000000', stepSize: '0.00000000' },
          { filterType: 'NOTIONAL', minNotional: m.minNotional, applyMinToMarket: true, maxNotional: '9000000.00000000', applyMaxToMarket: false, avgPriceMins: 5 },
          { filterType: 'MAX_NUM_ORDERS', maxNumOrders: 200 },
        ],
        permissions: [], permissionSets: [['SPOT']], defaultSelfTradePreventionMode: 'EXPIRE_MAKER',
        allowedSelfTradePreventionModes: ['EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'],
      })),
    };
  }

  private klines(p: Record<string, string>): unknown {
    if (p.symbol === undefined || !this.engine.markets.has(p.symbol)) throw new BinanceError(400, -1121, 'Invalid symbol.');
    const step = p.interval === undefined ? undefined : intervalMs[p.interval];
    if (step === undefined) throw new BinanceError(400, -1120, 'Invalid interval.');
    const limit = Math.min(1000, p.limit === undefined ? 500 : Number(p.limit));
    const start = p.startTime === undefined ? undefined : Number(p.startTime);
    const end = p.endTime === undefined ? undefined : Number(p.endTime);
    const all = this.bars.get(`${p.symbol}:${p.interval}`) ?? [];
    const now = this.now();
    // A candle is served once it has opened; the last one may still be forming.
    let rows = all.filter((b) => b.openTime <= now && (start === undefined || b.openTime >= start) && (end === undefined || b.openTime <= end));
    rows = start === undefined ? rows.slice(-limit) : rows.slice(0, limit);
    return rows.map((b) => [
      b.openTime, fmt(b.open), fmt(b.high), fmt(b.low), fmt(b.close), fmt(b.volume), b.openTime + step - 1,
      fmt(b.volume * b.close), 100, fmt(b.volume / 2), fmt((b.volume / 2) * b.close), '0',
    ]);
  }

  private aggTrades(p: Record<string, string>): unknown {
    if (p.symbol === undefined || !this.engine.markets.has(p.symbol)) throw new BinanceError(400, -1121, 'Invalid symbol.');
    const limit = Math.min(1000, p.limit === undefined ? 500 : Number(p.limit));
    const start = p.startTime === undefined ? undefined : Number(p.startTime);
    const end = p.endTime === undefined ? undefined : Number(p.endTime);
    if (start !== undefined && end !== undefined && end - start > 3_600_000) throw new BinanceError(400, -1127, 'More than 1 hours between startTime and endTime.');
    let rows = this.publicTrades.filter((t) => t.symbol === p.symbol && (start === undefined || t.time >= start) && (end === undefined || t.time <= end));
    rows = start === undefined ? rows.slice(-limit) : rows.slice(0, limit);
    return rows.map((t) => ({ a: t.id, p: fmt(t.price), q: fmt(t.qty), f: t.id, l: t.id, T: t.time, m: t.buyerMaker, M: true }));
  }

  private tickerPrice(p: Record<string, string>): unknown {
    const row = (symbol: string) => ({ symbol, price: fmt(this.engine.priceOf(symbol) ?? 0) });
    if (p.symbol !== undefined) {
      if (!this.engine.markets.has(p.symbol)) throw new BinanceError(400, -1121, 'Invalid symbol.');
      return row(p.symbol);
    }
    return [...this.engine.markets.keys()].map(row);
  }
}
