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
import { Worker } from 'node:worker_threads';
import { fitSlope, verdict } from './verdict.ts';
import { slot, type SamplerRow } from './sampler.ts';

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
const sharedData = resolve(repo, '../shared/data/BTCUSDT-5m.csv');
const source = resolve(flags.data ?? (existsSync(sharedData) ? sharedData : join(repo, 'infra/data/sample/BTCUSDT-5m.csv')));
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
const shared = new Float64Array(new SharedArrayBuffer(8 * 4));

async function main(): Promise<void> {
  const text = readFileSync(source, 'utf8').trim().split('\n');
  const header = text[0]!;
  const rows = text.slice(1).filter((r) => r.trim() !== '');
  const first = Date.parse(rows[0]!.split(',')[0]!);
  const lastTime = Date.parse(rows[rows.length - 1]!.split(',')[0]!);
  const stepMs = Date.parse(rows[1]!.split(',')[0]!) - first;
  const spanMs = lastTime - first + stepMs;

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
  const feeding = (async () => {
    for (let lap = 0; !abort.signal.aborted; lap++) {
      const file = lapFile(lap, rows, header, spanMs);
      await runReplayIngest([{ path: file, instrument: 'BTC/USDT', timeframe: '5m', venue: 'replay' }], barsPerSecond, { bus: infra.bus, store: infra.store, clock: systemClock, log }, abort.signal);
      rmSync(file, { force: true });
    }
  })();

  console.log(`soak: ${minutes} min, a sample every ${everyS} s; data ${source} (${rows.length} bars a lap); data dir ${dir}; API ${read.api?.url}`);
  console.log(`${'t (s)'.padStart(7)} ${'RSS MiB'.padStart(8)} ${'heap MiB'.padStart(9)} ${'events'.padStart(10)} ${'events/s'.padStart(9)} ${'bars'.padStart(9)} ${'stall s'.padStart(8)}`);
  // The main thread keeps its heartbeat, heap and counts in shared memory; the sampler thread reads them on
  // its own clock, so a main thread stuck in a long statement shows as a growing stall, not as missing rows.
  const beat = () => { shared[slot.heartbeatMs] = Date.now(); shared[slot.heapMiB] = mib(process.memoryUsage().heapUsed); shared[slot.events] = counter.events; shared[slot.bars] = counter.bars; };
  beat();
  const heart = setInterval(beat, 250);
  // On Node 20 a worker does not inherit `--import tsx`: it registers tsx itself (as backtest/grid-pool.ts does).
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./sampler.ts', import.meta.url).href)}); })`;
  const sampler = new Worker(boot, { eval: true, workerData: { kind: 'qts-soak-sampler', shared, everyS, minutes } });
  const samples = await new Promise<SamplerRow[]>((done, fail) => { sampler.once('message', done); sampler.once('error', fail); });
  clearInterval(heart);
  await sampler.terminate();
  abort.abort();
  await feeding.catch(() => undefined);
  await system.stop();
  await read.close();
  await infra.close();

  const tail = samples.slice(Math.floor(samples.length / 4));
  const rss = fitSlope(tail.map((s) => [s.tS, s.rssMiB]));
  const heap = fitSlope(tail.map((s) => [s.tS, s.heapMiB]));
  const rates = samples.map((s) => s.eventsPerS).sort((a, b) => a - b);
  const stall = Math.max(0, ...samples.map((s) => s.stallS));
  const v = verdict(samples);
  const last = samples[samples.length - 1];
  console.log(`\nevents published ${last?.events ?? 0}, bars ${last?.bars ?? 0} (per sample median ${rates[Math.floor(rates.length / 2)]?.toFixed(0)}/s, min ${rates[0]?.toFixed(0)}, max ${rates[rates.length - 1]?.toFixed(0)})`);
  console.log(`RSS slope over the last 3/4 of samples: ${(rss * 60).toFixed(2)} MiB/min; heap slope ${(heap * 60).toFixed(2)} MiB/min`);
  console.log(`longest main-thread stall seen: ${stall.toFixed(1)} s${stall > 3 * everyS ? ' (STALLED: the API and the workers did not answer meanwhile)' : ''}`);
  console.log(`verdict: ${v.flat ? 'RSS FLAT' : 'RSS GROWING'} (${v.reason})`);
  if (!flags.keep) rmSync(dir, { recursive: true, force: true });
  process.exit(v.flat && stall <= 3 * everyS ? 0 : 1);
}

main().catch((e: unknown) => {
  console.error('soak failed:', e);
  process.exit(2);
});
