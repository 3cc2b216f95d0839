// Streaming indicators equal tulind's batch output (1e-9, relative for large values) on every recorded OHLCV series.
import { describe, expect, it } from 'vitest';
import { dataFiles, loadBars, sampleDataDir } from '../testing/data.ts';
import type { Bars } from '../testing/data.ts';
import {
  Adx, Atr, BollingerBands, Ema, Macd, Obv, Rsi, Sma, Stochastic, Wma,
  adxBatch, atrBatch, bollingerBatch, emaBatch, macdBatch, obvBatch, rsiBatch, smaBatch, stochasticBatch, tulindLookback, wmaBatch,
} from './index.ts';
import type { CloseIndicator, HlcIndicator, StreamingIndicator } from './index.ts';

/** One indicator with one parameter set: how to drive its streaming form and how to get tulind's. */
interface Case {
  readonly label: string;
  /** tulind's name and options, to ask tulind itself for the lookback. */
  readonly tulind: readonly [string, readonly number[]];
  readonly outputs: readonly string[];
  make(): { readonly ind: StreamingIndicator<unknown>; step(b: Bars, i: number): void; read(out: Float64Array[], i: number): void };
  batch(b: Bars): Promise<Float64Array[]>;
}

const close1 = (label: string, name: string, options: readonly number[], create: () => CloseIndicator, batch: (b: Bars) => Promise<Float64Array>): Case => ({
  label, tulind: [name, options], outputs: ['value'],
  make() {
    const ind = create();
    return { ind, step: (b, i) => void ind.update(b.close[i]!), read: (out, i) => { out[0]![i] = ind.value; } };
  },
  batch: async (b) => [await batch(b)],
});

const hlc1 = (label: string, name: string, options: readonly number[], create: () => HlcIndicator, batch: (b: Bars) => Promise<Float64Array>): Case => ({
  label, tulind: [name, options], outputs: ['value'],
  make() {
    const ind = create();
    return { ind, step: (b, i) => void ind.update(b.high[i]!, b.low[i]!, b.close[i]!), read: (out, i) => { out[0]![i] = ind.value; } };
  },
  batch: async (b) => [await batch(b)],
});

const cases: Case[] = [
  ...[1, 20, 200].map((p) => close1(`SMA(${p})`, 'sma', [p], () => new Sma(p), (b) => smaBatch(b.close, p))),
  ...[1, 20, 100].map((p) => close1(`EMA(${p})`, 'ema', [p], () => new Ema(p), (b) => emaBatch(b.close, p))),
  ...[1, 10, 50].map((p) => close1(`WMA(${p})`, 'wma', [p], () => new Wma(p), (b) => wmaBatch(b.close, p))),
  ...[2, 14, 50].map((p) => close1(`RSI(${p})`, 'rsi', [p], () => new Rsi(p), (b) => rsiBatch(b.close, p))),
  ...[1, 14, 50].map((p) => hlc1(`ATR(${p})`, 'atr', [p], () => new Atr(p), (b) => atrBatch(b.high, b.low, b.close, p))),
  ...[2, 14, 30].map((p) => hlc1(`ADX(${p})`, 'adx', [p], () => new Adx(p), (b) => adxBatch(b.high, b.low, b.close, p))),
  ...([[12, 26, 9], [5, 35, 5], [8, 17, 9], [2, 2, 1]] as const).map(([s, l, g]): Case => ({
    label: `MACD(${s},${l},${g})`, tulind: ['macd', [s, l, g]], outputs: ['macd', 'signal', 'histogram'],
    make() {
      const ind = new Macd(s, l, g);
      return {
        ind,
        step: (b, i) => void ind.update(b.close[i]!),
        read: (out, i) => { out[0]![i] = ind.macd; out[1]![i] = ind.signal; out[2]![i] = ind.histogram; },
      };
    },
    batch: async (b) => { const r = await macdBatch(b.close, s, l, g); return [r.macd, r.signal, r.histogram]; },
  })),
  ...([[20, 2], [5, 1.5], [50, 3]] as const).map(([p, k]): Case => ({
    label: `BBANDS(${p},${k})`, tulind: ['bbands', [p, k]], outputs: ['lower', 'middle', 'upper'],
    make() {
      const ind = new BollingerBands(p, k);
      return {
        ind,
        step: (b, i) => void ind.update(b.close[i]!),
        read: (out, i) => { out[0]![i] = ind.lower; out[1]![i] = ind.middle; out[2]![i] = ind.upper; },
      };
    },
    batch: async (b) => { const r = await bollingerBatch(b.close, p, k); return [r.lower, r.middle, r.upper]; },
  })),
  ...([[14, 3, 3], [5, 1, 1], [21, 5, 7]] as const).map(([kp, ks, dp]): Case => ({
    label: `STOCH(${kp},${ks},${dp})`, tulind: ['stoch', [kp, ks, dp]], outputs: ['k', 'd'],
    make() {
      const ind = new Stochastic(kp, ks, dp);
      return {
        ind,
        step: (b, i) => void ind.update(b.high[i]!, b.low[i]!, b.close[i]!),
        read: (out, i) => { out[0]![i] = ind.k; out[1]![i] = ind.d; },
      };
    },
    batch: async (b) => { const r = await stochasticBatch(b.high, b.low, b.close, kp, ks, dp); return [r.k, r.d]; },
  })),
  {
    label: 'OBV', tulind: ['obv', []], outputs: ['value'],
    make() {
      const ind = new Obv();
      return { ind, step: (b, i) => void ind.update(b.close[i]!, b.volume[i]!), read: (out, i) => { out[0]![i] = ind.value; } };
    },
    batch: async (b) => [await obvBatch(b.close, b.volume)],
  },
];

const TOLERANCE = 1e-9;
const agree = (a: number, b: number): boolean =>
  (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) <= TOLERANCE * Math.max(1, Math.abs(b));

const files = dataFiles();

describe('recorded data', () => {
  it('lists every OHLCV series and only those (trade ticks have another header)', () => {
    expect(files.length).toBeGreaterThanOrEqual(7);
    expect(files).toContain('BTCUSDT-5m');
    expect(files).not.toContain('XRPETH-trades');
  });

  it('the in-repo sample is the last 2,000 bars of BTCUSDT-5m', () => {
    const sample = loadBars('BTCUSDT-5m', sampleDataDir());
    const full = loadBars('BTCUSDT-5m');
    expect(sample.length).toBe(2000);
    const offset = full.length - sample.length;
    expect(Array.from(sample.time)).toEqual(Array.from(full.time.subarray(offset)));
    expect(Array.from(sample.close)).toEqual(Array.from(full.close.subarray(offset)));
  });

  it.each(files)('%s parses with increasing times and sane bars', (name) => {
    const b = loadBars(name);
    expect(b.length).toBeGreaterThan(1000);
    const bad: number[] = [];
    for (let i = 0; i < b.length; i++) {
      const ok = (i === 0 || b.time[i]! > b.time[i - 1]!)
        && b.high[i]! >= Math.max(b.open[i]!, b.close[i]!, b.low[i]!)
        && b.low[i]! <= Math.min(b.open[i]!, b.close[i]!)
        && b.volume[i]! >= 0;
      if (!ok) bad.push(i);
    }
    expect(bad).toEqual([]);
  });
});

describe.each(files)('streaming = tulind on %s', (name) => {
  const bars = loadBars(name);

  it.each(cases.map((c) => [c.label, c] as const))('%s', async (_label, c) => {
    const [tiName, tiOptions] = c.tulind;
    const expected = await c.batch(bars);
    const { ind, step, read } = c.make();
    expect(ind.lookback).toBe(await tulindLookback(tiName, tiOptions));

    const got = c.outputs.map(() => new Float64Array(bars.length));
    let firstReady = -1;
    for (let i = 0; i < bars.length; i++) {
      step(bars, i);
      read(got, i);
      if (ind.isReady && firstReady < 0) firstReady = i;
      if (!ind.isReady && firstReady >= 0) throw new Error(`${c.label} became unready again at ${i}`);
    }
    // Ready at exactly tulind's first output index; NaN before it on both sides.
    expect(firstReady).toBe(ind.lookback);

    let exact = 0;
    for (let k = 0; k < c.outputs.length; k++) {
      const want = expected[k]!;
      const have = got[k]!;
      for (let i = 0; i < bars.length; i++) {
        const a = have[i]!;
        const b = want[i]!;
        if (i < ind.lookback) {
          if (!Number.isNaN(a) || !Number.isNaN(b)) throw new Error(`${c.label}.${c.outputs[k]}[${i}] before lookback: streaming ${a}, tulind ${b}`);
          continue;
        }
        if (Object.is(a, b)) exact++;
        if (!agree(a, b)) throw new Error(`${c.label}.${c.outputs[k]}[${i}]: streaming ${a} vs tulind ${b} (diff ${a - b})`);
      }
    }
    // The port mirrors tulip's operation order, so nearly all values are bit-identical, not just close.
    expect(exact).toBeGreaterThan(0);
  });
});
