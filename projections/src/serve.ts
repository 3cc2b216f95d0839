// The read side as the runtime starts it: projector following the store, read models, REST API and live feed on one port.
import {
  barsBacktestRunner, eventStoreCommands, inProcessBacktestJobs, startApiServer, WsHub,
  type ApiOptions, type ApiServer, type ApiToken, type BacktestJobs, type ModelTrainingJobs, type ReadModels,
} from '@qts/adapters';
import type { Clock, EventStore } from '@qts/core';
import { uuidv7Ids, type BarClosed, type IdGenerator } from '@qts/schemas';
import type { ReadDb } from './db.ts';
import { followDeadLetters, type RawTopics } from './dead-letter-feed.ts';
import { createLiveFeed, type LiveFeed } from './live-feed.ts';
import { Projector, type ProjectorOptions, type RunningProjector } from './projector.ts';
import { createReadModels } from './read-models.ts';
import { ReadVersions } from './read-versions.ts';

export interface ServeReadSideOptions {
  readonly db: ReadDb;
  readonly store: EventStore;
  readonly token: ApiToken;
  readonly host?: string;
  readonly port?: number;
  readonly api?: Partial<Pick<ApiOptions, 'readAccess' | 'corsOrigins' | 'rateLimit' | 'bodyLimit' | 'log' | 'registry'>>;
  readonly ws?: { readonly heartbeatMs?: number; readonly maxBufferedBytes?: number };
  readonly projector?: ProjectorOptions;
  /** Where backtests get their bars; default: the bars projection. */
  readonly backtestBars?: (request: { instrument: string; timeframe: string; venue?: string | undefined; from?: number | undefined; to?: number | undefined }) => Promise<BarClosed[]>;
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
  /** Model training runs behind POST /api/v1/models/train; without them that route answers 503. */
  readonly training?: ModelTrainingJobs;
  /** The bus whose dead-letter topics (dlq.<topic>) feed the dead-letters read model; none when absent. */
  readonly deadLetters?: { readonly bus: RawTopics; readonly topics?: readonly string[]; readonly onError?: (error: unknown) => void };
}

export interface ServedReadSide {
  readonly projector: Projector;
  readonly running: RunningProjector;
  readonly read: ReadModels;
  readonly backtests: BacktestJobs;
  readonly api: ApiServer;
  readonly hub: WsHub;
  readonly feed: LiveFeed;
  /** ws://host:port/api/v1/ws */
  readonly wsUrl: string;
  close(): Promise<void>;
}

/** Loads a backtest's bars from the bars projection, page by page; refuses to mix venues. */
export function barsFromReadModels(read: ReadModels) {
  return async (r: { instrument: string; timeframe: string; venue?: string | undefined; from?: number | undefined; to?: number | undefined }): Promise<BarClosed[]> => {
    const out: BarClosed[] = [];
    let cursor: string | undefined;
    do {
      const page = await read.bars({ instrument: r.instrument, timeframe: r.timeframe as BarClosed['timeframe'] & '1m', from: r.from, to: r.to, cursor, limit: 1000, venue: r.venue });
      for (const b of page.items) {
        out.push({ venue: b.venue, instrument: b.instrument, timeframe: b.timeframe as BarClosed['timeframe'], openTime: b.openTime, closeTime: b.closeTime, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume });
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const venues = [...new Set(out.map((b) => b.venue))];
    if (venues.length > 1) throw new Error(`${r.instrument} has ${r.timeframe} bars from several venues (${venues.join(', ')}); name one`);
    return out;
  };
}

/** Migrates the read models, follows the store from the checkpoints, and serves /api/v1 (+ /api/v1/ws). */
export async function serveReadSide(o: ServeReadSideOptions): Promise<ServedReadSide> {
  const projector = new Projector(o.db, o.projector);
  await projector.migrate();
  const running = projector.run(o.store);
  const read = createReadModels(o.db, o.store);
  const clock = o.clock ?? { now: () => Date.now() };
  const ids = o.ids ?? uuidv7Ids;
  const backtests = inProcessBacktestJobs({ run: barsBacktestRunner(o.backtestBars ?? barsFromReadModels(read)), clock, ids });
  const commands = eventStoreCommands({ store: o.store, clock, ids, backtests });
  // In process, the projector's commit is the notification: a GET after it never sees the older answer.
  const versions = new ReadVersions();
  const countCommits = projector.onCommitted((_events, changed) => versions.changed(changed));
  const dlq = o.deadLetters
    ? await followDeadLetters({ ...o.deadLetters, db: o.db, onStored: () => projector.committed([], new Set(['dead_letters'])) })
    : null;
  const api = await startApiServer({
    read, commands, backtests, ...(o.training ? { training: o.training } : {}), store: o.store, token: o.token, readVersion: (route) => versions.of(route), ...(o.host ? { host: o.host } : {}), ...(o.port !== undefined ? { port: o.port } : {}), ...o.api,
  });
  let hub: WsHub | null = null;
  const feed = createLiveFeed(projector, o.db, read, () => hub!);
  // The dashboard served from this very origin may always connect; other browser origins only when configured.
  const origins = [api.url, api.url.replace('127.0.0.1', 'localhost'), ...(o.api?.corsOrigins ?? [])];
  hub = new WsHub({ token: o.token, snapshot: (c) => feed.snapshot(c), origins, ...(o.api?.log ? { log: o.api.log } : {}), ...o.ws });
  hub.attach(api.server);
  const h = hub;
  return {
    projector, running, read, backtests, api, hub: h, feed, wsUrl: `${api.url.replace('http', 'ws')}/api/v1/ws`,
    async close() {
      countCommits();
      await dlq?.stop();
      feed.stop();
      await h.close();
      await api.close();
      await running.close();
    },
  };
}
