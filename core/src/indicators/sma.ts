// Simple moving average, streaming, equal to tulind's `sma` (running sum over a ring buffer).
import { requireInt } from './port.ts';
import type { CloseIndicator } from './port.ts';

/**
 * Mean of the last `period` inputs. Ready after `period` updates (lookback `period - 1`).
 * @example const sma = new Sma(20); for (const c of closes) if (sma.update(c).isReady) use(sma.value);
 */
export class Sma implements CloseIndicator {
  readonly period: number;
  readonly lookback: number;
  private readonly window: Float64Array;
  // tulip multiplies by 1/period rather than dividing; the same operation keeps the two bit-equal.
  private readonly scale: number;
  private sum = 0;
  private count = 0;
  private head = 0;
  private out = NaN;

  constructor(period: number) {
    this.period = requireInt('Sma', 'period', period, 1);
    this.lookback = period - 1;
    this.window = new Float64Array(period);
    this.scale = 1.0 / period;
  }

  get value(): number { return this.out; }
  get isReady(): boolean { return this.count > this.lookback; }

  update(close: number): this {
    // Same order as tulip (add the new input, then drop the oldest) so rounding matches.
    this.sum += close;
    if (this.count >= this.period) this.sum -= this.window[this.head]!;
    this.window[this.head] = close;
    if (++this.head === this.period) this.head = 0;
    if (++this.count >= this.period) this.out = this.sum * this.scale;
    return this;
  }

  reset(): void {
    this.window.fill(0);
    this.sum = 0;
    this.count = 0;
    this.head = 0;
    this.out = NaN;
  }
}
