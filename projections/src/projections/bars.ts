// Bars for charts: closed bars as delivered, trades aggregated into 1m bars, and roll-ups into larger timeframes.
import { sql, type Kysely } from 'kysely';
import { timeframeToMs, type Timeframe } from '@qts/schemas';
import type { BarTable, ReadTx } from '../db.ts';
import { insertRows } from '../bulk.ts';
import { defineProjection, type Projection } from '../projection.ts';

/** Timeframes built from smaller bars when a venue only sends small ones (UTC-aligned buckets). */
export const defaultRollups: readonly Timeframe[] = ['1m', '5m', '15m', '30m', '1h', '4h', '1d'];

interface RollupKey { venue: string; instrument: string; from: Timeframe; lo: number; hi: number }

const barColumns = {
  venue: 'text', instrument: 'text', timeframe: 'text', open_time: 'bigint', open: 'numeric', high: 'numeric', low: 'numeric',
  close: 'numeric', volume: 'numeric', close_time: 'bigint', source: 'text', first_ts: 'bigint', last_ts: 'bigint',
} as const;

export function createBarsProjection(rollups: readonly Timeframe[] = defaultRollups): Projection {
  const targets = rollups.map((tf) => ({ tf, ms: timeframeToMs(tf) })).filter((t) => t.ms > 0).sort((a, b) => a.ms - b.ms);

  /** Each level from the one below it (1m -> 5m -> 15m -> ... -> 1d), so a level reads a handful of rows per bucket. */
  function chainFrom(from: Timeframe): { from: Timeframe; to: Timeframe; ms: number }[] {
    const out: { from: Timeframe; to: Timeframe; ms: number }[] = [];
    let prev = { tf: from, ms: timeframeToMs(from) };
    for (const t of targets) {
      if (t.ms > prev.ms && t.ms % prev.ms === 0) { out.push({ from: prev.tf, to: t.tf, ms: t.ms }); prev = t; }
    }
    return out;
  }

  /** Recomputes the touched buckets of every level from its source rows, never by increments. */
  async function rollUp(trx: ReadTx, keys: RollupKey[]): Promise<void> {
    const bySource = new Map<Timeframe, RollupKey[]>();
    for (const k of keys) (bySource.get(k.from) ?? bySource.set(k.from, []).get(k.from)!).push(k);
    for (const [from, group] of bySource) {
      const lo = Math.min(...group.map((k) => k.lo));
      const hi = Math.max(...group.map((k) => k.hi));
      const pairs = sql.join([...new Map(group.map((k) => [`${k.venue}\u0000${k.instrument}`, k])).values()].map((k) => sql`(${k.venue}, ${k.instrument})`));
      for (const level of chainFrom(from)) {
        const start = lo - (lo % level.ms);
        const end = hi - (hi % level.ms) + level.ms;
        await sql`
          insert into bars (venue, instrument, timeframe, open_time, open, high, low, close, volume, close_time, source, first_ts, last_ts)
          select venue, instrument, ${level.to}, b, (array_agg(open order by open_time))[1], max(high), min(low),
                 (array_agg(close order by open_time desc))[1], sum(volume), b + ${level.ms}, ${'rollup:' + level.from}, null, null
          from (select *, open_time - (open_time % ${level.ms}) as b from bars
                where timeframe = ${level.from} and (venue, instrument) in (${pairs})
                  and open_time >= ${start} and open_time < ${end}) s
          group by venue, instrument, b
          on conflict (venue, instrument, timeframe, open_time) do update set
            open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close,
            volume = excluded.volume, close_time = excluded.close_time, source = excluded.source
          where bars.source <> 'native'`.execute(trx);
      }
    }
  }

  return defineProjection({
    name: 'bars',
    handles: ['BarClosed', 'TradeTick'],
    tables: { bars: ['venue', 'instrument', 'timeframe', 'open_time'] },
    migrations: {
      '001_bars': {
        async up(db: Kysely<unknown>) {
          await db.schema.createTable('bars')
            .addColumn('venue', 'text', (c) => c.notNull())
            .addColumn('instrument', 'text', (c) => c.notNull())
            .addColumn('timeframe', 'text', (c) => c.notNull())
            .addColumn('open_time', 'bigint', (c) => c.notNull())
            .addColumn('open', 'numeric', (c) => c.notNull())
            .addColumn('high', 'numeric', (c) => c.notNull())
            .addColumn('low', 'numeric', (c) => c.notNull())
            .addColumn('close', 'numeric', (c) => c.notNull())
            .addColumn('volume', 'numeric', (c) => c.notNull())
            .addColumn('close_time', 'bigint', (c) => c.notNull())
            .addColumn('source', 'text', (c) => c.notNull())
            .addColumn('first_ts', 'bigint')
            .addColumn('last_ts', 'bigint')
            .addPrimaryKeyConstraint('bars_pk', ['venue', 'instrument', 'timeframe', 'open_time'])
            .execute();
        },
        async down(db: Kysely<unknown>) {
          await db.schema.dropTable('bars').ifExists().execute();
        },
      },
    },
    async apply(trx, events) {
      const native = new Map<string, BarTable>();
      const fromTicks = new Map<string, BarTable & { first_ts: number; last_ts: number }>();
      const touched = new Map<string, RollupKey>();
      const touch = (venue: string, instrument: string, from: Timeframe, openTime: number): void => {
        const k = `${venue}\u0000${instrument}\u0000${from}`;
        const r = touched.get(k);
        if (r) { r.lo = Math.min(r.lo, openTime); r.hi = Math.max(r.hi, openTime); } else touched.set(k, { venue, instrument, from, lo: openTime, hi: openTime });
      };
      for (const { event: e } of events) {
        if (e.type === 'BarClosed') {
          const d = e.data;
          if (d.timeframe === 'tick') continue;
          native.set(`${d.venue}\u0000${d.instrument}\u0000${d.timeframe}\u0000${d.openTime}`, {
            venue: d.venue, instrument: d.instrument, timeframe: d.timeframe, open_time: d.openTime,
            open: d.open, high: d.high, low: d.low, close: d.close, volume: d.volume, close_time: d.closeTime,
            source: 'native', first_ts: null, last_ts: null,
          });
          touch(d.venue, d.instrument, d.timeframe, d.openTime);
        } else if (e.type === 'TradeTick') {
          const d = e.data;
          const openTime = d.ts - (d.ts % 60_000);
          const k = `${d.venue}\u0000${d.instrument}\u0000${openTime}`;
          const b = fromTicks.get(k);
          if (!b) {
            fromTicks.set(k, {
              venue: d.venue, instrument: d.instrument, timeframe: '1m', open_time: openTime, open: d.price, high: d.price,
              low: d.price, close: d.price, volume: d.size, close_time: openTime + 60_000, source: 'ticks', first_ts: d.ts, last_ts: d.ts,
            });
          } else {
            if (d.ts < b.first_ts) { b.open = d.price; b.first_ts = d.ts; }
            if (d.ts >= b.last_ts) { b.close = d.price; b.last_ts = d.ts; }
            if (d.price > Number(b.high)) b.high = d.price;
            if (d.price < Number(b.low)) b.low = d.price;
            b.volume = Number(b.volume) + d.size;
          }
          touch(d.venue, d.instrument, '1m', openTime);
        }
      }
      await insertRows(trx, 'bars', barColumns, [...native.values()] as unknown as Record<string, unknown>[], sql`
        on conflict (venue, instrument, timeframe, open_time) do update set open = excluded.open, high = excluded.high, low = excluded.low,
          close = excluded.close, volume = excluded.volume, close_time = excluded.close_time, source = excluded.source, first_ts = null, last_ts = null`);
      if (fromTicks.size > 0) {
        // Trades merge into the minute's bar; a native 1m bar for the same minute stays authoritative.
        await trx.insertInto('bars').values([...fromTicks.values()])
          .onConflict((oc) => oc.columns(['venue', 'instrument', 'timeframe', 'open_time']).doUpdateSet({
            open: sql`case when excluded.first_ts < bars.first_ts then excluded.open else bars.open end`,
            close: sql`case when excluded.last_ts >= bars.last_ts then excluded.close else bars.close end`,
            high: sql`greatest(bars.high, excluded.high)`,
            low: sql`least(bars.low, excluded.low)`,
            volume: sql`bars.volume + excluded.volume`,
            first_ts: sql`least(bars.first_ts, excluded.first_ts)`,
            last_ts: sql`greatest(bars.last_ts, excluded.last_ts)`,
          }).where('bars.source', '=', 'ticks'))
          .execute();
      }
      if (touched.size > 0) await rollUp(trx, [...touched.values()]);
    },
  });
}

export const barsProjection = createBarsProjection();
