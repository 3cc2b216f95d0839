// LSTM, Transformer, XGBoost and their ensemble on real bars: seeded reproducible training, exact reload from artifacts, refusal of corrupt ones, and an LSTM gating an SMA crossover in a backtest.
import { beforeAll, describe, expect, it } from 'vitest';
import { BadModelInput, CorruptModelArtifact, ModelIncompatible, gate, mlStrategy, parseStrategyParams, runBacktest, sliceSeries, smaCross } from '@qts/core';
import type { BarSeries } from '@qts/core';
import { loadBars } from '@qts/core/testing';
import { decodeArtifact, EnsembleModel, encodeArtifact, modelFromArtifact } from './models.ts';
import type { NetworkModel, TrainedModel } from './models.ts';
import { initTf } from './tf.ts';
import { trainModel, walkForwardEvaluate } from './training.ts';
import type { TrainOptions, TrainResult } from './training.ts';

const raw = loadBars('BTCUSDT-5m');
const n = 1400;
const series: BarSeries = {
  instrument: 'BTC/USDT', venue: 'recorded', timeframe: '5m', length: n, openTime: raw.time.slice(0, n), open: raw.open.slice(0, n),
  high: raw.high.slice(0, n), low: raw.low.slice(0, n), close: raw.close.slice(0, n), volume: raw.volume.slice(0, n),
};
const small: Omit<TrainOptions, 'kind'> = {
  series, horizon: 4, window: 8, epochs: 2, batchSize: 64, seed: 7, testFraction: 0.3,
  lstm: { units: 8 }, transformer: { dModel: 8, heads: 2, feedForward: 16 }, xgboost: { iterations: 20 },
};

const trained: Partial<Record<'lstm' | 'transformer' | 'xgboost', TrainResult>> = {};
let backend = '';

beforeAll(async () => {
  backend = await initTf(() => {});
  for (const kind of ['lstm', 'transformer', 'xgboost'] as const) trained[kind] = await trainModel({ ...small, kind });
}, 180_000);

async function roundTrip(model: TrainedModel): Promise<TrainedModel> {
  return modelFromArtifact(decodeArtifact(encodeArtifact(await model.toArtifact())), 'copy@1');
}

/** 40 deterministic windows in the scaled range the model was trained on (values in [-1, 1]). */
function testInputs(r: TrainResult): { x: Float32Array; samples: number } {
  const samples = 40;
  const x = new Float32Array(samples * r.model.window * r.model.scaler.mean.length);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.37);
  return { x, samples };
}

describe.each(['lstm', 'transformer', 'xgboost'] as const)('%s', (kind) => {
  it('trains on real bars and reports out-of-sample accuracy, log loss and ROC AUC', () => {
    const r = trained[kind]!;
    expect(['wasm', 'cpu', 'tensorflow']).toContain(backend);
    expect(r.metrics.samples).toBeGreaterThan(200);
    expect(r.metrics.accuracy).toBeGreaterThan(0.3);
    expect(r.metrics.logLoss).toBeGreaterThan(0.4);
    expect(r.metrics.logLoss).toBeLessThan(1.2);
    expect(r.metrics.rocAuc).not.toBeNull();
    for (const p of r.testProbabilities) expect(p > 0 && p < 1).toBe(true);
    expect(new Set(Array.from(r.testProbabilities, (p) => p.toFixed(4))).size).toBeGreaterThan(10);
    expect(r.split.train.to + 4).toBeLessThan(r.split.test.from);
  });

  it('reloads from its artifact with exactly the same predictions', async () => {
    const r = trained[kind]!;
    const copy = await roundTrip(r.model);
    const { x, samples } = testInputs(r);
    expect(Array.from(copy.predictBatch(x, samples))).toEqual(Array.from(r.model.predictBatch(x, samples)));
    const one = x.subarray(0, r.model.window * r.model.scaler.mean.length);
    expect(copy.predict(one)).toBe(r.model.predict(one));
    expect(copy.featureSpecHash).toBe(r.model.featureSpecHash);
    copy.dispose();
  });
});

describe('reproducibility', () => {
  it('the same seed gives the same model, another seed another', async () => {
    for (const kind of ['lstm', 'xgboost'] as const) {
      const again = await trainModel({ ...small, kind });
      expect(Array.from(again.testProbabilities)).toEqual(Array.from(trained[kind]!.testProbabilities));
      const other = await trainModel({ ...small, kind, seed: 8 });
      expect(Array.from(other.testProbabilities)).not.toEqual(Array.from(trained[kind]!.testProbabilities));
      again.model.dispose();
      other.model.dispose();
    }
  }, 120_000);
});

describe.each(['lstm', 'transformer'] as const)('%s per-bar inference', (kind) => {
  it('the plain forward pass agrees with tfjs to 1e-5 on every window', () => {
    const m = trained[kind]!.model as NetworkModel;
    expect(m.fastPath).toBe(true);
    const { x, samples } = testInputs(trained[kind]!);
    const viaTf = m.predictBatch(x, samples);
    const w = m.window * m.scaler.mean.length;
    for (let s = 0; s < samples; s++) expect(Math.abs(m.predict(x.subarray(s * w, (s + 1) * w)) - viaTf[s]!)).toBeLessThan(1e-5);
  });
});

describe('ensemble', () => {
  it('averages its members and reloads exactly', async () => {
    const members = [trained.lstm!.model, trained.transformer!.model, trained.xgboost!.model];
    const e = new EnsembleModel('ensemble@draft', members);
    const { x, samples } = testInputs(trained.lstm!);
    const p = e.predictBatch(x, samples);
    const parts = members.map((m) => m.predictBatch(x, samples));
    for (let i = 0; i < samples; i++) expect(p[i]).toBeCloseTo((parts[0]![i]! + parts[1]![i]! + parts[2]![i]!) / 3, 6);
    const w = x.subarray(0, e.window * e.scaler.mean.length);
    expect(e.predict(w)).toBeCloseTo(members.reduce((a, m) => a + m.predict(w), 0) / 3, 12);
    const copy = await roundTrip(e);
    expect(Array.from(copy.predictBatch(x, samples))).toEqual(Array.from(p));
  });
});

describe('bad input', () => {
  it('refuses corrupt, truncated or incompatible artifacts with a clear error', async () => {
    const bytes = encodeArtifact(await trained.xgboost!.model.toArtifact());
    expect(() => decodeArtifact(bytes.subarray(0, bytes.length - 10), 'x')).toThrow(CorruptModelArtifact);
    expect(() => decodeArtifact(new TextEncoder().encode('{"format":"other"}'), 'x')).toThrow(/not a qts-model artifact/);
    const a = JSON.parse(new TextDecoder().decode(bytes));
    expect(() => decodeArtifact(new TextEncoder().encode(JSON.stringify({ ...a, formatVersion: 99 })), 'x')).toThrow(ModelIncompatible);
    expect(() => decodeArtifact(new TextEncoder().encode(JSON.stringify({ ...a, inputs: { ...a.inputs, featureSpec: { ...a.inputs.featureSpec, rsi: 7 } } })), 'x')).toThrow(/does not match its hash/);
    const broken = { ...a, xgboost: { ...a.xgboost, model: Buffer.from('garbage').toString('base64') } };
    await expect(modelFromArtifact(decodeArtifact(new TextEncoder().encode(JSON.stringify(broken))), 'x@1')).rejects.toThrow(CorruptModelArtifact);
  });

  it('XGBoost refuses NaN or infinite features instead of aborting', () => {
    const m = trained.xgboost!.model;
    const w = new Float32Array(m.window * m.scaler.mean.length);
    w[w.length - 1] = NaN;
    expect(() => m.predict(w)).toThrow(BadModelInput);
    w[w.length - 1] = Infinity;
    expect(() => m.predict(w)).toThrow(/must be finite/);
  });
});

describe('LSTM strategy', () => {
  it('gate(smaCross, lstm): SMA entries pass only while the LSTM says long with P >= 0.55', () => {
    const lstm = mlStrategy(trained.lstm!.model, { kind: 'lstm' });
    const gated = gate(smaCross, lstm, { minStrength: 0.55 });
    const params = parseStrategyParams(gated, { 'sma-cross': { fast: 5, slow: 20 }, lstm: { longAbove: 0.55, shortBelow: 0.45 } });
    const bars = sliceSeries(series, 0, n);
    const result = runBacktest({ bars, strategy: gated, params, keepEvents: true, cash: 10_000 });
    const alone = runBacktest({ bars, strategy: smaCross, params: { fast: 5, slow: 20 }, cash: 10_000 });
    expect(result.signals).toBeLessThan(alone.signals);
    // The model's P(up) at each bar, by replaying the LSTM strategy alone.
    const s = lstm.init(parseStrategyParams(lstm, {}));
    const pAt = new Map<number, number>();
    const bar = { instrument: 'BTC/USDT', venue: 'recorded', timeframe: '5m' as const, openTime: 0, closeTime: 0, open: 0, high: 0, low: 0, close: 0, volume: 0 };
    for (let i = 0; i < bars.length; i++) {
      Object.assign(bar, { openTime: bars.openTime[i]!, closeTime: bars.openTime[i]! + 300_000, open: bars.open[i]!, high: bars.high[i]!, low: bars.low[i]!, close: bars.close[i]!, volume: bars.volume[i]! });
      lstm.onBar(s, bar);
      pAt.set(bar.closeTime, s.probability);
    }
    const longs = result.events!.filter((e) => e.type === 'SignalEmitted' && e.data.direction === 'long');
    expect(longs.length).toBeGreaterThan(0);
    for (const e of longs) expect(pAt.get((e.data as { asOf: number }).asOf)!).toBeGreaterThanOrEqual(0.55);
  });
});

describe('walk-forward evaluation', () => {
  it('trains one model per fold on the bars before its test range and pools the out-of-sample metrics', async () => {
    const wf = await walkForwardEvaluate({ ...small, kind: 'xgboost', folds: 3 });
    expect(wf.folds).toHaveLength(3);
    let previousEnd = 0;
    for (const f of wf.folds) {
      expect(f.split.train.to + 4).toBeLessThan(f.split.test.from);
      expect(f.split.test.from).toBeGreaterThanOrEqual(previousEnd);
      previousEnd = f.split.test.to;
      expect(f.metrics.samples).toBeGreaterThan(50);
    }
    expect(wf.pooled.samples).toBe(wf.folds.reduce((a, f) => a + f.metrics.samples, 0));
    expect(previousEnd).toBe(n);
  });
});
