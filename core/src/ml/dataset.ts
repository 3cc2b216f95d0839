// Datasets for supervised models: samples (bars with a full feature window and a label), walk-forward splits with purge and embargo, and scaling fitted on training rows only.
import type { FeatureMatrix } from './features.ts';

/** Bar indices [from, to). */
export interface BarRange {
  readonly from: number;
  readonly to: number;
}

export interface Split {
  /** Bars whose samples train the model. */
  readonly train: BarRange;
  /** Bars whose samples test it; every training label ends before `test.from`. */
  readonly test: BarRange;
}

export interface WalkForwardSplitOptions {
  /** Bars of the first training range (later folds grow from it when `expanding`). */
  readonly trainBars: number;
  readonly testBars: number;
  /**
   * Bars dropped from the end of each training range: at least the label horizon, so no training
   * label reads a price inside the test range.
   */
  readonly purge: number;
  /** Extra bars dropped after the purge, against serial correlation of overlapping feature windows. */
  readonly embargo?: number;
  /** Grow the training range (true, default) or roll it with a fixed size. */
  readonly expanding?: boolean;
  /** First usable bar (e.g. the features' warm-up). Default 0. */
  readonly start?: number;
}

/**
 * Walk-forward folds over `bars` bars: train on [a, b - purge - embargo), test on [b, b + testBars),
 * then move b by testBars. Test ranges never overlap each other or any training range.
 * @example walkForwardSplits(5000, { trainBars: 2000, testBars: 500, purge: 4, embargo: 24 })
 */
export function walkForwardSplits(bars: number, o: WalkForwardSplitOptions): Split[] {
  const gap = o.purge + (o.embargo ?? 0);
  if (!(o.trainBars > gap && o.testBars >= 1 && o.purge >= 0)) throw new RangeError('walkForwardSplits: trainBars must exceed purge + embargo, testBars >= 1');
  const start = o.start ?? 0;
  const out: Split[] = [];
  for (let b = start + o.trainBars; b + o.testBars <= bars; b += o.testBars) {
    const a = o.expanding === false ? b - o.trainBars : start;
    out.push({ train: { from: a, to: b - gap }, test: { from: b, to: b + o.testBars } });
  }
  return out;
}

/** One split at a fraction of the bars: train before, test after, with the purge/embargo gap between. */
export function holdoutSplit(bars: number, o: { readonly testFraction: number; readonly purge: number; readonly embargo?: number; readonly start?: number }): Split {
  const start = o.start ?? 0;
  const testFrom = start + Math.floor((bars - start) * (1 - o.testFraction));
  const trainTo = testFrom - o.purge - (o.embargo ?? 0);
  if (trainTo <= start || testFrom >= bars) throw new RangeError(`holdoutSplit: too few bars (${bars - start}) for a test fraction of ${o.testFraction} and a gap of ${testFrom - trainTo}`);
  return { train: { from: start, to: trainTo }, test: { from: testFrom, to: bars } };
}

/**
 * Bars t in `range` usable as samples: the features of t-window+1..t are all finite and the label of
 * t is known. A sample of bar t is taken at t's close.
 */
export function sampleBars(features: FeatureMatrix, labels: ArrayLike<number>, window: number, range: BarRange): Int32Array {
  const out: number[] = [];
  const from = Math.max(range.from, features.firstReady + window - 1);
  for (let t = from; t < range.to && t < features.rows; t++) {
    if (!Number.isFinite(labels[t]!)) continue;
    if (rowsFinite(features, t - window + 1, t + 1)) out.push(t);
  }
  return Int32Array.from(out);
}

function rowsFinite(f: FeatureMatrix, from: number, to: number): boolean {
  for (let i = from * f.cols; i < to * f.cols; i++) if (!Number.isFinite(f.data[i]!)) return false;
  return true;
}

/** Per-column standardisation: (x - mean) / std, with std 1 for a constant column. */
export interface Scaler {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/**
 * Fits mean and std on the feature rows of bars [range.from, range.to) that are finite: pass the
 * training range only, so nothing about the test period leaks into the scaling.
 */
export function fitScaler(features: FeatureMatrix, range: BarRange): Scaler {
  const c = features.cols;
  const sum = new Float64Array(c);
  const sq = new Float64Array(c);
  let n = 0;
  for (let t = Math.max(range.from, features.firstReady); t < range.to && t < features.rows; t++) {
    if (!rowsFinite(features, t, t + 1)) continue;
    n++;
    for (let j = 0; j < c; j++) sum[j]! += features.data[t * c + j]!;
  }
  if (n < 2) throw new RangeError(`fitScaler: need at least 2 finite rows in bars [${range.from}, ${range.to}), got ${n}`);
  const mean = Array.from(sum, (s) => s / n);
  for (let t = Math.max(range.from, features.firstReady); t < range.to && t < features.rows; t++) {
    if (!rowsFinite(features, t, t + 1)) continue;
    for (let j = 0; j < c; j++) {
      const d = features.data[t * c + j]! - mean[j]!;
      sq[j]! += d * d;
    }
  }
  const std = Array.from(sq, (s) => {
    const v = Math.sqrt(s / (n - 1));
    return v > 1e-12 ? v : 1;
  });
  return { mean, std };
}

/** Scales one row into `out` (at `offset`), clipped to ±10 std so an outlier bar cannot blow up a model. */
export function scaleRow(scaler: Scaler, row: ArrayLike<number>, out: Float32Array | Float64Array, offset = 0): void {
  for (let j = 0; j < row.length; j++) {
    const z = (row[j]! - scaler.mean[j]!) / scaler.std[j]!;
    out[offset + j] = z > 10 ? 10 : z < -10 ? -10 : z;
  }
}

/** The tensors a model trains on: windows [samples, window, cols] and labels [samples]. */
export interface WindowedSet {
  readonly bars: Int32Array;
  readonly window: number;
  readonly cols: number;
  /** Row-major [samples][window][cols], scaled, oldest bar first. */
  readonly x: Float32Array;
  readonly y: Float32Array;
}

/** Scaled windows ending at each sample bar; cols = features.cols. */
export function windowedSet(features: FeatureMatrix, labels: ArrayLike<number>, bars: Int32Array, window: number, scaler: Scaler): WindowedSet {
  const c = features.cols;
  const x = new Float32Array(bars.length * window * c);
  const y = new Float32Array(bars.length);
  for (let s = 0; s < bars.length; s++) {
    const t = bars[s]!;
    for (let w = 0; w < window; w++) {
      const r = t - window + 1 + w;
      scaleRow(scaler, features.data.subarray(r * c, (r + 1) * c), x, (s * window + w) * c);
    }
    y[s] = labels[t]!;
  }
  return { bars, window, cols: c, x, y };
}

/** Flattened windows for tree models: the last `lags` rows of each window, side by side. */
export function flattenLastRows(set: WindowedSet, lags: number): Float32Array {
  const { window, cols } = set;
  const k = Math.min(lags, window);
  const n = set.bars.length;
  const out = new Float32Array(n * k * cols);
  for (let s = 0; s < n; s++) {
    const start = (s * window + window - k) * cols;
    out.set(set.x.subarray(start, start + k * cols), s * k * cols);
  }
  return out;
}
