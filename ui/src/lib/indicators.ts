// Chart overlays computed in the browser from the bars on screen.

/** Simple moving average of `values`; NaN until `period` values have been seen. O(n), one pass. */
export function sma(values: ArrayLike<number>, period: number): Float64Array {
  const out = new Float64Array(values.length).fill(Number.NaN);
  if (period < 1) return out;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i]!;
    if (i >= period) sum -= values[i - period]!;
    if (i >= period - 1) out[i] = sum / period;
  }
  return out;
}

/** Drawdown from the running peak, as a fraction (0 at a new high, -0.25 a quarter below it). */
export function drawdown(equity: ArrayLike<number>): Float64Array {
  const out = new Float64Array(equity.length);
  let peak = -Infinity;
  for (let i = 0; i < equity.length; i++) {
    const e = equity[i]!;
    if (e > peak) peak = e;
    out[i] = peak > 0 ? e / peak - 1 : 0;
  }
  return out;
}

/** The open time of the bar of length `tfMs` holding `ts` (markers sit on bars). */
export function barTime(ts: number, tfMs: number): number {
  return ts - (((ts % tfMs) + tfMs) % tfMs);
}

const units: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
export function timeframeMs(tf: string): number {
  const m = /^(\d+)([smhdw])$/.exec(tf);
  if (!m) throw new Error(`not a timeframe: ${tf}`);
  return Number(m[1]) * units[m[2]!]!;
}
