// Benchmark: ML inference latency per signal (mlStrategy.onBar with a 64-bar window: features + scaling + model) for each model, and LSTM training time on a year of hourly bars.
// Run alone with `node --import tsx adapters/bench/ml.bench.ts`, or through `npm run bench`.
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mlStrategy, parseStrategyParams, repeatSeries, sliceSeries } from '@qts/core';
import type { BarSeries, Predictor } from '@qts/core';
import { loadBars } from '@qts/core/testing';
import { EnsembleModel, initTf, tfBackend, trainModel } from '../src/ml/index.ts';
import type { TrainedModel } from '../src/ml/index.ts';

export interface BenchRow {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
}

const WINDOW = 64;
const SIGNALS = 2000;
/** Decisions timed but discarded while V8 optimises the forward passes. */
const WARMUP = 200;
const YEAR_BARS = 8760;

function hourly(): BarSeries {
  // EURUSD-1h: 5,000 real hourly bars, replayed (shifted in time) to make a year.
  const b = loadBars('EURUSD-1h');
  const s: BarSeries = { instrument: 'EUR/USD', venue: 'recorded', timeframe: '1h', length: b.length, openTime: b.time, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume };
  return sliceSeries(repeatSeries(s, 2), 0, YEAR_BARS);
}

function percentile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Times every onBar after the window is full: one bar = one model decision (a signal or not). */
function inferenceLatency(model: Predictor, series: BarSeries): { p50: number; p99: number } {
  const strategy = mlStrategy(model);
  const state = strategy.init(parseStrategyParams(strategy, {}));
  const bar = { instrument: series.instrument, venue: series.venue, timeframe: series.timeframe, openTime: 0, closeTime: 0, open: 0, high: 0, low: 0, close: 0, volume: 0 };
  const times: number[] = [];
  for (let i = 0; i < series.length && times.length < SIGNALS + WARMUP; i++) {
    bar.openTime = series.openTime[i]!; bar.closeTime = bar.openTime + 3_600_000;
    bar.open = series.open[i]!; bar.high = series.high[i]!; bar.low = series.low[i]!; bar.close = series.close[i]!; bar.volume = series.volume[i]!;
    const t0 = performance.now();
    strategy.onBar(state, bar);
    const dt = performance.now() - t0;
    if (Number.isFinite(state.probability)) times.push(dt);
  }
  if (times.length === 0) throw new Error(`no prediction: ${state.error ?? 'window never filled'}`);
  const sorted = Float64Array.from(times.slice(WARMUP)).sort();
  return { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
}

export async function benchMl(): Promise<BenchRow[]> {
  await initTf();
  const backend = tfBackend();
  const series = hourly();
  const rows: BenchRow[] = [];

  const started = performance.now();
  const lstm = await trainModel({ kind: 'lstm', series, horizon: 4, window: 32, epochs: 5, batchSize: 64, seed: 1, testFraction: 0.2 });
  const trainSeconds = (performance.now() - started) / 1000;
  rows.push({ name: `ml: train LSTM(16) on ${YEAR_BARS} 1h bars, window 32, 5 epochs [${backend}]`, value: trainSeconds, unit: 's', target: '< 120 s on 2 cores' });
  rows.push({ name: `ml: LSTM out-of-sample accuracy (${lstm.metrics.samples} samples)`, value: lstm.metrics.accuracy, unit: 'fraction' });
  lstm.model.dispose();

  // Inference latency does not depend on how well a model is trained: small, short runs with a 64-bar window.
  const small = sliceSeries(series, 0, 3000);
  const replay = sliceSeries(series, 0, SIGNALS + WARMUP + 200);
  const models: TrainedModel[] = [];
  for (const kind of ['lstm', 'transformer', 'xgboost'] as const) {
    models.push((await trainModel({ kind, series: small, horizon: 4, window: WINDOW, epochs: 1, seed: 1, testFraction: 0.2 })).model);
  }
  const ensemble = new EnsembleModel('ensemble@bench', models);
  for (const m of [...models, ensemble]) {
    const { p50, p99 } = inferenceLatency(m, replay);
    rows.push({ name: `ml: ${m.kind} inference p50 per signal, 64-bar window [${backend}]`, value: p50, unit: 'ms' });
    rows.push({ name: `ml: ${m.kind} inference p99 per signal, 64-bar window [${backend}]`, value: p99, unit: 'ms', target: '< 5 ms' });
  }
  ensemble.dispose();
  // Latency tails on a shared 2-core machine are mostly scheduling: say how busy it was.
  rows.push({ name: 'ml: machine load average (1 min) during the run', value: loadavg()[0]!, unit: 'runnable' });
  return rows;
}

if (resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  const rows = await benchMl();
  console.table(rows.map((r) => ({ benchmark: r.name, value: Number(r.value.toPrecision(4)), unit: r.unit, target: r.target ?? '' })));
  process.exit(0);
}
