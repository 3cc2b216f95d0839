// A plain TypeScript forward pass of our LSTM classifier (LSTM -> dense sigmoid) for per-bar inference: no tensor dispatch per step, well under a millisecond for a 64-bar window.
import type { tf } from './tf.ts';

type Act = (x: number) => number;
const activations: Record<string, Act> = {
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  hardSigmoid: (x) => Math.min(1, Math.max(0, 0.2 * x + 0.5)),
  linear: (x) => x,
};

/**
 * Reads the weights of a trained `LSTM -> Dense(1, sigmoid)` network and evaluates it in float64
 * (tfjs works in float32: results agree to ~1e-6, see the test). Gate order is Keras's: i, f, c, o.
 * Returns null for any other architecture, so callers fall back to tfjs.
 */
export function lstmForward(model: tf.LayersModel): ((window: Float32Array) => number) | null {
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  if (layers.length !== 2 || layers[0]!.getClassName() !== 'LSTM' || layers[1]!.getClassName() !== 'Dense') return null;
  const lc = layers[0]!.getConfig() as { units: number; activation: string; recurrentActivation: string; useBias: boolean; returnSequences: boolean; goBackwards?: boolean; stateful?: boolean };
  const dc = layers[1]!.getConfig() as { units: number; activation: string; useBias: boolean };
  const act = activations[lc.activation];
  const rec = activations[lc.recurrentActivation];
  if (!act || !rec || !lc.useBias || lc.returnSequences || lc.goBackwards || dc.units !== 1 || dc.activation !== 'sigmoid' || !dc.useBias) return null;
  const [kernel, recurrent, bias] = layers[0]!.getWeights().map((w) => Float64Array.from(w.dataSync()));
  const [dense, denseBias] = layers[1]!.getWeights().map((w) => Float64Array.from(w.dataSync()));
  const u = lc.units;
  const [, steps, cols] = model.inputs[0]!.shape as [null, number, number];
  const h = new Float64Array(u);
  const c = new Float64Array(u);
  const z = new Float64Array(4 * u);
  return (window) => {
    if (window.length !== steps * cols) throw new RangeError(`window has ${window.length} values, the model takes ${steps}x${cols}`);
    h.fill(0);
    c.fill(0);
    for (let t = 0; t < steps; t++) {
      z.set(bias!);
      const off = t * cols;
      for (let j = 0; j < cols; j++) {
        const x = window[off + j]!;
        if (x === 0) continue;
        const row = j * 4 * u;
        for (let k = 0; k < 4 * u; k++) z[k]! += x * kernel![row + k]!;
      }
      for (let j = 0; j < u; j++) {
        const hj = h[j]!;
        if (hj === 0) continue;
        const row = j * 4 * u;
        for (let k = 0; k < 4 * u; k++) z[k]! += hj * recurrent![row + k]!;
      }
      for (let k = 0; k < u; k++) {
        const i = rec(z[k]!);
        const f = rec(z[u + k]!);
        const g = act(z[2 * u + k]!);
        const o = rec(z[3 * u + k]!);
        const ck = f * c[k]! + i * g;
        c[k] = ck;
        h[k] = o * act(ck);
      }
    }
    let s = denseBias![0]!;
    for (let k = 0; k < u; k++) s += h[k]! * dense![k]!;
    return 1 / (1 + Math.exp(-s));
  };
}
