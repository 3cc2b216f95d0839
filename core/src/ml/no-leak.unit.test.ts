// No look-ahead in ML data: features of bar t read bars <= t, labels read bars <= t+horizon, train and test never overlap, scaling sees training rows only.
import { describe, expect, it } from 'vitest';
import { loadBars } from '../testing/data.ts';
import type { Bars } from '../testing/data.ts';
import { fitScaler, holdoutSplit, sampleBars, walkForwardSplits, windowedSet } from './dataset.ts';
import { computeFeatures, defaultFeatureSpec } from './features.ts';
import { directionLabels, tripleBarrierLabels } from './labels.ts';

const real = loadBars('BTCUSDT-5m');
const bars = cut(real, 3000);
const spec = defaultFeatureSpec();

function cut(b: Bars, n: number): Bars {
  return { name: b.name, length: n, time: b.time.slice(0, n), open: b.open.slice(0, n), high: b.high.slice(0, n), low: b.low.slice(0, n), close: b.close.slice(0, n), volume: b.volume.slice(0, n) };
}

/** The same bars with every bar after `t` rewritten (prices scaled by a varying factor, volume changed). */
function rewriteAfter(b: Bars, t: number): Bars {
  const c = cut(b, b.length);
  for (let i = t + 1; i < c.length; i++) {
    const k = 0.7 + 0.6 * Math.abs(Math.sin(i));
    c.open[i]! *= k; c.high[i]! *= k; c.low[i]! *= k; c.close[i]! *= k; c.volume[i] = c.volume[i]! * 3 + 1;
  }
  return c;
}

function same(a: ArrayLike<number>, b: ArrayLike<number>, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

describe('features', () => {
  const base = computeFeatures(bars, spec);

  it('of bar t are unchanged when every bar after t changes, and change when bar t does', () => {
    for (const t of [120, 777, 1500, 2998]) {
      const other = computeFeatures(rewriteAfter(bars, t), spec);
      expect(same(base.data, other.data, 0, (t + 1) * base.cols)).toBe(true);
      if (t + 1 < bars.length) expect(same(base.data, other.data, (t + 1) * base.cols, (t + 2) * base.cols)).toBe(false);
    }
  });

  it('are finite from the warm-up on and NaN before it', () => {
    expect(base.firstReady).toBeGreaterThan(40);
    expect(base.firstReady).toBeLessThan(80);
    expect(Number.isNaN(base.data[(base.firstReady - 1) * base.cols])).toBe(true);
    let bad = 0;
    for (let i = base.firstReady * base.cols; i < base.data.length; i++) if (!Number.isFinite(base.data[i]!)) bad++;
    expect(bad).toBe(0);
  });
});

describe('labels', () => {
  const h = 4;
  it('direction label of bar t reads closes up to t+horizon only', () => {
    const base = directionLabels(bars.close, h, 0.0005);
    for (const t of [100, 1000, 2500]) {
      const other = directionLabels(rewriteAfter(bars, t + h).close, h, 0.0005);
      expect(same(base, other, 0, t + 1)).toBe(true);
      // The bar whose horizon reaches the first rewritten bar may change: the test can fail.
      const moved = directionLabels(rewriteAfter(bars, t + h - 1).close, h, 0.0005);
      expect(same(base, moved, 0, t)).toBe(true);
    }
    expect(Number.isNaN(base[bars.length - h]!)).toBe(true);
    expect(base[bars.length - h - 1]).not.toBeUndefined();
  });

  it('direction labels follow the sign of the forward return outside the dead zone', () => {
    const y = directionLabels([100, 101, 100.02, 99, 99], 1, 0.001);
    expect(Array.from(y)).toEqual([1, 0, 0, 0, NaN].map((v, i) => (i === 3 ? NaN : v)));
  });

  it('triple-barrier label of bar t reads bars up to t+horizon only, and takes the first barrier hit', () => {
    const o = { takeProfit: 0.004, stopLoss: 0.004, horizon: 12 };
    const base = tripleBarrierLabels(bars, o);
    for (const t of [300, 1200, 2400]) {
      const other = tripleBarrierLabels(rewriteAfter(bars, t + o.horizon), o);
      expect(same(base.label, other.label, 0, t + 1)).toBe(true);
      expect(same(base.touched, other.touched, 0, t + 1)).toBe(true);
    }
    for (let t = 0; t < bars.length - o.horizon; t++) {
      expect(base.touched[t]).toBeGreaterThan(t);
      expect(base.touched[t]).toBeLessThanOrEqual(t + o.horizon);
    }
    const hits = Array.from(base.barrier).filter((b) => b !== 0).length;
    expect(hits).toBeGreaterThan(100);
    const y = tripleBarrierLabels({ high: [100, 100.5, 103, 100], low: [100, 99.5, 100, 97], close: [100, 100, 101, 99] }, { takeProfit: 0.02, stopLoss: 0.02, horizon: 2 });
    expect(y.label[0]).toBe(1); // bar 2's high reaches 102 before any low reaches 98
    expect(y.barrier[0]).toBe(1);
    const both = tripleBarrierLabels({ high: [100, 100.5, 103], low: [100, 99.5, 97], close: [100, 100, 99] }, { takeProfit: 0.02, stopLoss: 0.02, horizon: 2 });
    expect(both.label[0]).toBe(0); // bar 2 reaches both barriers: counted as the stop
    expect(both.barrier[0]).toBe(-1);
    const timeLimit = tripleBarrierLabels({ high: [100, 100.5, 101], low: [100, 99.5, 99.8], close: [100, 100.2, 100.6] }, { takeProfit: 0.02, stopLoss: 0.02, horizon: 2 });
    expect(timeLimit.barrier[0]).toBe(0);
    expect(timeLimit.label[0]).toBe(1); // up 0.6% at the time limit
  });
});

describe('splits and scaling', () => {
  const h = 4;
  const features = computeFeatures(bars, spec);
  const labels = directionLabels(bars.close, h, 0);

  it('walk-forward folds never overlap and every training label ends before its test range', () => {
    const folds = walkForwardSplits(bars.length, { trainBars: 1000, testBars: 400, purge: h, embargo: 12, start: features.firstReady });
    expect(folds.length).toBe(4);
    let lastTestEnd = -1;
    for (const f of folds) {
      expect(f.train.to + h + 12).toBe(f.test.from);
      expect(f.test.from).toBeGreaterThanOrEqual(lastTestEnd);
      lastTestEnd = f.test.to;
      const train = sampleBars(features, labels, 16, f.train);
      const test = sampleBars(features, labels, 16, f.test);
      expect(train.length).toBeGreaterThan(500);
      const trainSet = new Set(train);
      for (const t of test) expect(trainSet.has(t)).toBe(false);
      // A training sample's label reads up to t + h: strictly before the first test bar.
      for (const t of train) expect(t + h).toBeLessThan(f.test.from);
      // A test sample's window starts after the gap, but may reach back before it: features only look back.
      for (const t of test) expect(t).toBeGreaterThanOrEqual(f.test.from);
    }
  });

  it('the scaler fitted on the training range ignores every bar after it', () => {
    const split = holdoutSplit(bars.length, { testFraction: 0.25, purge: h, embargo: 0, start: features.firstReady });
    const a = fitScaler(features, split.train);
    const other = computeFeatures(rewriteAfter(bars, split.train.to - 1), spec);
    const b = fitScaler(other, split.train);
    expect(b).toEqual(a);
    const c = fitScaler(computeFeatures(rewriteAfter(bars, split.train.to - 2), spec), split.train);
    expect(c).not.toEqual(a);
  });

  it('a window ending at bar t holds the scaled features of bars t-window+1..t in order', () => {
    const split = holdoutSplit(bars.length, { testFraction: 0.25, purge: h, start: features.firstReady });
    const scaler = fitScaler(features, split.train);
    const idx = sampleBars(features, labels, 8, split.test);
    const set = windowedSet(features, labels, idx, 8, scaler);
    const s = 5;
    const t = idx[s]!;
    const j = 2;
    const expected = (features.data[t * features.cols + j]! - scaler.mean[j]!) / scaler.std[j]!;
    expect(set.x[(s * 8 + 7) * features.cols + j]).toBeCloseTo(expected, 5);
    const older = (features.data[(t - 7) * features.cols + j]! - scaler.mean[j]!) / scaler.std[j]!;
    expect(set.x[(s * 8) * features.cols + j]).toBeCloseTo(older, 5);
    expect(set.y[s]).toBe(labels[t]);
  });
});
