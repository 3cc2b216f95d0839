// Parameter sweeps and walk-forward optimisation over the same replay; the parallel runner lives in infra.
import { timeframeToMs } from '@qts/schemas';
import { ValidationError } from '../errors.ts';
import { paramsFromPoint, type AnyStrategy } from '../strategies/strategy.ts';
import { runBacktest, type BacktestInput } from './engine.ts';
import { computeMetrics, periodsPerYearFor, type Metrics } from './metrics.ts';
import { sliceSeries, type BarSeries } from './series.ts';
import type { RoundTrip } from './trades.ts';

export type GridPoint = Readonly<Record<string, number>>;

/** One axis: a list of values, or a range `{ from, to, step }` (both ends included). Hybrid params use dotted paths, e.g. `sma-cross.fast`. */
export type GridAxis = readonly number[] | { readonly from: number; readonly to: number; readonly step: number };
export type GridSpec = Readonly<Record<string, GridAxis>>;

export const objectives = ['sharpe', 'sortino', 'calmar', 'total-return', 'cagr', 'profit-factor'] as const;
export type Objective = (typeof objectives)[number];

/** The most points a sweep may have: beyond it a typo (a step of 0.0001) would run for hours. */
export const MAX_GRID_POINTS = 10_000;

function axisValues(name: string, axis: GridAxis): number[] {
  if (Array.isArray(axis)) {
    const values = axis as readonly unknown[];
    if (values.length === 0 || !values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new ValidationError(`grid axis '${name}' must be a non-empty list of numbers`, [{ path: name, message: 'not a list of numbers' }]);
    }
    return [...(values as number[])];
  }
  const { from, to, step } = axis as { from: number; to: number; step: number };
  if (![from, to, step].every((v) => typeof v === 'number' && Number.isFinite(v)) || !(step > 0) || to < from) {
    throw new ValidationError(`grid axis '${name}' must be { from, to, step } with from <= to and step > 0`, [{ path: name, message: 'bad range' }]);
  }
  const out: number[] = [];
  const count = Math.floor((to - from) / step + 1e-9);
  for (let k = 0; k <= count; k++) out.push(Number((from + k * step).toPrecision(12)));
  return out;
}

/** The cartesian product of the axes, in axis order (the last axis varies fastest). */
export function expandGrid(spec: GridSpec): GridPoint[] {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new ValidationError('the grid must be an object of parameter -> values', [{ path: 'grid', message: 'not an object' }]);
  }
  const axes = Object.entries(spec).map(([name, axis]) => [name, axisValues(name, axis)] as const);
  if (axes.length === 0) throw new ValidationError('the grid names no parameter', [{ path: 'grid', message: 'empty' }]);
  const size = axes.reduce((p, [, v]) => p * v.length, 1);
  if (size > MAX_GRID_POINTS) {
    throw new ValidationError(`the grid has ${size} points; at most ${MAX_GRID_POINTS}`, [{ path: 'grid', message: `${size} points` }]);
  }
  let points: Record<string, number>[] = [{}];
  for (const [name, values] of axes) points = points.flatMap((p) => values.map((v) => ({ ...p, [name]: v })));
  return points;
}

export interface GridRow {
  readonly params: GridPoint;
  readonly metrics: Metrics;
  readonly eventHash: string;
}

export interface GridOutcome {
  /** Best first by the objective; null scores last. */
  readonly rows: readonly GridRow[];
  /** Points the strategy refused (e.g. fast >= slow), with why. */
  readonly refused: readonly { readonly params: GridPoint; readonly reason: string }[];
}

export function objectiveValue(m: Metrics, objective: Objective): number | null {
  switch (objective) {
    case 'sharpe': return m.sharpe;
    case 'sortino': return m.sortino;
    case 'calmar': return m.calmar;
    case 'total-return': return m.totalReturn;
    case 'cagr': return m.cagr;
    case 'profit-factor': return m.profitFactor;
    default: {
      const never: never = objective;
      throw new Error(`unknown objective ${String(never)}`);
    }
  }
}

/** Sorts best first; ties keep grid order, so the ranking is deterministic. */
export function rankRows(rows: readonly GridRow[], objective: Objective): GridRow[] {
  const score = (r: GridRow) => objectiveValue(r.metrics, objective) ?? -Infinity;
  return rows.map((r, i) => ({ r, i })).sort((a, b) => score(b.r) - score(a.r) || a.i - b.i).map((x) => x.r);
}

/** The settings of a sweep: everything of a backtest except the strategy params, which the grid varies. */
export type SweepBase = Omit<BacktestInput<unknown, unknown>, 'strategy' | 'params' | 'bars' | 'keepEvents'>;

/** Runs the given points one after another on this thread (the infra runner splits points over workers). */
export function evaluatePoints(strategy: AnyStrategy, series: BarSeries, points: readonly GridPoint[], base: SweepBase): { rows: GridRow[]; refused: { params: GridPoint; reason: string }[] } {
  const rows: GridRow[] = [];
  const refused: { params: GridPoint; reason: string }[] = [];
  for (const point of points) {
    let params: unknown;
    try {
      params = paramsFromPoint(strategy, point);
    } catch (e) {
      refused.push({ params: point, reason: e instanceof Error ? e.message : String(e) });
      continue;
    }
    const r = runBacktest({ ...base, bars: series, strategy, params });
    rows.push({ params: point, metrics: r.metrics, eventHash: r.eventHash });
  }
  return { rows, refused };
}

/** Evaluates grid points on a series, possibly in parallel; the result is in the order of `points`. */
export type PointsEvaluator = (series: BarSeries, points: readonly GridPoint[]) => Promise<{ rows: GridRow[]; refused: { params: GridPoint; reason: string }[] }>;

export interface WalkForwardOptions {
  readonly series: BarSeries;
  readonly points: readonly GridPoint[];
  readonly trainBars: number;
  readonly testBars: number;
  readonly objective: Objective;
  readonly base: SweepBase;
  readonly strategy: AnyStrategy;
  readonly evaluate: PointsEvaluator;
}

export interface WalkForwardFold {
  readonly trainFrom: number;
  readonly testFrom: number;
  readonly testTo: number;
  readonly params: GridPoint;
  readonly inSample: Metrics;
  readonly outOfSample: Metrics;
}

export interface WalkForwardResult {
  readonly folds: readonly WalkForwardFold[];
  /** Metrics of the out-of-sample windows stitched end to end (each fold's returns compounded). */
  readonly metrics: Metrics;
  readonly trades: readonly RoundTrip[];
  readonly equityCurve: { readonly time: Float64Array; readonly equity: Float64Array };
}

/**
 * Rolls a window: optimise on `trainBars`, trade the best params on the next `testBars`, move
 * forward by `testBars`. Out-of-sample runs start flat; the strategy warms up on the training bars
 * (their signals are not traded), so no out-of-sample bar is seen by the optimiser.
 */
export async function walkForward(o: WalkForwardOptions): Promise<WalkForwardResult> {
  const { series, trainBars, testBars } = o;
  if (!(Number.isInteger(trainBars) && trainBars > 0 && Number.isInteger(testBars) && testBars > 0)) {
    throw new ValidationError('--train-bars and --test-bars must be positive whole numbers', [{ path: 'trainBars', message: 'positive integer' }]);
  }
  if (trainBars + testBars > series.length) {
    throw new ValidationError(`walk-forward needs at least train + test = ${trainBars + testBars} bars; the data has ${series.length}`, [{ path: 'testBars', message: 'too long for the data' }]);
  }
  const cash = o.base.cash ?? 10_000;
  const folds: WalkForwardFold[] = [];
  const trades: RoundTrip[] = [];
  const times: number[] = [];
  const curve: number[] = [];
  let level = cash;
  let barsInMarket = 0;
  let fees = 0;
  for (let start = 0; start + trainBars < series.length; start += testBars) {
    const train = sliceSeries(series, start, start + trainBars);
    const testTo = Math.min(series.length, start + trainBars + testBars);
    const grid = await o.evaluate(train, o.points);
    const best = rankRows(grid.rows, o.objective)[0];
    if (best === undefined) throw new ValidationError('no grid point is valid for this strategy', grid.refused.slice(0, 5).map((r) => ({ path: JSON.stringify(r.params), message: r.reason })));
    const params = paramsFromPoint(o.strategy, best.params);
    const window = sliceSeries(series, start, testTo);
    const oos = runBacktest({ ...o.base, bars: window, strategy: o.strategy, params, tradeFrom: trainBars });
    const eq = oos.equityCurve.equity;
    // Only the test bars count; the training bars (flat, no trades) are warm-up.
    const testEquity = eq.subarray(trainBars);
    for (let i = 0; i < testEquity.length; i++) {
      curve.push(level * (testEquity[i]! / cash));
      times.push(oos.equityCurve.time[trainBars + i]!);
    }
    level = curve[curve.length - 1]!;
    trades.push(...oos.trades);
    const inMarket = Math.round(oos.metrics.exposure * oos.metrics.bars);
    barsInMarket += inMarket;
    fees += oos.metrics.totalFees;
    const barMs = timeframeToMs(series.timeframe);
    folds.push({
      trainFrom: start, testFrom: start + trainBars, testTo, params: best.params, inSample: best.metrics,
      outOfSample: computeMetrics({ startEquity: cash, equity: testEquity, trades: oos.trades, barsInMarket: inMarket, periodsPerYear: oos.metrics.periodsPerYear, barMs, totalFees: oos.metrics.totalFees }),
    });
  }
  const barMs = timeframeToMs(series.timeframe);
  const equity = Float64Array.from(curve);
  const time = Float64Array.from(times);
  const span = time.length > 0 ? time[time.length - 1]! - (time[0]! - barMs) : 0;
  const metrics = computeMetrics({
    startEquity: cash, equity, trades, barsInMarket, barMs, totalFees: fees,
    periodsPerYear: o.base.periodsPerYear ?? periodsPerYearFor(barMs, equity.length, span),
  });
  return { folds, metrics, trades, equityCurve: { time, equity } };
}
