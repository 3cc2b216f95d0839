// Linearly weighted moving average, streaming, equal to tulind's `wma`.
import { requireInt } from './port.ts';
import type { CloseIndicator } from './port.ts';

/** Weights 1..period, newest heaviest. Ready after `period` updates (lookback `period - 1`). */
export class Wma implements CloseIndicator {
  readonly period: number;
  readonly lookback: number;
  private readonly window: Float64Array;
  private readonly weights: number;
  // tulip keeps the weighted sum and the plain sum and slides both in O(1); we keep the same two sums.
  private weighted = 0;
  private sum = 0;
  private count = 0;
  private head = 0;
  private out = NaN;

  constructor(period: number) {
    this.period = requireInt('Wma', 'period', period, 1);
    this.lookback = period - 1;
    this.window = new Float64Array(period);
    this.weights = (period * (period + 1)) / 2;
  }

  get value(): number { return this.out; }
  get isReady(): boolean { return this.count > this.lookback; }

  update(close: number): this {
    const p = this.period;
    const i = this.count++;
    this.window[this.head] = close;
    if (i < p - 1) {
      this.weighted += close * (i + 1);
      this.sum += close;
    } else {
      this.weighted += close * p;
      this.sum += close;
      this.out = this.weighted / this.weights;
      this.weighted -= this.sum;
      // The oldest input of the current window sits in the slot after the newest.
      const oldest = this.head + 1 === p ? 0 : this.head + 1;
      this.sum -= this.window[oldest]!;
    }
    if (++this.head === p) this.head = 0;
    return this;
  }

  reset(): void {
    this.window.fill(0);
    this.weighted = 0;
    this.sum = 0;
    this.count = 0;
    this.head = 0;
    this.out = NaN;
  }
}
