// Behaviour users rely on: hand-computed values, readiness, reset(), parameter checks, tulip's edge cases, batch alignment.
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import {
  Adx, Atr, BollingerBands, Ema, Macd, Obv, Rsi, Sma, Stochastic, Wma,
  adxBatch, bollingerBatch, emaBatch, macdBatch, rsiBatch, smaBatch, stochasticBatch, tulindBatch, tulindLookback,
} from './index.ts';
import type { CloseIndicator } from './index.ts';

const feed = (ind: CloseIndicator, xs: readonly number[]): number[] => xs.map((x) => ind.update(x).value);

describe('hand-computed values', () => {
  it('SMA(3) is the mean of the last 3 closes, NaN until 3 are in', () => {
    expect(feed(new Sma(3), [1, 2, 3, 4, 5, 9])).toEqual([NaN, NaN, 2, 3, 4, 6]);
  });

  it('EMA(3) has alpha 1/2 and is seeded with the first close (tulip), not an SMA', () => {
    expect(feed(new Ema(3), [1, 2, 3, 7])).toEqual([1, 1.5, 2.25, 4.625]);
  });

  it('WMA(3) weights the newest close 3, then 2, then 1', () => {
    const out = feed(new Wma(3), [1, 2, 3, 4]);
    expect(out.slice(0, 2)).toEqual([NaN, NaN]);
    expect(out[2]).toBeCloseTo((1 + 4 + 9) / 6, 14);
    expect(out[3]).toBeCloseTo((2 + 6 + 12) / 6, 14);
  });

  it('RSI(2) seeds with the mean of the first 2 changes, then Wilder-smooths with alpha 1/2', () => {
    // Changes +1, -1, +1, +1: seed up = down = 0.5 -> 50; then up 0.75/down 0.25 -> 75; 0.875/0.125 -> 87.5.
    expect(feed(new Rsi(2), [1, 2, 1, 2, 3])).toEqual([NaN, NaN, 50, 75, 87.5]);
  });

  it('RSI is 100 after only gains and 0 after only losses', () => {
    expect(feed(new Rsi(3), [1, 2, 3, 4, 5]).at(-1)).toBe(100);
    expect(feed(new Rsi(3), [5, 4, 3, 2, 1]).at(-1)).toBe(0);
  });

  it('OBV adds volume on up closes, subtracts on down closes, ignores unchanged ones and the first bar', () => {
    const obv = new Obv();
    const out = [[10, 5], [11, 6], [11, 7], [9, 8]].map(([c, v]) => obv.update(c!, v!).value);
    expect(out).toEqual([0, 6, 6, -2]);
  });

  it('ATR(2) seeds with the mean of (high - low) of bar 0 and the true range of bar 1', () => {
    const atr = new Atr(2);
    expect(atr.update(10, 8, 9).value).toBeNaN();
    // Bar 1 gaps up: true range is high - previous close = 13 - 9 = 4; seed (2 + 4) / 2 = 3.
    expect(atr.update(13, 12, 12.5).value).toBe(3);
    // Bar 2: true range 1, Wilder: (1 - 3) / 2 + 3 = 2.
    expect(atr.update(13, 12, 12.5).value).toBe(2);
  });

  it('MACD(12, 26, 9) uses tulip\'s alphas 0.15 and 0.075 instead of 2/13 and 2/27', () => {
    const m = new Macd(12, 26, 9);
    m.update(0);
    for (let i = 1; i < 26; i++) m.update(1);
    // After 25 steps towards 1 from 0: EMA = 1 - (1 - alpha)^25; the signal is seeded with the first MACD.
    const expected = (1 - 0.85 ** 25) - (1 - 0.925 ** 25);
    expect(m.isReady).toBe(true);
    expect(m.macd).toBeCloseTo(expected, 12);
    expect(m.signal).toBe(m.macd);
    expect(m.histogram).toBe(0);
    // Any other pair uses 2 / (n + 1).
    const other = new Macd(12, 27, 9);
    other.update(0);
    for (let i = 1; i < 27; i++) other.update(1);
    expect(other.macd).toBeCloseTo((1 - (11 / 13) ** 26) - (1 - (26 / 28) ** 26), 12);
  });

  it('Bollinger bands use the population standard deviation', () => {
    const bb = new BollingerBands(4, 2);
    for (const x of [2, 4, 4, 6]) bb.update(x);
    // mean 4, population variance (4 + 0 + 0 + 4) / 4 = 2.
    expect(bb.middle).toBe(4);
    expect(bb.upper).toBeCloseTo(4 + 2 * Math.SQRT2, 14);
    expect(bb.lower).toBeCloseTo(4 - 2 * Math.SQRT2, 14);
  });

  it('Stochastic(3, 1, 1) %K is where the close sits in the 3-bar range', () => {
    const st = new Stochastic(3, 1, 1);
    st.update(10, 8, 9);
    st.update(12, 9, 11);
    const { k, d } = st.update(11, 10, 10);
    // Range 8..12, close 10 -> 50; with slowing 1 and %D period 1, %D = %K.
    expect(k).toBe(50);
    expect(d).toBe(50);
  });
});

type AnyIndicator = { readonly lookback: number; readonly isReady: boolean; reset(): void; step(i: number): number[] };
const wave = (i: number): number => 100 + 10 * Math.sin(i / 3) + (i % 7);
const hlcOf = (i: number): [number, number, number] => [wave(i) + 1 + (i % 3), wave(i) - 1 - (i % 2), wave(i)];

const all: Record<string, () => AnyIndicator> = {
  Sma: () => { const x = new Sma(5); return Object.assign(x, { step: (i: number) => [x.update(wave(i)).value] }); },
  Ema: () => { const x = new Ema(5); return Object.assign(x, { step: (i: number) => [x.update(wave(i)).value] }); },
  Wma: () => { const x = new Wma(5); return Object.assign(x, { step: (i: number) => [x.update(wave(i)).value] }); },
  Rsi: () => { const x = new Rsi(5); return Object.assign(x, { step: (i: number) => [x.update(wave(i)).value] }); },
  Macd: () => { const x = new Macd(3, 6, 4); return Object.assign(x, { step: (i: number) => { const v = x.update(wave(i)); return [v.macd, v.signal, v.histogram]; } }); },
  BollingerBands: () => { const x = new BollingerBands(5, 2); return Object.assign(x, { step: (i: number) => { const v = x.update(wave(i)); return [v.lower, v.middle, v.upper]; } }); },
  Atr: () => { const x = new Atr(5); return Object.assign(x, { step: (i: number) => [x.update(...hlcOf(i)).value] }); },
  Adx: () => { const x = new Adx(5); return Object.assign(x, { step: (i: number) => [x.update(...hlcOf(i)).value] }); },
  Stochastic: () => { const x = new Stochastic(5, 3, 3); return Object.assign(x, { step: (i: number) => { const v = x.update(...hlcOf(i)); return [v.k, v.d]; } }); },
  Obv: () => { const x = new Obv(); return Object.assign(x, { step: (i: number) => [x.update(wave(i), 1000 + i).value] }); },
};

describe.each(Object.keys(all))('%s lifecycle', (name) => {
  const make = all[name]!;

  it('is not ready, and yields NaN, until update number lookback + 1', () => {
    const ind = make();
    for (let i = 0; i <= ind.lookback + 3; i++) {
      const out = ind.step(i);
      expect(ind.isReady).toBe(i >= ind.lookback);
      for (const v of out) expect(Number.isNaN(v)).toBe(i < ind.lookback);
    }
  });

  it('reset() restores the fresh state: the same inputs then give the same outputs, bit for bit', () => {
    const fresh = make();
    const expected = Array.from({ length: 40 }, (_, i) => fresh.step(i + 100));
    const ind = make();
    for (let i = 0; i < 57; i++) ind.step(i);
    ind.reset();
    expect(ind.isReady).toBe(false);
    expect(Array.from({ length: 40 }, (_, i) => ind.step(i + 100))).toEqual(expected);
  });
});

describe('parameters are checked', () => {
  it.each([
    ['Sma(0)', () => new Sma(0)],
    ['Sma(2.5)', () => new Sma(2.5)],
    ['Ema(NaN)', () => new Ema(NaN)],
    ['Rsi(0)', () => new Rsi(0)],
    ['Adx(1)', () => new Adx(1)],
    ['Macd(26, 12, 9): long shorter than short', () => new Macd(26, 12, 9)],
    ['Macd(1, 1, 9): long below 2', () => new Macd(1, 1, 9)],
    ['BollingerBands(20, Infinity)', () => new BollingerBands(20, Infinity)],
    ['Stochastic(14, 0, 3)', () => new Stochastic(14, 0, 3)],
  ])('%s throws a ValidationError', (_label, create) => {
    expect(create).toThrow(ValidationError);
  });

  it('batch functions reject the same parameters before calling tulind', async () => {
    await expect(smaBatch([1, 2, 3], 0)).rejects.toThrow(ValidationError);
    await expect(macdBatch([1, 2, 3], 26, 12, 9)).rejects.toThrow(ValidationError);
  });
});

describe('tulind batch wrapper', () => {
  it('aligns output to the input index with NaN before the lookback, for plain and typed arrays', async () => {
    const xs = [1, 2, 3, 4, 5];
    expect(Array.from(await smaBatch(xs, 3))).toEqual([NaN, NaN, 2, 3, 4]);
    expect(Array.from(await smaBatch(Float64Array.from(xs), 3))).toEqual([NaN, NaN, 2, 3, 4]);
    expect(await tulindLookback('sma', [3])).toBe(2);
  });

  it('returns all NaN for a series not longer than the lookback (tulind itself cannot size that output)', async () => {
    expect(Array.from(await smaBatch([1, 2], 5))).toEqual([NaN, NaN]);
    expect(Array.from(await adxBatch([1], [1], [1], 14))).toEqual([NaN]);
    expect((await emaBatch([], 5)).length).toBe(0);
  });

  it('rejects inputs of unequal length and unknown indicators', async () => {
    await expect(tulindBatch('atr', [[1, 2], [1], [1, 2]], [1])).rejects.toThrow(ValidationError);
    await expect(tulindBatch('nope', [[1]], [])).rejects.toThrow(ValidationError);
  });

  it('reaches the rest of tulind for breadth (here: tulip\'s `tr` output aligned like the others)', async () => {
    const [tr] = await tulindBatch('tr', [[10, 13], [8, 12], [9, 12.5]], []);
    expect(Array.from(tr!)).toEqual([2, 4]);
  });
});

describe('tulip edge cases, reproduced on purpose', () => {
  const flat = Array.from({ length: 40 }, () => 0.1 + 0.2);

  it('RSI over a window without any change is 0/0 = NaN in both forms', async () => {
    const batch = await rsiBatch(flat, 14);
    const stream = feed(new Rsi(14), flat);
    expect(batch[20]).toBeNaN();
    expect(stream[20]).toBeNaN();
  });

  it('ADX whose first window has no range stays NaN in both forms (tulip carries the NaN forward)', async () => {
    const batch = await adxBatch(flat, flat, flat, 5);
    const adx = new Adx(5);
    const stream = flat.map((x) => adx.update(x, x, x).value);
    expect(batch[39]).toBeNaN();
    expect(stream[39]).toBeNaN();
  });

  it('Stochastic over a zero range is 0 in both forms', async () => {
    const batch = await stochasticBatch(flat, flat, flat, 5, 3, 3);
    const st = new Stochastic(5, 3, 3);
    for (const x of flat) st.update(x, x, x);
    expect(batch.k[39]).toBe(0);
    expect(st.k).toBe(0);
  });

  it('Bollinger bands on a flat window follow tulip\'s running-sum rounding (not exactly zero width)', async () => {
    for (const x of [0.3, 16727.3, 3.14159]) {
      const series = Array.from({ length: 30 }, () => x);
      const batch = await bollingerBatch(series, 20, 2);
      const bb = new BollingerBands(20, 2);
      for (const v of series) bb.update(v);
      expect(Object.is(bb.upper, batch.upper[29])).toBe(true);
      expect(Object.is(bb.lower, batch.lower[29])).toBe(true);
    }
  });
});
