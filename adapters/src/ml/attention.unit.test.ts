// The custom attention layer: output shapes, causal and key masking, gradients checked against finite differences, save/load round trip.
import { beforeAll, describe, expect, it } from 'vitest';
import { MultiHeadSelfAttention, PositionalEncoding } from './attention.ts';
import { initTf, tf } from './tf.ts';

beforeAll(async () => { await initTf(() => {}); });

function input(b: number, t: number, d: number, seed = 1): tf.Tensor3D {
  return tf.randomUniform([b, t, d], -1, 1, 'float32', seed) as tf.Tensor3D;
}

function apply(layer: tf.layers.Layer, x: tf.Tensor | tf.Tensor[]): Float32Array {
  return tf.tidy(() => (layer.apply(x) as tf.Tensor).dataSync() as Float32Array);
}

describe('MultiHeadSelfAttention', () => {
  it('maps [batch, time, d] to [batch, time, d] for any number of heads and key size', () => {
    for (const [heads, keyDim] of [[1, 4], [2, 3], [4, 8]] as const) {
      const layer = new MultiHeadSelfAttention({ heads, keyDim, seed: 3 });
      const y = layer.apply(input(3, 7, 5)) as tf.Tensor;
      expect(y.shape).toEqual([3, 7, 5]);
      expect(layer.getWeights().map((w) => w.shape)).toEqual([[5, heads * keyDim], [5, heads * keyDim], [5, heads * keyDim], [heads * keyDim, 5], [heads * keyDim], [heads * keyDim], [heads * keyDim], [5]]);
      y.dispose();
    }
    const symbolic = new MultiHeadSelfAttention({ heads: 2, keyDim: 4 }).apply(tf.input({ shape: [16, 6] })) as tf.SymbolicTensor;
    expect(symbolic.shape).toEqual([null, 16, 6]);
    expect(() => new MultiHeadSelfAttention({ heads: 0, keyDim: 4 })).toThrow(RangeError);
  });

  it('causal: output at step i does not move when steps after i change, and does when step i does', () => {
    const layer = new MultiHeadSelfAttention({ heads: 2, keyDim: 4, causal: true, seed: 5 });
    const x = input(1, 6, 4).arraySync();
    const base = apply(layer, tf.tensor3d(x));
    const changed = x.map((b) => b.map((row, t) => (t >= 3 ? row.map((v) => v * -2 + 0.3) : row)));
    const after = apply(layer, tf.tensor3d(changed));
    expect(Array.from(after.slice(0, 3 * 4))).toEqual(Array.from(base.slice(0, 3 * 4)));
    expect(Array.from(after.slice(3 * 4, 4 * 4))).not.toEqual(Array.from(base.slice(3 * 4, 4 * 4)));
    // Without the causal mask, the future does leak into step 0: the mask is what stops it.
    const open = new MultiHeadSelfAttention({ heads: 2, keyDim: 4, seed: 5 });
    expect(Array.from(apply(open, tf.tensor3d(changed)).slice(0, 4))).not.toEqual(Array.from(apply(open, tf.tensor3d(x)).slice(0, 4)));
  });

  it('key mask: a hidden step influences no other step', () => {
    const layer = new MultiHeadSelfAttention({ heads: 2, keyDim: 3, seed: 9 });
    const x = input(2, 5, 4, 2).arraySync();
    const mask = tf.tensor2d([[1, 1, 0, 1, 1], [1, 1, 1, 1, 1]]);
    const base = apply(layer, [tf.tensor3d(x), mask]);
    const changed = x.map((b) => b.map((row, t) => (t === 2 ? row.map((v) => v + 5) : row)));
    const after = apply(layer, [tf.tensor3d(changed), mask]);
    const d = 4;
    for (const t of [0, 1, 3, 4]) expect(Array.from(after.slice(t * d, (t + 1) * d))).toEqual(Array.from(base.slice(t * d, (t + 1) * d)));
    // The unmasked second sequence does change everywhere.
    const off = 5 * d;
    expect(Array.from(after.slice(off, off + d))).not.toEqual(Array.from(base.slice(off, off + d)));
  });

  it('gradients agree with finite differences, and the causal mask stops gradient from later steps', () => {
    const layer = new MultiHeadSelfAttention({ heads: 2, keyDim: 3, causal: true, seed: 11 });
    const x0 = input(1, 4, 3, 7);
    const weightsOut = tf.tensor3d(Array.from({ length: 12 }, (_, i) => Math.sin(i + 1)), [1, 4, 3]);
    const f = (x: tf.Tensor): tf.Scalar => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, weightsOut));
    const g = tf.grad(f)(x0).dataSync();
    const xs = x0.dataSync();
    const eps = 1e-2;
    for (const i of [0, 4, 7, 11]) {
      const plus = Float32Array.from(xs); plus[i]! += eps;
      const minus = Float32Array.from(xs); minus[i]! -= eps;
      const numeric = (f(tf.tensor3d(plus, [1, 4, 3])).dataSync()[0]! - f(tf.tensor3d(minus, [1, 4, 3])).dataSync()[0]!) / (2 * eps);
      expect(Math.abs(g[i]! - numeric)).toBeLessThan(2e-2 * Math.max(1, Math.abs(numeric)));
    }
    // Loss on step 0 only: with the causal mask no input after step 0 gets any gradient.
    const first = tf.grad((x: tf.Tensor) => tf.sum(tf.slice(layer.apply(x) as tf.Tensor, [0, 0, 0], [1, 1, 3])))(x0).dataSync();
    expect(Array.from(first.slice(3)).every((v) => v === 0)).toBe(true);
    expect(Array.from(first.slice(0, 3)).some((v) => v !== 0)).toBe(true);
    // Every weight gets a finite, non-zero gradient.
    const { grads } = tf.variableGrads(() => f(x0), layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val));
    for (const t of Object.values(grads)) {
      const v = t.dataSync();
      expect(v.every(Number.isFinite)).toBe(true);
      expect(v.some((e) => e !== 0)).toBe(true);
    }
  });

  it('saves and loads inside a model with the same outputs', async () => {
    const inp = tf.input({ shape: [8, 4] });
    const pe = new PositionalEncoding({}).apply(inp) as tf.SymbolicTensor;
    const att = new MultiHeadSelfAttention({ heads: 2, keyDim: 4, causal: true, seed: 2 }).apply(pe) as tf.SymbolicTensor;
    const model = tf.model({ inputs: inp, outputs: att });
    let saved: tf.io.ModelArtifacts | null = null;
    await model.save(tf.io.withSaveHandler(async (a) => { saved = a; return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } }; }));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    const x = input(2, 8, 4, 4);
    expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(Array.from((model.predict(x) as tf.Tensor).dataSync()));
  });
});
