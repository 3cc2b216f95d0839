// Columnar bar series: the replay's input, one Float64Array per field, so a million bars cost no objects.
import { timeframeToMs, type BarClosed, type Timeframe } from '@qts/schemas';

export interface BarSeries {
  readonly instrument: string;
  readonly venue: string;
  readonly timeframe: Timeframe;
  readonly length: number;
  /** Epoch ms; strictly increasing. */
  readonly openTime: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
}

export function emptySeries(instrument: string, timeframe: Timeframe, venue: string, length: number): BarSeries {
  return {
    instrument, venue, timeframe, length,
    openTime: new Float64Array(length), open: new Float64Array(length), high: new Float64Array(length),
    low: new Float64Array(length), close: new Float64Array(length), volume: new Float64Array(length),
  };
}

/** Collects BarClosed events (already validated, in time order) into a series. */
export function seriesFromBars(bars: Iterable<BarClosed>): BarSeries {
  const list = Array.isArray(bars) ? (bars as BarClosed[]) : [...bars];
  const first = list[0];
  if (first === undefined) throw new RangeError('no bars to replay');
  const s = emptySeries(first.instrument, first.timeframe, first.venue, list.length);
  list.forEach((b, i) => {
    s.openTime[i] = b.openTime; s.open[i] = b.open; s.high[i] = b.high; s.low[i] = b.low; s.close[i] = b.close; s.volume[i] = b.volume;
  });
  return s;
}

/** Bars [from, to) as a view sharing the same memory (walk-forward windows copy nothing). */
export function sliceSeries(s: BarSeries, from: number, to: number): BarSeries {
  const a = Math.max(0, from);
  const b = Math.min(s.length, to);
  return {
    instrument: s.instrument, venue: s.venue, timeframe: s.timeframe, length: Math.max(0, b - a),
    openTime: s.openTime.subarray(a, b), open: s.open.subarray(a, b), high: s.high.subarray(a, b),
    low: s.low.subarray(a, b), close: s.close.subarray(a, b), volume: s.volume.subarray(a, b),
  };
}

/**
 * The series played `times` times back to back, each copy shifted in time to follow the previous
 * one (one bar apart): for benchmarks that need millions of real bars without inventing prices.
 */
export function repeatSeries(s: BarSeries, times: number): BarSeries {
  const n = s.length;
  const out = emptySeries(s.instrument, s.timeframe, s.venue, n * times);
  const step = timeframeToMs(s.timeframe) || 1;
  const span = n === 0 ? 0 : s.openTime[n - 1]! - s.openTime[0]! + step;
  for (let k = 0; k < times; k++) {
    const at = k * n;
    out.open.set(s.open, at); out.high.set(s.high, at); out.low.set(s.low, at); out.close.set(s.close, at); out.volume.set(s.volume, at);
    const shift = k * span;
    for (let i = 0; i < n; i++) out.openTime[at + i] = s.openTime[i]! + shift;
  }
  return out;
}

/** One bar as a BarClosed event payload (allocates: for tests and the rare event, not the hot path). */
export function barAt(s: BarSeries, i: number): BarClosed {
  const openTime = s.openTime[i]!;
  return {
    instrument: s.instrument, venue: s.venue, timeframe: s.timeframe, openTime,
    closeTime: openTime + timeframeToMs(s.timeframe),
    open: s.open[i]!, high: s.high[i]!, low: s.low[i]!, close: s.close[i]!, volume: s.volume[i]!,
  };
}
