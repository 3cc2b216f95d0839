// The soak verdict tells a warm-up bump from a steady climb: flat after warm-up passes, a slow leak fails.
import { describe, expect, it } from 'vitest';
import { fitSlope, verdict, type Sample } from './verdict.ts';

const run = (rss: (t: number) => number): Sample[] => Array.from({ length: 40 }, (_, i) => ({ tS: i * 30, rssMiB: rss(i * 30), heapMiB: 100, eventsPerS: 1000 }));

describe('soak verdict', () => {
  it('fits the least-squares slope', () => {
    expect(fitSlope([[0, 1], [1, 3], [2, 5]])).toBeCloseTo(2, 12);
    expect(fitSlope([[5, 1]])).toBe(0);
  });

  it('calls RSS flat when only the warm-up quarter grew, with noise after it', () => {
    const v = verdict(run((t) => (t < 300 ? 200 + t : 500) + (Math.round(t / 30) % 2 === 0 ? 3 : -3)));
    expect(v.flat).toBe(true);
  });

  it('calls a steady climb of 2 MiB a minute growing', () => {
    const v = verdict(run((t) => 400 + (2 * t) / 60));
    expect(v.flat).toBe(false);
    expect(v.reason).toMatch(/\+\d+\.\d MiB over the last/);
  });

  it('refuses to judge from too few samples', () => {
    expect(verdict(run(() => 300).slice(0, 3)).flat).toBe(false);
  });
});
