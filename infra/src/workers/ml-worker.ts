// The ML worker: runs each configured model strategy on the champion of its registry family (alone or inside a combinator), hot-swaps on promotion, and runs its A/B experiment.
import { derivedId, makeEvent, topics, uuidv7Ids, type BarClosed, type DomainEvent } from '@qts/schemas';
import {
  abStrategy, builtInStrategies, CorruptModelArtifact, decideExperiment, evolveExperiment, FeatureSpecSchema,
  featureSpecHash, initialExperiment, mlStrategy, ModelIncompatible, strategyFromSpec, tradingVariant, ValidationError, WrongExpectedRevision,
  type AbState, type AnyStrategy, type Consumer, type Direction, type ExperimentEvent, type ExperimentState, type FeatureSpec, type Predictor, type SignalIntent,
} from '@qts/core';
import type { ModelRegistry } from '@qts/adapters/ml';
import type { RuntimeConfig } from '../runtime/config.ts';
import type { Logger } from '../runtime/log.ts';
import { publishingStore } from '../runtime/publishing-store.ts';
import {
  onControlEvent, recordStarted, recoverControl, serialQueue, StrategyRunner,
  type StrategyInstance, type StrategyWorkerDeps,
} from './strategy-worker.ts';

export type ModelStrategyConfig = RuntimeConfig['models'][number];

export interface MlWorkerDeps extends StrategyWorkerDeps {
  /** Appends through a store that also publishes (a promotion the worker decides reaches every replica). */
  readonly registry: ModelRegistry;
}

/** A Predictor that remembers its last probability: a hybrid's signals carry the model's view too. */
class Tracked implements Predictor {
  last = Number.NaN;
  constructor(readonly inner: Predictor) {}
  get version(): string { return this.inner.version; }
  get kind(): Predictor['kind'] { return this.inner.kind; }
  get featureSpec(): FeatureSpec { return this.inner.featureSpec; }
  get featureSpecHash(): string { return this.inner.featureSpecHash; }
  get window(): number { return this.inner.window; }
  get scaler(): Predictor['scaler'] { return this.inner.scaler; }
  predict(window: Float32Array): number {
    this.last = Number.NaN;
    const p = this.inner.predict(window);
    this.last = p;
    return p;
  }
  predictBatch(x: Float32Array, samples: number): Float32Array { return this.inner.predictBatch(x, samples); }
  dispose(): void { this.inner.dispose(); }
}

/** Stands in while no usable model is served: the strategy's shape (and params schema) stays, it never predicts. */
function noModel(family: string, spec: FeatureSpec): Predictor {
  return {
    version: `${family}@none`, kind: 'xgboost', featureSpec: spec, featureSpecHash: featureSpecHash(spec), window: 1,
    scaler: { mean: [], std: [] },
    predict: () => { throw new Error('no model is served'); },
    predictBatch: () => { throw new Error('no model is served'); },
    dispose: () => undefined,
  };
}

interface Experiment {
  readonly cfg: NonNullable<ModelStrategyConfig['experiment']>;
  state: ExperimentState;
  /** Ids of the experiment events already in the store or folded: a re-evaluated bar records nothing twice. */
  readonly seen: Set<string>;
}

/** One model strategy: its runner, the model(s) it serves and its experiment. */
class ModelSlot {
  readonly spec: FeatureSpec;
  readonly runner: StrategyRunner;
  served: { readonly version: string; readonly models: Tracked[]; readonly variants: readonly string[] } | null = null;
  familyRevision = -1;
  experiment: Experiment | null = null;
  /** The direction this strategy last signalled (null: never); a swapped-in model whose view differs says so once. */
  lastDirection: Direction | null = null;
  private restatePending = false;

  constructor(readonly cfg: ModelStrategyConfig, readonly instance: StrategyInstance, private readonly deps: MlWorkerDeps, readonly log: Logger) {
    this.spec = FeatureSpecSchema.parse(cfg.features ?? {});
    if (cfg.experiment && cfg.spec !== undefined) {
      throw new ValidationError(`model strategy ${cfg.id}: an experiment runs plain models, not a combinator spec`, [{ path: `models.${cfg.id}.experiment`, message: 'remove spec or experiment' }]);
    }
    this.runner = new StrategyRunner(instance, deps.clock, cfg.experiment ? this.abAround([]) : this.around(noModel(cfg.family, this.spec)));
    this.runner.silenced = `no model of ${cfg.family} loaded yet`;
  }

  get store() { return this.deps.store; }
  get warmupBars(): number { return this.deps.warmupBars ?? 2_000; }

  /** The model alone, or inside the configured combinator where the spec names it "model". */
  private around(model: Predictor): AnyStrategy {
    const ml = mlStrategy(model, { workerFeatureSpec: this.spec, kind: 'model' });
    return this.cfg.spec === undefined ? ml : strategyFromSpec(this.cfg.spec, { ...builtInStrategies, model: ml });
  }

  private abAround(models: readonly Tracked[]): AnyStrategy {
    const started = this.experiment?.state.started;
    if (!started || models.length === 0) return abStrategyPlaceholder(this.cfg.family, this.spec);
    return abStrategy(started.variants.map((v, i) => ({ version: v.version, share: v.share, strategy: mlStrategy(models[i]!, { workerFeatureSpec: this.spec, kind: 'model' }) })), {
      experimentId: started.experimentId, mode: started.mode, champion: started.champion,
    });
  }

  /** Re-reads the family when its stream moved since the last look (one small read per bar). */
  async refresh(force = false): Promise<void> {
    if (!force) {
      let moved = false;
      for await (const _ of this.store.readStream(`model-${this.cfg.family}`, { fromRevision: this.familyRevision + 1, maxCount: 1 })) moved = true;
      if (!moved) return;
    }
    const { state, revision } = await this.deps.registry.family(this.cfg.family);
    this.familyRevision = revision === 'no_stream' ? -1 : revision;
    // A running experiment serves its recorded variants until it concludes; the registry's word waits.
    if (this.experiment && !this.experiment.state.concluded) return;
    await this.serve(state.champion);
  }

  /** Loads a version and swaps the strategy to it (state rebuilt from the stored bars); refuses an incompatible one. */
  async serve(version: string | null): Promise<void> {
    if (version === this.served?.version && this.served.variants.length === 1) return;
    if (version === null) {
      this.retire(`family ${this.cfg.family} has no champion (none promoted yet, or it was retired): this strategy emits no signal`);
      return;
    }
    let model: Tracked | undefined;
    let strategy: AnyStrategy;
    try {
      model = new Tracked(await this.deps.registry.load(version, { workerFeatureSpec: this.spec }));
      strategy = this.around(model);
    } catch (e) {
      model?.dispose();
      if (!(e instanceof ModelIncompatible || e instanceof CorruptModelArtifact || e instanceof ValidationError)) throw e;
      this.refuse(version, e);
      return;
    }
    const warmed = await this.runner.reinitialise(this.store, this.warmupBars, { strategy });
    const previous = this.served;
    this.served = { version, models: [model], variants: [version] };
    this.runner.silenced = null;
    this.restatePending = true;
    for (const m of previous?.models ?? []) m.dispose();
    this.log.info({ version, previous: previous?.version ?? null, warmed }, 'serving model: state rebuilt from stored bars, the next bar uses it');
  }

  private retire(reason: string): void {
    if (this.served === null && this.runner.silenced === reason) return;
    for (const m of this.served?.models ?? []) m.dispose();
    this.served = null;
    this.runner.silenced = reason;
    this.log.warn({ family: this.cfg.family }, reason);
  }

  private refuse(version: string, e: Error): void {
    if (this.served) {
      this.log.error({ version, kept: this.served.version, err: e.message }, `model ${version} refused: ${e.message}; keeps serving ${this.served.version}`);
    } else {
      this.runner.silenced = `model ${version} refused: ${e.message}`;
      this.log.error({ version, err: e.message }, `model ${version} refused: ${e.message}; this strategy emits no signal (its progress markers go on) until a compatible version is promoted`);
    }
  }

  /** Folds the experiment's stream; starts it when configured and not started; serves its variants while it runs. */
  async startExperiment(): Promise<void> {
    const cfg = this.cfg.experiment;
    if (!cfg) return;
    const stream = `experiment-${cfg.id}`;
    let state = initialExperiment;
    const seen = new Set<string>();
    for await (const s of this.store.readStream(stream)) {
      const e = s.event;
      if (e.type === 'ExperimentStarted' || e.type === 'ExperimentSignalRecorded' || e.type === 'ExperimentConcluded') {
        state = evolveExperiment(state, { type: e.type, data: e.data } as ExperimentEvent);
        seen.add(e.id);
      }
    }
    this.experiment = { cfg, state, seen };
    const { state: family } = await this.deps.registry.family(this.cfg.family);
    if (state.concluded) {
      this.log.info({ experimentId: cfg.id, decision: state.concluded.decision, winner: state.concluded.winner }, 'experiment concluded before: serving the champion');
      await this.promoteWinner(state.concluded, family.champion);
      return;
    }
    if (!state.started) {
      const champion = family.champion;
      if (champion === null) {
        this.log.error({ experimentId: cfg.id, family: this.cfg.family }, 'experiment not started: the family has no champion to compare challengers with');
        this.experiment = null;
        return;
      }
      const challengerShare = cfg.mode === 'split' ? cfg.challengers.reduce((a, c) => a + c.share, 0) : 0;
      const now = this.deps.clock.now();
      const data = {
        experimentId: cfg.id, family: this.cfg.family, mode: cfg.mode, champion, ts: now,
        variants: [{ version: champion, share: Math.max(0, 1 - challengerShare) }, ...cfg.challengers.map((c) => ({ version: c.version, share: cfg.mode === 'split' ? c.share : 0 }))],
      };
      const events = decideExperiment({ type: 'StartExperiment', data }, state);
      await this.recordExperiment(events.map((e) => this.experimentEvent(e, `exp-started:${cfg.id}`, now)), 'no_stream');
    }
    const started = this.experiment.state.started!;
    const models: Tracked[] = [];
    try {
      for (const v of started.variants) models.push(new Tracked(await this.deps.registry.load(v.version, { workerFeatureSpec: this.spec, allowRetired: true })));
    } catch (e) {
      if (!(e instanceof ModelIncompatible || e instanceof CorruptModelArtifact)) throw e;
      for (const m of models) m.dispose();
      this.log.error({ experimentId: cfg.id, err: e.message }, `experiment not run: ${e.message}; serving the champion alone`);
      this.experiment = null;
      await this.serve(family.champion);
      return;
    }
    await this.runner.reinitialise(this.store, this.warmupBars, { strategy: this.abAround(models) });
    this.served = { version: started.champion, models, variants: started.variants.map((v) => v.version) };
    this.runner.silenced = null;
    this.log.info({ experimentId: cfg.id, mode: started.mode, variants: started.variants }, 'experiment running');
  }

  private experimentEvent(e: ExperimentEvent, name: string, at: number, cause?: DomainEvent): DomainEvent {
    return makeEvent(e.type, e.data as never, {
      id: derivedId(name, at), occurredAt: at, recordedAt: this.deps.clock.now(),
      ...(cause ? { causationId: cause.id, correlationId: cause.correlationId } : {}),
    }) as DomainEvent;
  }

  /** Store first (the experiment is concluded from the store), then the models topic; never the signals topic. */
  private async recordExperiment(events: readonly DomainEvent[], expected: 'any' | 'no_stream' = 'any'): Promise<void> {
    const x = this.experiment!;
    const fresh = events.filter((e) => !x.seen.has(e.id));
    if (fresh.length === 0) return;
    try {
      await this.store.append(fresh[0]!.stream, fresh, expected);
    } catch (e) {
      if (!(e instanceof WrongExpectedRevision)) throw e;
      // Another replica started it first: take the stored setup.
      for await (const s of this.store.readStream(fresh[0]!.stream)) {
        if (s.event.type === 'ExperimentStarted' && !x.seen.has(s.event.id)) { x.state = evolveExperiment(x.state, { type: 'ExperimentStarted', data: s.event.data }); x.seen.add(s.event.id); }
      }
      return;
    }
    for (const e of fresh) {
      x.seen.add(e.id);
      x.state = evolveExperiment(x.state, { type: e.type, data: e.data } as ExperimentEvent);
    }
    await this.deps.bus.publish(topics.models, fresh[0]!.key, fresh);
  }

  /** Frees the served models (the worker stops). */
  release(): void {
    for (const m of this.served?.models ?? []) m.dispose();
    this.served = null;
  }

  /** Before a live bar: what warm-ups recorded is not the experiment's (only live bars count). */
  beforeBar(): void {
    if (this.experiment?.state.started && !this.experiment.state.concluded && this.served && this.served.variants.length > 1) (this.runner.currentState as AbState).recorded.length = 0;
  }

  /** After a live bar: every variant's new signals recorded, then the conclusion when the sample is complete. */
  async afterBar(bar: BarClosed, source: DomainEvent<'BarClosed'>): Promise<void> {
    const x = this.experiment;
    if (!x || x.state.concluded || !x.state.started || !this.served || this.served.variants.length < 2) return;
    const started = x.state.started;
    const ab = this.runner.currentState as AbState;
    const events: DomainEvent[] = [];
    const owner = tradingVariant(started.mode, started.champion, started.experimentId, `${bar.instrument}|${bar.closeTime}`, started.variants);
    for (const r of ab.recorded) {
      const version = r.model!.version;
      const index = started.variants.findIndex((v) => v.version === version);
      const p = ab.children[index]!.probability;
      const data = {
        experimentId: started.experimentId, family: started.family, version, instrument: bar.instrument, direction: r.direction,
        probability: Number.isFinite(p) ? p : 0.5, price: r.price, asOf: r.asOf, traded: version === owner,
      };
      for (const e of decideExperiment({ type: 'RecordVariantSignal', data }, x.state)) events.push(this.experimentEvent(e, `exp-signal:${started.experimentId}:${version}:${source.id}`, bar.closeTime, source));
    }
    ab.recorded.length = 0;
    await this.recordExperiment(events);
    const cfg = x.cfg;
    const verdict = decideExperiment({ type: 'ConcludeExperiment', rule: { feeBps: cfg.feeBps, minTrades: cfg.minTrades, alpha: cfg.alpha, resamples: cfg.resamples, seed: cfg.seed }, ts: bar.closeTime }, x.state);
    if (verdict.length === 0) return;
    await this.recordExperiment(verdict.map((e) => this.experimentEvent(e, `exp-concluded:${started.experimentId}`, bar.closeTime, source)));
    const concluded = x.state.concluded!;
    this.log.info({ experimentId: started.experimentId, decision: concluded.decision, winner: concluded.winner, pValue: concluded.pValue, stats: concluded.stats }, 'experiment concluded');
    const { state: family } = await this.deps.registry.family(this.cfg.family);
    await this.promoteWinner(concluded, family.champion);
  }

  /** Promotes a winning challenger (once: a restart finds it promoted) and serves the family's champion. */
  private async promoteWinner(concluded: NonNullable<ExperimentState['concluded']>, champion: string | null): Promise<void> {
    const x = this.experiment!;
    let serve = champion;
    if (concluded.decision === 'promote' && x.cfg.autoPromote && concluded.winner && champion === x.state.started?.champion) {
      await this.deps.registry.promote(concluded.winner, `experiment ${concluded.experimentId}: beat ${champion} (bootstrap p ${concluded.pValue.toFixed(4)})`, `experiment:${concluded.experimentId}`);
      serve = concluded.winner;
    }
    this.served = null;
    await this.serve(serve);
  }

  /**
   * On the first live bar after a swap: the new model's view, when it differs from the last signal, is
   * signalled at once (the book holds what the old model wanted; waiting for the new model's next change
   * of view would leave it there).
   */
  readonly restate = (state: unknown, strategy: AnyStrategy): SignalIntent | null => {
    if (!this.restatePending) return null;
    this.restatePending = false;
    const op = strategy.opinion(state);
    if (op === null || this.lastDirection === null || op.direction === this.lastDirection) return null;
    return { direction: op.direction, strength: op.strength, reason: `now served by ${this.served?.version ?? 'no model'}: its view (${op.direction}) differs from the last signal (${this.lastDirection})` };
  };

  /** The last signal this strategy stored, so a restart knows what the book was told. */
  async recoverLastDirection(): Promise<void> {
    for await (const s of this.store.readStream(this.runner.progressStream, { direction: 'backwards' })) {
      if (s.event.type === 'SignalEmitted') {
        this.lastDirection = s.event.data.direction;
        return;
      }
    }
  }

  /** Completes a hybrid's signal with the model's version and view; a plain model's signal has them already. */
  readonly decorate = (intent: SignalIntent): SignalIntent => {
    if (intent.model || !this.served) return intent;
    const m = this.served.models[0]!;
    return Number.isFinite(m.last) ? { ...intent, model: { version: m.version, probability: m.last, confidence: Math.abs(2 * m.last - 1) } } : intent;
  };
}

/** An experiment strategy before its variants load: the same params (AbParams are the model's thresholds), silent. */
function abStrategyPlaceholder(family: string, spec: FeatureSpec): AnyStrategy {
  return mlStrategy(noModel(family, spec), { workerFeatureSpec: spec, kind: 'model' });
}

/**
 * Starts one model strategy: records its start, recovers params and run state from its control stream,
 * loads the champion (or its experiment), warms up from stored bars, evaluates what the store holds past
 * its progress, then consumes bars, control and model events.
 */
export async function startModelStrategy(cfg: ModelStrategyConfig, venue: string, deps: MlWorkerDeps): Promise<Consumer> {
  const instance: StrategyInstance = { id: cfg.id, kind: `ml:${cfg.family}`.slice(0, 64), instrument: cfg.instrument, timeframe: cfg.timeframe, venue, params: cfg.params };
  const log = deps.log.child({ strategyId: cfg.id, family: cfg.family });
  const slot = new ModelSlot(cfg, instance, deps, log);
  const { runner } = slot;
  const warmupBars = deps.warmupBars ?? 2_000;
  const publish = async (source: DomainEvent<'BarClosed'>): Promise<void> => {
    if (!runner.wants(source.data)) return;
    await slot.refresh();
    slot.beforeBar();
    const events = runner.evaluate(source.data, source, slot.decorate, slot.restate);
    if (events.length === 0) return;
    for (const e of events) if (e.type === 'SignalEmitted') slot.lastDirection = e.data.direction;
    await slot.afterBar(source.data, source);
    await deps.bus.publish(topics.signals, events[0]!.key, events);
    for (const s of events) {
      if (s.type === 'SignalEmitted') log.info({ signalId: s.id, direction: s.data.direction, price: s.data.price, model: s.data.model }, 'signal emitted');
    }
  };
  await recordStarted(instance, deps);
  await recoverControl(runner, deps, log);
  await slot.recoverLastDirection();
  await slot.startExperiment();
  if (!slot.experiment || slot.experiment.state.concluded) await slot.refresh(true);
  const { warmed, pending } = await runner.recover(deps.store, warmupBars);
  for (const bar of pending) await publish(bar);
  log.info({ warmed, reevaluated: pending.length, serving: slot.served?.variants ?? null, silenced: runner.silenced }, 'model strategy recovered from stored bars');
  const serial = serialQueue();
  const consumer = await deps.bus.consume({
    groupId: `ml.${cfg.id}`,
    topics: [topics.bars, topics.strategy, topics.models],
    fromBeginning: true,
    handler: (event) => serial(async () => {
      if (event.type === 'BarClosed') {
        if (!runner.wants(event.data)) return;
        // Recorded before its offset is committed, as the strategy worker does: a restart warms up on every bar.
        await deps.store.append(event.stream, [event], 'any');
        await publish(event);
      } else if ((event.type === 'ModelPromoted' || event.type === 'ModelRetired') && event.data.family === cfg.family) {
        await slot.refresh();
      } else await onControlEvent(runner, event, { ...deps, warmupBars }, log);
    }),
  });
  return {
    assignment: () => consumer.assignment(),
    // Models hold WASM/tfjs memory: freed once the last in-flight bar is done.
    stop: async () => {
      await consumer.stop();
      await serial(async () => slot.release());
    },
  };
}

/** Every configured model strategy, each with its own consumer group (`ml.<id>`). */
export async function startMlWorkers(models: readonly ModelStrategyConfig[], venueOf: (instrument: string) => string, deps: MlWorkerDeps): Promise<Consumer[]> {
  const out: Consumer[] = [];
  for (const m of models) out.push(await startModelStrategy(m, venueOf(m.instrument), deps));
  return out;
}

/** The registry over the worker's store (publishing, so promotions reach the bus) and the model directory; tfjs initialised when a network family is configured. */
export async function openModelRegistry(config: RuntimeConfig, deps: Pick<MlWorkerDeps, 'store' | 'bus' | 'clock' | 'log'>, modelDir: string): Promise<ModelRegistry> {
  const strategyIds = new Set(config.strategies.map((s) => s.id));
  const ids = new Set<string>();
  for (const m of config.models) {
    // One id, one signals stream and one progress marker: two strategies under one id would block or corrupt each other.
    if (strategyIds.has(m.id) || ids.has(m.id)) throw new ValidationError(`model strategy id '${m.id}' is used twice (ids are shared by strategies and models)`, [{ path: 'models', message: `duplicate id ${m.id}` }]);
    ids.add(m.id);
  }
  const { FileModelStorage, initTf, ModelRegistry: Registry } = await import('@qts/adapters/ml');
  if (config.models.some((m) => !m.family.startsWith('xgboost-'))) await initTf((line) => deps.log.info(line));
  return new Registry({ store: publishingStore(deps.store, deps.bus), storage: new FileModelStorage(modelDir), ids: uuidv7Ids, now: () => deps.clock.now() });
}
