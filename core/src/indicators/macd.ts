// MACD (line, signal, histogram), streaming, equal to tulind's `macd` including its alpha quirk.
import { requireInt } from './port.ts';
import type { CloseIndicator } from './port.ts';

/** The three MACD outputs, read from the indicator itself (no object per update). */
export interface MacdValue {
  readonly macd: number;
  readonly signal: number;
  readonly histogram: number;
}

/**
 * MACD = EMA(short) - EMA(long), signal = EMA(signal) of it, histogram = MACD - signal.
 * Both EMAs are seeded with the first input; the signal EMA is seeded with the first MACD value at
 * input index `longPeriod - 1`, which is also where output starts (lookback `longPeriod - 1`).
 * Tulip quirk kept for parity: for exactly (12, 26) the alphas are 0.15 and 0.075 instead of 2/13 and 2/27.
 * @example const m = new Macd(12, 26, 9); if (m.update(close).histogram > 0) ...
 */
export class Macd implements CloseIndicator<MacdValue>, MacdValue {
  readonly shortPeriod: number;
  readonly longPeriod: number;
  readonly signalPeriod: number;
  readonly lookback: number;
  private readonly shortAlpha: number;
  private readonly longAlpha: number;
  private readonly signalAlpha: number;
  private shortEma = 0;
  private longEma = 0;
  private signalEma = 0;
  private count = 0;
  private outMacd = NaN;
  private outSignal = NaN;
  private outHistogram = NaN;

  constructor(shortPeriod: number, longPeriod: number, signalPeriod: number) {
    this.shortPeriod = requireInt('Macd', 'shortPeriod', shortPeriod, 1);
    this.longPeriod = requireInt('Macd', 'longPeriod', longPeriod, Math.max(2, shortPeriod));
    this.signalPeriod = requireInt('Macd', 'signalPeriod', signalPeriod, 1);
    this.lookback = longPeriod - 1;
    const quirk = shortPeriod === 12 && longPeriod === 26;
    this.shortAlpha = quirk ? 0.15 : 2 / (shortPeriod + 1);
    this.longAlpha = quirk ? 0.075 : 2 / (longPeriod + 1);
    this.signalAlpha = 2 / (signalPeriod + 1);
  }

  get value(): MacdValue { return this; }
  get macd(): number { return this.outMacd; }
  get signal(): number { return this.outSignal; }
  get histogram(): number { return this.outHistogram; }
  get isReady(): boolean { return this.count > this.lookback; }

  update(close: number): this {
    const i = this.count++;
    if (i === 0) {
      this.shortEma = close;
      this.longEma = close;
      return this;
    }
    this.shortEma = (close - this.shortEma) * this.shortAlpha + this.shortEma;
    this.longEma = (close - this.longEma) * this.longAlpha + this.longEma;
    const line = this.shortEma - this.longEma;
    if (i >= this.lookback) {
      if (i === this.lookback) this.signalEma = line;
      this.signalEma = (line - this.signalEma) * this.signalAlpha + this.signalEma;
      this.outMacd = line;
      this.outSignal = this.signalEma;
      this.outHistogram = line - this.signalEma;
    }
    return this;
  }

  reset(): void {
    this.shortEma = 0;
    this.longEma = 0;
    this.signalEma = 0;
    this.count = 0;
    this.outMacd = NaN;
    this.outSignal = NaN;
    this.outHistogram = NaN;
  }
}
