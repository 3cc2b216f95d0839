// The model registry: versions as events in the event store (ModelTrained/Promoted/Retired), artifacts in model storage, loading with hash and feature-spec checks.
import { CorruptModelArtifact, decideModel, evolveModel, featureSpecHash, initialModelFamily, ModelIncompatible, modelFamily, parseModelVersion } from '@qts/core';
import type { EventStore, FeatureSpec, ModelCommand, ModelEvent, ModelFamilyState, ModelKind } from '@qts/core';
import { makeEvent } from '@qts/schemas';
import type { DomainEvent, IdGenerator, ModelTrained, Timeframe } from '@qts/schemas';
import { decodeArtifact, encodeArtifact, modelFromArtifact } from './models.ts';
import type { TrainedModel } from './models.ts';
import { sha256 } from './storage.ts';
import type { ModelStorage } from './storage.ts';

export interface RegisterInput {
  readonly model: TrainedModel;
  readonly instrument: string;
  readonly timeframe: Timeframe;
  readonly metrics: Readonly<Record<string, number | null>>;
  readonly dataRange: { from: number; to: number; bars: number };
  readonly codeVersion: string;
  readonly seed: number;
}

export interface RegistryDeps {
  readonly store: EventStore;
  readonly storage: ModelStorage;
  readonly ids: IdGenerator;
  readonly now: () => number;
}

/**
 * @example
 * const registry = new ModelRegistry({ store, storage: new FileModelStorage(), ids: uuidv7Ids, now: Date.now });
 * const version = await registry.register({ model, instrument: 'BTC/USDT', timeframe: '1h', ... }); // 'lstm-btcusdt-1h@3'
 * const same = await registry.load(version, { workerFeatureSpec });
 */
export class ModelRegistry {
  constructor(private readonly deps: RegistryDeps) {}

  async family(family: string): Promise<{ state: ModelFamilyState; revision: number | 'no_stream' }> {
    let state = initialModelFamily;
    let revision: number | 'no_stream' = 'no_stream';
    for await (const stored of this.deps.store.readStream(`model-${family}`)) {
      const e = stored.event;
      if (e.type === 'ModelTrained' || e.type === 'ModelPromoted' || e.type === 'ModelRetired') state = evolveModel(state, { type: e.type, data: e.data } as ModelEvent);
      revision = stored.revision;
    }
    return { state, revision };
  }

  private async run(family: string, command: (state: ModelFamilyState) => ModelCommand, beforeAppend?: (events: ModelEvent[]) => Promise<void>): Promise<ModelEvent[]> {
    const { state, revision } = await this.family(family);
    const events = decideModel(command(state), state);
    if (events.length === 0) return events;
    await beforeAppend?.(events);
    const now = this.deps.now();
    const domain = events.map((e) => makeEvent(e.type, e.data as never, { id: this.deps.ids(now), occurredAt: e.data.ts, recordedAt: now })) as DomainEvent[];
    await this.deps.store.append(`model-${family}`, domain, revision);
    return events;
  }

  /** Stores the artifact, then appends ModelTrained; returns the new version, e.g. `lstm-btcusdt-1h@3`. */
  async register(input: RegisterInput): Promise<string> {
    const bytes = encodeArtifact(await input.model.toArtifact());
    const version = await this.store(input, { kind: input.model.kind, params: input.model.params, featureSpecHash: input.model.featureSpecHash }, bytes);
    input.model.version = version;
    return version;
  }

  /**
   * Registers an artifact trained elsewhere (a training process wrote its bytes), checked as load()
   * checks it; the version's kind, params and feature spec are the artifact's own.
   * @throws CorruptModelArtifact, ModelIncompatible
   */
  async registerArtifact(input: Omit<RegisterInput, 'model'> & { readonly artifact: Uint8Array }): Promise<string> {
    const a = decodeArtifact(input.artifact, 'trained artifact');
    return this.store(input, { kind: a.kind, params: a.params, featureSpecHash: a.inputs.featureSpecHash }, input.artifact);
  }

  private async store(input: Omit<RegisterInput, 'model'>, model: { kind: ModelKind; params: Readonly<Record<string, unknown>>; featureSpecHash: string }, bytes: Uint8Array): Promise<string> {
    const family = modelFamily(model.kind, input.instrument, input.timeframe);
    const artifactHash = sha256(bytes);
    const events = await this.run(family, (state) => ({
      type: 'RegisterModel',
      data: {
        family, kind: model.kind, instrument: input.instrument, timeframe: input.timeframe, metrics: { ...input.metrics },
        params: { ...model.params }, featureSpecHash: model.featureSpecHash, dataRange: input.dataRange,
        codeVersion: input.codeVersion, artifact: `${family}/${state.lastNumber + 1}.json`, artifactHash, seed: input.seed, ts: this.deps.now(),
      },
    }), async (evs) => {
      // The artifact is written before its event: a version that exists in the store always has its bytes.
      await this.deps.storage.put((evs[0]!.data as ModelTrained).artifact, bytes);
    });
    return events[0]!.data.version;
  }

  async promote(version: string, reason: string, by: string): Promise<void> {
    await this.run(parseModelVersion(version).family, () => ({ type: 'PromoteModel', version, reason, by, ts: this.deps.now() }));
  }

  async retire(version: string, reason: string, by: string): Promise<void> {
    await this.run(parseModelVersion(version).family, () => ({ type: 'RetireModel', version, reason, by, ts: this.deps.now() }));
  }

  /** Retires what is older than maxAgeMs; returns the versions retired. */
  async expire(family: string, maxAgeMs: number, by: string): Promise<string[]> {
    const events = await this.run(family, () => ({ type: 'ExpireModels', now: this.deps.now(), maxAgeMs, by }));
    return events.map((e) => e.data.version);
  }

  async champion(family: string): Promise<string | null> {
    return (await this.family(family)).state.champion;
  }

  /**
   * Loads a version: the artifact must hash to what ModelTrained recorded, and (when given) the
   * worker's feature spec must be the one the model was trained on.
   * @throws CorruptModelArtifact, ModelIncompatible
   */
  async load(version: string, options: { workerFeatureSpec?: FeatureSpec; allowRetired?: boolean } = {}): Promise<TrainedModel> {
    const { family } = parseModelVersion(version);
    const { state } = await this.family(family);
    const entry = state.versions.get(version);
    if (!entry) throw new ModelIncompatible(`model ${version} is not in the registry; known: ${[...state.versions.keys()].join(', ') || 'none'}`, { version });
    if (entry.status === 'retired' && !options.allowRetired) throw new ModelIncompatible(`model ${version} is retired`, { version });
    const t = entry.trained;
    if (options.workerFeatureSpec) {
      const mine = featureSpecHash(options.workerFeatureSpec);
      if (mine !== t.featureSpecHash) {
        throw new ModelIncompatible(`model ${version} was trained on feature spec ${t.featureSpecHash} but this worker computes ${mine}; retrain it or run the worker with the model's feature spec`, { version });
      }
    }
    const bytes = await this.deps.storage.get(t.artifact);
    const hash = sha256(bytes);
    if (hash !== t.artifactHash) throw new CorruptModelArtifact(`model ${version}: artifact ${t.artifact} hashes to ${hash.slice(0, 12)}…, the registry recorded ${t.artifactHash.slice(0, 12)}…`, { version });
    const artifact = decodeArtifact(bytes, `model ${version}`);
    if (artifact.inputs.featureSpecHash !== t.featureSpecHash) throw new CorruptModelArtifact(`model ${version}: artifact feature spec differs from the registered one`, { version });
    return modelFromArtifact(artifact, version);
  }
}
