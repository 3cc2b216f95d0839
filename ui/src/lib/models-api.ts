// The models API (/api/v1/models, /experiments, /models/train): view types from the contract and typed calls.
import { get, query, send } from './api.ts';
import type { ApiToken } from './token.svelte.ts';

export const modelKinds = ['lstm', 'transformer', 'xgboost', 'ensemble'] as const;
export type ModelKind = (typeof modelKinds)[number];
export type ModelStatus = 'champion' | 'challenger' | 'retired';

export interface ModelVersionView {
  version: string; family: string; kind: ModelKind; instrument: string; timeframe: string;
  /** challenger = trained, not retired, not the champion. */
  status: ModelStatus;
  metrics: Record<string, number | null>; params: Record<string, unknown>;
  featureSpecHash: string; dataRange: { from: number; to: number; bars: number }; codeVersion: string; seed: number;
  trainedAt: number; promotedAt: number | null; retiredAt: number | null; retireReason: string | null;
}
export interface ModelFamilyView { family: string; instrument: string; timeframe: string; champion: string | null; versions: ModelVersionView[] }
export interface ExperimentVariantView {
  version: string; share: number; role: 'champion' | 'challenger';
  /** Signals the variant recorded, and of those the ones that went to the executor. */
  signals: number; traded: number;
  /** The concluded experiment's per-variant figures (trades, pnl, hitRate, maxDrawdown, meanReturn). */
  stats: Record<string, number | null> | null;
}
export interface ExperimentView {
  experimentId: string; family: string; mode: 'split' | 'shadow'; champion: string;
  status: 'running' | 'concluded'; startedAt: number; concludedAt: number | null;
  decision: 'promote' | 'reject' | 'inconclusive' | null; winner: string | null; pValue: number | null;
  variants: ExperimentVariantView[];
}
export interface TrainRequest {
  model: ModelKind; instrument: string; timeframe: string;
  from?: number; to?: number; horizon?: number; epochs?: number; seed?: number; promote?: boolean;
}
export interface TrainJobView {
  jobId: string; status: 'queued' | 'running' | 'succeeded' | 'failed';
  model: string; instrument: string; timeframe: string;
  /** Progress of a network's training; null for xgboost and before the first epoch. */
  epoch: number | null; epochs: number | null; loss: number | null;
  version: string | null; metrics: Record<string, number | null> | null; error: string | null;
  submittedAt: number; finishedAt: number | null;
}
export interface ModelCommandResult { version: string; family: string; event: 'ModelPromoted' | 'ModelRetired'; eventId: string }

const at = (version: string) => `/models/${encodeURIComponent(version)}`;

export const listModelFamilies = (): Promise<ModelFamilyView[]> => get<ModelFamilyView[]>('/models');
export const getModelFamily = (family: string): Promise<ModelFamilyView> => get<ModelFamilyView>(`/models/${encodeURIComponent(family)}`);
/** Newest first; all families when `family` is omitted. */
export const listExperiments = (family?: string): Promise<ExperimentView[]> => get<ExperimentView[]>(`/experiments${query({ family })}`);

/** 409 when the version is retired or already the champion. */
export const promoteModel = (token: ApiToken, version: string, reason: string): Promise<ModelCommandResult> =>
  send<ModelCommandResult>(token, 'POST', `${at(version)}/promote`, { reason });
/** 409 when the version is already retired. */
export const retireModel = (token: ApiToken, version: string, reason: string): Promise<ModelCommandResult> =>
  send<ModelCommandResult>(token, 'POST', `${at(version)}/retire`, { reason });

/** 202 with the job id; 400 names the field; 503 (kind 'Unavailable') when this API process runs no training. */
export const submitTraining = (token: ApiToken, request: TrainRequest): Promise<{ jobId: string }> =>
  send<{ jobId: string }>(token, 'POST', '/models/train', request);
export const getTrainingJob = (jobId: string): Promise<TrainJobView> => get<TrainJobView>(`/models/train/${encodeURIComponent(jobId)}`);
