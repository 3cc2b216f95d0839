// Labels from future prices: the sign of the forward return with a dead zone, and triple-barrier outcomes.

/**
 * 1 when close[t+h] / close[t] - 1 > deadZone, 0 when < -deadZone, NaN inside the dead zone or when
 * fewer than h bars follow t. The label of bar t reads closes t..t+h only.
 */
export function directionLabels(close: ArrayLike<number>, horizon: number, deadZone = 0): Float64Array {
  if (!(Number.isInteger(horizon) && horizon >= 1)) throw new RangeError(`horizon must be an integer >= 1, got ${horizon}`);
  if (!(deadZone >= 0)) throw new RangeError(`deadZone must be >= 0, got ${deadZone}`);
  const n = close.length;
  const out = new Float64Array(n).fill(NaN);
  for (let t = 0; t + horizon < n; t++) {
    const r = close[t + horizon]! / close[t]! - 1;
    if (r > deadZone) out[t] = 1;
    else if (r < -deadZone) out[t] = 0;
  }
  return out;
}

export interface TripleBarrierOptions {
  /** Take-profit distance as a fraction of the entry close (0.02 = +2%). */
  readonly takeProfit: number;
  /** Stop-loss distance as a fraction (0.01 = -1%). */
  readonly stopLoss: number;
  /** Time limit in bars (the vertical barrier). */
  readonly horizon: number;
  /** At the time limit, the return must clear this to count as up/down; NaN inside. Default 0. */
  readonly deadZone?: number;
}

export interface TripleBarrierLabels {
  /** 1 (take profit, or up at the time limit), 0 (stop loss, or down at the time limit), NaN otherwise. */
  readonly label: Float64Array;
  /** 1 take profit, -1 stop loss, 0 time limit, per bar; 0 where unlabelled. */
  readonly barrier: Int8Array;
  /** Bar index at which the outcome was known (t+1..t+horizon); -1 where unlabelled. */
  readonly touched: Int32Array;
}

/**
 * Enters at close[t], then walks bars t+1..t+horizon: the first bar whose high reaches the take profit
 * or whose low reaches the stop decides. A bar that reaches both counts as the stop (the conservative
 * reading: the bar does not say which came first). Bars with fewer than `horizon` bars after them
 * stay unlabelled, even when a barrier was already hit, so a label never depends on where the data stops.
 */
export function tripleBarrierLabels(bars: { readonly high: ArrayLike<number>; readonly low: ArrayLike<number>; readonly close: ArrayLike<number> }, o: TripleBarrierOptions): TripleBarrierLabels {
  if (!(o.takeProfit > 0 && o.stopLoss > 0)) throw new RangeError('takeProfit and stopLoss must be > 0');
  if (!(Number.isInteger(o.horizon) && o.horizon >= 1)) throw new RangeError(`horizon must be an integer >= 1, got ${o.horizon}`);
  const dead = o.deadZone ?? 0;
  const n = bars.close.length;
  const label = new Float64Array(n).fill(NaN);
  const barrier = new Int8Array(n);
  const touched = new Int32Array(n).fill(-1);
  for (let t = 0; t + o.horizon < n; t++) {
    const entry = bars.close[t]!;
    const up = entry * (1 + o.takeProfit);
    const down = entry * (1 - o.stopLoss);
    for (let j = t + 1; j <= t + o.horizon; j++) {
      if (bars.low[j]! <= down) {
        label[t] = 0; barrier[t] = -1; touched[t] = j;
        break;
      }
      if (bars.high[j]! >= up) {
        label[t] = 1; barrier[t] = 1; touched[t] = j;
        break;
      }
    }
    if (touched[t] === -1) {
      const r = bars.close[t + o.horizon]! / entry - 1;
      touched[t] = t + o.horizon;
      if (r > dead) label[t] = 1;
      else if (r < -dead) label[t] = 0;
    }
  }
  return { label, barrier, touched };
}
