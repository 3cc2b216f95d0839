// The strategy worker: bars in, signals and progress markers out. Its state is rebuilt from stored events.
import { catalog, derivedId, makeEvent, topics, type BarClosed, type DomainEvent } from '@qts/schemas';
import {
  builtInStrategies, canonicalJson, parseStrategyParams, signalData, ValidationError, WrongExpectedRevision,
  type AnyStrategy, type Bus, type Clock, type Consumer, type EventStore, type SignalIntent,
} from '@qts/core';
import type { Logger } from '../runtime/log.ts';

export interface StrategyInstance {
  readonly id: string;
  readonly kind: string;
  readonly instrument: string;
  readonly timeframe: BarClosed['timeframe'];
  readonly venue: string;
  readonly params: Record<string, unknown>;
}

export interface StrategyWorkerDeps {
  readonly bus: Bus;
  readonly store: EventStore;
  readonly clock: Clock;
  readonly log: Logger;
  /** How many stored bars rebuild the state on start (more than any indicator's lookback). */
  readonly warmupBars?: number;
}

export function strategyFor(kind: string): AnyStrategy {
  const strategy = builtInStrategies[kind];
  if (!strategy) {
    throw new ValidationError(`unknown strategy '${kind}'`, [{ path: 'kind', message: `unknown strategy '${kind}'; known: ${Object.keys(builtInStrategies).join(', ')}` }]);
  }
  return strategy;
}

/**
 * One running strategy instance. Event ids derive from the strategy and the bar, so a bar evaluated
 * twice (redelivery, restart) yields the same signal ids and the executor makes no second order.
 */
export class StrategyRunner {
  private state: unknown;
  private lastOpenTime = -Infinity;
  /**
   * A stopped strategy keeps evaluating bars (its indicators stay warm, its progress markers keep the
   * executor's event time moving) but emits no signal until it is started again.
   */
  running = true;
  /** Why this instance may not signal at all (an ML model refused or missing); its markers still go out. */
  silenced: string | null = null;
  private strategy: AnyStrategy;
  private paramsInForce: unknown;
  /** Control events already applied: a redelivery after recovery must not apply an old change again. */
  private readonly appliedControl = new Set<string>();

  constructor(readonly instance: StrategyInstance, private readonly clock: Clock, strategy?: AnyStrategy) {
    this.strategy = strategy ?? strategyFor(instance.kind);
    this.paramsInForce = parseStrategyParams(this.strategy, instance.params);
    this.state = this.strategy.init(this.paramsInForce);
  }

  /** The validated params the next bar is evaluated with. */
  get params(): unknown {
    return this.paramsInForce;
  }

  /** The strategy's state, for callers that read an opinion or a model's last probability. */
  get currentState(): unknown {
    return this.state;
  }

  get currentStrategy(): AnyStrategy {
    return this.strategy;
  }

  get barStream(): string {
    const i = this.instance;
    return catalog.BarClosed.stream({ venue: i.venue, instrument: i.instrument, timeframe: i.timeframe } as BarClosed);
  }

  get progressStream(): string {
    return catalog.BarEvaluated.stream({ strategyId: this.instance.id } as never);
  }

  get controlStream(): string {
    return `strategy-${this.instance.id}`;
  }

  /**
   * The strategy's control stream: started or stopped as the operator left it (default: started), and
   * the params in force (see controlState). Call before recover(), which warms up with these params.
   */
  async recoverControl(store: EventStore): Promise<ControlState> {
    const events: DomainEvent[] = [];
    for await (const s of store.readStream(this.controlStream)) events.push(s.event);
    const control = controlState(events, this.instance, this.strategy);
    for (const e of events) this.appliedControl.add(e.id);
    this.running = control.running;
    this.paramsInForce = control.params;
    this.state = this.strategy.init(this.paramsInForce);
    return control;
  }

  /** True the first time a control event is seen (recovered or delivered). */
  firstSeen(event: DomainEvent): boolean {
    if (this.appliedControl.has(event.id)) return false;
    this.appliedControl.add(event.id);
    return true;
  }

  onControl(event: DomainEvent): void {
    if (event.type === 'StrategyStarted' && event.data.strategyId === this.instance.id) this.running = true;
    else if (event.type === 'StrategyStopped' && event.data.strategyId === this.instance.id) this.running = false;
  }

  /** @throws ValidationError naming each wrong field when the params do not fit the strategy's schema. */
  parseParams(input: unknown): unknown {
    return parseStrategyParams(this.strategy, input);
  }

  /**
   * Replaces the params and/or the strategy (a new model version) and rebuilds the state from the stored
   * bars this runner already evaluated, silently: from the next bar on, signals come from the new setup,
   * exactly as if it had run all along (within the warm-up window).
   */
  async reinitialise(store: EventStore, warmupBars: number, next: { params?: unknown; strategy?: AnyStrategy }): Promise<number> {
    const through = this.lastOpenTime;
    if (next.strategy) this.strategy = next.strategy;
    if (next.params !== undefined) this.paramsInForce = next.params;
    this.state = this.strategy.init(this.paramsInForce);
    this.lastOpenTime = -Infinity;
    const warm: BarClosed[] = [];
    if (through > -Infinity) {
      for await (const s of store.readStream(this.barStream, { direction: 'backwards' })) {
        if (s.event.type !== 'BarClosed' || s.event.data.openTime > through) continue;
        if (warm.push(s.event.data) >= warmupBars) break;
      }
    }
    for (let i = warm.length - 1; i >= 0; i--) this.evaluate(warm[i]!, null);
    this.lastOpenTime = Math.max(this.lastOpenTime, through);
    return warm.length;
  }

  /**
   * Rebuilds the state from the store: bars up to the last one this strategy evaluated warm it up
   * silently; stored bars after that (evaluated by nobody yet, or lost in a crash) are returned to be
   * evaluated for real.
   */
  async recover(store: EventStore, warmupBars: number): Promise<{ warmed: number; pending: DomainEvent<'BarClosed'>[] }> {
    let progress = -Infinity;
    // The marker follows its signals in the same stream: the newest marker is at most a few events back.
    for await (const s of store.readStream(this.progressStream, { direction: 'backwards' })) {
      if (s.event.type === 'BarEvaluated') {
        progress = s.event.data.asOf;
        break;
      }
    }
    const warm: BarClosed[] = [];
    const pending: DomainEvent<'BarClosed'>[] = [];
    for await (const s of store.readStream(this.barStream, { direction: 'backwards' })) {
      if (s.event.type !== 'BarClosed') continue;
      if (s.event.data.closeTime > progress) pending.push(s.event);
      else if (warm.push(s.event.data) >= warmupBars) break;
    }
    for (let i = warm.length - 1; i >= 0; i--) this.evaluate(warm[i]!, null);
    return { warmed: warm.length, pending: pending.reverse() };
  }

  /** A bar of this instance's series newer than the last it evaluated. */
  wants(bar: BarClosed): boolean {
    const i = this.instance;
    return bar.instrument === i.instrument && bar.timeframe === i.timeframe && bar.venue === i.venue && bar.openTime > this.lastOpenTime;
  }

  /**
   * Signals for this bar followed by its BarEvaluated marker; nothing for another series or a bar already
   * seen. `decorate` may complete an intent (an ML worker adds the model's version and probability).
   */
  evaluate(
    bar: BarClosed, source: DomainEvent<'BarClosed'> | null, decorate?: (intent: SignalIntent) => SignalIntent,
    /** Asked on a live bar that emitted nothing: a signal to state anyway (a swapped model restating its view). */
    restate?: (state: unknown, strategy: AnyStrategy) => SignalIntent | null,
  ): DomainEvent[] {
    const i = this.instance;
    if (!this.wants(bar)) return [];
    this.lastOpenTime = bar.openTime;
    const [next, intents] = this.strategy.onBar(this.state, bar);
    this.state = next;
    if (source === null) return [];
    const ctx = (name: string) => ({
      id: derivedId(`${name}:${i.id}:${source.id}`, bar.closeTime),
      occurredAt: bar.closeTime,
      recordedAt: this.clock.now(),
      causationId: source.id,
      correlationId: source.correlationId,
    });
    let emitted = this.running && this.silenced === null ? intents : [];
    if (emitted.length === 0 && restate && this.running && this.silenced === null) {
      const intent = restate(this.state, this.strategy);
      if (intent) emitted = [intent];
    }
    const out: DomainEvent[] = emitted.map((intent, n) => makeEvent('SignalEmitted', signalData(i.id, bar, decorate ? decorate(intent) : intent), { ...ctx(`signal${n}`), meta: { strategyKind: i.kind } }));
    out.push(makeEvent('BarEvaluated', { strategyId: i.id, instrument: i.instrument, asOf: bar.closeTime, signals: emitted.length }, ctx('evaluated')));
    return out;
  }
}

export interface ControlState {
  readonly running: boolean;
  /** Validated params in force. */
  readonly params: unknown;
  /** Changes in the stream that do not validate (never applied), with their issues. */
  readonly refused: readonly { readonly event: DomainEvent<'StrategyParamsChanged'>; readonly issues: readonly { path: string; message: string }[] }[];
  /**
   * The config file states other params than it did when last recorded: they win over earlier changes
   * (the latest change wins, whether it came from the file or from the API) and are to be recorded.
   */
  readonly configChanged: boolean;
  /** The params the stream alone puts in force (what a config change replaces). */
  readonly streamParams: unknown;
}

/**
 * Folds a strategy's control stream: running unless stopped last; params from the last valid change
 * (StrategyStarted or StrategyParamsChanged), or the config's when the config changed since it was last
 * recorded (events `by: 'config'` record what the file said).
 */
export function controlState(events: readonly DomainEvent[], instance: StrategyInstance, strategy: AnyStrategy): ControlState {
  let running = true;
  let params: unknown = parseStrategyParams(strategy, instance.params);
  let recordedConfig: unknown = null;
  const refused: ControlState['refused'][number][] = [];
  for (const e of events) {
    if (e.type === 'StrategyStopped') running = false;
    else if (e.type === 'StrategyStarted' || e.type === 'StrategyParamsChanged') {
      if (e.type === 'StrategyStarted') running = true;
      if (e.data.by === 'config') recordedConfig = e.data.params;
      try {
        params = parseStrategyParams(strategy, e.data.params);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        if (e.type === 'StrategyParamsChanged') refused.push({ event: e, issues: err.issues });
      }
    }
  }
  const streamParams = params;
  const configChanged = recordedConfig !== null && canonicalJson(recordedConfig) !== canonicalJson(instance.params);
  if (configChanged) params = parseStrategyParams(strategy, instance.params);
  return { running, params, refused, configChanged, streamParams };
}

/** Starts one strategy instance: recovers, evaluates what the store holds beyond its progress, then consumes. */
export async function startStrategyWorker(instance: StrategyInstance, deps: StrategyWorkerDeps): Promise<Consumer> {
  const runner = new StrategyRunner(instance, deps.clock);
  const log = deps.log.child({ strategyId: instance.id });
  const warmupBars = deps.warmupBars ?? 2_000;
  const publish = async (source: DomainEvent<'BarClosed'>): Promise<void> => {
    const events = runner.evaluate(source.data, source);
    if (events.length === 0) return;
    // Signals and the marker share the instrument's partition, so the marker always follows its signals.
    await deps.bus.publish(topics.signals, events[0]!.key, events);
    for (const s of events) {
      if (s.type === 'SignalEmitted') log.info({ signalId: s.id, correlationId: s.correlationId, direction: s.data.direction, price: s.data.price }, 'signal emitted');
    }
  };
  await recordStarted(instance, deps);
  await recoverControl(runner, deps, log);
  const { warmed, pending } = await runner.recover(deps.store, warmupBars);
  for (const bar of pending) await publish(bar);
  log.info({ warmed, reevaluated: pending.length, kind: instance.kind, instrument: instance.instrument, params: runner.params }, 'strategy recovered from stored bars');
  const serial = serialQueue();
  return deps.bus.consume({
    groupId: `strategy.${instance.id}`,
    topics: [topics.bars, topics.strategy],
    fromBeginning: true,
    // Bars and control events arrive on different partitions: one at a time, so a re-warm never interleaves with a bar.
    handler: (event) => serial(async () => {
      if (event.type === 'BarClosed') {
        if (!runner.wants(event.data)) return;
        // Recorded before its offset is committed: a restart warms up from the store, and a bar acknowledged
        // but not yet recorded (the recorder lags) would be missing from the indicators' history.
        await deps.store.append(event.stream, [event], 'any');
        await publish(event);
      }
      else await onControlEvent(runner, event, { ...deps, warmupBars }, log);
    }),
  });
}

/** Applies the control stream on start; records the config's new params and refusals the stream does not hold yet. */
export async function recoverControl(runner: StrategyRunner, deps: StrategyWorkerDeps, log: Logger): Promise<void> {
  const control = await runner.recoverControl(deps.store);
  for (const r of control.refused) await recordRefusal(runner, r.event, r.issues, deps, log);
  if (control.configChanged) {
    const now = deps.clock.now();
    const e = makeEvent('StrategyParamsChanged', {
      strategyId: runner.instance.id, params: runner.instance.params, previous: control.streamParams as Record<string, unknown>, by: 'config', ts: now,
    }, { id: derivedId(`strategy-config:${runner.instance.id}:${canonicalJson(runner.instance.params)}`, now), occurredAt: now, recordedAt: now });
    await deps.store.append(e.stream, [e], 'any');
    runner.firstSeen(e);
    await deps.bus.publish(topics.strategy, e.key, [e]);
    log.info({ params: runner.params }, 'the config file changed this strategy\'s params: they replace the earlier ones');
  }
}

/** Start, stop and parameter changes of this instance, each applied once. */
export async function onControlEvent(runner: StrategyRunner, event: DomainEvent, deps: StrategyWorkerDeps & { warmupBars: number }, log: Logger): Promise<void> {
  if (event.type !== 'StrategyStarted' && event.type !== 'StrategyStopped' && event.type !== 'StrategyParamsChanged') return;
  if (event.data.strategyId !== runner.instance.id || !runner.firstSeen(event)) return;
  if (event.type === 'StrategyParamsChanged') {
    let params: unknown;
    try {
      params = runner.parseParams(event.data.params);
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      await recordRefusal(runner, event, e.issues, deps, log);
      return;
    }
    const warmed = await runner.reinitialise(deps.store, deps.warmupBars, { params });
    log.info({ params, previous: event.data.previous, by: event.data.by, warmed }, 'strategy params changed: state rebuilt from stored bars, the next bar uses them');
    return;
  }
  runner.onControl(event);
  log.info({ running: runner.running }, event.type === 'StrategyStarted' ? 'strategy started' : 'strategy stopped');
}

/** A refused change is a fact of the audit trail; its id derives from the change, so it is recorded once. */
async function recordRefusal(runner: StrategyRunner, change: DomainEvent<'StrategyParamsChanged'>, issues: readonly { path: string; message: string }[], deps: StrategyWorkerDeps, log: Logger): Promise<void> {
  log.error({ changeId: change.id, params: change.data.params, issues, kept: runner.params }, 'strategy params change refused: the strategy keeps its previous params');
  const now = deps.clock.now();
  const e = makeEvent('StrategyParamsRejected', {
    strategyId: runner.instance.id, params: change.data.params, changeId: change.id, issues: issues.slice(0, 64).map((i) => ({ path: i.path.slice(0, 256), message: i.message.slice(0, 512) })), ts: now,
  }, { id: derivedId(`params-rejected:${change.id}`, now), occurredAt: now, recordedAt: now, causationId: change.id, correlationId: change.correlationId });
  await deps.store.append(e.stream, [e], 'any');
  await deps.bus.publish(topics.strategy, e.key, [e]);
}

/** Runs async work one piece at a time, in call order. */
export function serialQueue(): <T>(work: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const next = tail.then(work, work);
    tail = next.catch(() => undefined);
    return next;
  };
}

/** A strategy from the config is a fact too: its first start is recorded once, for the audit and the read models. */
export async function recordStarted(instance: StrategyInstance, deps: StrategyWorkerDeps): Promise<void> {
  const now = deps.clock.now();
  const event = makeEvent('StrategyStarted', {
    strategyId: instance.id, kind: instance.kind, instruments: [instance.instrument], timeframe: instance.timeframe,
    params: instance.params, by: 'config', ts: now,
  }, { id: derivedId(`strategy-started:${instance.id}`, now), occurredAt: now, recordedAt: now });
  try {
    await deps.store.append(event.stream, [event], 'no_stream');
  } catch (e) {
    if (e instanceof WrongExpectedRevision) return; // started before: the stored history stands
    throw e;
  }
  await deps.bus.publish(topics.strategy, event.key, [event]);
}
