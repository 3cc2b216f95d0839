// Batch indicators over whole series via tulind (Tulip Indicators, native), aligned to the input index.
// tulind copies every value between JS and C (~250 ns per element), so it is for breadth, research and as
// the reference the streaming forms are tested against, never for the per-tick hot path.
import { ValidationError } from '../errors.ts';
import { requireFinite, requireInt } from './port.ts';
import type { BollingerValue } from './bollinger.ts';
import type { MacdValue } from './macd.ts';
import type { StochasticValue } from './stochastic.ts';

interface TulindIndicator {
  readonly name: string;
  readonly inputs: number;
  readonly options: number;
  readonly outputs: number;
  readonly output_names: readonly string[];
  indicator(inputs: number[][], options: number[], done: (err: string | null, res: number[][] | null) => void): void;
  start(options: number[]): number;
}

interface Tulind {
  readonly version: string;
  readonly indicators: Readonly<Record<string, TulindIndicator>>;
}

let tulind: Promise<Tulind> | undefined;

// Loaded on first use, not at import: processes and bundles that only stream must not load a native addon.
// tulind is CommonJS without type declarations; the interfaces above are the part of its shape we use.
function load(): Promise<Tulind> {
  const specifier = 'tulind';
  return (tulind ??= import(specifier).then((m: { default: Tulind }) => m.default));
}

/** Version of the Tulip Indicators C library inside tulind. */
export async function tulipVersion(): Promise<string> {
  return (await load()).version;
}

/** A series the batch functions accept: plain arrays or typed arrays. */
export type Series = ArrayLike<number>;

/** Each output of a batch indicator as an array as long as the input, NaN before the lookback. */
export type Aligned<T> = { readonly [K in keyof T]: Float64Array };

async function lookup(name: string): Promise<TulindIndicator> {
  const { indicators } = await load();
  const ind = Object.hasOwn(indicators, name) ? indicators[name] : undefined;
  if (ind === undefined) throw new ValidationError(`tulind has no indicator '${name}'`, [{ path: 'name', message: 'unknown indicator' }]);
  return ind;
}

/** tulind's lookback (`start`) for `name` with these options: the input index of its first output. */
export async function tulindLookback(name: string, options: readonly number[]): Promise<number> {
  return (await lookup(name)).start([...options]);
}

/**
 * Runs any tulind indicator and returns its outputs aligned to the input index: `out[k][i]` belongs to
 * input bar i, NaN for i < lookback. Inputs must have equal lengths (tulind would silently align
 * unequal ones by their ends).
 * @example const [lower, middle, upper] = await tulindBatch('bbands', [closes], [20, 2]); // tulind's output order
 */
export async function tulindBatch(name: string, inputs: readonly Series[], options: readonly number[]): Promise<Float64Array[]> {
  const ind = await lookup(name);
  if (inputs.length !== ind.inputs) throw new ValidationError(`${name}: expects ${ind.inputs} inputs, got ${inputs.length}`, [{ path: 'inputs', message: 'wrong count' }]);
  if (options.length !== ind.options) throw new ValidationError(`${name}: expects ${ind.options} options, got ${options.length}`, [{ path: 'options', message: 'wrong count' }]);
  const n = inputs[0]?.length ?? 0;
  if (inputs.some((s) => s.length !== n)) throw new ValidationError(`${name}: inputs differ in length`, [{ path: 'inputs', message: 'unequal lengths' }]);
  const start = ind.start([...options]);
  const outs = Array.from({ length: ind.outputs }, () => new Float64Array(n).fill(NaN));
  // The binding sizes its output as n - start without a check: a series shorter than the lookback
  // would ask it for a negative-sized array, so there is nothing to compute and we do not call it.
  if (n <= start) return outs;
  // The binding accepts only plain JS arrays (it rejects typed arrays).
  const plain = inputs.map((s) => Array.from(s));
  const res = await new Promise<number[][]>((resolve, reject) => {
    ind.indicator(plain, [...options], (err, r) => (err !== null || r === null ? reject(new ValidationError(`${name}: tulind rejected options [${options.join(', ')}]: ${err}`, [{ path: 'options', message: String(err) }])) : resolve(r)));
  });
  for (let k = 0; k < outs.length; k++) {
    const src = res[k];
    const dst = outs[k]!;
    if (src === undefined || src.length !== n - start) throw new Error(`${name}: tulind returned ${src?.length} values for output ${k}, expected ${n - start}`);
    for (let j = 0; j < src.length; j++) dst[start + j] = src[j]!;
  }
  return outs;
}

async function single(name: string, inputs: readonly Series[], options: readonly number[]): Promise<Float64Array> {
  const [out] = await tulindBatch(name, inputs, options);
  return out!;
}

/** tulind `sma`, aligned (NaN for i < period - 1). Streaming twin: `Sma`. */
export async function smaBatch(close: Series, period: number): Promise<Float64Array> {
  return single('sma', [close], [requireInt('sma', 'period', period, 1)]);
}

/** tulind `ema`, seeded with the first input (lookback 0). Streaming twin: `Ema`. */
export async function emaBatch(close: Series, period: number): Promise<Float64Array> {
  return single('ema', [close], [requireInt('ema', 'period', period, 1)]);
}

/** tulind `wma`, aligned (NaN for i < period - 1). Streaming twin: `Wma`. */
export async function wmaBatch(close: Series, period: number): Promise<Float64Array> {
  return single('wma', [close], [requireInt('wma', 'period', period, 1)]);
}

/** tulind `rsi`, aligned (NaN for i < period). Streaming twin: `Rsi`. */
export async function rsiBatch(close: Series, period: number): Promise<Float64Array> {
  return single('rsi', [close], [requireInt('rsi', 'period', period, 1)]);
}

/** tulind `atr`, aligned (NaN for i < period - 1). Streaming twin: `Atr`. */
export async function atrBatch(high: Series, low: Series, close: Series, period: number): Promise<Float64Array> {
  return single('atr', [high, low, close], [requireInt('atr', 'period', period, 1)]);
}

/** tulind `adx`, aligned (NaN for i < 2 * (period - 1)). Streaming twin: `Adx`. */
export async function adxBatch(high: Series, low: Series, close: Series, period: number): Promise<Float64Array> {
  return single('adx', [high, low, close], [requireInt('adx', 'period', period, 2)]);
}

/** tulind `obv` (0 at the first bar). Streaming twin: `Obv`. */
export async function obvBatch(close: Series, volume: Series): Promise<Float64Array> {
  return single('obv', [close, volume], []);
}

/** tulind `macd` (with its 0.15/0.075 alphas for exactly 12/26), aligned (NaN for i < longPeriod - 1). Streaming twin: `Macd`. */
export async function macdBatch(close: Series, shortPeriod: number, longPeriod: number, signalPeriod: number): Promise<Aligned<MacdValue>> {
  requireInt('macd', 'shortPeriod', shortPeriod, 1);
  requireInt('macd', 'longPeriod', longPeriod, Math.max(2, shortPeriod));
  requireInt('macd', 'signalPeriod', signalPeriod, 1);
  const [macd, signal, histogram] = await tulindBatch('macd', [close], [shortPeriod, longPeriod, signalPeriod]);
  return { macd: macd!, signal: signal!, histogram: histogram! };
}

/** tulind `bbands` (population stddev), aligned (NaN for i < period - 1). Streaming twin: `BollingerBands`. */
export async function bollingerBatch(close: Series, period: number, stddev: number): Promise<Aligned<BollingerValue>> {
  requireInt('bbands', 'period', period, 1);
  requireFinite('bbands', 'stddev', stddev);
  const [lower, middle, upper] = await tulindBatch('bbands', [close], [period, stddev]);
  return { lower: lower!, middle: middle!, upper: upper! };
}

/** tulind `stoch`, aligned (NaN for i < kPeriod + kSlowing + dPeriod - 3). Streaming twin: `Stochastic`. */
export async function stochasticBatch(high: Series, low: Series, close: Series, kPeriod: number, kSlowing: number, dPeriod: number): Promise<Aligned<StochasticValue>> {
  requireInt('stoch', 'kPeriod', kPeriod, 1);
  requireInt('stoch', 'kSlowing', kSlowing, 1);
  requireInt('stoch', 'dPeriod', dPeriod, 1);
  const [k, d] = await tulindBatch('stoch', [high, low, close], [kPeriod, kSlowing, dPeriod]);
  return { k: k!, d: d! };
}
