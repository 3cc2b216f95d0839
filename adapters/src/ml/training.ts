// Training a model from bars: features, labels, a purged hold-out split, train-only scaling, the network or trees, and out-of-sample metrics.
import {
  classificationMetrics, computeFeatures, defaultFeatureSpec, directionLabels, featureNames, featureSpecHash, fitScaler,
  flattenLastRows, holdoutSplit, sampleBars, sliceSeries, tripleBarrierLabels, walkForwardSplits, windowedSet,
} from '@qts/core';
import type { BarSeries, ClassificationMetrics, FeatureSpec, ModelInputs, ModelKind, Split, WindowedSet } from '@qts/core';
import { BoostedTreesModel, EnsembleModel, NetworkModel } from './models.ts';
import type { TrainedModel } from './models.ts';
import { buildLstm, buildTransformer, defaultLstmParams, defaultTransformerParams, fitNetwork } from './networks.ts';
import type { LstmParams, TransformerParams } from './networks.ts';
import { defaultXgbParams, XgbModel } from './xgboost.ts';
import type { XgbParams } from './xgboost.ts';

export type Labeling =
  | { readonly kind: 'direction'; readonly deadZone: number }
  | { readonly kind: 'triple-barrier'; readonly takeProfit: number; readonly stopLoss: number };

export interface TrainProgress {
  readonly model: ModelKind;
  readonly epoch: number;
  readonly epochs: number;
  readonly loss: number;
}

export interface TrainOptions {
  readonly kind: ModelKind;
  readonly series: BarSeries;
  /** Label horizon in bars. */
  readonly horizon: number;
  readonly labeling?: Labeling;
  readonly window?: number;
  readonly featureSpec?: FeatureSpec;
  /** Share of the bars (after warm-up) held out for testing, at the end. Default 0.25. */
  readonly testFraction?: number;
  /** Extra bars between train and test beyond the horizon (the purge). Default: the window. */
  readonly embargo?: number;
  readonly epochs?: number;
  readonly batchSize?: number;
  readonly seed?: number;
  readonly lstm?: Partial<LstmParams>;
  readonly transformer?: Partial<TransformerParams>;
  readonly xgboost?: Partial<XgbParams>;
  readonly onProgress?: (p: TrainProgress) => void;
}

export interface TrainResult {
  readonly model: TrainedModel;
  readonly split: Split;
  readonly metrics: ClassificationMetrics;
  /** Bars of the test samples and the model's P(up) on each. */
  readonly testBars: Int32Array;
  readonly testProbabilities: Float32Array;
  readonly trainSamples: number;
  readonly featureNames: readonly string[];
  readonly dataRange: { from: number; to: number; bars: number };
  readonly params: Readonly<Record<string, unknown>>;
}

/**
 * Trains one model kind on the bars and evaluates it out of sample. The split is by time with a gap
 * of horizon + embargo bars, the scaler sees training bars only, and training is reproducible from
 * `seed` on a given backend.
 */
export async function trainModel(o: TrainOptions): Promise<TrainResult> {
  const spec = o.featureSpec ?? defaultFeatureSpec();
  const window = o.window ?? 32;
  const labeling = o.labeling ?? { kind: 'direction', deadZone: 0 };
  const seed = o.seed ?? 1;
  const epochs = o.epochs ?? 10;
  const batchSize = o.batchSize ?? 64;
  const { series } = o;
  const features = computeFeatures(series, spec);
  const labels = labeling.kind === 'direction'
    ? directionLabels(series.close, o.horizon, labeling.deadZone)
    : tripleBarrierLabels(series, { takeProfit: labeling.takeProfit, stopLoss: labeling.stopLoss, horizon: o.horizon }).label;
  const usable = series.length - features.firstReady;
  if (usable < 4 * (window + o.horizon) + 100) {
    throw new RangeError(`too little history: ${series.length} bars, ${Math.max(0, usable)} after the features' warm-up; need at least ${4 * (window + o.horizon) + 100} for a ${window}-bar window and a ${o.horizon}-bar horizon`);
  }
  const split = holdoutSplit(series.length, { testFraction: o.testFraction ?? 0.25, purge: o.horizon, embargo: o.embargo ?? window, start: features.firstReady });
  const scaler = fitScaler(features, split.train);
  const trainBars = sampleBars(features, labels, window, split.train);
  const testBars = sampleBars(features, labels, window, split.test);
  if (trainBars.length < 50) throw new RangeError(`too little history: ${trainBars.length} training samples (need >= 50); give more bars or a shorter window`);
  if (testBars.length < 10) throw new RangeError(`too little history: ${testBars.length} test samples (need >= 10)`);
  const train = windowedSet(features, labels, trainBars, window, scaler);
  const test = windowedSet(features, labels, testBars, window, scaler);
  const inputs: ModelInputs = { featureSpec: spec, featureSpecHash: featureSpecHash(spec), window, scaler };
  const common = { epochs, batchSize, seed, horizon: o.horizon, labeling, window, testFraction: o.testFraction ?? 0.25, embargo: o.embargo ?? window };
  const model = await trainKind(o.kind, train, inputs, o, seed, epochs, batchSize, common);
  const p = model.predictBatch(test.x, testBars.length);
  return {
    model, split, metrics: classificationMetrics(p, test.y), testBars, testProbabilities: p, trainSamples: trainBars.length,
    featureNames: featureNames(spec),
    dataRange: { from: series.openTime[0]!, to: series.openTime[series.length - 1]!, bars: series.length },
    params: model.params,
  };
}

async function trainKind(kind: ModelKind, train: WindowedSet, inputs: ModelInputs, o: TrainOptions, seed: number, epochs: number, batchSize: number, common: Record<string, unknown>): Promise<TrainedModel> {
  const n = train.bars.length;
  const progress = (model: ModelKind) => (epoch: number, loss: number): void => o.onProgress?.({ model, epoch, epochs, loss });
  switch (kind) {
    case 'lstm': {
      const p = { ...defaultLstmParams, ...o.lstm };
      const net = buildLstm(train.window, train.cols, p, seed);
      await fitNetwork(net, train.x, train.y, n, { epochs, batchSize, learningRate: p.learningRate, seed, onEpoch: progress('lstm') });
      return new NetworkModel('lstm', 'lstm@draft', inputs, { ...common, ...p }, net);
    }
    case 'transformer': {
      const p = { ...defaultTransformerParams, ...o.transformer };
      const net = buildTransformer(train.window, train.cols, p, seed);
      await fitNetwork(net, train.x, train.y, n, { epochs, batchSize, learningRate: p.learningRate, seed, onEpoch: progress('transformer') });
      return new NetworkModel('transformer', 'transformer@draft', inputs, { ...common, ...p }, net);
    }
    case 'xgboost': {
      const p = { ...defaultXgbParams, ...o.xgboost };
      const lags = Math.min(p.lags, train.window);
      const trees = await XgbModel.train(flattenLastRows(train, lags), train.y, n, lags * train.cols, p, seed);
      o.onProgress?.({ model: 'xgboost', epoch: 1, epochs: 1, loss: NaN });
      return new BoostedTreesModel('xgboost@draft', inputs, { ...common, ...p, lags }, trees, lags);
    }
    case 'ensemble': {
      const members = [
        await trainKind('lstm', train, inputs, o, seed, epochs, batchSize, common),
        await trainKind('transformer', train, inputs, o, seed, epochs, batchSize, common),
        await trainKind('xgboost', train, inputs, o, seed, epochs, batchSize, common),
      ];
      return new EnsembleModel('ensemble@draft', members);
    }
    default: {
      const never: never = kind;
      throw new RangeError(`unknown model kind ${String(never)}`);
    }
  }
}

export interface WalkForwardFoldResult {
  readonly split: Split;
  readonly metrics: ClassificationMetrics;
}

export interface WalkForwardEvaluation {
  readonly folds: readonly WalkForwardFoldResult[];
  /** Metrics over every fold's test samples pooled. */
  readonly pooled: ClassificationMetrics;
}

/**
 * Walk-forward evaluation: `folds` consecutive test ranges at the end of the data (together
 * `testFraction` of it), each predicted by a model trained from scratch on every bar before it
 * minus the purge/embargo gap, with its own train-only scaler.
 */
export async function walkForwardEvaluate(o: TrainOptions & { readonly folds: number }): Promise<WalkForwardEvaluation> {
  if (!(Number.isInteger(o.folds) && o.folds >= 2)) throw new RangeError(`folds must be a whole number >= 2, got ${o.folds}`);
  const spec = o.featureSpec ?? defaultFeatureSpec();
  const window = o.window ?? 32;
  const features = computeFeatures(o.series, spec);
  const usable = o.series.length - features.firstReady;
  const testBars = Math.floor((usable * (o.testFraction ?? 0.25)) / o.folds);
  const splits = walkForwardSplits(o.series.length, {
    trainBars: usable - o.folds * testBars, testBars, purge: o.horizon, embargo: o.embargo ?? window, start: features.firstReady,
  });
  const folds: WalkForwardFoldResult[] = [];
  const p: number[] = [];
  const y: number[] = [];
  for (const split of splits) {
    // Each fold trains on the bars up to its own test range only.
    const r = await trainModel({ ...o, series: sliceSeries(o.series, 0, split.test.to), testFraction: (split.test.to - split.test.from) / (split.test.to - features.firstReady) });
    folds.push({ split: r.split, metrics: r.metrics });
    p.push(...r.testProbabilities);
    const labels = o.labeling?.kind === 'triple-barrier'
      ? tripleBarrierLabels(o.series, { takeProfit: o.labeling.takeProfit, stopLoss: o.labeling.stopLoss, horizon: o.horizon }).label
      : directionLabels(o.series.close, o.horizon, o.labeling?.deadZone ?? 0);
    for (const t of r.testBars) y.push(labels[t]!);
    r.model.dispose();
  }
  return { folds, pooled: classificationMetrics(p, y) };
}
