// Kysely databases over a Postgres server (pg Pool) or embedded PGlite, with LISTEN and a clean close.
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';

/** Stops a LISTEN registered with `PgDatabase.listen`. */
export type Unlisten = () => Promise<void>;

export interface PgDatabase<DB = unknown> {
  readonly db: Kysely<DB>;
  readonly kind: 'postgres' | 'pglite';
  /**
   * Calls `onNotify` for each NOTIFY on `channel`, delivered after the notifying transaction commits.
   * Notifications are wake-ups, not data: after the LISTEN connection is replaced, every listener is called
   * once with an empty payload, since notifications sent in between are lost.
   */
  listen(channel: string, onNotify: (payload: string) => void): Promise<Unlisten>;
  close(): Promise<void>;
}

export interface PostgresDbOptions {
  /** Created if missing and put first on every connection's search_path, so unqualified tables land there. */
  readonly schema?: string;
  readonly maxConnections?: number;
  /** Shown in pg_stat_activity; the LISTEN connection gets a ':listen' suffix. */
  readonly applicationName?: string;
}

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * A Postgres server through a pg Pool.
 * @example const { db, close } = await createPostgresDb(process.env.PG_URL!, { schema: 'qts' });
 */
export async function createPostgresDb<DB = unknown>(url: string, options: PostgresDbOptions = {}): Promise<PgDatabase<DB>> {
  const { schema } = options;
  const applicationName = options.applicationName ?? 'qts';
  if (schema) {
    // A short-lived client: the pool's connections must not start before the schema exists.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`create schema if not exists ${quoteIdent(schema)}`);
    } catch (e) {
      // Two processes creating the same schema at once race on the catalog's unique index.
      if ((e as { code?: string }).code !== '23505') throw e;
    } finally {
      await client.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    application_name: applicationName,
    ...(schema ? { options: `-c search_path=${quoteIdent(schema)},public` } : {}),
  });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  // Nor may a checked-out one (pg-pool listens only while a client is idle): a server restart between two
  // statements of a transaction emits 'error' on it; its queries fail and the caller retries.
  pool.on('connect', (client) => { client.on('error', () => {}); });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });

  // One dedicated connection carries every LISTEN of this database. When it drops (server restart, network),
  // it is replaced and re-subscribed after a pause; listeners poll meanwhile, so nothing is lost, only later.
  let listener: pg.Client | null = null;
  let connecting: Promise<pg.Client> | null = null;
  let closed = false;
  let reconnectTimer: NodeJS.Timeout | null = null;
  const handlers = new Map<string, Set<(payload: string) => void>>();
  const connectListener = (): Promise<pg.Client> => {
    if (listener) return Promise.resolve(listener);
    connecting ??= (async () => {
      const client = new pg.Client({ connectionString: url, application_name: `${applicationName}:listen` });
      client.on('notification', (n) => {
        for (const h of handlers.get(n.channel) ?? []) h(n.payload ?? '');
      });
      const lost = (): void => {
        if (listener !== client) return;
        listener = null;
        client.end().catch(() => {});
        if (closed || handlers.size === 0 || reconnectTimer) return;
        reconnectTimer = setTimeout(() => {
          reconnectTimer = null;
          if (closed) return;
          connectListener().then(() => {
            for (const set of handlers.values()) for (const h of set) h('');
          }, lost);
        }, 1_000);
        reconnectTimer.unref();
      };
      client.on('error', lost);
      client.on('end', lost);
      try {
        await client.connect();
        for (const channel of handlers.keys()) await client.query(`listen ${quoteIdent(channel)}`);
      } catch (e) {
        connecting = null;
        await client.end().catch(() => {});
        throw e;
      }
      listener = client;
      connecting = null;
      return client;
    })();
    return connecting;
  };

  return {
    db,
    kind: 'postgres',
    async listen(channel, onNotify) {
      let set = handlers.get(channel);
      const fresh = !set;
      if (!set) {
        set = new Set();
        handlers.set(channel, set);
      }
      set.add(onNotify);
      try {
        const client = await connectListener();
        // If the client connected after this channel was registered it listens already; a second LISTEN is a no-op.
        if (fresh && client === listener) await client.query(`listen ${quoteIdent(channel)}`);
      } catch (e) {
        set.delete(onNotify);
        if (set.size === 0) handlers.delete(channel);
        throw e;
      }
      return async () => {
        const s = handlers.get(channel);
        if (!s?.delete(onNotify) || s.size > 0) return;
        handlers.delete(channel);
        await listener?.query(`unlisten ${quoteIdent(channel)}`).catch(() => {});
      };
    },
    async close() {
      closed = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      handlers.clear();
      const l = listener ?? (connecting ? await connecting.catch(() => null) : null);
      listener = null;
      await l?.end().catch(() => {});
      await db.destroy();
    },
  };
}

export interface PgliteDbOptions {
  readonly schema?: string;
}

/**
 * Embedded Postgres (PGlite, WASM) in this process: `'memory://'` or a data directory.
 * One connection: statements and transactions are serialised.
 * @example const { db, close } = await createPgliteDb('var/pglite');
 */
export async function createPgliteDb<DB = unknown>(dataDir: string, options: PgliteDbOptions = {}): Promise<PgDatabase<DB>> {
  const client = await PGlite.create(dataDir);
  const db = new Kysely<DB>({ dialect: new PGliteDialect(client) });
  if (options.schema) {
    await sql`create schema if not exists ${sql.id(options.schema)}`.execute(db);
    // One connection for the life of the database, so a session setting holds for every query.
    await sql`set search_path to ${sql.id(options.schema)}, public`.execute(db);
  }
  return {
    db,
    kind: 'pglite',
    async listen(channel, onNotify) {
      const unsubscribe = await client.listen(channel, onNotify);
      return async () => {
        if (!client.closed) await unsubscribe();
      };
    },
    async close() {
      if (!client.closed) await db.destroy();
    },
  };
}
