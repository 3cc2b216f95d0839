// Machine learning on TensorFlow.js and XGBoost-WASM: backends, custom layers, networks, trees, artifacts, storage, registry, training.
export { initTf, tfBackend } from './tf.ts';
export type { TfBackend } from './tf.ts';
export { MultiHeadSelfAttention, PositionalEncoding, LastStep } from './attention.ts';
export type { AttentionConfig } from './attention.ts';
export { buildLstm, buildTransformer, fitNetwork, predictNetwork, predictOne, defaultLstmParams, defaultTransformerParams } from './networks.ts';
export type { FitOptions, LstmParams, TransformerParams } from './networks.ts';
export { XgbModel, defaultXgbParams, loadXgboost } from './xgboost.ts';
export type { XgbParams } from './xgboost.ts';
export { NetworkModel, BoostedTreesModel, EnsembleModel, encodeArtifact, decodeArtifact, modelFromArtifact, ARTIFACT_FORMAT, ARTIFACT_FORMAT_VERSION } from './models.ts';
export type { ModelArtifact, TrainedModel } from './models.ts';
export { FileModelStorage, InMemoryModelStorage, sha256 } from './storage.ts';
export type { ModelStorage } from './storage.ts';
export { ModelRegistry } from './registry.ts';
export type { RegisterInput, RegistryDeps } from './registry.ts';
export { trainModel, walkForwardEvaluate } from './training.ts';
export type { Labeling, TrainOptions, TrainProgress, TrainResult, WalkForwardEvaluation, WalkForwardFoldResult } from './training.ts';
export { ScheduledRetrainer } from './retrain.ts';
export type { RetrainOutcome, RetrainPolicy } from './retrain.ts';
