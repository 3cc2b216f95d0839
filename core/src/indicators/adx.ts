// Average directional index (Wilder), streaming, equal to tulind's `adx`.
import { requireInt } from './port.ts';
import type { HlcIndicator } from './port.ts';
import { trueRange } from './true-range.ts';

/**
 * ADX in [0, 100]. Follows tulip step by step: true range and +DM/-DM are summed over inputs
 * 1..period-1 and then smoothed Wilder-style (x * (period-1)/period + new); DX values are summed
 * for `period` bars and then smoothed the same way; the output is that sum / period.
 * Ready after `2 * period - 1` updates (lookback `(period - 1) * 2`). A stretch with neither
 * directional movement nor range gives 0/0 = NaN, as in tulip.
 */
export class Adx implements HlcIndicator {
  readonly period: number;
  readonly lookback: number;
  private readonly per: number;
  private readonly invPer: number;
  private atr = 0;
  private dmUp = 0;
  private dmDown = 0;
  private adx = 0;
  private prevHigh = 0;
  private prevLow = 0;
  private prevClose = 0;
  private count = 0;
  private out = NaN;

  constructor(period: number) {
    this.period = requireInt('Adx', 'period', period, 2);
    this.lookback = (period - 1) * 2;
    this.per = (period - 1) / period;
    this.invPer = 1.0 / period;
  }

  get value(): number { return this.out; }
  get isReady(): boolean { return this.count > this.lookback; }

  update(high: number, low: number, close: number): this {
    const i = this.count++;
    const p = this.period;
    if (i > 0) {
      const tr = trueRange(high, low, this.prevClose);
      // Directional movement exactly as tulip's macro: only the larger move counts, negatives are 0.
      let dp = high - this.prevHigh;
      let dm = this.prevLow - low;
      if (dp < 0) dp = 0;
      else if (dp > dm) dm = 0;
      if (dm < 0) dm = 0;
      else if (dm > dp) dp = 0;
      if (i < p) {
        this.atr += tr;
        this.dmUp += dp;
        this.dmDown += dm;
        if (i === p - 1) this.adx += this.dx();
      } else {
        this.atr = this.atr * this.per + tr;
        this.dmUp = this.dmUp * this.per + dp;
        this.dmDown = this.dmDown * this.per + dm;
        const dx = this.dx();
        if (i - p <= p - 2) {
          this.adx += dx;
          if (i - p === p - 2) this.out = this.adx * this.invPer;
        } else {
          this.adx = this.adx * this.per + dx;
          this.out = this.adx * this.invPer;
        }
      }
    }
    this.prevHigh = high;
    this.prevLow = low;
    this.prevClose = close;
    return this;
  }

  private dx(): number {
    const diUp = this.dmUp / this.atr;
    const diDown = this.dmDown / this.atr;
    return (Math.abs(diUp - diDown) / (diUp + diDown)) * 100;
  }

  reset(): void {
    this.atr = 0;
    this.dmUp = 0;
    this.dmDown = 0;
    this.adx = 0;
    this.prevHigh = 0;
    this.prevLow = 0;
    this.prevClose = 0;
    this.count = 0;
    this.out = NaN;
  }
}
