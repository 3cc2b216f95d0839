// Exponential moving average, streaming, equal to tulind's `ema`.
import { requireInt } from './port.ts';
import type { CloseIndicator } from './port.ts';

/**
 * EMA with alpha = 2 / (period + 1). Like tulip it is seeded with the first input (not with an SMA),
 * so it is ready after the first update (lookback 0); early values lean towards that first input.
 */
export class Ema implements CloseIndicator {
  readonly period: number;
  readonly lookback = 0;
  private readonly alpha: number;
  private count = 0;
  private out = NaN;

  constructor(period: number) {
    this.period = requireInt('Ema', 'period', period, 1);
    this.alpha = 2 / (period + 1);
  }

  get value(): number { return this.out; }
  get isReady(): boolean { return this.count > 0; }

  update(close: number): this {
    // tulip's form (x - ema) * alpha + ema, not alpha * x + (1 - alpha) * ema: same rounding.
    this.out = this.count++ === 0 ? close : (close - this.out) * this.alpha + this.out;
    return this;
  }

  reset(): void {
    this.count = 0;
    this.out = NaN;
  }
}
