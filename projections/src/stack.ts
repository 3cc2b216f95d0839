// The read side wired end to end for tests, benchmarks and the embedded runtime: event store, projector, read models, API.
import { createPgliteDb, createPostgresDb, PostgresEventStore, tokenFromSecret, type ApiOptions, type ApiServer, type ModelTrainingJobs, type PgDatabase, type ReadModels, type WsHub } from '@qts/adapters';
import { sql } from 'kysely';
import type { DomainEvent } from '@qts/schemas';
import type { ReadDb } from './db.ts';
import type { Projector, ProjectorOptions, RunningProjector } from './projector.ts';
import type { LiveFeed } from './live-feed.ts';
import { serveReadSide, type ServeReadSideOptions } from './serve.ts';

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
  /** A bus whose dead-letter topics feed the dead-letters read model. */
  readonly deadLetters?: ServeReadSideOptions['deadLetters'];
  /** Model training runs for POST /models/train; none (503) when absent. */
  readonly training?: ModelTrainingJobs;
}

export async function startReadSide(options: StackOptions = {}): Promise<ReadSideStack> {
  const database = options.postgres
    ? await createPostgresDb(options.postgres.url, { schema: options.postgres.schema, maxConnections: 20 })
    : await createPgliteDb('memory://');
  const db = database.db as ReadDb;
  const store = await PostgresEventStore.create(database, { schema: options.postgres ? `${options.postgres.schema}_es` : 'event_store', pollIntervalMs: 50 });
  const token = options.token ?? 'test-token-0123456789';
  const served = await serveReadSide({ db, store, token: tokenFromSecret(token), api: { rateLimit: false, ...options.api }, ...(options.ws ? { ws: options.ws } : {}), ...(options.projector ? { projector: options.projector } : {}), ...(options.deadLetters ? { deadLetters: options.deadLetters } : {}), ...(options.training ? { training: options.training } : {}) });
  const { projector, running, read, api, hub, feed, wsUrl } = served;
  return {
    database, db, store, projector, running, read, api, hub, feed, token, wsUrl,
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
      await served.close();
      await store.close();
      if (options.postgres && options.postgres.dropOnClose !== false) {
        for (const schema of [options.postgres.schema, `${options.postgres.schema}_es`]) await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db).catch(() => undefined);
      }
      await database.close();
    },
  };
}
