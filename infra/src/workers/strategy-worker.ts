// The strategy worker: bars in, signals and progress markers out. Its state is rebuilt from stored events.
import { catalog, derivedId, makeEvent, topics, type BarClosed, type DomainEvent } from '@qts/schemas';
import {
  builtInStrategies, parseStrategyParams, signalData, ValidationError, WrongExpectedRevision,
  type AnyStrategy, type Bus, type Clock, type Consumer, type EventStore,
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
  private readonly strategy: AnyStrategy;

  constructor(readonly instance: StrategyInstance, private readonly clock: Clock) {
    this.strategy = strategyFor(instance.kind);
    this.state = this.strategy.init(parseStrategyParams(this.strategy, instance.params));
  }

  get barStream(): string {
    const i = this.instance;
    return catalog.BarClosed.stream({ venue: i.venue, instrument: i.instrument, timeframe: i.timeframe } as BarClosed);
  }

  get progressStream(): string {
    return catalog.BarEvaluated.stream({ strategyId: this.instance.id } as never);
  }

  /** The strategy's control stream: started and stopped as the operator left it (default: started). */
  async recoverControl(store: EventStore): Promise<void> {
    for await (const s of store.readStream(`strategy-${this.instance.id}`)) this.onControl(s.event);
  }

  onControl(event: DomainEvent): void {
    if (event.type === 'StrategyStarted' && event.data.strategyId === this.instance.id) this.running = true;
    else if (event.type === 'StrategyStopped' && event.data.strategyId === this.instance.id) this.running = false;
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

  /** Signals for this bar followed by its BarEvaluated marker; nothing for another series or a bar already seen. */
  evaluate(bar: BarClosed, source: DomainEvent<'BarClosed'> | null): DomainEvent[] {
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
    const emitted = this.running ? intents : [];
    const out: DomainEvent[] = emitted.map((intent, n) => makeEvent('SignalEmitted', signalData(i.id, bar, intent), { ...ctx(`signal${n}`), meta: { strategyKind: i.kind } }));
    out.push(makeEvent('BarEvaluated', { strategyId: i.id, instrument: i.instrument, asOf: bar.closeTime, signals: emitted.length }, ctx('evaluated')));
    return out;
  }
}

/** Starts one strategy instance: recovers, evaluates what the store holds beyond its progress, then consumes. */
export async function startStrategyWorker(instance: StrategyInstance, deps: StrategyWorkerDeps): Promise<Consumer> {
  const runner = new StrategyRunner(instance, deps.clock);
  const log = deps.log.child({ strategyId: instance.id });
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
  await runner.recoverControl(deps.store);
  const { warmed, pending } = await runner.recover(deps.store, deps.warmupBars ?? 2_000);
  for (const bar of pending) await publish(bar);
  log.info({ warmed, reevaluated: pending.length, kind: instance.kind, instrument: instance.instrument }, 'strategy recovered from stored bars');
  return deps.bus.consume({
    groupId: `strategy.${instance.id}`,
    topics: [topics.bars, topics.strategy],
    fromBeginning: true,
    handler: async (event) => {
      if (event.type === 'BarClosed') {
        if (!runner.wants(event.data)) return;
        // Recorded before its offset is committed: a restart warms up from the store, and a bar acknowledged
        // but not yet recorded (the recorder lags) would be missing from the indicators' history.
        await deps.store.append(event.stream, [event], 'any');
        await publish(event);
      }
      else if (event.type === 'StrategyStarted' || event.type === 'StrategyStopped') {
        runner.onControl(event);
        log.info({ running: runner.running }, event.type === 'StrategyStarted' ? 'strategy started' : 'strategy stopped');
      }
    },
  });
}

/** A strategy from the config is a fact too: its first start is recorded once, for the audit and the read models. */
async function recordStarted(instance: StrategyInstance, deps: StrategyWorkerDeps): Promise<void> {
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
