// Stochastic oscillator (%K with slowing, %D), streaming, equal to tulind's `stoch`.
import { requireInt } from './port.ts';
import type { HlcIndicator } from './port.ts';

/** The two outputs, read from the indicator itself (no object per update). */
export interface StochasticValue {
  readonly k: number;
  readonly d: number;
}

/**
 * fast %K = 100 * (close - lowest low) / (highest high - lowest low) over `kPeriod` bars (0 when the
 * range is 0); %K = SMA(kSlowing) of fast %K; %D = SMA(dPeriod) of %K.
 * Ready after `kPeriod + kSlowing + dPeriod - 2` updates (lookback `kPeriod + kSlowing + dPeriod - 3`).
 * @example const st = new Stochastic(14, 3, 3); const { k, d } = st.update(high, low, close);
 */
export class Stochastic implements HlcIndicator<StochasticValue>, StochasticValue {
  readonly kPeriod: number;
  readonly kSlowing: number;
  readonly dPeriod: number;
  readonly lookback: number;
  private readonly highs: Float64Array;
  private readonly lows: Float64Array;
  // Slowing and %D are running sums over rings, updated like tulip's ti_buffer (drop oldest, then add),
  // and fed from the very first bar, so their rounding residue equals tulind's.
  private readonly kRing: Float64Array;
  private readonly dRing: Float64Array;
  private readonly kScale: number;
  private readonly dScale: number;
  private kSum = 0;
  private dSum = 0;
  private kPushes = 0;
  private dPushes = 0;
  private kHead = 0;
  private dHead = 0;
  // Absolute input indices of the current highest high / lowest low, as in tulip's scan.
  private maxIndex = -1;
  private minIndex = -1;
  private max = 0;
  private min = 0;
  private head = 0;
  private count = 0;
  private outK = NaN;
  private outD = NaN;

  constructor(kPeriod: number, kSlowing: number, dPeriod: number) {
    this.kPeriod = requireInt('Stochastic', 'kPeriod', kPeriod, 1);
    this.kSlowing = requireInt('Stochastic', 'kSlowing', kSlowing, 1);
    this.dPeriod = requireInt('Stochastic', 'dPeriod', dPeriod, 1);
    this.lookback = kPeriod + kSlowing + dPeriod - 3;
    this.highs = new Float64Array(kPeriod);
    this.lows = new Float64Array(kPeriod);
    this.kRing = new Float64Array(kSlowing);
    this.dRing = new Float64Array(dPeriod);
    this.kScale = 1.0 / kSlowing;
    this.dScale = 1.0 / dPeriod;
  }

  get value(): StochasticValue { return this; }
  get k(): number { return this.outK; }
  get d(): number { return this.outD; }
  get isReady(): boolean { return this.count > this.lookback; }

  update(high: number, low: number, close: number): this {
    const i = this.count++;
    const kp = this.kPeriod;
    this.highs[this.head] = high;
    this.lows[this.head] = low;
    if (++this.head === kp) this.head = 0;
    const trail = i >= kp ? i - kp + 1 : 0;

    // Highest high: rescan the window only when the previous maximum fell out of it (amortised O(1)).
    if (this.maxIndex < trail) {
      this.rescanMax(trail, i);
    } else if (high >= this.max) {
      this.maxIndex = i;
      this.max = high;
    }
    if (this.minIndex < trail) {
      this.rescanMin(trail, i);
    } else if (low <= this.min) {
      this.minIndex = i;
      this.min = low;
    }

    const range = this.max - this.min;
    const fast = range === 0.0 ? 0.0 : 100 * ((close - this.min) / range);
    if (this.kPushes++ >= this.kSlowing) this.kSum -= this.kRing[this.kHead]!;
    this.kSum += fast;
    this.kRing[this.kHead] = fast;
    if (++this.kHead === this.kSlowing) this.kHead = 0;

    if (i >= kp - 1 + this.kSlowing - 1) {
      const k = this.kSum * this.kScale;
      if (this.dPushes++ >= this.dPeriod) this.dSum -= this.dRing[this.dHead]!;
      this.dSum += k;
      this.dRing[this.dHead] = k;
      if (++this.dHead === this.dPeriod) this.dHead = 0;
      if (i >= this.lookback) {
        this.outK = k;
        this.outD = this.dSum * this.dScale;
      }
    }
    return this;
  }

  // The rescans are the cold path, kept out of update() so V8 can inline update() into its caller.
  // Ties go to the newest bar, as in tulip, so the extreme stays in the window as long as possible.
  private rescanMax(trail: number, i: number): void {
    const kp = this.kPeriod;
    let slot = trail % kp;
    let max = this.highs[slot]!;
    let maxIndex = trail;
    for (let j = trail + 1; j <= i; j++) {
      if (++slot === kp) slot = 0;
      const bar = this.highs[slot]!;
      if (bar >= max) {
        max = bar;
        maxIndex = j;
      }
    }
    this.max = max;
    this.maxIndex = maxIndex;
  }

  private rescanMin(trail: number, i: number): void {
    const kp = this.kPeriod;
    let slot = trail % kp;
    let min = this.lows[slot]!;
    let minIndex = trail;
    for (let j = trail + 1; j <= i; j++) {
      if (++slot === kp) slot = 0;
      const bar = this.lows[slot]!;
      if (bar <= min) {
        min = bar;
        minIndex = j;
      }
    }
    this.min = min;
    this.minIndex = minIndex;
  }

  reset(): void {
    this.highs.fill(0);
    this.lows.fill(0);
    this.kRing.fill(0);
    this.dRing.fill(0);
    this.kSum = 0;
    this.dSum = 0;
    this.kPushes = 0;
    this.dPushes = 0;
    this.kHead = 0;
    this.dHead = 0;
    this.maxIndex = -1;
    this.minIndex = -1;
    this.max = 0;
    this.min = 0;
    this.head = 0;
    this.count = 0;
    this.outK = NaN;
    this.outD = NaN;
  }
}
