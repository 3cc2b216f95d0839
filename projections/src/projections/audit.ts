// The audit index: every stored event's position, indexed by type, instrument, correlation id and record time.
import { sql, type Kysely } from 'kysely';
import { eventTypes } from '@qts/schemas';
import { insertRows } from '../bulk.ts';
import { defineProjection } from '../projection.ts';

/**
 * The API's audit queries (GET /api/v1/events) find their positions here, not by a scan of the event
 * store: each filter has an index that leads with it and ends with the position, so a page is an index
 * range read in position order whatever the store (Postgres, PGlite or EventStoreDB); the page's events
 * are then read from the store by position. Queries by stream use the store's own stream index. Only
 * positions and keys are kept: a copy of every envelope cost the projector two thirds of its rate.
 */
export const auditProjection = defineProjection({
  name: 'audit',
  handles: eventTypes,
  tables: { audit_events: ['position'] },
  migrations: {
    '001_audit_events': {
      async up(db: Kysely<unknown>) {
        await db.schema.createTable('audit_events')
          .addColumn('position', 'bigint', (c) => c.primaryKey())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('instrument', 'text')
          .addColumn('correlation_id', 'text', (c) => c.notNull())
          .addColumn('recorded_ms', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('audit_by_type').on('audit_events').columns(['type', 'position']).execute();
        await db.schema.createIndex('audit_by_correlation').on('audit_events').columns(['correlation_id', 'position']).execute();
        // Most events (signals, orders, fills, market data) name an instrument; the rest stay out of this index.
        await sql`create index audit_by_instrument on audit_events (instrument, position) where instrument is not null`.execute(db);
        // "As of t": the last position recorded at or before t, one backward index step.
        await db.schema.createIndex('audit_by_record_time').on('audit_events').columns(['recorded_ms', 'position']).execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('audit_events').ifExists().execute();
      },
    },
  },
  async apply(trx, events) {
    const rows = events.map(({ event: e, position }) => {
      const instrument = (e.data as { instrument?: unknown }).instrument;
      return { position, type: e.type, instrument: typeof instrument === 'string' ? instrument : null, correlation_id: e.correlationId, recorded_ms: Date.parse(e.recordedAt) };
    });
    const columns = { position: 'bigint', type: 'text', instrument: 'text', correlation_id: 'text', recorded_ms: 'bigint' } as const;
    // Live batches are small: a plain insert; catch-up batches travel as one array per column.
    if (rows.length < 64) await trx.insertInto('audit_events').values(rows.map((r) => ({ ...r, position: r.position.toString() }))).onConflict((oc) => oc.column('position').doNothing()).execute();
    else await insertRows(trx, 'audit_events', columns, rows, sql`on conflict (position) do nothing`);
  },
});
