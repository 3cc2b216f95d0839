// The live Venue over ccxt's unified API: orders by our clientOrderId, errors in our taxonomy, raw reports kept, secrets never shown.
import ccxt, { type Exchange } from 'ccxt';
import {
  InfrastructureError, UnknownOrderOutcome, ValidationError, VenueRateLimited, VenueRequestRefused, reconcileOrder, requestedOnly,
  type CancelResult, type Clock, type FetchOrderResult, type Venue, type VenueBalance, type VenueOrder, type VenueReport,
  type VenueRules, type VenueTrade, type VenueUpdate, type VenueWatch,
} from '@qts/core';
import { definitionOf, type OrderRequested, type RejectionReason } from '@qts/schemas';
import { classifyCcxtError, type CcxtFailure } from './errors.ts';
import { createCcxtExchange, prepareExchange, type CcxtExchangeOptions } from './exchange.ts';
import { toVenueBalances, toVenueOrder, toVenueTrade } from './normalise.ts';

/** The part of a pino logger the venue uses; every object it logs is free of credentials. */
export interface VenueLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

const silent: VenueLog = { debug() {}, info() {}, warn() {} };

export interface CcxtVenueOptions extends CcxtExchangeOptions {
  /** Venue name on events; default the exchange id. */
  readonly name?: string;
  readonly clock?: Clock;
  readonly log?: VenueLog;
  /** Retries after a rate-limit answer (the request was not processed). Default 4. */
  readonly rateLimitRetries?: number;
  /** Wait before retry n (from 1). Default 500 ms doubling, at most 8 s. */
  readonly backoffMs?: (attempt: number) => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** How often watch() polls the orders it tracks when the venue cannot push. Default 1 000 ms. */
  readonly pollIntervalMs?: number;
  /** watch(): 'stream' the user-data websocket (ccxt.pro watchOrders/watchMyTrades), or 'poll' fetchOrder; 'auto' streams when the exchange has it. */
  readonly updates?: 'auto' | 'stream' | 'poll';
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const defaultBackoff = (attempt: number): number => Math.min(8_000, 500 * 2 ** (attempt - 1));
const systemClock: Clock = { now: () => Date.now() };
const OPEN_TYPES = new Set(['market', 'limit']);

export class CcxtVenue implements Venue {
  readonly name: string;
  private readonly clock: Clock;
  private readonly log: VenueLog;
  private readonly secrets: readonly string[];
  private readonly retries: number;
  private readonly backoff: (attempt: number) => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly pollIntervalMs: number;
  private readonly updates: 'auto' | 'stream' | 'poll';
  /** Orders this process placed or looked up, for the polling watch: clientOrderId -> instrument. */
  private readonly tracked = new Map<string, string>();
  /**
   * Client order ids this process has sent. Binance refuses a duplicate id only while the first order is
   * open; a filled one would be placed again. So a second submit of the same id asks instead of sending.
   */
  private readonly sent = new Set<string>();

  private constructor(readonly exchange: Exchange, options: CcxtVenueOptions) {
    this.name = options.name ?? options.exchange;
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? silent;
    this.secrets = options.credentials ? [options.credentials.apiKey, options.credentials.secret] : [];
    this.retries = options.rateLimitRetries ?? 4;
    this.backoff = options.backoffMs ?? defaultBackoff;
    this.sleep = options.sleep ?? realSleep;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.updates = options.updates ?? 'auto';
  }

  /** True when watch() streams from the exchange's user-data websocket rather than polling. */
  get streamsUpdates(): boolean {
    const can = this.exchange.has['watchOrders'] === true && this.exchange.has['watchMyTrades'] === true;
    if (this.updates === 'stream' && !can) throw new VenueRequestRefused('NOT_SUPPORTED', `${this.name} cannot stream order updates through ccxt`, {});
    return this.updates !== 'poll' && can;
  }

  /** Builds the exchange and loads its markets (precision, limits) before the first order. */
  static async connect(options: CcxtVenueOptions): Promise<CcxtVenue> {
    const venue = new CcxtVenue(createCcxtExchange(options), options);
    await prepareExchange(venue.exchange);
    await venue.call('loadMarkets', { op: 'load markets' }, () => venue.exchange.loadMarkets());
    return venue;
  }

  /**
   * The instrument's increments, minimums and fees as the exchange publishes them (Binance: PRICE_FILTER
   * tickSize, LOT_SIZE stepSize and minQty, NOTIONAL minNotional), for the executor's sizing and rounding.
   */
  rulesFor(instrument: string): VenueRules {
    const m = this.exchange.markets?.[instrument];
    if (m === undefined) throw new ValidationError(`${this.name} has no market ${instrument}`, [{ path: 'instrument', message: 'unknown market' }]);
    const step = (p: number | undefined): number => (p === undefined ? 0 : this.exchange.precisionMode === ccxt.TICK_SIZE ? p : 10 ** -p);
    const bps = (fraction: number | undefined): number => Math.round((fraction ?? 0) * 10_000 * 1e6) / 1e6;
    return {
      tickSize: step(m.precision.price), lotStep: step(m.precision.amount),
      minQuantity: m.limits.amount?.min ?? 0, minNotional: m.limits.cost?.min ?? 0,
      makerFeeBps: bps(m.maker), takerFeeBps: bps(m.taker),
    };
  }

  async submit(order: OrderRequested): Promise<readonly VenueReport[]> {
    const submitted: VenueReport = { type: 'OrderSubmitted', data: { clientOrderId: order.clientOrderId, instrument: order.instrument, venue: this.name, ts: this.clock.now() } };
    const problem = this.unsupported(order);
    if (problem !== null) return [submitted, this.rejection(order, 'UNSUPPORTED', problem)];
    this.tracked.set(order.clientOrderId, order.instrument);
    if (this.sent.has(order.clientOrderId)) {
      const found = await this.fetchOrder(order.clientOrderId, order.instrument);
      if (found.found) return [submitted, ...this.reportsFor(order, found.order, 'submitted')];
      throw new UnknownOrderOutcome(order.clientOrderId, order.instrument, 'submit', 'sent before and not (yet) at the venue; resolve it instead of sending again');
    }
    const ccxtType = order.type === 'market' || order.type === 'stop-market' ? 'market' : 'limit';
    const params: Record<string, unknown> = { ...this.clientIdParam('create', order.clientOrderId) };
    if (ccxtType === 'limit') params['timeInForce'] = order.timeInForce;
    if (order.stopPrice !== undefined) params['triggerPrice'] = order.stopPrice;
    const ctx = { op: 'submit', clientOrderId: order.clientOrderId, instrument: order.instrument };
    this.log.debug({ ...ctx, side: order.side, type: order.type, quantity: order.quantity, limitPrice: order.limitPrice }, 'sending order');
    this.sent.add(order.clientOrderId);
    const outcome = await this.attempt(ctx, () => this.exchange.createOrder(order.instrument, ccxtType, order.side, order.quantity, ccxtType === 'limit' ? order.limitPrice : undefined, params));
    if (outcome.ok) {
      const venueOrder = await this.completeFills(toVenueOrder(outcome.value));
      this.log.info({ ...ctx, venueOrderId: venueOrder.venueOrderId, status: venueOrder.status, raw: venueOrder.raw }, 'venue report');
      return [submitted, ...this.reportsFor(order, venueOrder, 'submitted')];
    }
    const f = outcome.failure;
    switch (f.kind) {
      case 'insufficient-funds': return [submitted, this.rejection(order, 'INSUFFICIENT_FUNDS', f.message)];
      case 'order-rejected': return [submitted, this.rejection(order, f.code, f.message)];
      case 'duplicate-order': {
        // The venue already has this clientOrderId open: an earlier attempt got through. Report that order.
        this.log.warn(ctx, 'duplicate clientOrderId at the venue; reporting the order it already has');
        const found = await this.fetchOrder(order.clientOrderId, order.instrument);
        if (!found.found) throw new UnknownOrderOutcome(order.clientOrderId, order.instrument, 'submit', 'the venue called it a duplicate but does not show it');
        return [submitted, ...this.reportsFor(order, found.order, 'submitted')];
      }
      case 'refused': throw new VenueRequestRefused(f.code, `${this.name} refused the order ${order.clientOrderId}: ${f.message}`, ctx);
      case 'rate-limited':
      case 'clock-skew':
        // Refused before processing, so nothing was placed: a later submit of this id may send it again.
        this.sent.delete(order.clientOrderId);
        throw new VenueRateLimited(`${this.name} kept refusing order ${order.clientOrderId} (${f.kind}) after ${this.retries} retries; it was not placed`, ctx);
      case 'order-not-found':
      case 'unknown-outcome':
      case 'other':
        throw new UnknownOrderOutcome(order.clientOrderId, order.instrument, 'submit', f.message);
      default: return assertNever(f);
    }
  }

  async cancel(clientOrderId: string, instrument: string): Promise<CancelResult> {
    this.requireHas('cancelOrder');
    const ctx = { op: 'cancel', clientOrderId, instrument };
    const outcome = await this.attempt(ctx, () => this.exchange.cancelOrder(undefined as unknown as string, instrument, this.clientIdParam('query', clientOrderId)));
    if (outcome.ok) {
      const order = toVenueOrder(outcome.value);
      this.log.info({ ...ctx, venueOrderId: order.venueOrderId, status: order.status, raw: order.raw }, 'venue report');
      return {
        outcome: 'cancelled', order,
        report: { type: 'OrderCancelled', data: { clientOrderId, instrument, reason: 'cancelled at our request', ts: order.updatedAt || this.clock.now() }, meta: { venueRaw: order.raw } },
      };
    }
    const f = outcome.failure;
    if (f.kind === 'order-not-found' || f.kind === 'order-rejected') {
      // Not cancellable: either gone (filled, expired, cancelled) or never there. Ask which.
      const found = await this.fetchOrder(clientOrderId, instrument);
      if (!found.found) return { outcome: 'not-found', clientOrderId, instrument };
      if (found.order.status !== 'open') return { outcome: 'already-closed', order: found.order };
    }
    throw this.failureError(f, ctx, 'cancel');
  }

  async fetchOrder(clientOrderId: string, instrument: string): Promise<FetchOrderResult> {
    this.requireHas('fetchOrder');
    const ctx = { op: 'fetch order', clientOrderId, instrument };
    const outcome = await this.attempt(ctx, () => this.exchange.fetchOrder(undefined as unknown as string, instrument, this.clientIdParam('query', clientOrderId)));
    if (outcome.ok) {
      const order = await this.completeFills(toVenueOrder(outcome.value));
      this.log.debug({ ...ctx, venueOrderId: order.venueOrderId, status: order.status, raw: order.raw }, 'venue report');
      return { found: true, order };
    }
    if (outcome.failure.kind === 'order-not-found') return { found: false, clientOrderId, instrument };
    throw this.failureError(outcome.failure, ctx, 'fetch');
  }

  async fetchOpenOrders(instrument?: string): Promise<readonly VenueOrder[]> {
    this.requireHas('fetchOpenOrders');
    const ctx = { op: 'fetch open orders', instrument: instrument ?? '*' };
    const outcome = await this.attempt(ctx, () => this.exchange.fetchOpenOrders(instrument));
    if (!outcome.ok) throw this.failureError(outcome.failure, ctx, 'fetch');
    return outcome.value.map((o) => toVenueOrder(o));
  }

  async fetchMyTrades(instrument: string, since?: number): Promise<readonly VenueTrade[]> {
    this.requireHas('fetchMyTrades');
    const ctx = { op: 'fetch my trades', instrument };
    const byId = new Map<string, VenueTrade>();
    let from = since;
    // Pages of 1000 (Binance's maximum); a page that ends inside one millisecond is re-read from it, deduped by id.
    for (let page = 0; page < 100; page++) {
      const outcome = await this.attempt(ctx, () => this.exchange.fetchMyTrades(instrument, from, 1000));
      if (!outcome.ok) throw this.failureError(outcome.failure, ctx, 'fetch');
      const before = byId.size;
      for (const raw of outcome.value) {
        const t = toVenueTrade(raw);
        byId.set(t.fillId, t);
      }
      if (outcome.value.length < 1000 || byId.size === before || from === undefined) break;
      from = Math.max(...outcome.value.map((t) => t.timestamp ?? 0));
    }
    return [...byId.values()].sort((a, b) => a.ts - b.ts);
  }

  async fetchBalance(): Promise<readonly VenueBalance[]> {
    this.requireHas('fetchBalance');
    const ctx = { op: 'fetch balance' };
    const outcome = await this.attempt(ctx, () => this.exchange.fetchBalance());
    if (!outcome.ok) throw this.failureError(outcome.failure, ctx, 'fetch');
    return toVenueBalances(outcome.value);
  }

  /**
   * Order and trade updates as they happen: from the exchange's user-data websocket (Binance spot: the
   * WebSocket API's userDataStream.subscribe.signature, executionReport events) when ccxt has
   * watchOrders/watchMyTrades, else by polling fetchOrder for the orders this venue placed until they
   * close. `track` adds orders placed by an earlier process (polling only needs it).
   */
  async watch(handler: (update: VenueUpdate) => void, onError: (error: unknown) => void = () => {}): Promise<VenueWatch & { track(clientOrderId: string, instrument: string): void }> {
    const streaming = this.streamsUpdates;
    let stopped = false;
    const track = (clientOrderId: string, instrument: string): void => { this.tracked.set(clientOrderId, instrument); };
    const report = (e: unknown): void => {
      if (stopped) return;
      const f = classifyCcxtError(e, this.secrets);
      onError(e instanceof Error && !(e instanceof InfrastructureError) ? new InfrastructureError(`${this.name} update stream: ${f.message}`, { failure: f.kind }) : e);
    };
    if (streaming) {
      const ordersLoop = async (): Promise<void> => {
        while (!stopped) {
          try {
            const pending = this.exchange.watchOrders();
            this.guardFutures();
            for (const raw of await pending) {
              const order = toVenueOrder(raw);
              this.log.debug({ op: 'order update', clientOrderId: order.clientOrderId, status: order.status, raw: order.raw }, 'venue report');
              handler({ kind: 'order', order });
            }
          } catch (e) {
            report(e);
            if (!stopped) await this.sleep(this.pollIntervalMs);
          }
        }
      };
      const tradesLoop = async (): Promise<void> => {
        while (!stopped) {
          try {
            const pending = this.exchange.watchMyTrades();
            this.guardFutures();
            for (const raw of await pending) {
              const info = (raw as { info?: { C?: string; c?: string } }).info;
              const clientOrderId = info?.C || info?.c;
              const trade = toVenueTrade(raw);
              this.log.debug({ op: 'trade update', fillId: trade.fillId, venueOrderId: trade.venueOrderId, raw: info }, 'venue report');
              handler({ kind: 'trade', trade: clientOrderId ? { ...trade, clientOrderId } : trade });
            }
          } catch (e) {
            report(e);
            if (!stopped) await this.sleep(this.pollIntervalMs);
          }
        }
      };
      void ordersLoop();
      void tradesLoop();
      return { track, close: async () => { stopped = true; } };
    }

    const last = new Map<string, string>();
    const seenFills = new Set<string>();
    let timer: NodeJS.Timeout | null = null;
    const poll = async (): Promise<void> => {
      for (const [cid, instrument] of [...this.tracked]) {
        if (stopped) return;
        try {
          const r = await this.fetchOrder(cid, instrument);
          if (!r.found) continue;
          for (const fill of r.order.fills) {
            if (seenFills.has(fill.fillId)) continue;
            seenFills.add(fill.fillId);
            handler({ kind: 'trade', trade: { ...fill, clientOrderId: cid } });
          }
          const key = `${r.order.status}:${r.order.filledQuantity}`;
          if (last.get(cid) !== key) {
            last.set(cid, key);
            handler({ kind: 'order', order: r.order });
          }
          if (r.order.status !== 'open') this.tracked.delete(cid);
        } catch (e) {
          report(e);
        }
      }
    };
    const loop = (): void => {
      if (stopped) return;
      timer = setTimeout(() => { void poll().finally(loop); }, this.pollIntervalMs);
    };
    loop();
    return {
      track,
      close: async () => {
        stopped = true;
        if (timer !== null) clearTimeout(timer);
      },
    };
  }

  private async resyncClock(): Promise<void> {
    try {
      await this.exchange.loadTimeDifference();
    } catch (e) {
      this.log.warn({ error: classifyCcxtError(e, this.secrets).message }, 'could not read the venue clock');
    }
  }

  /**
   * ccxt.pro parks futures on its websocket clients (Binance's user-data subscription, for one) that it
   * may reject with nobody listening, e.g. on a refused signature; Node would crash on the unhandled
   * rejection. The waiting callers still receive it; this only marks each future handled.
   */
  private guardFutures(): void {
    const clients = (this.exchange as unknown as { clients?: Record<string, { futures?: Record<string, unknown> }> }).clients ?? {};
    for (const client of Object.values(clients)) {
      for (const future of Object.values(client.futures ?? {})) {
        if (future instanceof Promise) future.catch(() => {});
      }
    }
  }

  async close(): Promise<void> {
    const closable = this.exchange as unknown as { close?: () => Promise<void> };
    if (typeof closable.close === 'function') await closable.close();
  }

  /** Events for an order the venue answered with, as the order's stream should record them. */
  private reportsFor(order: OrderRequested, venueOrder: VenueOrder, storeStatus: 'requested' | 'submitted'): VenueReport[] {
    const known = { ...requestedOnly(order), status: storeStatus } as const;
    const r = reconcileOrder(known, venueOrder, [], this.clock.now(), null);
    for (const a of r.anomalies) this.log.warn({ clientOrderId: order.clientOrderId, venueOrderId: a.venueOrderId, detail: a.detail }, 'venue report disagrees with the order');
    const reports = r.events as VenueReport[];
    // The events' own schemas are the last gate: a zero-quantity fill or an empty trade id stops here, logged with its raw report.
    for (const report of reports) {
      const def = definitionOf(report.type);
      const checked = def.versions[def.latest]!.safeParse(report.data);
      if (!checked.success) {
        this.log.warn({ clientOrderId: order.clientOrderId, type: report.type, raw: venueOrder.raw, issues: checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }, 'venue report fails its event schema');
        throw new InfrastructureError(`${this.name} reported ${report.type} for ${order.clientOrderId} that fails its schema: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, { clientOrderId: order.clientOrderId });
      }
    }
    return reports;
  }

  /** Immediate answers may omit fills (ACK/RESULT responses): fetch the order's trades when the numbers do not add up. */
  private async completeFills(order: VenueOrder): Promise<VenueOrder> {
    const counted = order.fills.reduce((s, f) => s + f.quantity, 0);
    if (order.filledQuantity <= counted * (1 + 1e-9) + 1e-12 || !this.exchange.has['fetchMyTrades']) return order;
    const params = this.exchange.id === 'binance' ? { orderId: order.venueOrderId } : {};
    const ctx = { op: 'fetch order trades', clientOrderId: order.clientOrderId, instrument: order.instrument };
    const outcome = await this.attempt(ctx, () => this.exchange.fetchMyTrades(order.instrument, order.ts > 0 ? order.ts : undefined, 1000, params));
    if (!outcome.ok) throw this.failureError(outcome.failure, ctx, 'fetch');
    const trades = outcome.value.map((t) => toVenueTrade(t)).filter((t) => t.venueOrderId === order.venueOrderId);
    return toVenueOrderWith(order, trades);
  }

  private unsupported(order: OrderRequested): string | null {
    if (!this.exchange.has['createOrder']) return `${this.name} cannot create orders through ccxt`;
    if (!OPEN_TYPES.has(order.type) && !this.exchange.has['createStopOrder'] && !this.exchange.has['createTriggerOrder']) return `${this.name} has no ${order.type} orders`;
    if (order.timeInForce === 'DAY') return `${this.name} spot has no DAY time in force (use GTC and cancel at the session end)`;
    if (order.type !== 'market' && order.limitPrice === undefined && order.type !== 'stop-market') return `a ${order.type} order needs a limit price`;
    if (this.exchange.markets?.[order.instrument] === undefined) return `${this.name} has no market ${order.instrument}`;
    return null;
  }

  private rejection(order: OrderRequested, code: string, message: string): VenueReport {
    const reason: RejectionReason = { kind: 'VenueRejected', code: code.slice(0, 64), message: message.slice(0, 512) };
    return { type: 'OrderRejected', data: { clientOrderId: order.clientOrderId, signalId: order.signalId, strategyId: order.strategyId, instrument: order.instrument, reason, ts: this.clock.now() } };
  }

  private clientIdParam(use: 'create' | 'query', clientOrderId: string): Record<string, string> {
    if (this.exchange.id === 'binance') return use === 'create' ? { newClientOrderId: clientOrderId } : { origClientOrderId: clientOrderId };
    return { clientOrderId };
  }

  private requireHas(method: string): void {
    if (!this.exchange.has[method]) throw new VenueRequestRefused('NOT_SUPPORTED', `${this.name} does not support ${method} through ccxt`, { method });
  }

  private failureError(f: CcxtFailure, ctx: { op: string; clientOrderId?: string; instrument?: string }, operation: 'cancel' | 'fetch'): Error {
    switch (f.kind) {
      case 'unknown-outcome':
        return new UnknownOrderOutcome(ctx.clientOrderId ?? '*', ctx.instrument ?? '*', operation, f.message);
      case 'rate-limited':
      case 'clock-skew':
        return new VenueRateLimited(`${this.name} kept refusing ${ctx.op} (${f.kind}) after ${this.retries} retries`, ctx);
      case 'refused':
        return new VenueRequestRefused(f.code, `${this.name} refused ${ctx.op}: ${f.message}`, ctx);
      case 'order-rejected':
        return new VenueRequestRefused(f.code, `${this.name} refused ${ctx.op}: ${f.message}`, ctx);
      default:
        return new InfrastructureError(`${this.name} ${ctx.op} failed: ${f.message}`, ctx);
    }
  }

  /** Runs a ccxt call, retrying rate-limit answers with backoff; any other failure comes back classified, scrubbed. */
  private async attempt<T>(ctx: Record<string, unknown>, fn: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; failure: CcxtFailure }> {
    for (let attempt = 0; ; attempt++) {
      try {
        return { ok: true, value: await fn() };
      } catch (e) {
        const failure = classifyCcxtError(e, this.secrets);
        if (failure.kind === 'clock-skew' && attempt < this.retries) {
          // Refused before processing: learn the venue's clock again and resend with a fresh timestamp.
          this.log.warn({ ...ctx, attempt: attempt + 1, error: failure.message }, 'request timestamp outside the venue window; resyncing the clock offset');
          await this.resyncClock();
          continue;
        }
        if (failure.kind === 'rate-limited' && attempt < this.retries) {
          const wait = this.backoff(attempt + 1);
          this.log.warn({ ...ctx, attempt: attempt + 1, waitMs: wait, error: failure.message }, 'rate limited by the venue; retrying');
          await this.sleep(wait);
          continue;
        }
        this.log.warn({ ...ctx, failure: failure.kind, error: failure.message }, 'venue request failed');
        return { ok: false, failure };
      }
    }
  }

  /** loadMarkets and other calls with no order context: rate limits retried, anything else thrown typed. */
  private async call<T>(method: string, ctx: { op: string }, fn: () => Promise<T>): Promise<T> {
    const outcome = await this.attempt({ ...ctx, method }, fn);
    if (outcome.ok) return outcome.value;
    const f = outcome.failure;
    if (f.kind === 'refused') throw new VenueRequestRefused(f.code, `${this.name} refused ${ctx.op}: ${f.message}`, ctx);
    throw new InfrastructureError(`${this.name} ${ctx.op} failed: ${f.message}`, ctx);
  }
}

function toVenueOrderWith(order: VenueOrder, trades: readonly VenueTrade[]): VenueOrder {
  const byId = new Map(order.fills.map((f) => [f.fillId, f] as const));
  for (const t of trades) if (!byId.has(t.fillId)) byId.set(t.fillId, order.clientOrderId ? { ...t, clientOrderId: order.clientOrderId } : t);
  return { ...order, fills: [...byId.values()].sort((a, b) => a.ts - b.ts) };
}

function assertNever(value: never): never {
  throw new ValidationError(`unhandled venue failure ${JSON.stringify(value)}`, []);
}

