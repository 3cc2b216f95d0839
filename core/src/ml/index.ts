// ML: features, labels, datasets, metrics, the Predictor port, ML strategies, registry and experiment rules (pure parts).
export { FeatureSpecSchema, FeatureExtractor, computeFeatures, defaultFeatureSpec, featureNames, featureSpecHash, canonicalJson } from './features.ts';
export type { FeatureSpec, FeatureMatrix, OhlcvColumns } from './features.ts';
export { directionLabels, tripleBarrierLabels } from './labels.ts';
export type { TripleBarrierLabels, TripleBarrierOptions } from './labels.ts';
export { walkForwardSplits, holdoutSplit, sampleBars, fitScaler, scaleRow, windowedSet, flattenLastRows } from './dataset.ts';
export type { BarRange, Scaler, Split, WalkForwardSplitOptions, WindowedSet } from './dataset.ts';
export { classificationMetrics, rocAuc } from './metrics.ts';
export type { ClassificationMetrics } from './metrics.ts';
export { stableHash, unitHash, seededRandom } from './hash.ts';
export { ModelIncompatible, CorruptModelArtifact, BadModelInput } from './errors.ts';
export type { ModelInputs, ModelKind, Predictor } from './predictor.ts';
export { mlStrategy, MlStrategyParams } from './strategy.ts';
export type { MlState, MlStrategyOptions } from './strategy.ts';
export { modelDecider, decideModel, evolveModel, initialModelFamily, modelFamily, parseModelVersion, retrainDue } from './registry.ts';
export type { ModelCommand, ModelEvent, ModelFamilyState, ModelStatus } from './registry.ts';
export { assignVariant, tradingVariant, checkShares, variantStats, bootstrapCompare, variantTradesFromSignals, concludeExperiment } from './experiment.ts';
export type { BootstrapOptions, BootstrapResult, ExperimentMode, ExperimentVerdict, VariantShare, VariantSignal, VariantStats, VariantTrade } from './experiment.ts';
