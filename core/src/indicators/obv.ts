// On-balance volume, streaming, equal to tulind's `obv`.
import type { CloseVolumeIndicator } from './port.ts';

/**
 * Running sum of volume signed by the close's direction; unchanged closes add nothing. Like tulip it
 * starts at 0 on the first bar (whose volume is not counted), so it is ready at once (lookback 0).
 */
export class Obv implements CloseVolumeIndicator {
  readonly lookback = 0;
  private sum = 0;
  private prev = 0;
  private count = 0;
  private out = NaN;

  get value(): number { return this.out; }
  get isReady(): boolean { return this.count > 0; }

  update(close: number, volume: number): this {
    if (this.count++ > 0) {
      if (close > this.prev) this.sum += volume;
      else if (close < this.prev) this.sum -= volume;
    }
    this.prev = close;
    this.out = this.sum;
    return this;
  }

  reset(): void {
    this.sum = 0;
    this.prev = 0;
    this.count = 0;
    this.out = NaN;
  }
}
