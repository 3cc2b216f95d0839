// Market data over ccxt: paged OHLCV history for backfills, and live trades and closed bars (websocket when the exchange has it, polling otherwise).
import type { Exchange } from 'ccxt';
import { InfrastructureError, ValidationError, type Clock } from '@qts/core';
import { timeframeToMs, type BarClosed, type Timeframe, type TradeTick } from '@qts/schemas';
import { classifyCcxtError } from './errors.ts';
import { createCcxtExchange, prepareExchange, type CcxtExchangeOptions } from './exchange.ts';
import { toBar, toTradeTick } from './normalise.ts';

export interface CcxtMarketDataOptions extends CcxtExchangeOptions {
  /** Venue name on events; default the exchange id. */
  readonly venue?: string;
  readonly clock?: Clock;
  /** Candles per request; default the exchange's maximum we know (1000 for Binance), else 500. */
  readonly pageSize?: number;
  /** Polling interval for watchBars when the exchange cannot stream candles. Default 5 000 ms. */
  readonly pollIntervalMs?: number;
  /** Retries per page after a rate limit or network error (reads are safe to repeat). Default 5. */
  readonly retries?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Live data: 'stream' through ccxt.pro websockets, 'poll' the REST API; 'auto' streams when the exchange has it. */
  readonly updates?: 'auto' | 'stream' | 'poll';
}

export interface MarketWatch {
  close(): Promise<void>;
}

/**
 * Turns a stream of candle snapshots (the forming candle repeated as it updates) into closed bars: a
 * candle is emitted once a later candle has started, or once the clock has passed its close time.
 */
export class BarCloser {
  private pending: BarClosed | null = null;
  private lastEmittedOpen = -1;

  /** Feeds a candle snapshot; returns the bars this closes (usually none or one), oldest first. */
  push(bar: BarClosed, now: number): BarClosed[] {
    const out: BarClosed[] = [];
    if (bar.openTime <= this.lastEmittedOpen) return out;
    if (this.pending !== null && bar.openTime > this.pending.openTime) {
      out.push(this.pending);
      this.lastEmittedOpen = this.pending.openTime;
      this.pending = null;
    }
    if (this.pending === null || bar.openTime >= this.pending.openTime) this.pending = bar;
    return out.concat(this.flush(now));
  }

  /** Emits the pending candle if its close time has passed (a quiet market sends no next candle). */
  flush(now: number): BarClosed[] {
    if (this.pending === null || now < this.pending.closeTime) return [];
    const bar = this.pending;
    this.pending = null;
    this.lastEmittedOpen = bar.openTime;
    return [bar];
  }
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class CcxtMarketData {
  readonly venue: string;
  private readonly clock: Clock;
  private readonly pageSize: number;
  private readonly pollIntervalMs: number;
  private readonly retries: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private loaded = false;
  private readonly updates: 'auto' | 'stream' | 'poll';

  constructor(readonly exchange: Exchange, options: Omit<CcxtMarketDataOptions, 'exchange'> & { exchange?: string } = {}) {
    this.venue = options.venue ?? exchange.id;
    this.clock = options.clock ?? { now: () => Date.now() };
    this.pageSize = options.pageSize ?? (exchange.id === 'binance' ? 1000 : 500);
    this.pollIntervalMs = options.pollIntervalMs ?? 5_000;
    this.retries = options.retries ?? 5;
    this.sleep = options.sleep ?? realSleep;
    this.updates = options.updates ?? 'auto';
  }

  static create(options: CcxtMarketDataOptions): CcxtMarketData {
    return new CcxtMarketData(createCcxtExchange(options), options);
  }

  /**
   * Closed bars from `since` (inclusive, epoch ms) to `until` (exclusive; default now), page by page.
   * A bar still forming is never returned. Yields each page as it arrives, so a caller can store it.
   */
  async *backfillBars(instrument: string, timeframe: Timeframe, since: number, until?: number): AsyncGenerator<BarClosed[]> {
    const tfMs = this.requireTimeframe(timeframe);
    await this.ensureMarkets(instrument);
    if (!this.exchange.has['fetchOHLCV']) throw new ValidationError(`${this.venue} has no OHLCV history through ccxt`, [{ path: 'exchange', message: 'no fetchOHLCV' }]);
    const end = Math.min(until ?? Infinity, this.clock.now());
    let from = since;
    while (from < end) {
      const params = Number.isFinite(end) && this.exchange.id === 'binance' ? { until: end - 1 } : {};
      const page = await this.retrying(`fetch ${instrument} ${timeframe} candles`, () => this.exchange.fetchOHLCV(instrument, timeframe, from, this.pageSize, params));
      const bars: BarClosed[] = [];
      let lastOpen = -1;
      for (const raw of page) {
        const bar = toBar(raw, this.venue, instrument, timeframe, tfMs);
        lastOpen = Math.max(lastOpen, bar.openTime);
        if (bar.openTime >= from && bar.openTime < end && bar.closeTime <= this.clock.now()) bars.push(bar);
      }
      if (bars.length > 0) yield bars;
      if (page.length === 0 || lastOpen < from) return;
      from = lastOpen + tfMs;
    }
  }

  /** Live trades: ccxt.pro's watchTrades when the exchange has it; otherwise polling fetchTrades. */
  async watchTrades(instrument: string, onTick: (tick: TradeTick) => void, onError: (e: unknown) => void = () => {}): Promise<MarketWatch> {
    await this.ensureMarkets(instrument);
    let stopped = false;
    const seen = new Set<string>();
    const emit = (raw: unknown): void => {
      const tick = toTradeTick(raw, this.venue);
      if (tick.tradeId !== undefined) {
        if (seen.has(tick.tradeId)) return;
        seen.add(tick.tradeId);
        if (seen.size > 10_000) seen.clear();
      }
      onTick(tick);
    };
    const stream = this.streaming('watchTrades');
    const run = async (): Promise<void> => {
      let since: number | undefined = this.clock.now();
      while (!stopped) {
        try {
          if (stream) {
            for (const t of await this.exchange.watchTrades(instrument)) emit(t);
          } else {
            const trades = await this.exchange.fetchTrades(instrument, since);
            for (const t of trades) emit(t);
            if (trades.length > 0) since = trades[trades.length - 1]!.timestamp ?? since;
            await this.sleep(this.pollIntervalMs);
          }
        } catch (e) {
          if (stopped) return;
          onError(e);
          await this.sleep(this.pollIntervalMs);
        }
      }
    };
    void run();
    return { close: async () => { stopped = true; } };
  }

  /**
   * Closed bars as they close: watchOHLCV when the exchange streams candles, else polling fetchOHLCV.
   * A bar is emitted when the next candle starts (or its close time passes), never while it forms.
   */
  async watchBars(instrument: string, timeframe: Timeframe, onBar: (bar: BarClosed) => void, onError: (e: unknown) => void = () => {}): Promise<MarketWatch> {
    const tfMs = this.requireTimeframe(timeframe);
    await this.ensureMarkets(instrument);
    const closer = new BarCloser();
    let stopped = false;
    const stream = this.streaming('watchOHLCV');
    const run = async (): Promise<void> => {
      while (!stopped) {
        try {
          const candles = stream
            ? await this.exchange.watchOHLCV(instrument, timeframe)
            : await this.exchange.fetchOHLCV(instrument, timeframe, this.clock.now() - 2 * tfMs, 10);
          for (const raw of candles) for (const bar of closer.push(toBar(raw, this.venue, instrument, timeframe, tfMs), this.clock.now())) onBar(bar);
          for (const bar of closer.flush(this.clock.now())) onBar(bar);
          if (!stream) await this.sleep(this.pollIntervalMs);
        } catch (e) {
          if (stopped) return;
          onError(e);
          await this.sleep(this.pollIntervalMs);
        }
      }
    };
    void run();
    return { close: async () => { stopped = true; } };
  }

  async close(): Promise<void> {
    const closable = this.exchange as unknown as { close?: () => Promise<void> };
    if (typeof closable.close === 'function') await closable.close();
  }

  private streaming(method: 'watchTrades' | 'watchOHLCV'): boolean {
    const can = this.exchange.has[method] === true;
    if (this.updates === 'stream' && !can) throw new ValidationError(`${this.venue} cannot stream through ccxt (${method})`, [{ path: 'updates', message: 'no websocket support' }]);
    return this.updates !== 'poll' && can;
  }

  private requireTimeframe(timeframe: Timeframe): number {
    const tfMs = timeframeToMs(timeframe);
    const known = this.exchange.timeframes as Record<string, unknown> | undefined;
    if (tfMs === 0 || (known !== undefined && !(timeframe in known))) {
      throw new ValidationError(`${this.venue} has no ${timeframe} candles; it has ${Object.keys(known ?? {}).join(', ')}`, [{ path: 'timeframe', message: 'unsupported' }]);
    }
    return tfMs;
  }

  private async ensureMarkets(instrument: string): Promise<void> {
    if (!this.loaded) {
      await prepareExchange(this.exchange);
      await this.retrying('load markets', () => this.exchange.loadMarkets());
      this.loaded = true;
    }
    if (this.exchange.markets?.[instrument] === undefined) {
      throw new ValidationError(`${this.venue} has no market ${instrument}`, [{ path: 'symbol', message: 'unknown market' }]);
    }
  }

  /** Reads are safe to repeat: rate limits and network errors are retried with backoff, the rest thrown typed. */
  private async retrying<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        const f = classifyCcxtError(e, []);
        const transient = f.kind === 'rate-limited' || f.kind === 'unknown-outcome' || f.kind === 'clock-skew';
        if (transient && attempt < this.retries) {
          await this.sleep(Math.min(8_000, 500 * 2 ** attempt));
          continue;
        }
        throw new InfrastructureError(`${this.venue}: ${what} failed: ${f.message}`, { failure: f.kind });
      }
    }
  }
}
