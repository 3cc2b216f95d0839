// Instruments and their latest prices: last trade or bar close, and the top of book.
import { sql, type Kysely } from 'kysely';
import type { InstrumentTable } from '../db.ts';
import { defineProjection } from '../projection.ts';

type Row = InstrumentTable;

export const instrumentsProjection = defineProjection({
  name: 'instruments',
  handles: ['BarClosed', 'TradeTick', 'QuoteUpdated'],
  tables: { instruments: ['venue', 'instrument'] },
  migrations: {
    '001_instruments': {
      async up(db: Kysely<unknown>) {
        await db.schema.createTable('instruments')
          .addColumn('venue', 'text', (c) => c.notNull())
          .addColumn('instrument', 'text', (c) => c.notNull())
          .addColumn('last_price', 'numeric')
          .addColumn('last_ts', 'bigint')
          .addColumn('bid', 'numeric')
          .addColumn('ask', 'numeric')
          .addColumn('quote_ts', 'bigint')
          .addColumn('first_seen', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('instruments_pk', ['venue', 'instrument'])
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('instruments').ifExists().execute();
      },
    },
  },
  async apply(trx, events) {
    const rows = new Map<string, Row>();
    const touch = (venue: string, instrument: string, ts: number): Row => {
      const k = `${venue}\u0000${instrument}`;
      let r = rows.get(k);
      if (!r) {
        r = { venue, instrument, last_price: null, last_ts: null, bid: null, ask: null, quote_ts: null, first_seen: ts };
        rows.set(k, r);
      }
      return r;
    };
    for (const { event: e } of events) {
      switch (e.type) {
        case 'BarClosed': {
          const r = touch(e.data.venue, e.data.instrument, e.data.closeTime);
          if (r.last_ts === null || Number(r.last_ts) <= e.data.closeTime) { r.last_price = e.data.close; r.last_ts = e.data.closeTime; }
          break;
        }
        case 'TradeTick': {
          const r = touch(e.data.venue, e.data.instrument, e.data.ts);
          if (r.last_ts === null || Number(r.last_ts) <= e.data.ts) { r.last_price = e.data.price; r.last_ts = e.data.ts; }
          break;
        }
        case 'QuoteUpdated': {
          const r = touch(e.data.venue, e.data.instrument, e.data.ts);
          if (r.quote_ts === null || Number(r.quote_ts) <= e.data.ts) { r.bid = e.data.bid; r.ask = e.data.ask; r.quote_ts = e.data.ts; }
          break;
        }
        default: break;
      }
    }
    if (rows.size === 0) return;
    // Older prices never overwrite newer ones, so replays out of order across sources stay correct.
    await trx.insertInto('instruments').values([...rows.values()])
      .onConflict((oc) => oc.columns(['venue', 'instrument']).doUpdateSet({
        last_price: sql`case when excluded.last_ts is not null and (instruments.last_ts is null or excluded.last_ts >= instruments.last_ts) then excluded.last_price else instruments.last_price end`,
        last_ts: sql`greatest(instruments.last_ts, excluded.last_ts)`,
        bid: sql`case when excluded.quote_ts is not null and (instruments.quote_ts is null or excluded.quote_ts >= instruments.quote_ts) then excluded.bid else instruments.bid end`,
        ask: sql`case when excluded.quote_ts is not null and (instruments.quote_ts is null or excluded.quote_ts >= instruments.quote_ts) then excluded.ask else instruments.ask end`,
        quote_ts: sql`greatest(instruments.quote_ts, excluded.quote_ts)`,
        first_seen: sql`least(instruments.first_seen, excluded.first_seen)`,
      }))
      .execute();
  },
});
