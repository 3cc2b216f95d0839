// Scheduled retraining: every N bars, train on the trailing bars, register the version, promote it when it beats the champion out of sample, and retire expired versions.
import { modelFamily, retrainDue, sliceSeries } from '@qts/core';
import type { BarSeries } from '@qts/core';
import type { Timeframe } from '@qts/schemas';
import type { ModelRegistry } from './registry.ts';
import { trainModel } from './training.ts';
import type { TrainOptions } from './training.ts';

export interface RetrainPolicy {
  /** Retrain when this many bars have closed since the last training. */
  readonly everyBars: number;
  /** Train on this many trailing bars. */
  readonly trainBars: number;
  /** Retire versions trained longer ago than this (the champion too); none when absent. */
  readonly maxAgeMs?: number;
  /** Promote the new version when its out-of-sample ROC AUC beats the champion's by this much (default 0). */
  readonly minAucGain?: number;
}

export interface RetrainOutcome {
  readonly version: string;
  readonly promoted: boolean;
  readonly retired: readonly string[];
  readonly rocAuc: number | null;
}

export class ScheduledRetrainer {
  private lastTrainedBar: number | null = null;

  constructor(
    private readonly registry: ModelRegistry,
    private readonly training: Omit<TrainOptions, 'series'>,
    private readonly policy: RetrainPolicy,
    private readonly meta: { readonly instrument: string; readonly timeframe: Timeframe; readonly codeVersion: string },
  ) {}

  /** Call after bar `index` of `series` closed; trains only when due. */
  async onBar(series: BarSeries, index: number): Promise<RetrainOutcome | null> {
    if (!retrainDue(this.lastTrainedBar, index, this.policy.everyBars)) return null;
    const bars = sliceSeries(series, Math.max(0, index + 1 - this.policy.trainBars), index + 1);
    const result = await trainModel({ ...this.training, series: bars });
    this.lastTrainedBar = index;
    const version = await this.registry.register({
      model: result.model, instrument: this.meta.instrument, timeframe: this.meta.timeframe, codeVersion: this.meta.codeVersion, seed: this.training.seed ?? 1,
      metrics: { accuracy: result.metrics.accuracy, logLoss: result.metrics.logLoss, rocAuc: result.metrics.rocAuc },
      dataRange: result.dataRange,
    });
    result.model.dispose();
    const family = modelFamily(this.training.kind, this.meta.instrument, this.meta.timeframe);
    const { state } = await this.registry.family(family);
    const champion = state.champion ? state.versions.get(state.champion) : undefined;
    const championAuc = champion?.trained.metrics['rocAuc'] ?? null;
    const auc = result.metrics.rocAuc;
    const better = champion === undefined || (auc !== null && (championAuc === null || auc > championAuc + (this.policy.minAucGain ?? 0)));
    if (better) await this.registry.promote(version, `scheduled retrain: ROC AUC ${auc?.toFixed(4) ?? '-'} vs champion ${championAuc?.toFixed(4) ?? 'none'}`, 'retrainer');
    const retired = this.policy.maxAgeMs === undefined ? [] : await this.registry.expire(family, this.policy.maxAgeMs, 'retrainer');
    return { version, promoted: better, retired, rocAuc: auc };
  }
}
