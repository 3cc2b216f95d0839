// Model lifecycle: a trained model version, its promotion to champion and its retirement; A/B experiments over versions.
import { z } from 'zod';
import { EpochMs, Instrument, Price, Timeframe } from './common.ts';

/** `<family>@<n>`, e.g. `lstm-btcusdt-1h@3`: a family name and a version number that only grows. */
export const ModelVersion = z.string().regex(/^[a-z0-9][a-z0-9_-]*@[1-9][0-9]*$/, 'a model version like lstm-btcusdt-1h@3').max(128);
const ModelFamily = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/).max(120);

export const ModelTrainedV1 = z.object({
  version: ModelVersion,
  family: ModelFamily,
  kind: z.enum(['lstm', 'transformer', 'xgboost', 'ensemble']),
  instrument: Instrument,
  timeframe: Timeframe,
  /** Out-of-sample metrics (accuracy, logLoss, rocAuc, backtest figures). */
  metrics: z.record(z.string(), z.number().finite().nullable()),
  params: z.record(z.string(), z.unknown()),
  /** Hash of the feature spec: a worker refuses a model whose hash differs from its own. */
  featureSpecHash: z.string().min(1).max(64),
  dataRange: z.object({ from: EpochMs, to: EpochMs, bars: z.number().int().nonnegative() }),
  codeVersion: z.string().max(128),
  /** Where the storage keeps the artifact (a key, not an absolute path). */
  artifact: z.string().max(512),
  /** Hash of the artifact bytes, checked on load. */
  artifactHash: z.string().max(128),
  seed: z.number().int(),
  ts: EpochMs,
});
export const ModelPromotedV1 = z.object({
  version: ModelVersion,
  family: ModelFamily,
  /** The champion it replaces, if any. */
  previous: ModelVersion.optional(),
  reason: z.string().max(512),
  by: z.string().max(128),
  ts: EpochMs,
});
export const ModelRetiredV1 = z.object({
  version: ModelVersion,
  family: ModelFamily,
  reason: z.string().max(512),
  by: z.string().max(128),
  ts: EpochMs,
});

export const ExperimentStartedV1 = z.object({
  experimentId: z.string().min(1).max(128),
  family: ModelFamily,
  mode: z.enum(['split', 'shadow']),
  champion: ModelVersion,
  /** Shares in [0, 1] per variant (champion included) summing to 1; in shadow mode only the champion trades. */
  variants: z.array(z.object({ version: ModelVersion, share: z.number().min(0).max(1) })).min(2),
  ts: EpochMs,
});
/**
 * One variant's signal inside an experiment, whether or not that variant traded it: the input of the
 * attribution. Kept in the experiment's stream on the models topic, never on the signals topic, so a
 * shadow challenger's opinion can never reach an executor or a venue.
 */
export const ExperimentSignalRecordedV1 = z.object({
  experimentId: z.string().min(1).max(128),
  family: ModelFamily,
  version: ModelVersion,
  instrument: Instrument,
  direction: z.enum(['long', 'short', 'flat']),
  probability: z.number().min(0).max(1),
  price: Price,
  asOf: EpochMs,
  /** True when this variant's signal went out to the executor (split: it owned the bar; shadow: the champion). */
  traded: z.boolean(),
});
export const ExperimentConcludedV1 = z.object({
  experimentId: z.string().min(1).max(128),
  family: ModelFamily,
  decision: z.enum(['promote', 'reject', 'inconclusive']),
  winner: ModelVersion.optional(),
  /** One-sided bootstrap p-value that the challenger's mean trade return beats the champion's. */
  pValue: z.number().min(0).max(1),
  stats: z.record(z.string(), z.record(z.string(), z.number().finite().nullable())),
  ts: EpochMs,
});

export type ModelTrained = z.infer<typeof ModelTrainedV1>;
export type ModelPromoted = z.infer<typeof ModelPromotedV1>;
export type ModelRetired = z.infer<typeof ModelRetiredV1>;
export type ExperimentStarted = z.infer<typeof ExperimentStartedV1>;
export type ExperimentSignalRecorded = z.infer<typeof ExperimentSignalRecordedV1>;
export type ExperimentConcluded = z.infer<typeof ExperimentConcludedV1>;
