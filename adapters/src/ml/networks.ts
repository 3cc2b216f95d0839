// The neural networks: an LSTM and a Transformer encoder classifier over feature windows, seeded, trained with a seeded shuffle.
import { seededRandom } from '@qts/core';
import { LastStep, MultiHeadSelfAttention, PositionalEncoding } from './attention.ts';
import { tf } from './tf.ts';

export interface LstmParams {
  readonly units: number;
  readonly learningRate: number;
}

export interface TransformerParams {
  readonly dModel: number;
  readonly heads: number;
  readonly feedForward: number;
  readonly layers: number;
  readonly learningRate: number;
}

export const defaultLstmParams: LstmParams = { units: 16, learningRate: 0.003 };
export const defaultTransformerParams: TransformerParams = { dModel: 16, heads: 2, feedForward: 32, layers: 1, learningRate: 0.002 };

/** Each initialiser gets its own seed derived from the run's seed, so the whole network is reproducible. */
function seeds(seed: number): () => number {
  let k = 0;
  return () => (seed * 1000 + ++k) >>> 0;
}

export function buildLstm(window: number, cols: number, p: LstmParams, seed: number): tf.LayersModel {
  const next = seeds(seed);
  const model = tf.sequential();
  model.add(tf.layers.lstm({
    inputShape: [window, cols], units: p.units,
    kernelInitializer: tf.initializers.glorotUniform({ seed: next() }),
    recurrentInitializer: tf.initializers.glorotUniform({ seed: next() }),
  }));
  model.add(tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: next() }) }));
  return model;
}

/**
 * Encoder blocks (self-attention + feed-forward, each with a residual and layer norm) over the
 * projected, position-encoded window; the last step's representation (causal attention, so it has
 * seen the whole window) goes to a sigmoid.
 */
export function buildTransformer(window: number, cols: number, p: TransformerParams, seed: number): tf.LayersModel {
  if (p.dModel % p.heads !== 0) throw new RangeError(`dModel ${p.dModel} must be a multiple of heads ${p.heads}`);
  const next = seeds(seed);
  const glorot = (): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed: next() });
  const input = tf.input({ shape: [window, cols] });
  let x = tf.layers.dense({ units: p.dModel, kernelInitializer: glorot() }).apply(input) as tf.SymbolicTensor;
  x = new PositionalEncoding({}).apply(x) as tf.SymbolicTensor;
  for (let i = 0; i < p.layers; i++) {
    const attended = new MultiHeadSelfAttention({ heads: p.heads, keyDim: p.dModel / p.heads, causal: true, seed: next() }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.layerNormalization().apply(tf.layers.add().apply([x, attended])) as tf.SymbolicTensor;
    let ff = tf.layers.dense({ units: p.feedForward, activation: 'relu', kernelInitializer: glorot() }).apply(x) as tf.SymbolicTensor;
    ff = tf.layers.dense({ units: p.dModel, kernelInitializer: glorot() }).apply(ff) as tf.SymbolicTensor;
    x = tf.layers.layerNormalization().apply(tf.layers.add().apply([x, ff])) as tf.SymbolicTensor;
  }
  const last = new LastStep({}).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: glorot() }).apply(last) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

export interface FitOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly seed: number;
  /** Called after each epoch with its mean training loss. */
  readonly onEpoch?: (epoch: number, loss: number) => void;
}

/**
 * Trains with binary cross-entropy and Adam. The shuffle is ours (seeded), not tfjs's (Math.random),
 * so the same seed gives the same weights on the same backend.
 */
export async function fitNetwork(model: tf.LayersModel, x: Float32Array, y: Float32Array, samples: number, o: FitOptions): Promise<number[]> {
  const shape = model.inputs[0]!.shape as [null, number, number];
  const [, window, cols] = shape;
  model.compile({ optimizer: tf.train.adam(o.learningRate), loss: 'binaryCrossentropy' });
  const xAll = tf.tensor3d(x, [samples, window, cols]);
  const yAll = tf.tensor2d(y, [samples, 1]);
  const rnd = seededRandom(o.seed);
  const order = Int32Array.from({ length: samples }, (_, i) => i);
  const losses: number[] = [];
  try {
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      for (let i = samples - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        const t = order[i]!; order[i] = order[j]!; order[j] = t;
      }
      const idx = tf.tensor1d(order, 'int32');
      const xs = tf.gather(xAll, idx);
      const ys = tf.gather(yAll, idx);
      const h = await model.fit(xs, ys, { epochs: 1, batchSize: o.batchSize, shuffle: false, verbose: 0 });
      tf.dispose([idx, xs, ys]);
      const loss = Number(h.history['loss']![0]);
      losses.push(loss);
      o.onEpoch?.(epoch + 1, loss);
    }
  } finally {
    tf.dispose([xAll, yAll]);
  }
  return losses;
}

/** P(up) for stacked windows, in chunks so a long evaluation does not build one huge tensor. */
export function predictNetwork(model: tf.LayersModel, x: Float32Array, samples: number, chunk = 2048): Float32Array {
  const [, window, cols] = model.inputs[0]!.shape as [null, number, number];
  const out = new Float32Array(samples);
  for (let s = 0; s < samples; s += chunk) {
    const n = Math.min(chunk, samples - s);
    const p = tf.tidy(() => (model.predict(tf.tensor3d(x.subarray(s * window * cols, (s + n) * window * cols), [n, window, cols])) as tf.Tensor).dataSync());
    out.set(p, s);
  }
  return out;
}

/** P(up) for one window, synchronously (dataSync on the CPU/WASM backends). */
export function predictOne(model: tf.LayersModel, window: Float32Array): number {
  const [, steps, cols] = model.inputs[0]!.shape as [null, number, number];
  if (window.length !== steps * cols) throw new RangeError(`window has ${window.length} values, the model takes ${steps}x${cols}`);
  return tf.tidy(() => (model.predict(tf.tensor3d(window, [1, steps, cols])) as tf.Tensor).dataSync()[0]!);
}

/** Topology and weights of a network, as JSON-safe data (weights base64). */
export interface NetworkArtifact {
  readonly topology: unknown;
  readonly weightSpecs: tf.io.WeightsManifestEntry[];
  readonly weights: string;
}

export async function saveNetwork(model: tf.LayersModel): Promise<NetworkArtifact> {
  let saved: tf.io.ModelArtifacts | null = null;
  await model.save(tf.io.withSaveHandler(async (a) => {
    saved = a;
    return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
  }));
  const a = saved as unknown as tf.io.ModelArtifacts;
  const data = a.weightData instanceof ArrayBuffer ? a.weightData : tf.io.concatenateArrayBuffers(a.weightData as ArrayBuffer[]);
  return { topology: a.modelTopology, weightSpecs: a.weightSpecs ?? [], weights: Buffer.from(data).toString('base64') };
}

export async function loadNetwork(a: NetworkArtifact): Promise<tf.LayersModel> {
  const bytes = Buffer.from(a.weights, 'base64');
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: a.topology as object, weightSpecs: a.weightSpecs, weightData }));
}
