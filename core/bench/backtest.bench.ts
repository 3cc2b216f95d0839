// Backtest benchmarks: whole-path replay speed (bars/s on one core) and a 100-point grid on two worker threads.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { loadBars } from '../src/testing/data.ts';
import { runBacktest } from '../src/backtest/engine.ts';
import { expandGrid } from '../src/backtest/optimize.ts';
import { repeatSeries, sliceSeries, type BarSeries } from '../src/backtest/series.ts';
import { smaCross } from '../src/strategies/sma-cross.ts';
import type { Timeframe } from '@qts/schemas';

/** Same shape as infra/src/bench/main.ts BenchRow (core does not import infra). */
export interface BenchRow {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
}

const RUNS = 3;

function seriesOf(name: string, timeframe: Timeframe): BarSeries {
  const b = loadBars(name);
  return { instrument: name.split('-')[0]!, venue: 'csv', timeframe, length: b.length, openTime: b.time, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface Rate { readonly wall: number; readonly cpu: number }

/**
 * Whole path (strategy, executor, risk, portfolio, simulated venue, event log and hash; no
 * persistence) on >= 5M real 1m bars. Two configurations: the defaults (all-in, 10 bps: on the
 * repeated series the fees eat the equity, so later signals size to nothing and are rejected), and
 * fixed-quantity 1 with ample cash, where every one of the ~207k signals trades (about 1M events):
 * the event-heavy worst case. Bars/s by wall clock, and by the process's CPU time, which a machine
 * shared with other work disturbs less.
 */
function replayRows(): BenchRow[] {
  const fut = seriesOf('FUT-2006-1m', '1m');
  const times = Math.ceil(5_000_000 / fut.length);
  const bars = repeatSeries(fut, times); // 30,889 bars x 162, each copy shifted in time after the previous
  const configs = [
    { label: 'defaults (all-in, 10 bps)', input: { cash: 10_000 } },
    { label: 'every signal trades (fixed-quantity 1)', input: { cash: 1e9, executor: { sizing: { kind: 'fixed-quantity' as const, quantity: 1 } } } },
  ];
  runBacktest({ bars: sliceSeries(bars, 0, 300_000), strategy: smaCross, params: { fast: 10, slow: 30 } }); // warm the JIT
  const rows: BenchRow[] = [];
  for (const c of configs) {
    const rates: Rate[] = [];
    let summary = '';
    for (let k = 0; k < RUNS; k++) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const r = runBacktest({ ...c.input, bars, strategy: smaCross, params: { fast: 10, slow: 30 } });
      const wall = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      rates.push({ wall: bars.length / wall, cpu: bars.length / ((cpu.user + cpu.system) / 1e6) });
      summary = `${r.signals} signals, ${r.fills} fills, ${r.eventCount} events`;
    }
    const wall = rates.map((r) => r.wall);
    const m = median(wall);
    console.error(`backtest replay ${c.label}: ${bars.length} bars, ${summary}; wall ${wall.map((r) => Math.round(r)).join(', ')} bars/s; cpu ${rates.map((r) => Math.round(r.cpu)).join(', ')} bars/cpu-s`);
    rows.push(
      { name: `backtest replay sma-cross 10/30, ${(bars.length / 1e6).toFixed(2)}M 1m bars, 1 core, ${c.label} (median of ${RUNS}, wall)`, value: m, unit: 'bars/s', target: '>= 1,000,000' },
      { name: `backtest replay ${c.label} (median of ${RUNS}, per CPU second)`, value: median(rates.map((r) => r.cpu)), unit: 'bars/cpu-s', target: '>= 1,000,000' },
      { name: `backtest replay ${c.label} spread (max - min) / median, wall`, value: ((Math.max(...wall) - Math.min(...wall)) / m) * 100, unit: '%' },
    );
  }
  return rows;
}

/** One year of hourly bars: EURUSD-1h (5,000 bars, ~10 months) played twice, time-shifted, cut at 365 days. */
function yearOfHourly(): BarSeries {
  const eur = seriesOf('EURUSD-1h', '1h');
  const twice = repeatSeries(eur, 2);
  const end = twice.openTime[0]! + 365 * 86_400_000;
  let n = 0;
  while (n < twice.length && twice.openTime[n]! < end) n++;
  return sliceSeries(twice, 0, n);
}

async function gridOnce(bars: BarSeries, workers: number): Promise<number> {
  const points = expandGrid({ fast: { from: 5, to: 50, step: 5 }, slow: { from: 60, to: 150, step: 10 } });
  // On Node 20 a worker does not inherit `--import tsx`: it registers tsx itself, then loads the TypeScript module.
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./backtest-grid-worker.ts', import.meta.url).href)}); })`;
  const t0 = performance.now();
  const pool = Array.from({ length: workers }, () => new Worker(boot, { eval: true }));
  const done = await Promise.all(pool.map((w, k) => new Promise<number>((resolve, reject) => {
    w.once('message', (rows: number) => resolve(rows));
    w.once('error', reject);
    w.postMessage({ bars, points: points.filter((_, i) => i % workers === k) });
  })));
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all(pool.map((w) => w.terminate()));
  if (done.reduce((a, b) => a + b, 0) !== points.length) throw new Error('grid bench lost points');
  return seconds;
}

async function gridRows(): Promise<BenchRow[]> {
  const bars = yearOfHourly();
  const workers = Math.min(2, availableParallelism());
  const secs: number[] = [];
  for (let k = 0; k < RUNS; k++) secs.push(await gridOnce(bars, workers));
  const m = median(secs);
  console.error(`backtest grid: 100 points x ${bars.length} hourly bars on ${workers} workers; runs ${secs.map((s) => s.toFixed(2)).join(', ')} s`);
  return [
    { name: `backtest grid 100 points x 1 year hourly (${bars.length} bars), ${workers} workers incl. start-up (median of ${RUNS})`, value: m, unit: 's', target: '< 10' },
    { name: 'backtest grid spread (max - min) / median', value: ((Math.max(...secs) - Math.min(...secs)) / m) * 100, unit: '%' },
  ];
}

export async function benchBacktest(): Promise<BenchRow[]> {
  return [...replayRows(), ...(await gridRows())];
}

// Run directly: node --import tsx core/bench/backtest.bench.ts
if (import.meta.url === `file://${process.argv[1]}`) console.table(await benchBacktest());
