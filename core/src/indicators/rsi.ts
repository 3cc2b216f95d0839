// Relative strength index with Wilder smoothing, streaming, equal to tulind's `rsi`.
import { requireInt } from './port.ts';
import type { CloseIndicator } from './port.ts';

/**
 * RSI in [0, 100]. Like tulip, the average gain and loss are seeded with the plain mean of the first
 * `period` changes (inputs 1..period), then smoothed with alpha 1/period; ready after `period + 1`
 * updates (lookback `period`). A window without any change gives 0/0 = NaN, as in tulip.
 */
export class Rsi implements CloseIndicator {
  readonly period: number;
  readonly lookback: number;
  private readonly alpha: number;
  private up = 0;
  private down = 0;
  private prev = 0;
  private count = 0;
  private out = NaN;

  constructor(period: number) {
    this.period = requireInt('Rsi', 'period', period, 1);
    this.lookback = period;
    this.alpha = 1.0 / period;
  }

  get value(): number { return this.out; }
  get isReady(): boolean { return this.count > this.lookback; }

  update(close: number): this {
    const i = this.count++;
    const prev = this.prev;
    this.prev = close;
    if (i === 0) return this;
    const upward = close > prev ? close - prev : 0;
    const downward = close < prev ? prev - close : 0;
    if (i < this.period) {
      this.up += upward;
      this.down += downward;
      return this;
    }
    if (i === this.period) {
      // tulip divides the seed sums by period (not multiply by 1/period): same operation, same bits.
      this.up = (this.up + upward) / this.period;
      this.down = (this.down + downward) / this.period;
    } else {
      this.up = (upward - this.up) * this.alpha + this.up;
      this.down = (downward - this.down) * this.alpha + this.down;
    }
    this.out = 100.0 * (this.up / (this.up + this.down));
    return this;
  }

  reset(): void {
    this.up = 0;
    this.down = 0;
    this.prev = 0;
    this.count = 0;
    this.out = NaN;
  }
}
