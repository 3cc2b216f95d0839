// The read side wired end to end for tests, benchmarks and the embedded runtime: event store, projector, read models, API.
import {
  barsBacktestRunner, WsHub, createPgliteDb, createPostgresDb, eventStoreCommands, inProcessBacktestJobs, PostgresEventStore, startApiServer,
  tokenFromSecret, type ApiOptions, type ApiServer, type PgDatabase, type ReadModels,
} from '@qts/adapters';
import { sql } from 'kysely';
import { uuidv7Ids, type BarClosed, type DomainEvent } from '@qts/schemas';
import type { ReadDb } from './db.ts';
import { Projector, type ProjectorOptions, type RunningProjector } from './projector.ts';
import { createReadModels } from './read-models.ts';
import { createLiveFeed, type LiveFeed } from './live-feed.ts';

export interface ReadSideStack {
  readonly database: PgDatabase;
  readonly db: ReadDb;
  readonly store: PostgresEventStore;
  readonly projector: Projector;
  readonly running: RunningProjector;
  readonly read: ReadModels;
  readonly api: ApiServer;
  readonly hub: WsHub;
  readonly feed: LiveFeed;
  /** ws://host:port/api/v1/ws */
  readonly wsUrl: string;
  readonly token: string;
  /** Appends events to their streams (expected revision 'any'), as the rest of the system would. */
  append(events: readonly DomainEvent[]): Promise<void>;
  close(): Promise<void>;
}

export interface StackOptions {
  /** A Postgres URL and schema for the read models and the event store; PGlite in memory when absent. */
  readonly postgres?: { readonly url: string; readonly schema: string; /** Drop both schemas on close (tests). Default true. */ readonly dropOnClose?: boolean };
  readonly projector?: ProjectorOptions;
  readonly api?: Partial<Pick<ApiOptions, 'readAccess' | 'corsOrigins' | 'rateLimit' | 'bodyLimit' | 'log'>>;
  readonly token?: string;
  readonly ws?: { readonly heartbeatMs?: number; readonly maxBufferedBytes?: number };
}

/** Loads a backtest's bars from the bars projection, page by page. */
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

export async function startReadSide(options: StackOptions = {}): Promise<ReadSideStack> {
  const database = options.postgres
    ? await createPostgresDb(options.postgres.url, { schema: options.postgres.schema, maxConnections: 20 })
    : await createPgliteDb('memory://');
  const db = database.db as ReadDb;
  const store = await PostgresEventStore.create(database, { schema: options.postgres ? `${options.postgres.schema}_es` : 'event_store', pollIntervalMs: 50 });
  const projector = new Projector(db, options.projector);
  await projector.migrate();
  const running = projector.run(store);
  const read = createReadModels(db);
  const clock = { now: () => Date.now() };
  const backtests = inProcessBacktestJobs({ run: barsBacktestRunner(barsFromReadModels(read)), clock, ids: uuidv7Ids });
  const commands = eventStoreCommands({ store, clock, ids: uuidv7Ids, backtests });
  const token = options.token ?? 'test-token-0123456789';
  const api = await startApiServer({ read, commands, backtests, store, token: tokenFromSecret(token), rateLimit: false, ...options.api });
  let hub: WsHub | null = null;
  const feed = createLiveFeed(projector, db, read, () => hub!);
  hub = new WsHub({ token: tokenFromSecret(token), snapshot: (c) => feed.snapshot(c), ...options.ws });
  hub.attach(api.server);
  return {
    database, db, store, projector, running, read, api, hub, feed, token, wsUrl: `${api.url.replace('http', 'ws')}/api/v1/ws`,
    async append(events) {
      // Consecutive events of one stream go in one append; the global order of the input is kept.
      for (let i = 0; i < events.length;) {
        let j = i + 1;
        while (j < events.length && events[j]!.stream === events[i]!.stream) j++;
        await store.append(events[i]!.stream, events.slice(i, j), 'any');
        i = j;
      }
    },
    async close() {
      feed.stop();
      await hub!.close();
      await api.close();
      await running.close();
      await store.close();
      if (options.postgres && options.postgres.dropOnClose !== false) {
        for (const schema of [options.postgres.schema, `${options.postgres.schema}_es`]) await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db).catch(() => undefined);
      }
      await database.close();
    },
  };
}
