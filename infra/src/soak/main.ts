// `npm run soak`: the embedded system replays recorded bars at full speed for a while, sampling memory and throughput, and says whether RSS stayed flat.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Bus } from '@qts/core';
import { topics } from '@qts/schemas';
import { RuntimeConfig } from '../runtime/config.ts';
import { openInfrastructure, startWorkers, systemClock, type Infrastructure } from '../runtime/compose.ts';
import { createLogger } from '../runtime/log.ts';
import { startReadSide } from '../runtime/read-side.ts';
import { runReplayIngest } from '../workers/replay-ingest.ts';
import { fitSlope, verdict, type Sample } from './verdict.ts';

const usage = `npm run soak -- [--minutes 20] [--every 30] [--bars-per-second 0] [--data FILE] [--keep]
  Runs recorder, strategy, executor, projector and API in this process on a fresh PGlite data dir, feeding
  the recorded bars again and again (each lap shifted past the last), and prints RSS, heap and events/s
  every --every seconds, then a verdict: RSS is flat when the least-squares slope over the last 3/4 of the
  samples, extrapolated over that window, grows it by less than max(16 MiB, 5 %).`;

const { values: flags } = parseArgs({
  options: {
    minutes: { type: 'string', default: '20' }, every: { type: 'string', default: '30' }, 'bars-per-second': { type: 'string', default: '0' },
    data: { type: 'string' }, keep: { type: 'boolean', default: false }, help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log(usage);
  process.exit(0);
}
const minutes = Number(flags.minutes);
const everyS = Number(flags.every);
const barsPerSecond = Number(flags['bars-per-second']);
if (!(minutes > 0) || !(everyS > 0) || !(barsPerSecond >= 0)) {
  console.error(usage);
  process.exit(2);
}

const repo = resolve(import.meta.dirname, '../../..');
const shared = resolve(repo, '../shared/data/BTCUSDT-5m.csv');
const source = resolve(flags.data ?? (existsSync(shared) ? shared : join(repo, 'infra/data/sample/BTCUSDT-5m.csv')));
const dir = mkdtempSync(join(tmpdir(), 'qts-soak-'));

/** One lap of the recorded bars, every time moved `shiftMs` later, so the replay goes on as a new market day. */
function lapFile(lap: number, rows: readonly string[], header: string, spanMs: number): string {
  const shift = lap * spanMs;
  const out = [header];
  for (const row of rows) {
    const comma = row.indexOf(',');
    const t = Date.parse(row.slice(0, comma));
    out.push(`${new Date(t + shift).toISOString().replace('.000Z', 'Z')}${row.slice(comma)}`);
  }
  const path = join(dir, `lap-${lap}.csv`);
  writeFileSync(path, `${out.join('\n')}\n`);
  return path;
}

/** Counts every event any worker publishes: the system's throughput, whatever the topic. */
function countingBus(inner: Bus, counter: { events: number; bars: number }): Bus {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'publish') {
        return async (topic: string, key: string | null, events: readonly unknown[]) => {
          await target.publish(topic, key, events as never);
          counter.events += events.length;
          if (topic === topics.bars) counter.bars += events.length;
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

const mib = (b: number) => b / 1024 / 1024;

async function main(): Promise<void> {
  const text = readFileSync(source, 'utf8').trim().split('\n');
  const header = text[0]!;
  const rows = text.slice(1).filter((r) => r.trim() !== '');
  const first = Date.parse(rows[0]!.split(',')[0]!);
  const last = Date.parse(rows[rows.length - 1]!.split(',')[0]!);
  const stepMs = Date.parse(rows[1]!.split(',')[0]!) - first;
  const spanMs = last - first + stepMs;

  const log = createLogger('soak', process.env.QTS_LOG_LEVEL ?? 'warn');
  const config = RuntimeConfig.parse({
    dataDir: dir,
    market: { kind: 'replay', files: [{ path: source, instrument: 'BTC/USDT', timeframe: '5m', venue: 'replay' }], barsPerSecond },
    api: { host: '127.0.0.1', port: 0 },
  });
  const counter = { events: 0, bars: 0 };
  const opened = await openInfrastructure(config, log);
  const infra: Infrastructure = { ...opened, bus: countingBus(opened.bus, counter), close: () => opened.close() };
  const read = await startReadSide(config, { apiToken: 'soak-run-token-0000000000000000' }, infra, { projector: true, api: true }, log, systemClock);
  const system = await startWorkers(config, infra, ['recorder', 'executor', 'strategy'], log);
  const abort = new AbortController();
  let laps = 0;
  const feeding = (async () => {
    for (let lap = 0; !abort.signal.aborted; lap++) {
      const file = lapFile(lap, rows, header, spanMs);
      await runReplayIngest([{ path: file, instrument: 'BTC/USDT', timeframe: '5m', venue: 'replay' }], barsPerSecond, { bus: infra.bus, store: infra.store, clock: systemClock, log }, abort.signal);
      rmSync(file, { force: true });
      laps = lap + 1;
    }
  })();

  console.log(`soak: ${minutes} min, a sample every ${everyS} s; data ${source} (${rows.length} bars a lap); data dir ${dir}; API ${read.api?.url}`);
  console.log(`${'t (s)'.padStart(7)} ${'RSS MiB'.padStart(8)} ${'heap MiB'.padStart(9)} ${'ext MiB'.padStart(8)} ${'events'.padStart(10)} ${'events/s'.padStart(9)} ${'bars'.padStart(9)} ${'laps'.padStart(5)}`);
  const samples: Sample[] = [];
  const t0 = performance.now();
  let lastEvents = 0;
  let lastT = t0;
  const end = t0 + minutes * 60_000;
  while (performance.now() < end) {
    await new Promise((r) => setTimeout(r, Math.min(everyS * 1000, Math.max(0, end - performance.now()))));
    const now = performance.now();
    const m = process.memoryUsage();
    const rate = (counter.events - lastEvents) / ((now - lastT) / 1000);
    lastEvents = counter.events;
    lastT = now;
    const s: Sample = { tS: (now - t0) / 1000, rssMiB: mib(m.rss), heapMiB: mib(m.heapUsed), eventsPerS: rate };
    samples.push(s);
    console.log(`${s.tS.toFixed(0).padStart(7)} ${s.rssMiB.toFixed(1).padStart(8)} ${s.heapMiB.toFixed(1).padStart(9)} ${mib(m.external).toFixed(1).padStart(8)} ${String(counter.events).padStart(10)} ${rate.toFixed(0).padStart(9)} ${String(counter.bars).padStart(9)} ${String(laps).padStart(5)}`);
  }
  abort.abort();
  await feeding.catch(() => undefined);
  await system.stop();
  await read.close();
  await infra.close();

  const tail = samples.slice(Math.floor(samples.length / 4));
  const rss = fitSlope(tail.map((s) => [s.tS, s.rssMiB]));
  const heap = fitSlope(tail.map((s) => [s.tS, s.heapMiB]));
  const rates = samples.map((s) => s.eventsPerS).sort((a, b) => a - b);
  const v = verdict(samples);
  console.log(`\nevents published ${counter.events} (${(counter.events / ((performance.now() - t0) / 1000)).toFixed(0)}/s overall; per sample median ${rates[Math.floor(rates.length / 2)]?.toFixed(0)}, min ${rates[0]?.toFixed(0)}, max ${rates[rates.length - 1]?.toFixed(0)})`);
  console.log(`RSS slope over the last 3/4 of samples: ${(rss * 60).toFixed(2)} MiB/min; heap slope ${(heap * 60).toFixed(2)} MiB/min`);
  console.log(`verdict: ${v.flat ? 'RSS FLAT' : 'RSS GROWING'} (${v.reason})`);
  if (!flags.keep) rmSync(dir, { recursive: true, force: true });
  process.exit(v.flat ? 0 : 1);
}

main().catch((e: unknown) => {
  console.error('soak failed:', e);
  process.exit(2);
});
