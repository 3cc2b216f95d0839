// Event store throughput: batched appends and full $all reads of real recorded bars, on a Postgres server and on PGlite.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { makeEvent, seededIds, type DomainEvent, type Timeframe } from '@qts/schemas';
import type { EventStore } from '@qts/core';
import { PostgresEventStore } from '../src/event-store/postgres-event-store.ts';

/** Same shape as infra/src/bench/main.ts's BenchRow (not imported: infra depends on us, not the reverse). */
export interface BenchRow {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
}

const DATA_DIR = process.env.QTS_DATA_DIR ?? '/work/shared/data';
const PG_URL = process.env.PG_URL ?? 'postgres://qts:qts@127.0.0.1:55432/qts';
const BATCH = 500;

const series: readonly { file: string; instrument: string; timeframe: Timeframe; venue: string }[] = [
  { file: 'BTCUSDT-5m.csv', instrument: 'BTC/USDT', timeframe: '5m', venue: 'binance' },
  { file: 'ALTBTC-1m.csv', instrument: 'ALT/BTC', timeframe: '1m', venue: 'binance' },
  { file: 'FUT-2006-1m.csv', instrument: 'FUT', timeframe: '1m', venue: 'cme' },
  { file: 'EURUSD-1h.csv', instrument: 'EUR/USD', timeframe: '1h', venue: 'fx' },
  { file: 'GOOG-1d.csv', instrument: 'GOOG', timeframe: '1d', venue: 'nasdaq' },
  { file: 'NVDA-1d.csv', instrument: 'NVDA', timeframe: '1d', venue: 'nasdaq' },
  { file: 'ORCL-1d.csv', instrument: 'ORCL', timeframe: '1d', venue: 'nyse' },
];

const tfMs: Partial<Record<Timeframe, number>> = { '1m': 60_000, '5m': 300_000, '1h': 3_600_000, '1d': 86_400_000 };

/** BarClosed events of the recorded series, as batches of up to BATCH bars per stream (~73k events). */
function recordedBatches(): { stream: string; events: DomainEvent[] }[] {
  const ids = seededIds(7);
  const batches: { stream: string; events: DomainEvent[] }[] = [];
  for (const s of series) {
    const lines = readFileSync(join(DATA_DIR, s.file), 'utf8').trim().split('\n').slice(1);
    const step = tfMs[s.timeframe]!;
    let current: DomainEvent[] = [];
    for (const line of lines) {
      const [time, open, high, low, close, volume] = line.split(',');
      const openTime = Date.parse(time!);
      const bar = {
        venue: s.venue, instrument: s.instrument, timeframe: s.timeframe, openTime,
        open: Number(open), high: Number(high), low: Number(low), close: Number(close), volume: Number(volume), closeTime: openTime + step,
      };
      current.push(makeEvent('BarClosed', bar, { id: ids(bar.closeTime), occurredAt: bar.closeTime, recordedAt: bar.closeTime + 150 }));
      if (current.length === BATCH) {
        batches.push({ stream: current[0]!.stream, events: current });
        current = [];
      }
    }
    if (current.length > 0) batches.push({ stream: current[0]!.stream, events: current });
  }
  // Interleave the series so consecutive batches go to different streams, as live recording would.
  return batches.map((b, i) => ({ b, k: (i * 7919) % batches.length })).sort((x, y) => x.k - y.k).map((x) => x.b);
}

interface Measured {
  readonly appendPerSec: number;
  readonly concurrentAppendPerSec: number;
  readonly readPerSec: number;
}

/** Appends every batch with its exact expected revision (one writer), then with 4 writers, then reads $all. */
async function measure(open: (label: string) => Promise<EventStore>, batches: { stream: string; events: DomainEvent[] }[]): Promise<Measured> {
  const total = batches.reduce((n, b) => n + b.events.length, 0);
  const single = await open('single');
  let appendPerSec: number;
  let readPerSec: number;
  try {
    const revisions = new Map<string, number>();
    const t0 = performance.now();
    for (const b of batches) {
      const r = await single.append(b.stream, b.events, revisions.get(b.stream) ?? 'no_stream');
      revisions.set(b.stream, r.nextExpectedRevision);
    }
    appendPerSec = total / ((performance.now() - t0) / 1000);
    const t1 = performance.now();
    let read = 0;
    for await (const _ of single.readAll()) read += 1;
    readPerSec = read / ((performance.now() - t1) / 1000);
    if (read !== total) throw new Error(`read ${read} of ${total} events`);
  } finally {
    await single.close();
  }
  // Four writers, each owning a quarter of the streams: the per-store lock serialises commits, not preparation.
  const shared = await open('concurrent');
  let concurrentAppendPerSec: number;
  try {
    const lanes: { stream: string; events: DomainEvent[] }[][] = [[], [], [], []];
    const laneOf = new Map<string, number>();
    for (const b of batches) {
      if (!laneOf.has(b.stream)) laneOf.set(b.stream, laneOf.size % 4);
      lanes[laneOf.get(b.stream)!]!.push(b);
    }
    const t0 = performance.now();
    await Promise.all(lanes.map(async (lane) => {
      const revisions = new Map<string, number>();
      for (const b of lane) {
        const r = await shared.append(b.stream, b.events, revisions.get(b.stream) ?? 'no_stream');
        revisions.set(b.stream, r.nextExpectedRevision);
      }
    }));
    concurrentAppendPerSec = total / ((performance.now() - t0) / 1000);
  } finally {
    await shared.close();
  }
  return { appendPerSec, concurrentAppendPerSec, readPerSec };
}

export async function benchEventStore(): Promise<BenchRow[]> {
  const batches = recordedBatches();
  const rows: BenchRow[] = [];

  const schemas: string[] = [];
  const server = await measure(async (label) => {
    const schema = `es_bench_${label}_${randomUUID().replace(/-/g, '').slice(0, 8)}`;
    schemas.push(schema);
    return PostgresEventStore.openPostgres(PG_URL, { schema });
  }, batches).finally(async () => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    for (const s of schemas) await client.query(`drop schema if exists "${s}" cascade`);
    await client.end();
  });
  rows.push(
    { name: `event store append, Postgres server, batches of ${BATCH}`, value: server.appendPerSec, unit: 'events/s', target: '>= 20000' },
    { name: `event store append, Postgres server, 4 writers`, value: server.concurrentAppendPerSec, unit: 'events/s' },
    { name: 'event store readAll, Postgres server', value: server.readPerSec, unit: 'events/s', target: '>= 100000' },
  );

  const lite = await measure(() => PostgresEventStore.openPglite('memory://'), batches);
  rows.push(
    { name: `event store append, PGlite in memory, batches of ${BATCH}`, value: lite.appendPerSec, unit: 'events/s', target: '>= 10000' },
    { name: `event store append, PGlite in memory, 4 writers`, value: lite.concurrentAppendPerSec, unit: 'events/s' },
    { name: 'event store readAll, PGlite in memory', value: lite.readPerSec, unit: 'events/s', target: '>= 100000' },
  );
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await benchEventStore();
  console.table(rows.map((r) => ({ benchmark: r.name, value: Math.round(r.value), unit: r.unit, target: r.target ?? '' })));
}
