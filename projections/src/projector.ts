// The projector: feeds batches of stored events to projections, rows and checkpoint in one transaction.
import { Migrator, NO_MIGRATIONS, sql, type Kysely, type Migration } from 'kysely';
import { ValidationError, type EventStore, type StoredEvent, type Subscription } from '@qts/core';
import type { ReadDb, ReadTx } from './db.ts';
import type { Positioned, Projection } from './projection.ts';
import { deadLetterMigrations } from './projections/dead-letters.ts';
import { defaultProjections } from './projections/index.ts';
import { notifyReadModels } from './read-versions.ts';

export interface ProjectorOptions {
  readonly projections?: readonly Projection[];
  /** Events per transaction when following a store. */
  readonly batchSize?: number;
  /** How long a partial batch may wait for more events before it is written. */
  readonly flushMs?: number;
  readonly onError?: (error: unknown) => void;
  /**
   * 1 (default): every projection of a batch in one transaction (all read models move together; the
   * only choice on PGlite's single connection). N > 1: each projection in its own transaction, N at once,
   * for throughput on a Postgres server; each still commits its rows with its own checkpoint.
   */
  readonly concurrency?: number;
  /**
   * Also tell other processes: each commit sends NOTIFY qts_read_models '<schema>:<read models>' inside its
   * transaction, so an API in another process (listenReadModels) drops its cached answers once it commits.
   */
  readonly notify?: boolean;
}

export interface RunningProjector {
  /** Resolves once everything stored when it started is projected. */
  readonly caughtUp: Promise<void>;
  close(): Promise<void>;
}

/**
 * Told after each commit: the events that reached at least one projection, and the read models whose
 * rows may have changed (projection names; 'dead_letters' when a dead letter was stored).
 */
export type CommittedListener = (events: readonly Positioned[], changed: ReadonlySet<string>) => void;

const checkpointMigrations: Record<string, Migration> = {
  '001_checkpoints': {
    async up(db: Kysely<unknown>) {
      await db.schema.createTable('projection_checkpoints')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('position', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('projection_checkpoints').ifExists().execute();
    },
  },
};

/**
 * Kysely's migrator looks for its tables in every schema; naming ours (the connection's current one)
 * keeps two read-model schemas on one server from mistaking each other's migration tables.
 */
async function migrator(db: ReadDb, name: string, migrations: Readonly<Record<string, Migration>>): Promise<Migrator> {
  const { rows } = await sql<{ s: string }>`select current_schema() as s`.execute(db);
  return new Migrator({
    db: db as Kysely<unknown>,
    provider: { getMigrations: async () => ({ ...migrations }) },
    migrationTableSchema: rows[0]!.s,
    migrationTableName: `qts_migrations_${name.replace(/[^a-z0-9_]/gi, '_')}`,
    migrationLockTableName: `qts_migrations_${name.replace(/[^a-z0-9_]/gi, '_')}_lock`,
  });
}

async function migrateOrThrow(m: Migrator, to?: typeof NO_MIGRATIONS): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const { error } = to === undefined ? await m.migrateToLatest() : await m.migrateTo(to);
    if (!error) return;
    // kysely's Migrator lists every table of the database to find its own: a schema another client drops
    // meanwhile (other systems sharing the server) fails that listing with 3F000; the next listing passes.
    if ((error as { code?: string }).code !== '3F000' || attempt >= 10) throw error;
    await new Promise((r) => setTimeout(r, 50 * attempt));
  }
}

/** Errors that the same event will raise again on every retry: its data, not the infrastructure. */
function isDataError(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  if (typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'))) return true;
  // A ValidationError from core's accounting (a fee in a currency the fill cannot be valued in) is the event's data too.
  return e instanceof TypeError || e instanceof RangeError || e instanceof ValidationError;
}

export class Projector {
  readonly projections: readonly Projection[];
  private readonly listeners = new Set<CommittedListener>();
  private readonly batchSize: number;
  private readonly flushMs: number;

  constructor(readonly db: ReadDb, private readonly options: ProjectorOptions = {}) {
    this.projections = options.projections ?? defaultProjections;
    this.batchSize = options.batchSize ?? 1000;
    this.flushMs = options.flushMs ?? 5;
  }

  /** Creates or upgrades every table; safe to run at each start. */
  async migrate(): Promise<void> {
    await migrateOrThrow(await migrator(this.db, 'projector', checkpointMigrations));
    await migrateOrThrow(await migrator(this.db, 'dead_letters', deadLetterMigrations));
    for (const p of this.projections) await migrateOrThrow(await migrator(this.db, p.name, p.migrations));
  }

  projection(name: string): Projection {
    const p = this.projections.find((x) => x.name === name);
    if (!p) throw new Error(`no projection named '${name}' (have: ${this.projections.map((x) => x.name).join(', ')})`);
    return p;
  }

  async checkpoints(): Promise<Record<string, bigint>> {
    const rows = await this.db.selectFrom('projection_checkpoints').select(['name', 'position']).execute();
    const out: Record<string, bigint> = {};
    for (const p of this.projections) out[p.name] = -1n;
    for (const r of rows) out[r.name] = BigInt(r.position);
    return out;
  }

  /** Told after each committed batch: the events that reached at least one projection. */
  onCommitted(listener: CommittedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tells the listeners that these read models changed outside a projection batch (dead letters from the bus). */
  committed(events: readonly Positioned[], changed: ReadonlySet<string>): void {
    for (const l of this.listeners) l(events, changed);
  }

  /**
   * Projects one batch in global order. Events at or below a projection's checkpoint are skipped, so
   * a redelivered batch changes nothing; rows and checkpoints commit together or not at all.
   */
  async project(batch: readonly (StoredEvent | Positioned)[], only?: readonly Projection[]): Promise<void> {
    if (batch.length === 0) return;
    const projections = only ?? this.projections;
    const reached = new Set<Positioned>();
    const changed = new Set<string>();
    const concurrency = this.options.concurrency ?? 1;
    if (concurrency <= 1 || projections.length === 1) {
      await this.db.transaction().execute((trx) => this.applyIn(trx, batch, projections, reached, changed));
    } else {
      // Independent checkpoints let projections commit separately: on a server, side by side.
      const queue = [...projections];
      const worker = async (): Promise<void> => {
        for (let p = queue.shift(); p; p = queue.shift()) {
          const one = p;
          await this.db.transaction().execute((trx) => this.applyIn(trx, batch, [one], reached, changed));
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, projections.length) }, worker));
    }
    if (reached.size > 0) this.committed(batch.filter((x) => reached.has(x)), changed);
  }

  /** Rows and checkpoints of `projections` for one batch, inside the caller's transaction. */
  private async applyIn(trx: ReadTx, batch: readonly Positioned[], projections: readonly Projection[], reached: Set<Positioned>, changed: Set<string>): Promise<void> {
    // Safe for read models: a crash can lose the last commits, but rows and checkpoint together, so the
    // projector re-projects from the older checkpoint. The commit stops waiting for the WAL flush.
    await sql`set local synchronous_commit to off`.execute(trx);
    const last = batch[batch.length - 1]!.position;
    const names = projections.map((p) => p.name);
    const cps = new Map<string, bigint>();
    const rows = await trx.selectFrom('projection_checkpoints').select(['name', 'position']).where('name', 'in', names).forUpdate().execute();
    for (const r of rows) cps.set(r.name, BigInt(r.position));
    const advanced: { name: string; position: string; updated_at: number }[] = [];
    const touched: string[] = [];
    for (const p of projections) {
      const cp = cps.get(p.name) ?? -1n;
      if (last <= cp) continue;
      const mine = batch.filter((x) => x.position > cp && p.handles.has(x.event.type));
      if (mine.length > 0) {
        await p.apply(trx, mine);
        for (const x of mine) reached.add(x);
        changed.add(p.name);
        touched.push(p.name);
      }
      advanced.push({ name: p.name, position: last.toString(), updated_at: Date.now() });
    }
    if (advanced.length > 0) {
      await trx.insertInto('projection_checkpoints').values(advanced)
        .onConflict((oc) => oc.column('name').doUpdateSet({ position: sql`excluded.position`, updated_at: sql`excluded.updated_at` })).execute();
    }
    if (this.options.notify && touched.length > 0) await notifyReadModels(trx, touched);
  }

  /**
   * Like project, but an event that a projection cannot take because of its data (a database data or
   * constraint error, or a TypeError/RangeError in the handler) is set aside for that projection as a
   * dead letter (topic 'projection:<name>', offset = position) and its checkpoint moves past it, so one
   * bad event never stalls a read model. Other errors (the database is down) are thrown for a retry.
   */
  async projectResilient(batch: readonly (StoredEvent | Positioned)[]): Promise<void> {
    try {
      await this.project(batch);
      return;
    } catch (e) {
      if (!isDataError(e)) throw e;
    }
    for (const one of batch) {
      for (const p of this.projections) {
        try {
          await this.project([one], [p]);
        } catch (e) {
          if (!isDataError(e)) throw e;
          this.options.onError?.(e);
          await this.setAside(p, one, e);
        }
      }
    }
  }

  private async setAside(p: Projection, x: Positioned, error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('dead_letters').values({
        topic: `projection:${p.name}`, partition: 0, offset: x.position.toString(), reason: `${x.event.type} ${x.event.id}: ${message}`.slice(0, 2000),
        failure: JSON.stringify({ kind: 'ProjectionFailed', projection: p.name, eventId: x.event.id, type: x.event.type, message }),
        raw_text: JSON.stringify(x.event), raw_base64: Buffer.from(JSON.stringify(x.event)).toString('base64'), received_at: Date.now(),
      }).onConflict((oc) => oc.columns(['topic', 'partition', 'offset']).doNothing()).execute();
      await trx.insertInto('projection_checkpoints').values({ name: p.name, position: x.position.toString(), updated_at: Date.now() })
        .onConflict((oc) => oc.column('name').doUpdateSet({ position: sql`greatest(projection_checkpoints.position, excluded.position)`, updated_at: sql`excluded.updated_at` }))
        .execute();
      if (this.options.notify) await notifyReadModels(trx, ['dead_letters']);
    });
    this.committed([], new Set(['dead_letters']));
  }

  /** Follows the store from the lowest checkpoint, writing batches; retries a failed batch with backoff. */
  run(store: EventStore): RunningProjector {
    let buffer: StoredEvent[] = [];
    let closed = false;
    let timer: NodeJS.Timeout | null = null;
    let chain: Promise<void> = Promise.resolve();
    let subscription: Subscription | null = null;
    let resolveCaughtUp!: () => void;
    const caughtUp = new Promise<void>((r) => { resolveCaughtUp = r; });

    // Last position of the last committed batch: commits are asynchronous (see applyIn), so a server that
    // crashed may come back without the last ones it acknowledged; the next write projects them again.
    let written: bigint | null = null;
    const write = async (batch: StoredEvent[]): Promise<void> => {
      for (let attempt = 0; ; attempt++) {
        try {
          if (written !== null) await this.refill(store, written, batch[0]!.position);
          await this.projectResilient(batch);
          written = batch[batch.length - 1]!.position;
          return;
        } catch (error) {
          this.options.onError?.(error);
          if (closed) throw error;
          await new Promise((r) => setTimeout(r, Math.min(5000, 50 * 2 ** attempt)));
        }
      }
    };
    const flush = (): Promise<void> => {
      if (timer) { clearTimeout(timer); timer = null; }
      if (buffer.length === 0) return chain;
      const batch = buffer;
      buffer = [];
      chain = chain.then(() => write(batch));
      return chain;
    };

    const start = async (): Promise<void> => {
      const cps = Object.values(await this.checkpoints());
      const from = cps.reduce((a, b) => (b < a ? b : a), cps[0] ?? -1n);
      if (closed) return;
      subscription = store.subscribeToAll(async (stored) => {
        buffer.push(stored);
        if (buffer.length >= this.batchSize) await flush();
        else timer ??= setTimeout(() => { void flush().catch(() => undefined); }, this.flushMs);
      }, {
        ...(from >= 0n ? { after: from } : {}),
        onCaughtUp: () => { void flush().then(resolveCaughtUp, () => undefined); },
        onError: (e) => this.options.onError?.(e),
      });
    };
    const started = start().catch((e) => this.options.onError?.(e));

    return {
      caughtUp,
      close: async () => {
        closed = true;
        await started;
        await subscription?.close();
        await flush().catch(() => undefined);
      },
    };
  }

  /**
   * When the read models' checkpoints are behind `written` (the server lost commits it had acknowledged,
   * e.g. a crash of a Postgres server under asynchronous commit), projects the stored events between the
   * lowest checkpoint and `before` again. Cheap when nothing was lost: one read of the checkpoints.
   */
  private async refill(store: EventStore, written: bigint, before: bigint): Promise<void> {
    const cps = Object.values(await this.checkpoints());
    const from = cps.reduce((a, b) => (b < a ? b : a), cps[0] ?? -1n);
    if (from >= written) return;
    let batch: StoredEvent[] = [];
    for await (const stored of store.readAll(from >= 0n ? { after: from } : {})) {
      if (stored.position >= before) break;
      batch.push(stored);
      if (batch.length >= this.batchSize) { await this.projectResilient(batch); batch = []; }
    }
    await this.projectResilient(batch);
  }

  /** Projects everything in the store up to now, in batches (the embedded mode's catch-up and tests). */
  async catchUp(store: EventStore, only?: readonly Projection[]): Promise<number> {
    const projections = only ?? this.projections;
    const cps = await this.checkpoints();
    const from = projections.map((p) => cps[p.name] ?? -1n).reduce((a, b) => (b < a ? b : a));
    let batch: StoredEvent[] = [];
    let count = 0;
    for await (const stored of store.readAll(from >= 0n ? { after: from } : {})) {
      batch.push(stored);
      count++;
      if (batch.length >= this.batchSize) { await this.project(batch, projections); batch = []; }
    }
    await this.project(batch, projections);
    return count;
  }

  /** Drops a projection's tables and checkpoint, recreates them, and replays the whole store into it. */
  async rebuild(name: string, store: EventStore): Promise<number> {
    const p = this.projection(name);
    const m = await migrator(this.db, p.name, p.migrations);
    await migrateOrThrow(m, NO_MIGRATIONS);
    await this.db.deleteFrom('projection_checkpoints').where('name', '=', p.name).execute();
    await migrateOrThrow(m);
    return this.catchUp(store, [p]);
  }

  /** A digest per table of all rows ordered by primary key: equal digests, equal tables. */
  async tableHashes(name?: string): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const p of name ? [this.projection(name)] : this.projections) {
      for (const [table, pk] of Object.entries(p.tables)) {
        const order = sql.join(pk.map((c) => sql.ref(`t.${c}`)));
        const r = await sql<{ h: string | null; n: string | number }>`select md5(coalesce(string_agg(t::text, E'\n' order by ${order}), '')) as h, count(*) as n from ${sql.table(table)} t`.execute(this.db);
        out[table] = `${r.rows[0]?.n}:${r.rows[0]?.h}`;
      }
    }
    return out;
  }
}
