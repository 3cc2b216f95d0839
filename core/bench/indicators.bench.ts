// Benchmark: streaming indicator updates per second on a recorded series replayed to >= 10 million updates.
// Run alone with `node --import tsx core/bench/indicators.bench.ts`, or through `npm run bench`.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ema, Rsi, Sma, smaBatch } from '../src/indicators/index.ts';
import { dataFiles, loadBars } from '../src/testing/data.ts';
import type { Bars } from '../src/testing/data.ts';

export interface Row {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
}

const MIN_UPDATES = 10_000_000;
const TARGET = '>= 10M updates/s';

// Prices are real: the longest recorded series is replayed end to end as often as needed, never invented.
function longestSeries(): Bars {
  let best: Bars | undefined;
  for (const name of dataFiles()) {
    const bars = loadBars(name);
    if (best === undefined || bars.length > best.length) best = bars;
  }
  if (best === undefined) throw new Error('no recorded OHLCV series found');
  return best;
}

// One loop per indicator class on purpose: a shared loop would see three classes at one call site
// (polymorphic inline cache) and measure V8's dispatch instead of the indicator.
function runSma(closes: Float64Array, passes: number): number {
  const ind = new Sma(20);
  let acc = 0;
  for (let p = 0; p < passes; p++) for (let i = 0; i < closes.length; i++) {
    const v = ind.update(closes[i]!).value;
    if (v === v) acc += v; // skips the NaN warm-up values
  }
  return acc;
}
function runEma(closes: Float64Array, passes: number): number {
  const ind = new Ema(20);
  let acc = 0;
  for (let p = 0; p < passes; p++) for (let i = 0; i < closes.length; i++) {
    const v = ind.update(closes[i]!).value;
    if (v === v) acc += v; // skips the NaN warm-up values
  }
  return acc;
}
function runRsi(closes: Float64Array, passes: number): number {
  const ind = new Rsi(14);
  let acc = 0;
  for (let p = 0; p < passes; p++) for (let i = 0; i < closes.length; i++) {
    const v = ind.update(closes[i]!).value;
    if (v === v) acc += v; // skips the NaN warm-up values
  }
  return acc;
}

const TRIALS = 5;

// The median of several timed trials, each of >= 10M updates: one trial is at the mercy of whatever
// else the machine runs (other test suites share these cores), the median is not.
function medianSeconds(run: (closes: Float64Array, passes: number) => number, closes: Float64Array, passes: number): { seconds: number; sink: number } {
  let sink = run(closes, 3); // warm-up so the measured loops run optimised code
  const times: number[] = [];
  for (let t = 0; t < TRIALS; t++) {
    const t0 = process.hrtime.bigint();
    sink += run(closes, passes);
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  times.sort((a, b) => a - b);
  return { seconds: times[TRIALS >> 1]!, sink };
}

export async function benchIndicators(): Promise<Row[]> {
  const bars = longestSeries();
  const closes = bars.close;
  const passes = Math.ceil(MIN_UPDATES / closes.length);
  const updates = passes * closes.length;
  const rows: Row[] = [];
  let sink = 0;
  for (const [label, run] of [['SMA(20)', runSma], ['EMA(20)', runEma], ['RSI(14)', runRsi]] as const) {
    const r = medianSeconds(run, closes, passes);
    sink += r.sink;
    rows.push({ name: `indicators: ${label} streaming update (${bars.name} x${passes}, median of ${TRIALS})`, value: updates / r.seconds, unit: 'updates/s', target: TARGET });
  }
  // For scale: tulind's batch SMA over the same series, copies between JS and C included.
  await smaBatch(closes, 20);
  const reps = 20;
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < reps; r++) sink += (await smaBatch(closes, 20))[closes.length - 1]!;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  rows.push({ name: `indicators: tulind SMA(20) batch (${bars.name} x${reps}), for comparison`, value: (reps * closes.length) / seconds, unit: 'elements/s' });
  // Using the sums keeps the optimiser from dropping the loops.
  if (!Number.isFinite(sink)) throw new Error('benchmark produced a non-finite checksum');
  return rows;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const rows = await benchIndicators();
  console.table(rows.map((r) => ({ benchmark: r.name, value: Number(r.value.toPrecision(4)), unit: r.unit, target: r.target ?? '' })));
}
