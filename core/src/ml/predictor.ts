// The Predictor port: a loaded model version that turns a scaled feature window into P(up), synchronously.
import type { FeatureSpec } from './features.ts';
import type { Scaler } from './dataset.ts';

export type ModelKind = 'lstm' | 'transformer' | 'xgboost' | 'ensemble';

/** What every artifact states about how its inputs are made. */
export interface ModelInputs {
  readonly featureSpec: FeatureSpec;
  readonly featureSpecHash: string;
  /** Bars per input window. */
  readonly window: number;
  /** Fitted on the training range only. */
  readonly scaler: Scaler;
}

/**
 * A model ready for inference. `predict` is synchronous (strategies run inside the synchronous
 * onBar): tfjs on the CPU/WASM backends via dataSync, XGBoost in WASM. It may throw; callers
 * catch. `predictBatch` serves evaluation.
 */
export interface Predictor extends ModelInputs {
  /** e.g. `lstm-btcusdt-1h@3`, or a provisional name before registration. */
  readonly version: string;
  readonly kind: ModelKind;
  /** P(up) for one window, row-major [window][cols], scaled, oldest first. */
  predict(window: Float32Array): number;
  /** P(up) for many windows stacked: [samples][window][cols]. */
  predictBatch(x: Float32Array, samples: number): Float32Array;
  /** Frees native/WASM memory. */
  dispose(): void;
}
