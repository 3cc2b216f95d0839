// A plain TypeScript forward pass of our Transformer encoder classifier for per-bar inference: the same layers as buildTransformer, without per-op tensor dispatch.
import type { tf } from './tf.ts';
import type { MultiHeadSelfAttention } from './attention.ts';

type Weights = Float64Array[];

function weightsOf(layer: tf.layers.Layer): Weights {
  return layer.getWeights().map((w) => Float64Array.from(w.dataSync()));
}

/** out[T, n] = x[T, m] * w[m, n] + b[n]; optional relu. Writes into `out` (preallocated: no garbage per bar). */
function dense(x: Float64Array, steps: number, m: number, w: Float64Array, b: Float64Array, n: number, out: Float64Array, relu = false): Float64Array {
  for (let t = 0; t < steps; t++) {
    const o = t * n;
    out.set(b, o);
    for (let i = 0; i < m; i++) {
      const xi = x[t * m + i]!;
      if (xi === 0) continue;
      const row = i * n;
      for (let j = 0; j < n; j++) out[o + j]! += xi * w[row + j]!;
    }
    if (relu) for (let j = 0; j < n; j++) if (out[o + j]! < 0) out[o + j] = 0;
  }
  return out;
}

/** out = LayerNorm(a + b); `out` may be `a`. */
function addLayerNorm(a: Float64Array, b: Float64Array, steps: number, d: number, gamma: Float64Array, beta: Float64Array, eps: number, out: Float64Array): Float64Array {
  for (let t = 0; t < steps; t++) {
    let mean = 0;
    for (let j = 0; j < d; j++) mean += a[t * d + j]! + b[t * d + j]!;
    mean /= d;
    let v = 0;
    for (let j = 0; j < d; j++) {
      const e = a[t * d + j]! + b[t * d + j]! - mean;
      v += e * e;
    }
    const inv = 1 / Math.sqrt(v / d + eps);
    for (let j = 0; j < d; j++) {
      const at = t * d + j;
      out[at] = (a[at]! + b[at]! - mean) * inv * gamma[j]! + beta[j]!;
    }
  }
  return out;
}

interface AttentionPlan {
  readonly layer: MultiHeadSelfAttention;
  readonly w: readonly Float64Array[];
  readonly q: Float64Array;
  readonly k: Float64Array;
  readonly v: Float64Array;
  readonly merged: Float64Array;
  readonly scores: Float64Array;
  readonly out: Float64Array;
}

function attentionPlan(layer: MultiHeadSelfAttention, steps: number, d: number): AttentionPlan {
  const inner = layer.heads * layer.keyDim;
  const buf = (): Float64Array => new Float64Array(steps * inner);
  return { layer, w: weightsOf(layer), q: buf(), k: buf(), v: buf(), merged: buf(), scores: new Float64Array(steps), out: new Float64Array(steps * d) };
}

function attention(x: Float64Array, steps: number, d: number, p: AttentionPlan): Float64Array {
  const [wq, wk, wv, wo, bq, bk, bv, bo] = p.w as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  const h = p.layer.heads;
  const k = p.layer.keyDim;
  const inner = h * k;
  const q = dense(x, steps, d, wq, bq, inner, p.q);
  const kk = dense(x, steps, d, wk, bk, inner, p.k);
  const v = dense(x, steps, d, wv, bv, inner, p.v);
  const merged = p.merged;
  merged.fill(0);
  const scores = p.scores;
  const scale = 1 / Math.sqrt(k);
  for (let head = 0; head < h; head++) {
    const off = head * k;
    for (let i = 0; i < steps; i++) {
      const last = p.layer.causal ? i : steps - 1;
      let max = -Infinity;
      for (let j = 0; j <= last; j++) {
        let s = 0;
        for (let e = 0; e < k; e++) s += q[i * inner + off + e]! * kk[j * inner + off + e]!;
        s *= scale;
        scores[j] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let j = 0; j <= last; j++) {
        const e = Math.exp(scores[j]! - max);
        scores[j] = e;
        sum += e;
      }
      for (let j = 0; j <= last; j++) {
        const w = scores[j]! / sum;
        for (let e = 0; e < k; e++) merged[i * inner + off + e]! += w * v[j * inner + off + e]!;
      }
    }
  }
  return dense(merged, steps, inner, wo, bo, d, p.out);
}

/**
 * Evaluates a network built by buildTransformer in float64; null for any other architecture (callers
 * fall back to tfjs). Weights are read once, here.
 */
export function transformerForward(model: tf.LayersModel): ((window: Float32Array) => number) | null {
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  const names = layers.map((l) => l.getClassName());
  const block = ['QtsMultiHeadSelfAttention', 'Add', 'LayerNormalization', 'Dense', 'Dense', 'Add', 'LayerNormalization'];
  const blocks = (names.length - 4) / block.length;
  if (!Number.isInteger(blocks) || blocks < 1 || names[0] !== 'Dense' || names[1] !== 'QtsPositionalEncoding' || names.at(-2) !== 'QtsLastStep' || names.at(-1) !== 'Dense') return null;
  for (let b = 0; b < blocks; b++) for (let i = 0; i < block.length; i++) if (names[2 + b * block.length + i] !== block[i]) return null;
  const [, steps, cols] = model.inputs[0]!.shape as [null, number, number];
  const [pw, pb] = weightsOf(layers[0]!) as [Float64Array, Float64Array];
  const d = pb.length;
  const pe = new Float64Array(steps * d);
  for (let p = 0; p < steps; p++) for (let i = 0; i < d; i++) {
    const angle = p / 10000 ** ((2 * Math.floor(i / 2)) / d);
    pe[p * d + i] = Math.fround(i % 2 === 0 ? Math.sin(angle) : Math.cos(angle));
  }
  const plan = Array.from({ length: blocks }, (_, b) => {
    const at = 2 + b * block.length;
    const ln1 = layers[at + 2]!;
    const ln2 = layers[at + 6]!;
    const [g1, b1] = weightsOf(ln1) as [Float64Array, Float64Array];
    const [f1w, f1b] = weightsOf(layers[at + 3]!) as [Float64Array, Float64Array];
    const [f2w, f2b] = weightsOf(layers[at + 4]!) as [Float64Array, Float64Array];
    const [g2, b2] = weightsOf(ln2) as [Float64Array, Float64Array];
    const eps1 = (ln1.getConfig() as { epsilon: number }).epsilon;
    const eps2 = (ln2.getConfig() as { epsilon: number }).epsilon;
    return {
      attn: attentionPlan(layers[at] as MultiHeadSelfAttention, steps, d), g1, b1, eps1, f1w, f1b, ff: f1b.length, f2w, f2b, g2, b2, eps2,
      hidden: new Float64Array(steps * f1b.length), ffOut: new Float64Array(steps * d),
    };
  });
  const [ow, ob] = weightsOf(layers.at(-1)!) as [Float64Array, Float64Array];
  const input = new Float64Array(steps * cols);
  const x = new Float64Array(steps * d);
  return (window) => {
    if (window.length !== steps * cols) throw new RangeError(`window has ${window.length} values, the model takes ${steps}x${cols}`);
    input.set(window);
    dense(input, steps, cols, pw, pb, d, x);
    for (let i = 0; i < x.length; i++) x[i]! += pe[i]!;
    for (const p of plan) {
      addLayerNorm(x, attention(x, steps, d, p.attn), steps, d, p.g1, p.b1, p.eps1, x);
      dense(dense(x, steps, d, p.f1w, p.f1b, p.ff, p.hidden, true), steps, p.ff, p.f2w, p.f2b, d, p.ffOut);
      addLayerNorm(x, p.ffOut, steps, d, p.g2, p.b2, p.eps2, x);
    }
    let s = ob[0]!;
    for (let j = 0; j < d; j++) s += x[(steps - 1) * d + j]! * ow[j]!;
    return 1 / (1 + Math.exp(-s));
  };
}
