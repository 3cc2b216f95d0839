// The event store on Postgres through kysely: one implementation for a Postgres server (pg) and embedded PGlite.
import {
  IdempotencyConflict, InfrastructureError, QtsError, ValidationError, WrongExpectedRevision,
  type AppendResult, type EventStore, type ExpectedRevision, type ReadAllOptions, type ReadStreamOptions,
  type StoredEvent, type SubscribeOptions, type Subscription,
} from '@qts/core';
import { describeFailure, validateEvent, type DomainEvent } from '@qts/schemas';
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import { createPgliteDb, createPostgresDb, type PgDatabase, type Unlisten } from '../postgres/database.ts';
import { migrateEventStore, type EventStoreTables } from './postgres-event-store-schema.ts';
import { CatchUpSubscription } from './catch-up-subscription.ts';
import { checkExpectedRevision, toStoredEvent, type ReadValidation } from './stored-event.ts';

export interface PostgresEventStoreOptions {
  /** Postgres schema holding this store's tables; one store per schema. Default 'event_store'. */
  readonly schema?: string;
  readonly name?: string;
  /** Events fetched per round-trip by readStream, readAll and subscriptions. Default 2000. */
  readonly pageSize?: number;
  /** How often a live subscription polls when no NOTIFY woke it. Default 500 ms. */
  readonly pollIntervalMs?: number;
  /**
   * Check each event against its schema before it becomes permanent. Default true. Turn off only for a
   * writer that already validated (a recorder of decoded bus events), since reads trust latest-version rows.
   */
  readonly validateOnAppend?: boolean;
  /** See ReadValidation; default 'upcast'. */
  readonly validateOnRead?: ReadValidation;
}

type Db = Kysely<EventStoreTables>;
const MAX_REVISION = 2 ** 31 - 1;

/** A 64-bit advisory lock key per schema (FNV-1a), so stores in different schemas never wait on each other. */
function lockKeyOf(schema: string): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(`qts.event-store.${schema}`)) h = BigInt.asUintN(64, (h ^ BigInt(byte)) * 0x100000001b3n);
  return BigInt.asIntN(64, h).toString();
}

function uniqueViolation(e: unknown): string | null {
  const err = e as { code?: string; constraint?: string; message?: string };
  if (err?.code !== '23505') return null;
  return err.constraint ?? err.message ?? '';
}

/** Some ids of an append are stored already: its transaction is rolled back and the redelivery path decides. */
class AlreadyStored extends Error {}

/**
 * Appends are serialised by one transaction-scoped advisory lock per store (schema). That is what makes
 * `readAll` safe without snapshot tricks: positions are drawn and committed in the same order, so a reader
 * that has seen position p will never later find a committed event below p (no skipped events).
 * The price is one writer at a time. Batches make that cheap: an append is 5 round-trips whatever its size, and
 * costs about 30 µs of CPU per event, client and server together (bench/event-store.bench.ts).
 */
export class PostgresEventStore implements EventStore {
  readonly name: string;
  readonly schema: string;
  private readonly db: Db;
  private readonly pageSize: number;
  private readonly pollIntervalMs: number;
  private readonly validateOnAppend: boolean;
  private readonly validateOnRead: ReadValidation;
  private readonly lockKey: string;
  private readonly channel: string;
  private readonly wakers = new Set<() => void>();
  private readonly subscriptions = new Set<CatchUpSubscription>();
  private unlisten: Promise<Unlisten | null> | null = null;
  private closed = false;

  private constructor(private readonly database: PgDatabase, private readonly ownsDatabase: boolean, options: PostgresEventStoreOptions) {
    this.schema = options.schema ?? 'event_store';
    this.name = options.name ?? `postgres-event-store(${database.kind}:${this.schema})`;
    this.db = database.db as Db;
    this.pageSize = options.pageSize ?? 2000;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.validateOnAppend = options.validateOnAppend ?? true;
    this.validateOnRead = options.validateOnRead ?? 'upcast';
    this.lockKey = lockKeyOf(this.schema);
    this.channel = `qts_es_${this.schema.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63);
  }

  /** A store on a database you own (and close yourself); creates or migrates its tables. */
  static async create(database: PgDatabase, options: PostgresEventStoreOptions = {}): Promise<PostgresEventStore> {
    const store = new PostgresEventStore(database, false, options);
    await migrateEventStore(database.db as Kysely<unknown>, store.schema);
    return store;
  }

  /**
   * The embedded default: PGlite in `'memory://'` or a data directory; closing the store closes it.
   * @example const store = await PostgresEventStore.openPglite('var/event-store');
   */
  static async openPglite(dataDir = 'memory://', options: PostgresEventStoreOptions = {}): Promise<PostgresEventStore> {
    const database = await createPgliteDb(dataDir);
    return PostgresEventStore.owning(database, options);
  }

  /** A Postgres server; the store owns its pool and closes it. */
  static async openPostgres(url: string, options: PostgresEventStoreOptions = {}): Promise<PostgresEventStore> {
    const database = await createPostgresDb(url);
    return PostgresEventStore.owning(database, options);
  }

  private static async owning(database: PgDatabase, options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
    const store = new PostgresEventStore(database, true, options);
    try {
      await migrateEventStore(database.db as Kysely<unknown>, store.schema);
    } catch (e) {
      await database.close();
      throw e;
    }
    return store;
  }

  async append(stream: string, events: readonly DomainEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    checkExpectedRevision(expectedRevision);
    this.assertOpen();
    if (this.validateOnAppend) this.validate(stream, events);
    try {
      try {
        return await this.db.transaction().execute((trx) => this.appendIn(trx, stream, events, expectedRevision));
      } catch (e) {
        // Some ids are stored already (a redelivery): the rolled-back transaction wrote nothing; a second one
        // decides between "already done" and a conflict. Stored events never move, so that answer holds.
        if (!(e instanceof AlreadyStored) && !uniqueViolation(e)?.includes('event_id')) throw e;
        return await this.db.transaction().execute((trx) => this.appendIn(trx, stream, events, expectedRevision, true));
      }
    } catch (e) {
      throw this.translate(e, stream, expectedRevision);
    }
  }

  private async appendIn(
    trx: Transaction<EventStoreTables>, stream: string, events: readonly DomainEvent[], expected: ExpectedRevision, duplicate = false,
  ): Promise<AppendResult> {
    await sql`select pg_advisory_xact_lock(${this.lockKey}::bigint)`.execute(trx);
    const head = await trx.withSchema(this.schema).selectFrom('streams')
      .select(['revision', sql<string>`position::text`.as('position')])
      .where('stream', '=', stream)
      .executeTakeFirst();
    const current = head ? head.revision : -1;
    const matches = expected === 'any' || (expected === 'no_stream' ? !head : expected === 'stream_exists' ? !!head : current === expected);
    const wrong = (): WrongExpectedRevision => new WrongExpectedRevision(stream, String(expected), head ? String(current) : 'no_stream');
    if (events.length === 0) {
      if (!matches) throw wrong();
      return { nextExpectedRevision: current, position: head ? BigInt(head.position) : -1n };
    }
    // The common case (new events, expectation met) goes straight to the insert: a stored id fails the unique
    // index and the caller retries with `duplicate` set. Only that retry and a failed expectation look ids up.
    if (!matches || duplicate) {
      const stored = await this.storedPlaces(trx, events);
      if (stored.length > 0) return this.alreadyAppended(stream, events, expected, stored, wrong);
      if (!matches) throw wrong();
    }
    const rows = events.map((e, i) => ({
      i, id: e.id, type: e.type, version: e.version, key: e.key, occurred_at: e.occurredAt, recorded_at: e.recordedAt,
      causation_id: e.causationId, correlation_id: e.correlationId, envelope: JSON.stringify(e),
    }));
    const events_ = sql.id(this.schema, 'events');
    const streams_ = sql.id(this.schema, 'streams');
    const next = current + events.length;
    // One round-trip for the whole batch: rows travel as one JSON document, positions are drawn in batch order.
    // A stored id is skipped rather than raised: the server's error path is not free (PGlite's WASM heap
    // leaks on every raised error and dies after ~12k), and redeliveries are routine for workers that
    // record their inputs. A short insert moves no stream head and notifies nobody; it is rolled back.
    const result = await sql<{ inserted: number; position: string | null }>`
      with ins as (
        insert into ${events_} (event_id, stream, revision, type, version, key, occurred_at, recorded_at,
                                causation_id, correlation_id, envelope)
        select x.id, ${stream}, ${current + 1} + x.i, x.type, x.version, x.key, x.occurred_at, x.recorded_at,
               x.causation_id, x.correlation_id, x.envelope::json
        from json_to_recordset(${JSON.stringify(rows)}::json) as x(i int, id uuid, type text, version int, key text,
             occurred_at timestamptz, recorded_at timestamptz, causation_id text, correlation_id text, envelope text)
        order by x.i
        on conflict (event_id) do nothing
        returning position
      ), head as (
        insert into ${streams_} (stream, revision, position)
        select ${stream}, ${next}, max(position) from ins having count(*) = ${events.length}
        on conflict (stream) do update set revision = excluded.revision, position = excluded.position
        returning position
      )
      select (select count(*)::int from ins) as inserted, head.position::text as position, pg_notify(${this.channel}, head.position::text)
      from (select 1) as one left join head on true`.execute(trx);
    const row = result.rows[0]!;
    // Every id stored already (the usual redelivery): nothing was written, so this transaction can answer.
    if (Number(row.inserted) === 0) return this.alreadyAppended(stream, events, expected, await this.storedPlaces(trx, events), wrong);
    if (row.position === null || Number(row.inserted) !== events.length) throw new AlreadyStored();
    return { nextExpectedRevision: next, position: BigInt(row.position) };
  }

  private async storedPlaces(trx: Transaction<EventStoreTables>, events: readonly DomainEvent[]) {
    return trx.withSchema(this.schema).selectFrom('events')
      .select(['event_id', 'stream', 'revision', sql<string>`position::text`.as('position')])
      .where('event_id', 'in', events.map((e) => e.id))
      .execute();
  }

  /** A retry of an append that already happened returns what the first one returned; anything else is a conflict. */
  private alreadyAppended(
    stream: string, events: readonly DomainEvent[], expected: ExpectedRevision,
    stored: readonly { event_id: string; stream: string; revision: number; position: string }[], wrong: () => WrongExpectedRevision,
  ): AppendResult {
    if (stored.length !== events.length) {
      throw new IdempotencyConflict(stream, `${stored.length} of ${events.length} event ids are already stored`);
    }
    const byId = new Map(stored.map((s) => [s.event_id, s]));
    const first = byId.get(events[0]!.id)!;
    events.forEach((e, i) => {
      const s = byId.get(e.id);
      if (!s || s.stream !== stream || s.revision !== first.revision + i) {
        throw new IdempotencyConflict(stream, `event ${e.id} is already stored at ${s?.stream}@${s?.revision}, not in this order`);
      }
    });
    const expectedFirst = expected === 'no_stream' ? 0 : typeof expected === 'number' ? expected + 1 : first.revision;
    if (first.revision !== expectedFirst) throw wrong();
    const last = byId.get(events[events.length - 1]!.id)!;
    return { nextExpectedRevision: last.revision, position: BigInt(last.position) };
  }

  private validate(stream: string, events: readonly DomainEvent[]): void {
    for (const e of events) {
      const r = validateEvent(e);
      if (!r.ok) throw new ValidationError(`cannot append to '${stream}': ${describeFailure(r.error)}`, [{ path: e.id ?? '(event)', message: describeFailure(r.error) }]);
    }
  }

  private translate(e: unknown, stream: string, expected: ExpectedRevision): Error {
    if (e instanceof QtsError) return e;
    const constraint = uniqueViolation(e);
    if (constraint !== null) {
      if (constraint.includes('event_id')) return new IdempotencyConflict(stream, `an event id is already stored elsewhere (${constraint})`);
      return new WrongExpectedRevision(stream, String(expected), 'moved', { cause: e });
    }
    return new InfrastructureError(`append to '${stream}' failed: ${(e as Error)?.message ?? String(e)}`, { stream }, { cause: e });
  }

  /**
   * One page of events in `order`. On PGlite the page comes back as ONE text value (`["position",revision,
   * envelope],...` by string_agg): PGlite copies every field out of WASM memory one by one, so one field and
   * one JSON.parse per page doubles its read rate. On a server pg parses rows cheaply and string_agg would
   * only add server work (measured: 1.0 vs 2.5 µs per event), so rows come as rows.
   */
  private async fetchPage(filter: RawBuilder<unknown>, order: RawBuilder<unknown>, limit: number): Promise<StoredEvent[]> {
    this.assertOpen();
    const table = sql.id(this.schema, 'events');
    let rows: readonly (readonly [string, number, unknown])[];
    if (this.database.kind === 'pglite') {
      const result = await sql<{ page: string | null }>`
        select string_agg('["' || position || '",' || revision || ',' || envelope::text || ']', ',' order by ${order}) as page
        from (select position, revision, envelope from ${table} where ${filter} order by ${order} limit ${limit}) e`
        .execute(this.db);
      const page = result.rows[0]?.page;
      rows = page ? (JSON.parse(`[${page}]`) as [string, number, unknown][]) : [];
    } else {
      // Not aliased `position`: ORDER BY would then sort the text copy.
      const result = await sql<{ pos: string; revision: number; envelope: unknown }>`
        select position::text as pos, revision, envelope from ${table} where ${filter} order by ${order} limit ${limit}`
        .execute(this.db);
      rows = result.rows.map((r) => [r.pos, r.revision, r.envelope] as const);
    }
    const out = new Array<StoredEvent>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const [position, revision, envelope] = rows[i]!;
      out[i] = toStoredEvent(envelope, revision, BigInt(position), { store: this.name }, this.validateOnRead);
    }
    return out;
  }

  async *readStream(stream: string, options: ReadStreamOptions = {}): AsyncIterable<StoredEvent> {
    const forwards = (options.direction ?? 'forwards') === 'forwards';
    let remaining = options.maxCount ?? Number.POSITIVE_INFINITY;
    let cursor = options.fromRevision ?? (forwards ? 0 : MAX_REVISION);
    while (remaining > 0 && cursor >= 0) {
      const limit = Math.min(this.pageSize, remaining);
      const page = await this.fetchPage(
        forwards ? sql`stream = ${stream} and revision >= ${cursor}` : sql`stream = ${stream} and revision <= ${cursor}`,
        forwards ? sql`revision asc` : sql`revision desc`,
        limit,
      );
      for (const e of page) yield e;
      remaining -= page.length;
      if (page.length < limit) return;
      cursor = page[page.length - 1]!.revision + (forwards ? 1 : -1);
    }
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<StoredEvent> {
    let remaining = options.maxCount ?? Number.POSITIVE_INFINITY;
    let after = options.after ?? 0n;
    while (remaining > 0) {
      const limit = Math.min(this.pageSize, remaining);
      const page = await this.readPage(after, limit);
      for (const e of page) yield e;
      remaining -= page.length;
      if (page.length < limit) return;
      after = page[page.length - 1]!.position;
    }
  }

  /** One page of $all strictly after `after`, decoded. */
  readPage(after: bigint, limit: number): Promise<StoredEvent[]> {
    return this.fetchPage(sql`position > ${after.toString()}::bigint`, sql`position`, limit);
  }

  subscribeToAll(handler: (stored: StoredEvent) => Promise<void>, options: SubscribeOptions = {}): Subscription {
    this.assertOpen();
    const sub = new CatchUpSubscription(this, handler, options, this.pageSize, this.pollIntervalMs, () => this.subscriptions.delete(sub));
    this.subscriptions.add(sub);
    this.unlisten ??= this.database.listen(this.channel, () => {
      for (const w of this.wakers) w();
    }).catch((e: unknown) => {
      // Without LISTEN, subscriptions still see every event by polling; the next subscription tries again.
      this.unlisten = null;
      options.onError?.(new InfrastructureError(`${this.name}: LISTEN failed, polling every ${this.pollIntervalMs} ms`, {}, { cause: e }));
      return null;
    });
    sub.start();
    return sub;
  }

  /** @internal resolves once NOTIFY wake-ups are wired (or known to be unavailable). */
  async listening(): Promise<void> {
    await this.unlisten;
  }

  /** @internal wake-ups from NOTIFY for live subscriptions. */
  onAppended(waker: () => void): () => void {
    this.wakers.add(waker);
    return () => this.wakers.delete(waker);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    const unlisten = await this.unlisten;
    await unlisten?.().catch(() => {});
    if (this.ownsDatabase) await this.database.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new InfrastructureError(`${this.name} is closed`);
  }
}
