// Features from closed bars: returns, volatility, indicator values and volume, computed by one streaming extractor for training and live inference alike.
import { z } from 'zod';
import { Adx } from '../indicators/adx.ts';
import { Atr } from '../indicators/atr.ts';
import { BollingerBands } from '../indicators/bollinger.ts';
import { Macd } from '../indicators/macd.ts';
import { Rsi } from '../indicators/rsi.ts';
import { Sma } from '../indicators/sma.ts';
import { Stochastic } from '../indicators/stochastic.ts';
import { stableHash } from './hash.ts';

const Period = z.number().int().min(2).max(500);

/**
 * What to compute from the bars. Every field is part of the spec hash, so a model trained on one spec
 * is refused by a worker computing another.
 */
export const FeatureSpecSchema = z.strictObject({
  /** Log returns over these many bars: log(close_t / close_{t-h}). */
  returns: z.array(z.number().int().min(1).max(500)).max(16).default([1, 2, 4, 12, 24]),
  /** Standard deviation of 1-bar log returns over these windows. */
  volatility: z.array(Period).max(8).default([12, 48]),
  /** RSI period (0 = off); feature rsi/100 - 0.5. */
  rsi: z.number().int().min(0).max(200).default(14),
  /** MACD histogram over the close; null = off. */
  macd: z.strictObject({ fast: Period, slow: Period, signal: z.number().int().min(1).max(200) }).nullable().default({ fast: 12, slow: 26, signal: 9 }),
  /** Position inside the Bollinger bands (%b - 0.5); null = off. */
  bollinger: z.strictObject({ period: Period, k: z.number().positive().max(10) }).nullable().default({ period: 20, k: 2 }),
  /** ATR / close (0 = off). */
  atr: z.number().int().min(0).max(200).default(14),
  /** ADX / 100 (0 = off). */
  adx: z.number().int().min(0).max(200).default(14),
  /** Stochastic %K / 100 - 0.5 (0 = off). */
  stochastic: z.number().int().min(0).max(200).default(14),
  /** log(volume / SMA(volume, n)) for each n (volume + 1 on both sides so empty bars stay finite). */
  volume: z.array(Period).max(4).default([20]),
});
export type FeatureSpec = z.infer<typeof FeatureSpecSchema>;

/** The default spec (what `qts train` uses unless told otherwise). */
export function defaultFeatureSpec(): FeatureSpec {
  return FeatureSpecSchema.parse({});
}

/** Column names, in the order the extractor writes them. */
export function featureNames(spec: FeatureSpec): readonly string[] {
  const names: string[] = [];
  for (const h of spec.returns) names.push(`ret_${h}`);
  for (const w of spec.volatility) names.push(`vol_${w}`);
  if (spec.rsi > 0) names.push(`rsi_${spec.rsi}`);
  if (spec.macd) names.push(`macd_hist_${spec.macd.fast}_${spec.macd.slow}_${spec.macd.signal}`);
  if (spec.bollinger) names.push(`bb_pctb_${spec.bollinger.period}`);
  if (spec.atr > 0) names.push(`atr_${spec.atr}`);
  if (spec.adx > 0) names.push(`adx_${spec.adx}`);
  if (spec.stochastic > 0) names.push(`stoch_k_${spec.stochastic}`);
  for (const n of spec.volume) names.push(`volume_ratio_${n}`);
  return names;
}

/** A hash of the canonical spec (sorted keys): equal specs, equal hashes; models carry it. */
export function featureSpecHash(spec: FeatureSpec): string {
  return stableHash(canonicalJson({ v: 1, ...spec }));
}

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj).sort().filter((k) => obj[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/**
 * Streaming feature extractor: feed closed bars in time order; `row` then holds the features of the
 * latest bar, computed only from that bar and the ones before it (no look-ahead by construction).
 * `ready` is false until every feature is finite. The batch form (computeFeatures) runs this same
 * code, so training sees exactly the numbers a live worker computes.
 */
export class FeatureExtractor {
  readonly spec: FeatureSpec;
  readonly width: number;
  /** Features of the last bar; valid until the next update. */
  readonly row: Float64Array;
  private readonly closes: Float64Array;
  private readonly logReturns: Float64Array;
  private readonly rsi: Rsi | null;
  private readonly macd: Macd | null;
  private readonly bands: BollingerBands | null;
  private readonly atr: Atr | null;
  private readonly adx: Adx | null;
  private readonly stoch: Stochastic | null;
  private readonly volumeSmas: Sma[];
  private count = 0;
  private isReady = false;

  constructor(spec: FeatureSpec) {
    this.spec = spec;
    this.width = featureNames(spec).length;
    if (this.width === 0) throw new RangeError('feature spec selects no feature');
    this.row = new Float64Array(this.width).fill(NaN);
    this.closes = new Float64Array(Math.max(1, ...spec.returns) + 1);
    this.logReturns = new Float64Array(Math.max(1, ...spec.volatility));
    this.rsi = spec.rsi > 0 ? new Rsi(spec.rsi) : null;
    this.macd = spec.macd ? new Macd(spec.macd.fast, spec.macd.slow, spec.macd.signal) : null;
    this.bands = spec.bollinger ? new BollingerBands(spec.bollinger.period, spec.bollinger.k) : null;
    this.atr = spec.atr > 0 ? new Atr(spec.atr) : null;
    this.adx = spec.adx > 0 ? new Adx(spec.adx) : null;
    this.stoch = spec.stochastic > 0 ? new Stochastic(spec.stochastic, 1, 1) : null;
    this.volumeSmas = spec.volume.map((n) => new Sma(n));
  }

  /** True once every feature of the last bar is finite. */
  get ready(): boolean {
    return this.isReady;
  }

  /** Bars seen since construction or reset. */
  get bars(): number {
    return this.count;
  }

  update(high: number, low: number, close: number, volume: number): boolean {
    const i = this.count++;
    const cl = this.closes;
    const cn = cl.length;
    const prev = i > 0 ? cl[(i - 1) % cn]! : NaN;
    cl[i % cn] = close;
    const lr = this.logReturns;
    lr[i % lr.length] = Math.log(close / prev);
    const row = this.row;
    let k = 0;
    for (const h of this.spec.returns) row[k++] = i >= h ? Math.log(close / cl[(i - h) % cn]!) : NaN;
    for (const w of this.spec.volatility) row[k++] = i >= w ? stdev(lr, i, w) : NaN;
    if (this.rsi) row[k++] = this.rsi.update(close).isReady ? this.rsi.value / 100 - 0.5 : NaN;
    if (this.macd) row[k++] = this.macd.update(close).isReady ? this.macd.histogram / close : NaN;
    if (this.bands) {
      const b = this.bands.update(close);
      const width = b.upper - b.lower;
      row[k++] = b.isReady ? (width > 0 ? (close - b.lower) / width - 0.5 : 0) : NaN;
    }
    if (this.atr) row[k++] = this.atr.update(high, low, close).isReady ? this.atr.value / close : NaN;
    if (this.adx) row[k++] = this.adx.update(high, low, close).isReady ? this.adx.value / 100 : NaN;
    if (this.stoch) {
      const s = this.stoch.update(high, low, close);
      row[k++] = s.isReady ? (Number.isFinite(s.k) ? s.k / 100 - 0.5 : 0) : NaN;
    }
    for (const sma of this.volumeSmas) row[k++] = sma.update(volume).isReady ? Math.log((volume + 1) / (sma.value + 1)) : NaN;
    let ok = true;
    for (let j = 0; j < row.length; j++) if (!Number.isFinite(row[j]!)) ok = false;
    this.isReady = ok;
    return ok;
  }

  reset(): void {
    this.count = 0;
    this.isReady = false;
    this.row.fill(NaN);
    this.rsi?.reset(); this.macd?.reset(); this.bands?.reset(); this.atr?.reset(); this.adx?.reset(); this.stoch?.reset();
    for (const s of this.volumeSmas) s.reset();
  }
}

/** Sample standard deviation of the last w log returns (those of bars i-w+1..i). */
function stdev(ring: Float64Array, i: number, w: number): number {
  const n = ring.length;
  let sum = 0;
  for (let j = 0; j < w; j++) sum += ring[(i - j) % n]!;
  const mean = sum / w;
  let sq = 0;
  for (let j = 0; j < w; j++) {
    const d = ring[(i - j) % n]! - mean;
    sq += d * d;
  }
  return Math.sqrt(sq / (w - 1));
}

/** Columns of bars a feature matrix is computed from (a BarSeries or loaded Bars fit). */
export interface OhlcvColumns {
  readonly length: number;
  readonly high: ArrayLike<number>;
  readonly low: ArrayLike<number>;
  readonly close: ArrayLike<number>;
  readonly volume: ArrayLike<number>;
}

/** Row-major features, one row per bar; rows before warm-up hold NaN. */
export interface FeatureMatrix {
  readonly names: readonly string[];
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
  /** Index of the first bar whose features are all finite (rows when none is). */
  readonly firstReady: number;
}

/** Features of every bar, from the streaming extractor (row t reads bars 0..t only). */
export function computeFeatures(bars: OhlcvColumns, spec: FeatureSpec): FeatureMatrix {
  const fx = new FeatureExtractor(spec);
  const cols = fx.width;
  const data = new Float64Array(bars.length * cols);
  let firstReady = bars.length;
  for (let t = 0; t < bars.length; t++) {
    const ready = fx.update(bars.high[t]!, bars.low[t]!, bars.close[t]!, bars.volume[t]!);
    data.set(fx.row, t * cols);
    if (!ready) data.fill(NaN, t * cols, (t + 1) * cols);
    else if (firstReady === bars.length) firstReady = t;
  }
  return { names: featureNames(spec), rows: bars.length, cols, data, firstReady };
}
