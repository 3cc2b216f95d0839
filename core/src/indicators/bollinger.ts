// Bollinger bands (SMA +/- k population standard deviations), streaming, equal to tulind's `bbands`.
import { requireFinite, requireInt } from './port.ts';
import type { CloseIndicator } from './port.ts';

/** The three bands, read from the indicator itself (no object per update). */
export interface BollingerValue {
  readonly lower: number;
  readonly middle: number;
  readonly upper: number;
}

/**
 * middle = SMA(period), bands = middle -/+ stddev * sigma, where sigma is the population standard
 * deviation (divide by period, not period - 1) computed like tulip from running sums of x and x^2.
 * Ready after `period` updates (lookback `period - 1`).
 * Kept for parity: on a perfectly flat window the variance can round to a tiny negative number and
 * tulip's sqrt then gives NaN bands; this form does the same.
 * @example const bb = new BollingerBands(20, 2); const { lower, upper } = bb.update(close);
 */
export class BollingerBands implements CloseIndicator<BollingerValue>, BollingerValue {
  readonly period: number;
  readonly stddev: number;
  readonly lookback: number;
  private readonly window: Float64Array;
  private readonly scale: number;
  private sum = 0;
  private sum2 = 0;
  private count = 0;
  private head = 0;
  private outLower = NaN;
  private outMiddle = NaN;
  private outUpper = NaN;

  constructor(period: number, stddev: number) {
    this.period = requireInt('BollingerBands', 'period', period, 1);
    this.stddev = requireFinite('BollingerBands', 'stddev', stddev);
    this.lookback = period - 1;
    this.window = new Float64Array(period);
    this.scale = 1.0 / period;
  }

  get value(): BollingerValue { return this; }
  get lower(): number { return this.outLower; }
  get middle(): number { return this.outMiddle; }
  get upper(): number { return this.outUpper; }
  get isReady(): boolean { return this.count > this.lookback; }

  update(close: number): this {
    this.sum += close;
    this.sum2 += close * close;
    if (this.count >= this.period) {
      const old = this.window[this.head]!;
      this.sum -= old;
      this.sum2 -= old * old;
    }
    this.window[this.head] = close;
    if (++this.head === this.period) this.head = 0;
    if (++this.count >= this.period) {
      const mean = this.sum * this.scale;
      const sd = Math.sqrt(this.sum2 * this.scale - mean * mean);
      this.outMiddle = mean;
      this.outLower = mean - this.stddev * sd;
      this.outUpper = mean + this.stddev * sd;
    }
    return this;
  }

  reset(): void {
    this.window.fill(0);
    this.sum = 0;
    this.sum2 = 0;
    this.count = 0;
    this.head = 0;
    this.outLower = NaN;
    this.outMiddle = NaN;
    this.outUpper = NaN;
  }
}
