// The live market feed: an exchange's candles through ccxt (websocket or polling) become BarClosed events, closed bars only, each once.
//
// On start it fills the store up to now from the exchange's history (from the last stored bar, or
// `warmupBars` back on an empty store), then follows the live candles; a bar arriving after a gap (a
// dropped websocket) first fills the gap from history. A bar's id derives from its series and open
// time, and a series only ever grows forwards, so a restart, a reconnect or an overlap of history and
// stream makes no second bar. Each bar goes to the store first, then the bus.
import { catalog, timeframeToMs, topics, type BarClosed, type Timeframe } from '@qts/schemas';
import type { Bus, Clock, EventStore } from '@qts/core';
import { CcxtMarketData } from '@qts/adapters';
import type { RuntimeConfig } from '../runtime/config.ts';
import type { Logger } from '../runtime/log.ts';
import { barEvent } from './replay-ingest.ts';

/** The part of CcxtMarketData the feed uses. */
export interface CandleSource {
  readonly venue: string;
  backfillBars(instrument: string, timeframe: Timeframe, since: number, until?: number): AsyncGenerator<BarClosed[]>;
  watchBars(instrument: string, timeframe: Timeframe, onBar: (bar: BarClosed) => void, onError?: (e: unknown) => void): Promise<{ close(): Promise<void> }>;
}

export interface ExchangeIngestConfig {
  readonly symbols: readonly string[];
  readonly timeframe: Timeframe;
  /** Closed bars fetched from history when the store holds none of a series (strategy warm-up). */
  readonly warmupBars: number;
}

export interface ExchangeIngestDeps {
  readonly market: CandleSource;
  readonly store: EventStore;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly log: Logger;
}

export interface RunningIngest {
  /** Bars recorded and published by this process. */
  readonly published: () => number;
  /** Resolves when every series has caught up with the exchange's history (tests, health). */
  readonly caughtUp: Promise<void>;
  stop(): Promise<void>;
}

async function lastStoredOpenTime(store: EventStore, stream: string): Promise<number> {
  for await (const stored of store.readStream(stream, { direction: 'backwards', maxCount: 1 })) {
    if (stored.event.type === 'BarClosed') return stored.event.data.openTime;
  }
  return -Infinity;
}

export async function startExchangeIngest(config: ExchangeIngestConfig, deps: ExchangeIngestDeps): Promise<RunningIngest> {
  const { market, store, bus, clock, log } = deps;
  const tfMs = timeframeToMs(config.timeframe);
  let published = 0;
  let stopped = false;
  const watches: { close(): Promise<void> }[] = [];
  const caught: Promise<void>[] = [];

  for (const instrument of config.symbols) {
    const stream = catalog.BarClosed.stream({ venue: market.venue, instrument, timeframe: config.timeframe } as BarClosed);
    let last = await lastStoredOpenTime(store, stream);
    // One bar at a time per series, in order: history and live candles go through the same queue.
    let queue: Promise<void> = Promise.resolve();
    const enqueue = (work: () => Promise<void>): Promise<void> => {
      queue = queue.then(work).catch((e: unknown) => log.error({ err: e, instrument, stream }, 'bar not recorded; the next bar fills the gap from history'));
      return queue;
    };
    const emit = async (bar: BarClosed): Promise<void> => {
      if (bar.openTime <= last || stopped) return;
      const event = barEvent(bar, clock.now());
      await store.append(event.stream, [event], 'any');
      await bus.publish(topics.bars, event.key, [event]);
      last = bar.openTime;
      published++;
    };
    const fill = async (since: number, until: number): Promise<void> => {
      if (until <= since) return;
      for await (const page of market.backfillBars(instrument, config.timeframe, since, until)) {
        for (const bar of page) await emit(bar);
        if (stopped) return;
      }
    };
    // Subscribe first, then fetch history up to now: a bar closing in between is in one or the other.
    watches.push(await market.watchBars(instrument, config.timeframe, (bar) => {
      log.debug({ instrument, openTime: bar.openTime, last }, 'live candle closed');
      void enqueue(async () => {
        if (Number.isFinite(last) && bar.openTime > last + tfMs) {
          log.warn({ instrument, from: last + tfMs, to: bar.openTime }, 'gap in the live candles; filling it from history');
          await fill(last + tfMs, bar.openTime);
        }
        await emit(bar);
      });
    }, (e) => log.warn({ err: e, instrument }, 'candle stream failed; retrying')));
    const since = Number.isFinite(last) ? last + tfMs : clock.now() - (config.warmupBars + 1) * tfMs;
    log.info({ instrument, stream, since: new Date(since).toISOString(), resumes: Number.isFinite(last) }, 'exchange feed catching up from history');
    caught.push(enqueue(() => fill(since, clock.now())));
  }

  return {
    published: () => published,
    caughtUp: Promise.all(caught).then(() => undefined),
    async stop() {
      stopped = true;
      for (const w of watches) await w.close();
    },
  };
}

type CcxtFeedConfig = Extract<RuntimeConfig['market'], { kind: 'ccxt' }>;

/** The feed the runtime config names: public market data needs no credentials. */
export async function startCcxtFeed(feed: CcxtFeedConfig, deps: Omit<ExchangeIngestDeps, 'market'>): Promise<RunningIngest> {
  const market = CcxtMarketData.create({
    exchange: feed.exchange, sandbox: feed.sandbox, updates: feed.updates, clock: deps.clock,
    ...(feed.baseUrl !== undefined ? { baseUrl: feed.baseUrl } : {}),
  });
  const running = await startExchangeIngest({ symbols: feed.symbols, timeframe: feed.timeframe, warmupBars: feed.warmupBars }, { ...deps, market });
  return {
    ...running,
    async stop() {
      await running.stop();
      await market.close();
    },
  };
}
