// Average true range with Wilder smoothing, streaming, equal to tulind's `atr`.
import { requireInt } from './port.ts';
import type { HlcIndicator } from './port.ts';
import { trueRange } from './true-range.ts';

/**
 * ATR. Like tulip, the first bar's true range is its high - low (there is no previous close), the seed
 * is the plain mean of the first `period` true ranges, then alpha 1/period smoothing.
 * Ready after `period` updates (lookback `period - 1`).
 */
export class Atr implements HlcIndicator {
  readonly period: number;
  readonly lookback: number;
  private readonly alpha: number;
  private sum = 0;
  private prevClose = 0;
  private count = 0;
  private out = NaN;

  constructor(period: number) {
    this.period = requireInt('Atr', 'period', period, 1);
    this.lookback = period - 1;
    this.alpha = 1.0 / period;
  }

  get value(): number { return this.out; }
  get isReady(): boolean { return this.count > this.lookback; }

  update(high: number, low: number, close: number): this {
    const i = this.count++;
    const tr = i === 0 ? high - low : trueRange(high, low, this.prevClose);
    this.prevClose = close;
    if (i < this.period) {
      this.sum += tr;
      if (i === this.period - 1) this.out = this.sum / this.period;
    } else {
      this.out = (tr - this.out) * this.alpha + this.out;
    }
    return this;
  }

  reset(): void {
    this.sum = 0;
    this.prevClose = 0;
    this.count = 0;
    this.out = NaN;
  }
}
