// Model registry rules: immutable numbered versions per family, one champion at a time, retirement and expiry, as a decider over the family's events.
import type { ModelPromoted, ModelRetired, ModelTrained } from '@qts/schemas';
import { ValidationError } from '../errors.ts';

export type ModelEvent =
  | { readonly type: 'ModelTrained'; readonly data: ModelTrained }
  | { readonly type: 'ModelPromoted'; readonly data: ModelPromoted }
  | { readonly type: 'ModelRetired'; readonly data: ModelRetired };

export type ModelStatus = 'candidate' | 'champion' | 'retired';

export interface ModelFamilyState {
  /** Versions by name, in the order they were trained. */
  readonly versions: ReadonlyMap<string, { readonly trained: ModelTrained; readonly status: ModelStatus }>;
  readonly champion: string | null;
  /** Highest version number used so far (0 before the first). */
  readonly lastNumber: number;
}

export type ModelCommand =
  | { readonly type: 'RegisterModel'; readonly data: Omit<ModelTrained, 'version'> }
  | { readonly type: 'PromoteModel'; readonly version: string; readonly reason: string; readonly by: string; readonly ts: number }
  | { readonly type: 'RetireModel'; readonly version: string; readonly reason: string; readonly by: string; readonly ts: number }
  /** Retires every live version trained more than maxAgeMs before `now` (the champion included: a stale model must not trade). */
  | { readonly type: 'ExpireModels'; readonly now: number; readonly maxAgeMs: number; readonly by: string };

export const initialModelFamily: ModelFamilyState = { versions: new Map(), champion: null, lastNumber: 0 };

/** `lstm-btcusdt-1h` for an LSTM on BTC/USDT hourly bars. */
export function modelFamily(kind: string, instrument: string, timeframe: string): string {
  return `${kind}-${instrument.toLowerCase().replace(/[^a-z0-9]/g, '')}-${timeframe.toLowerCase()}`;
}

/** Splits `lstm-btcusdt-1h@3` into family and number. */
export function parseModelVersion(version: string): { family: string; number: number } {
  const m = /^([a-z0-9][a-z0-9_-]*)@([1-9][0-9]*)$/.exec(version);
  if (!m) throw new ValidationError(`'${version}' is not a model version like lstm-btcusdt-1h@3`, [{ path: 'version', message: 'family@number' }]);
  return { family: m[1]!, number: Number(m[2]) };
}

export function decideModel(command: ModelCommand, state: ModelFamilyState): ModelEvent[] {
  switch (command.type) {
    case 'RegisterModel': {
      const version = `${command.data.family}@${state.lastNumber + 1}`;
      return [{ type: 'ModelTrained', data: { ...command.data, version } }];
    }
    case 'PromoteModel': {
      const v = requireLive(state, command.version);
      if (state.champion === command.version) return [];
      void v;
      const { family } = parseModelVersion(command.version);
      return [{
        type: 'ModelPromoted',
        data: { version: command.version, family, reason: command.reason, by: command.by, ts: command.ts, ...(state.champion ? { previous: state.champion } : {}) },
      }];
    }
    case 'RetireModel': {
      const entry = state.versions.get(command.version);
      if (!entry) throw unknownVersion(state, command.version);
      if (entry.status === 'retired') return [];
      return [{ type: 'ModelRetired', data: { version: command.version, family: entry.trained.family, reason: command.reason, by: command.by, ts: command.ts } }];
    }
    case 'ExpireModels': {
      const out: ModelEvent[] = [];
      for (const [version, entry] of state.versions) {
        if (entry.status !== 'retired' && command.now - entry.trained.ts > command.maxAgeMs) {
          out.push({ type: 'ModelRetired', data: { version, family: entry.trained.family, reason: `expired: trained ${Math.round((command.now - entry.trained.ts) / 3_600_000)} h ago, max age ${Math.round(command.maxAgeMs / 3_600_000)} h`, by: command.by, ts: command.now } });
        }
      }
      return out;
    }
    default: {
      const never: never = command;
      throw new Error(`unknown command ${JSON.stringify(never)}`);
    }
  }
}

function requireLive(state: ModelFamilyState, version: string): ModelTrained {
  const entry = state.versions.get(version);
  if (!entry) throw unknownVersion(state, version);
  if (entry.status === 'retired') throw new ValidationError(`model ${version} is retired and cannot be promoted`, [{ path: 'version', message: 'retired' }]);
  return entry.trained;
}

function unknownVersion(state: ModelFamilyState, version: string): ValidationError {
  return new ValidationError(`unknown model version ${version}; known: ${[...state.versions.keys()].join(', ') || 'none'}`, [{ path: 'version', message: 'unknown' }]);
}

export function evolveModel(state: ModelFamilyState, event: ModelEvent): ModelFamilyState {
  const versions = new Map(state.versions);
  switch (event.type) {
    case 'ModelTrained':
      versions.set(event.data.version, { trained: event.data, status: 'candidate' });
      return { versions, champion: state.champion, lastNumber: Math.max(state.lastNumber, parseModelVersion(event.data.version).number) };
    case 'ModelPromoted': {
      const entry = versions.get(event.data.version);
      if (entry) versions.set(event.data.version, { ...entry, status: 'champion' });
      const prev = state.champion ? versions.get(state.champion) : undefined;
      if (prev && state.champion !== event.data.version) versions.set(state.champion!, { ...prev, status: 'candidate' });
      return { versions, champion: event.data.version, lastNumber: state.lastNumber };
    }
    case 'ModelRetired': {
      const entry = versions.get(event.data.version);
      if (entry) versions.set(event.data.version, { ...entry, status: 'retired' });
      return { versions, champion: state.champion === event.data.version ? null : state.champion, lastNumber: state.lastNumber };
    }
    default: {
      const never: never = event;
      throw new Error(`unknown event ${JSON.stringify(never)}`);
    }
  }
}

export const modelDecider = { initialState: (): ModelFamilyState => initialModelFamily, decide: decideModel, evolve: evolveModel };

/** Scheduled retraining: true when `everyBars` bars have closed since the bar the last model was trained to. */
export function retrainDue(lastTrainedBar: number | null, currentBar: number, everyBars: number): boolean {
  if (!(everyBars >= 1)) throw new RangeError(`everyBars must be >= 1, got ${everyBars}`);
  return lastTrainedBar === null || currentBar - lastTrainedBar >= everyBars;
}
