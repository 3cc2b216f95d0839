// Chart overlays: the SMA matches its definition, drawdown is measured from the running peak.
import { describe, expect, it } from 'vitest';
import { barTime, drawdown, sma, timeframeMs } from './indicators.ts';

describe('indicators', () => {
  it('sma is NaN during warm-up, then the mean of the last n closes', () => {
    const out = Array.from(sma([1, 2, 3, 4, 5], 3));
    expect(out.slice(0, 2).every(Number.isNaN)).toBe(true);
    expect(out.slice(2)).toEqual([2, 3, 4]);
  });

  it('drawdown is 0 at new highs and the fraction below the peak after', () => {
    expect(Array.from(drawdown([100, 120, 90, 130]))).toEqual([0, 0, -0.25, 0]);
  });

  it('places a timestamp on the open time of its bar', () => {
    expect(timeframeMs('5m')).toBe(300_000);
    expect(barTime(1_000_299_999, 300_000)).toBe(1_000_200_000);
    expect(() => timeframeMs('tick')).toThrow(/timeframe/);
  });
});
