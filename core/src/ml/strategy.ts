// ML strategies: keep a feature window from bars, run a Predictor on every bar, and state long/short/flat with the model's probability.
import { z } from 'zod';
import type { BarClosed } from '@qts/schemas';
import { fmt, NO_SIGNALS } from '../strategies/strategy.ts';
import type { Direction, Opinion, SignalIntent, Strategy, StrategyStep } from '../strategies/strategy.ts';
import { scaleRow } from './dataset.ts';
import { ModelIncompatible } from './errors.ts';
import { FeatureExtractor, featureSpecHash } from './features.ts';
import type { FeatureSpec } from './features.ts';
import type { Predictor } from './predictor.ts';

export const MlStrategyParams = z.object({
  /** Long when P(up) >= this. */
  longAbove: z.number().min(0.5).max(1).default(0.55).meta({ step: 0.01 }),
  /** Short when P(up) <= this (the executor turns short into flat for a long-only book). */
  shortBelow: z.number().min(0).max(0.5).default(0.45).meta({ step: 0.01 }),
});
export type MlStrategyParams = z.infer<typeof MlStrategyParams>;

export interface MlState {
  readonly fx: FeatureExtractor;
  /** Scaled feature rows, a ring of `window` rows. */
  readonly ring: Float32Array;
  /** The window handed to the model, oldest first (reused). */
  readonly input: Float32Array;
  rows: number;
  /** Last P(up); NaN before the first prediction or after a failed one. */
  probability: number;
  view: Direction | null;
  readonly opinion: { direction: Direction; strength: number };
  /** Why the strategy is silent (bad input, model failure); null when healthy. */
  error: string | null;
  readonly step: [MlState, readonly SignalIntent[]];
  readonly params: MlStrategyParams;
}

export interface MlStrategyOptions {
  /**
   * The feature spec this worker computes. A model trained on another spec is refused here, before
   * any bar: its numbers would mean something else.
   */
  readonly workerFeatureSpec?: FeatureSpec;
  /** Strategy kind; default `ml-<model kind>`. */
  readonly kind?: string;
}

/**
 * A strategy around a loaded model. Never throws out of onBar: bad bars or a failing model leave it
 * silent with `state.error` set, until good input comes back.
 * @example gate(smaCross, mlStrategy(lstm), { minStrength: 0.55 })
 */
export function mlStrategy(model: Predictor, options: MlStrategyOptions = {}): Strategy<MlStrategyParams, MlState> {
  if (options.workerFeatureSpec) {
    const mine = featureSpecHash(options.workerFeatureSpec);
    if (mine !== model.featureSpecHash) {
      throw new ModelIncompatible(`model ${model.version} was trained on feature spec ${model.featureSpecHash} but this worker computes ${mine}; retrain it or run the worker with the model's feature spec`, { version: model.version, model: model.featureSpecHash, worker: mine });
    }
  }
  if (featureSpecHash(model.featureSpec) !== model.featureSpecHash) {
    throw new ModelIncompatible(`model ${model.version}: its feature spec does not hash to the ${model.featureSpecHash} it claims`, { version: model.version });
  }
  const window = model.window;
  return {
    kind: options.kind ?? `ml-${model.kind}`,
    description: `${model.kind} model ${model.version}: long when P(up) >= longAbove, short when <= shortBelow, flat between; ${window}-bar window.`,
    params: MlStrategyParams,
    init(params): MlState {
      const fx = new FeatureExtractor(model.featureSpec);
      const step: [unknown, readonly SignalIntent[]] = [undefined, NO_SIGNALS];
      const state: MlState = {
        fx, ring: new Float32Array(window * fx.width), input: new Float32Array(window * fx.width),
        rows: 0, probability: NaN, view: null, opinion: { direction: 'flat', strength: 1 }, error: null,
        step: step as MlState['step'], params,
      };
      step[0] = state;
      return state;
    },
    onBar(s, bar: BarClosed): StrategyStep<MlState> {
      s.step[1] = NO_SIGNALS;
      if (!(Number.isFinite(bar.high) && Number.isFinite(bar.low) && Number.isFinite(bar.close) && Number.isFinite(bar.volume))) {
        // A poisoned bar would poison every running indicator: start the window again.
        s.error = `bar at ${bar.closeTime} has a non-finite price or volume; warming up again`;
        s.fx.reset();
        s.rows = 0;
        s.probability = NaN;
        return s.step;
      }
      const width = s.fx.width;
      if (!s.fx.update(bar.high, bar.low, bar.close, bar.volume)) {
        if (s.fx.bars > 1000) s.error = 'features are not finite after 1000 bars (bad input?)';
        return s.step;
      }
      scaleRow(model.scaler, s.fx.row, s.ring, (s.rows % window) * width);
      s.rows++;
      if (s.rows < window) return s.step;
      const oldest = s.rows % window;
      s.input.set(s.ring.subarray(oldest * width), 0);
      s.input.set(s.ring.subarray(0, oldest * width), (window - oldest) * width);
      let p: number;
      try {
        p = model.predict(s.input);
      } catch (e) {
        s.error = `model ${model.version} failed: ${e instanceof Error ? e.message : String(e)}`;
        s.probability = NaN;
        return s.step;
      }
      if (!(p >= 0 && p <= 1)) {
        s.error = `model ${model.version} returned ${p}, not a probability`;
        s.probability = NaN;
        return s.step;
      }
      s.error = null;
      s.probability = p;
      const d: Direction = p >= s.params.longAbove ? 'long' : p <= s.params.shortBelow ? 'short' : 'flat';
      s.opinion.direction = d;
      s.opinion.strength = d === 'long' ? p : d === 'short' ? 1 - p : 1;
      const previous = s.view;
      s.view = d;
      if (previous !== null && previous !== d) {
        s.step[1] = [{
          direction: d, strength: s.opinion.strength,
          reason: `${model.kind} ${model.version}: P(up) ${fmt(p)} (long >= ${s.params.longAbove}, short <= ${s.params.shortBelow})`,
          model: { version: model.version, probability: p, confidence: Math.abs(2 * p - 1) },
        }];
      }
      return s.step;
    },
    opinion(s): Opinion | null {
      return s.view === null || !Number.isFinite(s.probability) ? null : s.opinion;
    },
    warmupBars: () => 500 + window,
  };
}
