// Event store throughput: batched appends and full $all reads of real recorded bars, on a Postgres server and on PGlite.
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
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
  readonly appendPerCpuSec: number;
  readonly concurrentAppendPerSec: number;
  readonly readPerSec: number;
  readonly readPerCpuSec: number;
}

/**
 * CPU seconds spent by this process plus the server's backends (found by application_name, read from
 * /proc when the server is local). Wall-clock rates depend on what else runs on the machine; CPU per event does not.
 */
function cpuMeter(backendPids: () => Promise<number[]>) {
  const tick = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;
  const backendCpu = (pids: number[]): number => pids.reduce((sum, pid) => {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return sum + (Number(fields[11]) + Number(fields[12])) / tick;
    } catch {
      return sum;
    }
  }, 0);
  return async () => {
    const pids = await backendPids();
    const own0 = process.cpuUsage();
    const server0 = backendCpu(pids);
    return async () => {
      const own = process.cpuUsage(own0);
      const after = await backendPids();
      // A backend that appeared during the phase started from zero, so the plain difference counts it whole.
      return (own.user + own.system) / 1e6 + backendCpu(after) - server0;
    };
  };
}

type Open = (label: string) => Promise<{ store: EventStore; backendPids: () => Promise<number[]> }>;

/** Appends every batch with its exact expected revision (one writer), reads $all, then appends with 4 writers. */
async function measure(open: Open, batches: { stream: string; events: DomainEvent[] }[]): Promise<Measured> {
  const total = batches.reduce((n, b) => n + b.events.length, 0);
  const { store: single, backendPids } = await open('single');
  const meter = cpuMeter(backendPids);
  let appendPerSec: number;
  let appendPerCpuSec: number;
  let readPerSec: number;
  let readPerCpuSec: number;
  try {
    const revisions = new Map<string, number>();
    let stop = await meter();
    const t0 = performance.now();
    for (const b of batches) {
      const r = await single.append(b.stream, b.events, revisions.get(b.stream) ?? 'no_stream');
      revisions.set(b.stream, r.nextExpectedRevision);
    }
    appendPerSec = total / ((performance.now() - t0) / 1000);
    appendPerCpuSec = total / (await stop());
    stop = await meter();
    const t1 = performance.now();
    let read = 0;
    for await (const _ of single.readAll()) read += 1;
    readPerSec = read / ((performance.now() - t1) / 1000);
    readPerCpuSec = read / (await stop());
    if (read !== total) throw new Error(`read ${read} of ${total} events`);
  } finally {
    await single.close();
  }
  // Four writers, each owning a quarter of the streams: the per-store lock serialises commits, not preparation.
  const { store: shared } = await open('concurrent');
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
  return { appendPerSec, appendPerCpuSec, concurrentAppendPerSec, readPerSec, readPerCpuSec };
}

export async function benchEventStore(): Promise<BenchRow[]> {
  const batches = recordedBatches();
  const rows: BenchRow[] = [{ name: 'event store bench: machine load average (1 min) at start', value: loadavg()[0]!, unit: 'runnable' }];

  const schemas: string[] = [];
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    const server = await measure(async (label) => {
      const schema = `es_bench_${label}_${randomUUID().replace(/-/g, '').slice(0, 8)}`;
      schemas.push(schema);
      const url = new URL(PG_URL);
      url.searchParams.set('application_name', schema);
      const store = await PostgresEventStore.openPostgres(url.toString(), { schema });
      const backendPids = async () =>
        (await admin.query<{ pid: number }>('select pid from pg_stat_activity where application_name = $1', [schema])).rows.map((r) => r.pid);
      return { store, backendPids };
    }, batches);
    rows.push(
      { name: `event store append, Postgres server, batches of ${BATCH}`, value: server.appendPerSec, unit: 'events/s', target: '>= 20000' },
      { name: 'event store append, Postgres server, per CPU-second (client + server)', value: server.appendPerCpuSec, unit: 'events/cpu-s' },
      { name: 'event store append, Postgres server, 4 writers', value: server.concurrentAppendPerSec, unit: 'events/s' },
      { name: 'event store readAll, Postgres server', value: server.readPerSec, unit: 'events/s', target: '>= 100000' },
      { name: 'event store readAll, Postgres server, per CPU-second (client + server)', value: server.readPerCpuSec, unit: 'events/cpu-s' },
    );
  } finally {
    for (const s of schemas) await admin.query(`drop schema if exists "${s}" cascade`);
    await admin.end();
  }

  const lite = await measure(async () => ({ store: await PostgresEventStore.openPglite('memory://'), backendPids: async () => [] }), batches);
  rows.push(
    { name: `event store append, PGlite in memory, batches of ${BATCH}`, value: lite.appendPerSec, unit: 'events/s', target: '>= 10000' },
    { name: 'event store append, PGlite in memory, per CPU-second', value: lite.appendPerCpuSec, unit: 'events/cpu-s' },
    { name: 'event store append, PGlite in memory, 4 writers', value: lite.concurrentAppendPerSec, unit: 'events/s' },
    { name: 'event store readAll, PGlite in memory', value: lite.readPerSec, unit: 'events/s', target: '>= 100000' },
    { name: 'event store readAll, PGlite in memory, per CPU-second', value: lite.readPerCpuSec, unit: 'events/cpu-s' },
  );

  // The embedded default keeps its data directory on disk (var/): same code, file-backed.
  const dirs: string[] = [];
  try {
    const disk = await measure(async () => {
      const dir = await mkdtemp(join(tmpdir(), 'qts-es-bench-'));
      dirs.push(dir);
      return { store: await PostgresEventStore.openPglite(dir), backendPids: async () => [] };
    }, batches);
    rows.push(
      { name: `event store append, PGlite on disk, batches of ${BATCH}`, value: disk.appendPerSec, unit: 'events/s', target: '>= 10000' },
      { name: 'event store append, PGlite on disk, per CPU-second', value: disk.appendPerCpuSec, unit: 'events/cpu-s' },
      { name: 'event store readAll, PGlite on disk', value: disk.readPerSec, unit: 'events/s', target: '>= 100000' },
      { name: 'event store readAll, PGlite on disk, per CPU-second', value: disk.readPerCpuSec, unit: 'events/cpu-s' },
    );
  } finally {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await benchEventStore();
  console.table(rows.map((r) => ({ benchmark: r.name, value: Math.round(r.value), unit: r.unit, target: r.target ?? '' })));
}
