// Runs the one EventStore contract against PGlite (memory and disk), a Postgres server, and EventStoreDB when given.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { makeEvent, uuidv7Ids } from '@qts/schemas';
import { CorruptEvent, type StoredEvent } from '@qts/core';
import { contractEvents, eventStoreContract, eventually } from '../testing/index.ts';
import { createPgliteDb, createPostgresDb } from '../postgres/database.ts';
import { PostgresEventStore } from './postgres-event-store.ts';
import { EsdbEventStore } from './esdb-event-store.ts';

const PG_URL = process.env.PG_URL ?? 'postgres://qts:qts@127.0.0.1:55432/qts';
const runSchema = (label: string): string => `es_test_${label}_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
const createdSchemas: string[] = [];
const tempDirs: string[] = [];

afterAll(async () => {
  if (createdSchemas.length > 0) {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    for (const s of createdSchemas) await client.query(`drop schema if exists "${s}" cascade`);
    await client.end();
  }
  for (const d of tempDirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'qts-es-'));
  tempDirs.push(dir);
  return dir;
}

const ids = (events: readonly { id: string }[]): string[] => events.map((e) => e.id);

async function collect(iterable: AsyncIterable<StoredEvent>): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for await (const e of iterable) out.push(e);
  return out;
}

// In memory and on the server the live path rides on NOTIFY alone (a poll would come too late); on disk it
// rides on polling. Small pages make reads cross page boundaries on both read paths (PGlite's and pg's).
eventStoreContract('PGlite in memory', () => PostgresEventStore.openPglite('memory://', { pollIntervalMs: 60_000 }));
eventStoreContract('PGlite on disk, small pages', async () => PostgresEventStore.openPglite(await tempDir(), { pollIntervalMs: 50, pageSize: 2 }));
eventStoreContract('Postgres server', () => {
  const schema = runSchema('contract');
  createdSchemas.push(schema);
  return PostgresEventStore.openPostgres(PG_URL, { schema, pollIntervalMs: 60_000, pageSize: 3 });
});

// EventStoreDB runs only from its container image; its suite registers when a server is given.
if (process.env.ESDB_URL) {
  eventStoreContract('EventStoreDB', async () => EsdbEventStore.connect(process.env.ESDB_URL!), { timeoutMs: 30_000 });
}

describe('PostgresEventStore specifics', () => {
  it('upcasts a stored BarClosed v1 row on read: readers only see v2', async () => {
    const schema = runSchema('upcast');
    createdSchemas.push(schema);
    const database = await createPostgresDb(PG_URL);
    const store = await PostgresEventStore.create(database, { schema });
    try {
      const id = uuidv7Ids(Date.UTC(2013, 2, 1));
      const v1 = { instrument: 'GOOG', timeframe: '1d', openTime: Date.UTC(2013, 2, 1), open: 798.5, high: 806.8, low: 789.6, close: 806.2, volume: 2_300_000 };
      const envelope = {
        id, type: 'BarClosed', version: 1, stream: 'bars-legacy.GOOG.1d', key: 'GOOG', occurredAt: '2013-03-02T00:00:00.000Z',
        recordedAt: '2013-03-02T00:00:01.000Z', causationId: null, correlationId: id, data: v1, meta: {},
      };
      await sql`insert into ${sql.id(schema, 'events')} (event_id, stream, revision, type, version, key, occurred_at, recorded_at, correlation_id, envelope)
        values (${id}, 'bars-legacy.GOOG.1d', 0, 'BarClosed', 1, 'GOOG', '2013-03-02T00:00:00Z', '2013-03-02T00:00:01Z', ${id}, ${JSON.stringify(envelope)}::json)`
        .execute(database.db);
      const [stored] = await collect(store.readStream('bars-legacy.GOOG.1d'));
      expect(stored!.event.version).toBe(2);
      expect(stored!.event.data).toEqual({ ...v1, venue: 'unknown', closeTime: v1.openTime + 86_400_000 });
      expect(stored!.event.occurredAt).toBe('2013-03-02T00:00:00.000Z');
    } finally {
      await store.close();
      await database.close();
    }
  });

  it('keeps delivering live events after the server drops its LISTEN connection', async () => {
    const schema = runSchema('relisten');
    createdSchemas.push(schema);
    const database = await createPostgresDb(PG_URL, { applicationName: schema });
    // A poll far beyond the test's deadline: only a re-established LISTEN can deliver in time.
    const store = await PostgresEventStore.create(database, { schema, pollIntervalMs: 600_000 });
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    const s = contractEvents().stream('relisten');
    const received: string[] = [];
    const sub = store.subscribeToAll(async (e) => { received.push(e.event.id); });
    try {
      const first = s.next(1);
      await store.append(s.stream, first, 'no_stream');
      await eventually(() => expect(received).toEqual(ids(first)));
      const killed = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [`${schema}:listen`]);
      expect(killed.rowCount).toBe(1);
      // Appended while nobody listens: the replacement connection (about a second later) wakes the subscriber.
      const second = s.next(1);
      await store.append(s.stream, second, 0);
      await eventually(() => expect(received).toEqual(ids([...first, ...second])));
      const third = s.next(1);
      await store.append(s.stream, third, 1);
      await eventually(() => expect(received).toEqual(ids([...first, ...second, ...third])));
    } finally {
      await sub.close();
      await admin.end();
      await store.close();
      await database.close();
    }
  });

  it('reports a stored row that no longer decodes as a CorruptEvent naming its position', async () => {
    const database = await createPgliteDb('memory://');
    const store = await PostgresEventStore.create(database, { schema: 'corrupt' });
    try {
      const id = uuidv7Ids(Date.UTC(2024, 0, 1));
      const envelope = { id, type: 'BarClosed', version: 1, stream: 'bars-x', key: 'GOOG', occurredAt: '2024-01-01T00:00:00.000Z', recordedAt: '2024-01-01T00:00:00.000Z', causationId: null, correlationId: id, data: { instrument: 'GOOG' }, meta: {} };
      await sql`insert into corrupt.events (event_id, stream, revision, type, version, key, occurred_at, recorded_at, correlation_id, envelope)
        values (${id}, 'bars-x', 0, 'BarClosed', 1, 'GOOG', now(), now(), ${id}, ${JSON.stringify(envelope)}::json)`.execute(database.db);
      const error = await collect(store.readAll()).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(CorruptEvent);
      expect((error as CorruptEvent).context).toMatchObject({ position: '1', stream: 'bars-x' });
    } finally {
      await store.close();
      await database.close();
    }
  });

  it('keeps what was appended across a restart of an on-disk PGlite store, and continues its revisions', async () => {
    const dir = await tempDir();
    const gen = contractEvents();
    const s = gen.stream('durable');
    const first = s.next(3);
    const before = await PostgresEventStore.openPglite(dir);
    await before.append(s.stream, first, 'no_stream');
    await before.close();
    const after = await PostgresEventStore.openPglite(dir);
    try {
      expect((await collect(after.readStream(s.stream))).map((x) => x.event)).toEqual(first);
      expect((await after.append(s.stream, s.next(1), 2)).nextExpectedRevision).toBe(3);
    } finally {
      await after.close();
    }
  });

  it('refuses to append an event that fails its schema, so the log never holds unreadable facts', async () => {
    const store = await PostgresEventStore.openPglite();
    try {
      const bad = makeEvent('OrderSubmitted', { clientOrderId: 'x', instrument: 'BTC/USDT', venue: 'paper', ts: -1 }, { id: uuidv7Ids(1), occurredAt: 1, recordedAt: 1 });
      await expect(store.append(bad.stream, [bad], 'no_stream')).rejects.toMatchObject({ kind: 'ValidationError' });
      expect(await collect(store.readAll())).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('keeps two stores in separate schemas of one database apart', async () => {
    const database = await createPgliteDb('memory://');
    const left = await PostgresEventStore.create(database, { schema: 'left_store' });
    const right = await PostgresEventStore.create(database, { schema: 'right_store' });
    try {
      const s = contractEvents().stream('isolated');
      await left.append(s.stream, s.next(2), 'no_stream');
      expect(await collect(right.readAll())).toEqual([]);
      expect(await collect(left.readAll())).toHaveLength(2);
    } finally {
      await left.close();
      await right.close();
      await database.close();
    }
  });
});
