// An A/B experiment as a strategy: champion and challenger models see every bar; split mode lets the variant that owns each decision trade, shadow mode trades the champion and records everyone's signals.
import type { z } from 'zod';
import type { BarClosed } from '@qts/schemas';
import { NO_SIGNALS } from '../strategies/strategy.ts';
import type { Direction, Opinion, SignalIntent, Strategy, StrategyStep } from '../strategies/strategy.ts';
import { checkShares, tradingVariant } from './experiment.ts';
import type { ExperimentMode, VariantSignal } from './experiment.ts';
import { MlStrategyParams } from './strategy.ts';
import type { MlState } from './strategy.ts';

export interface AbVariant {
  /** The model version (e.g. `lstm-btcusdt-1h@3`). */
  readonly version: string;
  readonly strategy: Strategy<MlStrategyParams, MlState>;
  readonly share: number;
}

export interface AbOptions {
  readonly experimentId: string;
  readonly mode: ExperimentMode;
  readonly champion: string;
}

export interface AbState {
  readonly children: MlState[];
  view: Direction | null;
  readonly opinion: { direction: Direction; strength: number };
  /** Every variant's signals, in order, each with its model version: the input of variantTradesFromSignals. */
  readonly recorded: VariantSignal[];
  readonly step: [AbState, readonly SignalIntent[]];
}

/** The thresholds every variant trades by (one experiment compares models, not thresholds). */
export const AbParams = MlStrategyParams;

/**
 * @example abStrategy([{ version: 'lstm-x@3', strategy: mlStrategy(champ), share: 0.8 }, { version: 'lstm-x@4', strategy: mlStrategy(chall), share: 0.2 }], { experimentId: 'exp-7', mode: 'split', champion: 'lstm-x@3' })
 */
export function abStrategy(variants: readonly AbVariant[], o: AbOptions): Strategy<z.infer<typeof AbParams>, AbState> {
  checkShares(variants);
  const championIndex = variants.findIndex((v) => v.version === o.champion);
  if (championIndex < 0) throw new RangeError(`champion ${o.champion} is not one of the variants`);
  const shares = variants.map((v) => ({ version: v.version, share: v.share }));
  const index = new Map(variants.map((v, i) => [v.version, i]));
  return {
    kind: 'ab-experiment',
    description: `${o.mode} experiment ${o.experimentId}: champion ${o.champion} vs ${variants.filter((v) => v.version !== o.champion).map((v) => v.version).join(', ')}`,
    params: AbParams,
    init(params): AbState {
      const p = { ...MlStrategyParams.parse({}), ...params };
      const step: [unknown, readonly SignalIntent[]] = [undefined, NO_SIGNALS];
      const s: AbState = {
        children: variants.map((v) => v.strategy.init(p)),
        view: null, opinion: { direction: 'flat', strength: 1 }, recorded: [], step: step as AbState['step'],
      };
      step[0] = s;
      return s;
    },
    onBar(s, bar: BarClosed): StrategyStep<AbState> {
      s.step[1] = NO_SIGNALS;
      for (let i = 0; i < variants.length; i++) {
        const [, intents] = variants[i]!.strategy.onBar(s.children[i]!, bar);
        for (const intent of intents) s.recorded.push({ direction: intent.direction, price: bar.close, asOf: bar.closeTime, model: { version: variants[i]!.version } });
      }
      const owner = index.get(tradingVariant(o.mode, o.champion, o.experimentId, `${bar.instrument}|${bar.closeTime}`, shares))!;
      const child = s.children[owner]!;
      const op = variants[owner]!.strategy.opinion(child);
      if (op === null) return s.step;
      const previous = s.view;
      s.view = op.direction;
      s.opinion.direction = op.direction;
      s.opinion.strength = op.strength;
      if (previous !== null && previous !== op.direction) {
        const p = child.probability;
        s.step[1] = [{
          direction: op.direction, strength: op.strength,
          reason: `${o.experimentId} (${o.mode}): ${variants[owner]!.version} owns this bar, P(up) ${p.toFixed(4)}`,
          model: { version: variants[owner]!.version, probability: p, confidence: Math.abs(2 * p - 1) },
        }];
      }
      return s.step;
    },
    opinion(s): Opinion | null {
      return s.view === null ? null : s.opinion;
    },
    warmupBars: () => Math.max(...variants.map((v) => v.strategy.warmupBars?.(v.strategy.params.parse({})) ?? 1000)),
  };
}
