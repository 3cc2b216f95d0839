// Loaded models behind the Predictor port (LSTM, Transformer, XGBoost, their ensemble) and their artifact format: one JSON document, the same on every backend.
import { CorruptModelArtifact, FeatureSpecSchema, featureSpecHash, ModelIncompatible } from '@qts/core';
import type { ModelInputs, ModelKind, Predictor } from '@qts/core';
import { lstmForward } from './lstm-forward.ts';
import { transformerForward } from './transformer-forward.ts';
import { loadNetwork, predictNetwork, predictOne, saveNetwork } from './networks.ts';
import type { NetworkArtifact } from './networks.ts';
import type { tf } from './tf.ts';
import { XgbModel } from './xgboost.ts';

export const ARTIFACT_FORMAT = 'qts-model';
export const ARTIFACT_FORMAT_VERSION = 1;

export interface ModelArtifact {
  readonly format: typeof ARTIFACT_FORMAT;
  readonly formatVersion: number;
  readonly kind: ModelKind;
  readonly inputs: ModelInputs;
  readonly params: Readonly<Record<string, unknown>>;
  readonly network?: NetworkArtifact;
  readonly xgboost?: { readonly model: string; readonly options: Record<string, unknown>; readonly lags: number };
  readonly members?: readonly ModelArtifact[];
}

/** A model that can be saved as an artifact. `version` is provisional until the registry names it. */
export interface TrainedModel extends Predictor {
  version: string;
  readonly params: Readonly<Record<string, unknown>>;
  toArtifact(): Promise<ModelArtifact>;
}

abstract class Base {
  readonly featureSpec: ModelInputs['featureSpec'];
  readonly featureSpecHash: string;
  readonly window: number;
  readonly scaler: ModelInputs['scaler'];
  constructor(public version: string, inputs: ModelInputs, readonly params: Readonly<Record<string, unknown>>) {
    this.featureSpec = inputs.featureSpec;
    this.featureSpecHash = inputs.featureSpecHash;
    this.window = inputs.window;
    this.scaler = inputs.scaler;
  }

  get inputs(): ModelInputs {
    return { featureSpec: this.featureSpec, featureSpecHash: this.featureSpecHash, window: this.window, scaler: this.scaler };
  }
}

export class NetworkModel extends Base implements TrainedModel {
  /** Per-bar inference without tensor dispatch when the architecture is ours (LSTM, Transformer); else tfjs. */
  private readonly fast: ((window: Float32Array) => number) | null;

  constructor(readonly kind: 'lstm' | 'transformer', version: string, inputs: ModelInputs, params: Readonly<Record<string, unknown>>, readonly network: tf.LayersModel) {
    super(version, inputs, params);
    this.fast = kind === 'lstm' ? lstmForward(network) : transformerForward(network);
  }

  /** True when per-bar inference runs the plain forward pass rather than tfjs. */
  get fastPath(): boolean {
    return this.fast !== null;
  }

  predict(window: Float32Array): number {
    return this.fast ? this.fast(window) : predictOne(this.network, window);
  }

  predictBatch(x: Float32Array, samples: number): Float32Array {
    return predictNetwork(this.network, x, samples);
  }

  async toArtifact(): Promise<ModelArtifact> {
    return { format: ARTIFACT_FORMAT, formatVersion: ARTIFACT_FORMAT_VERSION, kind: this.kind, inputs: this.inputs, params: this.params, network: await saveNetwork(this.network) };
  }

  dispose(): void {
    this.network.dispose();
  }
}

export class BoostedTreesModel extends Base implements TrainedModel {
  readonly kind = 'xgboost' as const;
  private readonly cols: number;
  private readonly one: Float32Array;

  constructor(version: string, inputs: ModelInputs, params: Readonly<Record<string, unknown>>, readonly trees: XgbModel, readonly lags: number) {
    super(version, inputs, params);
    this.cols = inputs.scaler.mean.length;
    this.one = new Float32Array(lags * this.cols);
  }

  predict(window: Float32Array): number {
    if (window.length !== this.window * this.cols) throw new RangeError(`window has ${window.length} values, the model takes ${this.window}x${this.cols}`);
    this.one.set(window.subarray((this.window - this.lags) * this.cols));
    return this.trees.predict(this.one, 1)[0]!;
  }

  predictBatch(x: Float32Array, samples: number): Float32Array {
    const w = this.window * this.cols;
    const k = this.lags * this.cols;
    const flat = new Float32Array(samples * k);
    for (let s = 0; s < samples; s++) flat.set(x.subarray(s * w + w - k, (s + 1) * w), s * k);
    return this.trees.predict(flat, samples);
  }

  async toArtifact(): Promise<ModelArtifact> {
    return { format: ARTIFACT_FORMAT, formatVersion: ARTIFACT_FORMAT_VERSION, kind: 'xgboost', inputs: this.inputs, params: this.params, xgboost: { ...this.trees.save(), lags: this.lags } };
  }

  dispose(): void {
    this.trees.dispose();
  }
}

/** The mean probability of its members (same feature spec and window). */
export class EnsembleModel extends Base implements TrainedModel {
  readonly kind = 'ensemble' as const;

  constructor(version: string, readonly members: readonly TrainedModel[]) {
    const first = members[0];
    if (!first) throw new RangeError('an ensemble needs members');
    for (const m of members) {
      if (m.featureSpecHash !== first.featureSpecHash || m.window !== first.window) throw new ModelIncompatible(`ensemble members disagree on feature spec or window (${m.kind})`);
    }
    super(version, first, { members: members.map((m) => m.kind) });
  }

  predict(window: Float32Array): number {
    let s = 0;
    for (const m of this.members) s += m.predict(window);
    return s / this.members.length;
  }

  predictBatch(x: Float32Array, samples: number): Float32Array {
    const out = new Float32Array(samples);
    for (const m of this.members) {
      const p = m.predictBatch(x, samples);
      for (let i = 0; i < samples; i++) out[i]! += p[i]! / this.members.length;
    }
    return out;
  }

  async toArtifact(): Promise<ModelArtifact> {
    return { format: ARTIFACT_FORMAT, formatVersion: ARTIFACT_FORMAT_VERSION, kind: 'ensemble', inputs: this.inputs, params: this.params, members: await Promise.all(this.members.map((m) => m.toArtifact())) };
  }

  dispose(): void {
    for (const m of this.members) m.dispose();
  }
}

export function encodeArtifact(a: ModelArtifact): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(a));
}

/** Parses and checks an artifact; every problem is a CorruptModelArtifact or ModelIncompatible naming it. */
export function decodeArtifact(bytes: Uint8Array, where = 'artifact'): ModelArtifact {
  let a: ModelArtifact;
  try {
    a = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as ModelArtifact;
  } catch (e) {
    throw new CorruptModelArtifact(`${where}: not a readable model artifact (${(e as Error).message})`, { where }, { cause: e });
  }
  checkArtifact(a, where);
  return a;
}

function checkArtifact(a: ModelArtifact, where: string): void {
  if (a === null || typeof a !== 'object' || a.format !== ARTIFACT_FORMAT) throw new CorruptModelArtifact(`${where}: not a ${ARTIFACT_FORMAT} artifact`, { where });
  if (a.formatVersion !== ARTIFACT_FORMAT_VERSION) throw new ModelIncompatible(`${where}: artifact format ${a.formatVersion}, this code reads ${ARTIFACT_FORMAT_VERSION}`, { where });
  const spec = FeatureSpecSchema.safeParse(a.inputs?.featureSpec);
  if (!spec.success) throw new CorruptModelArtifact(`${where}: feature spec does not parse`, { where });
  if (featureSpecHash(spec.data) !== a.inputs.featureSpecHash) throw new CorruptModelArtifact(`${where}: feature spec does not match its hash ${a.inputs.featureSpecHash}`, { where });
  if (!(Number.isInteger(a.inputs.window) && a.inputs.window >= 1)) throw new CorruptModelArtifact(`${where}: bad window ${a.inputs.window}`, { where });
  const { mean, std } = a.inputs.scaler ?? {};
  if (!Array.isArray(mean) || !Array.isArray(std) || mean.length !== std.length || ![...mean, ...std].every(Number.isFinite)) throw new CorruptModelArtifact(`${where}: bad scaler`, { where });
  const body = a.kind === 'ensemble' ? a.members : a.kind === 'xgboost' ? a.xgboost : a.network;
  if (!body) throw new CorruptModelArtifact(`${where}: a ${String(a.kind)} artifact without its ${a.kind === 'ensemble' ? 'members' : 'weights'}`, { where });
  for (const m of a.members ?? []) checkArtifact(m, `${where} member`);
}

/** Rebuilds the model an artifact describes, named `version`. */
export async function modelFromArtifact(a: ModelArtifact, version: string): Promise<TrainedModel> {
  try {
    switch (a.kind) {
      case 'lstm':
      case 'transformer':
        return new NetworkModel(a.kind, version, a.inputs, a.params, await loadNetwork(a.network!));
      case 'xgboost':
        return new BoostedTreesModel(version, a.inputs, a.params, await XgbModel.load(a.xgboost!, a.xgboost!.lags * a.inputs.scaler.mean.length), a.xgboost!.lags);
      case 'ensemble':
        return new EnsembleModel(version, await Promise.all(a.members!.map((m) => modelFromArtifact(m, version))));
      default:
        throw new ModelIncompatible(`unknown model kind '${String((a as { kind: unknown }).kind)}'`);
    }
  } catch (e) {
    if (e instanceof ModelIncompatible || e instanceof CorruptModelArtifact) throw e;
    throw new CorruptModelArtifact(`${version}: the ${a.kind} artifact does not load (${(e as Error).message})`, { version }, { cause: e });
  }
}
