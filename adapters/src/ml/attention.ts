// Transformer building blocks TensorFlow.js lacks: sinusoidal positional encoding and multi-head self-attention, as serialisable custom layers.
import { tf } from './tf.ts';

type Kwargs = Record<string, unknown>;

/** Adds the sinusoidal position signal of "Attention Is All You Need" to [batch, time, dModel] inputs. */
export class PositionalEncoding extends tf.layers.Layer {
  static readonly className = 'QtsPositionalEncoding';
  private table: tf.Tensor2D | null = null;

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const [, steps, d] = x.shape as [number, number, number];
    if (!this.table || this.table.shape[0] !== steps || this.table.shape[1] !== d) {
      this.table?.dispose();
      this.table = tf.keep(positionTable(steps, d));
    }
    return tf.add(x, this.table);
  }

  override dispose(): tf.serialization.ConfigDict & { refCountAfterDispose: number; numDisposedVariables: number } {
    this.table?.dispose();
    this.table = null;
    return super.dispose() as never;
  }
}

function positionTable(steps: number, d: number): tf.Tensor2D {
  const v = new Float32Array(steps * d);
  for (let p = 0; p < steps; p++) {
    for (let i = 0; i < d; i++) {
      const angle = p / 10000 ** ((2 * Math.floor(i / 2)) / d);
      v[p * d + i] = i % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return tf.tensor2d(v, [steps, d]);
}

export interface AttentionConfig {
  readonly heads: number;
  /** Size of each head's queries and keys (and values). */
  readonly keyDim: number;
  /** Position i attends to positions <= i only. */
  readonly causal?: boolean;
  /** Seeds the weight initialisers (reproducible training). */
  readonly seed?: number;
  readonly name?: string;
}

/**
 * Multi-head scaled dot-product self-attention over [batch, time, d] inputs, output [batch, time, d].
 * Masking: `causal` hides later positions; a second input [batch, time] of 1 (keep) / 0 (hide) hides
 * keys (padding). Hidden positions get -1e9 before the softmax, so they receive no weight and no gradient.
 */
export class MultiHeadSelfAttention extends tf.layers.Layer {
  static readonly className = 'QtsMultiHeadSelfAttention';
  readonly heads: number;
  readonly keyDim: number;
  readonly causal: boolean;
  readonly seed: number;
  private wq!: tf.LayerVariable;
  private wk!: tf.LayerVariable;
  private wv!: tf.LayerVariable;
  private wo!: tf.LayerVariable;
  private bq!: tf.LayerVariable;
  private bk!: tf.LayerVariable;
  private bv!: tf.LayerVariable;
  private bo!: tf.LayerVariable;

  constructor(config: AttentionConfig) {
    super(config.name ? { name: config.name } : {});
    if (!(Number.isInteger(config.heads) && config.heads >= 1 && Number.isInteger(config.keyDim) && config.keyDim >= 1)) {
      throw new RangeError(`attention needs whole heads >= 1 and keyDim >= 1, got ${config.heads} and ${config.keyDim}`);
    }
    this.heads = config.heads;
    this.keyDim = config.keyDim;
    this.causal = config.causal ?? false;
    this.seed = config.seed ?? 1;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const d = shape[2];
    if (typeof d !== 'number') throw new RangeError('attention needs a known feature size (last input dimension)');
    const inner = this.heads * this.keyDim;
    const init = (k: number): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed: this.seed + k });
    this.wq = this.addWeight('wq', [d, inner], 'float32', init(1));
    this.wk = this.addWeight('wk', [d, inner], 'float32', init(2));
    this.wv = this.addWeight('wv', [d, inner], 'float32', init(3));
    this.wo = this.addWeight('wo', [inner, d], 'float32', init(4));
    this.bq = this.addWeight('bq', [inner], 'float32', tf.initializers.zeros());
    this.bk = this.addWeight('bk', [inner], 'float32', tf.initializers.zeros());
    this.bv = this.addWeight('bv', [inner], 'float32', tf.initializers.zeros());
    this.bo = this.addWeight('bo', [d], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      const x = list[0]!;
      const keyMask = (list[1] ?? (kwargs['mask'] as tf.Tensor | undefined)) ?? null;
      const [, steps, d] = x.shape as [number, number, number];
      const h = this.heads;
      const k = this.keyDim;
      const flat = tf.reshape(x, [-1, d]);
      const project = (w: tf.LayerVariable, b: tf.LayerVariable): tf.Tensor4D =>
        tf.transpose(tf.reshape(tf.add(tf.matMul(flat, w.read()), b.read()), [-1, steps, h, k]), [0, 2, 1, 3]);
      const q = project(this.wq, this.bq);
      const kk = project(this.wk, this.bk);
      const v = project(this.wv, this.bv);
      let scores = tf.mul(tf.matMul(q, kk, false, true), 1 / Math.sqrt(k)); // [b, h, T, T]
      if (keyMask) {
        const hide = tf.mul(tf.sub(1, tf.reshape(tf.cast(keyMask, 'float32'), [-1, 1, 1, steps])), -1e9);
        scores = tf.add(scores, hide);
      }
      if (this.causal) {
        const allowed = tf.linalg.bandPart(tf.ones([steps, steps]), -1, 0);
        scores = tf.add(scores, tf.mul(tf.sub(1, allowed), -1e9));
      }
      const weights = tf.softmax(scores, -1);
      const heads = tf.transpose(tf.matMul(weights, v), [0, 2, 1, 3]); // [b, T, h, k]
      const merged = tf.reshape(heads, [-1, h * k]);
      return tf.reshape(tf.add(tf.matMul(merged, this.wo.read()), this.bo.read()), [-1, steps, d]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), heads: this.heads, keyDim: this.keyDim, causal: this.causal, seed: this.seed };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    return new cls(config as never);
  }
}

/** Keeps the last time step: [batch, time, d] -> [batch, d] (tfjs has no Cropping1D). */
export class LastStep extends tf.layers.Layer {
  static readonly className = 'QtsLastStep';

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [s[0]!, s[2]!];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const [b, t, d] = x.shape as [number, number, number];
    return tf.reshape(tf.slice(x, [0, t - 1, 0], [b, 1, d]), [b, d]);
  }
}

tf.serialization.registerClass(LastStep);
tf.serialization.registerClass(PositionalEncoding);
tf.serialization.registerClass(MultiHeadSelfAttention);
