// Signals as emitted by strategies and models, newest first for the UI and the audit trail.
import type { Kysely } from 'kysely';
import type { SignalTable } from '../db.ts';
import { defineProjection } from '../projection.ts';

export const signalsProjection = defineProjection({
  name: 'signals',
  handles: ['SignalEmitted'],
  tables: { signals: ['id'] },
  migrations: {
    '001_signals': {
      async up(db: Kysely<unknown>) {
        await db.schema.createTable('signals')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('strategy_id', 'text', (c) => c.notNull())
          .addColumn('instrument', 'text', (c) => c.notNull())
          .addColumn('direction', 'text', (c) => c.notNull())
          .addColumn('strength', 'numeric', (c) => c.notNull())
          .addColumn('price', 'numeric', (c) => c.notNull())
          .addColumn('as_of', 'bigint', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('model', 'jsonb')
          .addColumn('correlation_id', 'text', (c) => c.notNull())
          .addColumn('position', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('signals_by_time').on('signals').columns(['as_of', 'id']).execute();
        await db.schema.createIndex('signals_by_strategy').on('signals').columns(['strategy_id', 'as_of']).execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('signals').ifExists().execute();
      },
    },
  },
  async apply(trx, events) {
    const rows: SignalTable[] = [];
    for (const { event: e, position } of events) {
      if (e.type !== 'SignalEmitted') continue;
      const d = e.data;
      rows.push({
        id: e.id, strategy_id: d.strategyId, instrument: d.instrument, direction: d.direction, strength: d.strength,
        price: d.price, as_of: d.asOf, reason: d.reason, model: d.model ? JSON.stringify(d.model) : null,
        correlation_id: e.correlationId, position: position.toString(),
      });
    }
    if (rows.length > 0) await trx.insertInto('signals').values(rows).onConflict((oc) => oc.column('id').doNothing()).execute();
  },
});
