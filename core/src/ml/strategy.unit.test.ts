// ML strategies: signals carry the model version and probability, they plug into gate(), bad input silences them without throwing, and a foreign feature spec is refused.
import { describe, expect, it } from 'vitest';
import type { BarClosed } from '@qts/schemas';
import { runBacktest } from '../backtest/engine.ts';
import { seriesFromBars } from '../backtest/series.ts';
import { gate } from '../strategies/combinators.ts';
import { smaCross } from '../strategies/sma-cross.ts';
import { defaultParams, parseStrategyParams } from '../strategies/strategy.ts';
import { barsFromColumns, collectSignals } from '../strategies/testing.ts';
import { loadBars } from '../testing/data.ts';
import { fitScaler } from './dataset.ts';
import { ModelIncompatible } from './errors.ts';
import { computeFeatures, defaultFeatureSpec, featureNames, featureSpecHash } from './features.ts';
import type { Predictor } from './predictor.ts';
import { mlStrategy } from './strategy.ts';
import { AbParams, abStrategy } from './ab-strategy.ts';
import { concludeExperiment, variantTradesFromSignals } from './experiment.ts';

const spec = defaultFeatureSpec();
const raw = loadBars('BTCUSDT-5m');
const bars: BarClosed[] = barsFromColumns(raw, 300_000).slice(0, 2500).map((b) => ({ ...b, instrument: 'BTC/USDT', timeframe: '5m' }));
const features = computeFeatures({ length: bars.length, high: bars.map((b) => b.high), low: bars.map((b) => b.low), close: bars.map((b) => b.close), volume: bars.map((b) => b.volume) }, spec);
const scaler = fitScaler(features, { from: 0, to: 1500 });
const mom = featureNames(spec).indexOf('ret_4');

/**
 * A real (if simple) model: logistic regression on the last bar's scaled 4-bar momentum, with a
 * weight chosen by hand. Enough to exercise the plumbing with probabilities that move.
 */
function momentumModel(window: number, weight = 1.5, version = 'momentum-btcusdt-5m@1'): Predictor & { calls: number } {
  const width = features.cols;
  return {
    version, kind: 'xgboost', featureSpec: spec, featureSpecHash: featureSpecHash(spec), window, scaler, calls: 0,
    predict(x) {
      this.calls++;
      return 1 / (1 + Math.exp(-weight * x[(window - 1) * width + mom]!));
    },
    predictBatch() { throw new Error('not used'); },
    dispose() {},
  };
}

describe('mlStrategy', () => {
  it('emits long/short/flat with the model version, probability and confidence once its window is full', () => {
    const model = momentumModel(16);
    const ml = mlStrategy(model);
    const signals = collectSignals(ml, bars);
    expect(signals.length).toBeGreaterThan(20);
    const first = signals[0]!;
    expect(first.at).toBeGreaterThanOrEqual(features.firstReady + 15);
    for (const s of signals) {
      const m = s.intent.model!;
      expect(m.version).toBe('momentum-btcusdt-5m@1');
      expect(m.confidence).toBeCloseTo(Math.abs(2 * m.probability - 1), 12);
      if (s.intent.direction === 'long') expect(m.probability).toBeGreaterThanOrEqual(0.55);
      if (s.intent.direction === 'short') expect(m.probability).toBeLessThanOrEqual(0.45);
    }
  });

  it('gates an SMA crossover: an entry passes only while the model says long with P >= 0.55', () => {
    const ml = mlStrategy(momentumModel(16));
    const gated = gate(smaCross, { name: 'lstm', strategy: ml }, { minStrength: 0.55 });
    const params = { 'sma-cross': { fast: 5, slow: 20 }, lstm: {} };
    const alone = collectSignals(smaCross, bars, { fast: 5, slow: 20 }).filter((s) => s.intent.direction === 'long');
    const both = collectSignals(gated, bars, params);
    const longs = both.filter((s) => s.intent.direction === 'long');
    expect(longs.length).toBeGreaterThan(0);
    expect(longs.length).toBeLessThan(alone.length);
    // Replay to read the model's view at each gated long entry.
    const state = ml.init(defaultParams(ml));
    const pAt = new Map<number, number>();
    bars.forEach((b, i) => { ml.onBar(state, b); pAt.set(i, state.probability); });
    for (const s of longs) expect(pAt.get(s.at)!).toBeGreaterThanOrEqual(0.55);
    // And it backtests through the same engine.
    const result = runBacktest({ bars: seriesFromBars(bars), strategy: gated, params: parseStrategyParams(gated, params), cash: 10_000 });
    expect(result.signals).toBe(both.length);
  });

  it('stays silent without throwing on a non-finite bar or a failing model, and recovers', () => {
    const model = momentumModel(8);
    const ml = mlStrategy(model);
    const s = ml.init(defaultParams(ml));
    for (const b of bars.slice(0, 200)) ml.onBar(s, b);
    expect(Number.isFinite(s.probability)).toBe(true);
    const [, out] = ml.onBar(s, { ...bars[200]!, close: NaN });
    expect(out).toHaveLength(0);
    expect(s.error).toMatch(/non-finite/);
    expect(ml.opinion(s)).toBeNull();
    for (const b of bars.slice(201, 320)) ml.onBar(s, b);
    expect(s.error).toBeNull();
    expect(ml.opinion(s)).not.toBeNull();
    model.predict = () => { throw new Error('tensor shape mismatch'); };
    expect(() => ml.onBar(s, bars[320]!)).not.toThrow();
    expect(s.error).toMatch(/failed: tensor shape mismatch/);
    expect(ml.opinion(s)).toBeNull();
    model.predict = () => NaN;
    ml.onBar(s, bars[321]!);
    expect(s.error).toMatch(/not a probability/);
  });

  it('refuses a model trained on another feature spec, naming both hashes', () => {
    const worker = { ...spec, rsi: 21 };
    expect(() => mlStrategy(momentumModel(8), { workerFeatureSpec: worker })).toThrow(ModelIncompatible);
    expect(() => mlStrategy(momentumModel(8), { workerFeatureSpec: worker })).toThrow(new RegExp(`trained on feature spec ${featureSpecHash(spec)} but this worker computes ${featureSpecHash(worker)}`));
    expect(() => mlStrategy(momentumModel(8), { workerFeatureSpec: defaultFeatureSpec() })).not.toThrow();
  });
});

describe('abStrategy', () => {
  const variants = () => [
    { version: 'momentum-btcusdt-5m@1', strategy: mlStrategy(momentumModel(16, 1.5, 'momentum-btcusdt-5m@1')), share: 0.5 },
    { version: 'momentum-btcusdt-5m@2', strategy: mlStrategy(momentumModel(16, -1.5, 'momentum-btcusdt-5m@2')), share: 0.5 },
  ];

  it('shadow: trades only the champion, records every variant\'s signals, and concludes from them', () => {
    const ab = abStrategy(variants(), { experimentId: 'exp-1', mode: 'shadow', champion: 'momentum-btcusdt-5m@1' });
    const state = ab.init(AbParams.parse({}));
    const emitted: string[] = [];
    for (const b of bars) for (const i of ab.onBar(state, b)[1]) emitted.push(i.model!.version);
    expect(emitted.length).toBeGreaterThan(10);
    expect(new Set(emitted)).toEqual(new Set(['momentum-btcusdt-5m@1']));
    const byVariant = variantTradesFromSignals(state.recorded, 10);
    expect(byVariant.get('momentum-btcusdt-5m@2')!.length).toBeGreaterThan(5);
    const verdict = concludeExperiment('momentum-btcusdt-5m@1', byVariant, { minTrades: 5, resamples: 300 });
    expect(verdict.challenger).toBe('momentum-btcusdt-5m@2');
    expect(['promote', 'reject']).toContain(verdict.test!.decision);
  });

  it('split: each bar is owned by one variant by hash, the same on every run', () => {
    const run = (): string[] => {
      const ab = abStrategy(variants(), { experimentId: 'exp-2', mode: 'split', champion: 'momentum-btcusdt-5m@1' });
      const state = ab.init(AbParams.parse({}));
      const out: string[] = [];
      for (const b of bars) for (const i of ab.onBar(state, b)[1]) out.push(`${b.closeTime}:${i.model!.version}:${i.direction}`);
      return out;
    };
    const first = run();
    expect(run()).toEqual(first);
    expect(new Set(first.map((x) => x.split(':')[1]))).toEqual(new Set(['momentum-btcusdt-5m@1', 'momentum-btcusdt-5m@2']));
  });
});
