// The command port over the event store: read the stream, decide, append with the expected revision.
import {
  builtInStrategies, decideModel, decideOrder, evolveModel, evolveOrder, initialModelFamily, initialOrderState, parseModelVersion, parseStrategyParams, ValidationError,
  type AnyStrategy, type Clock, type EventStore, type ModelCommand, type ModelEvent, type ModelFamilyState, type OrderEvent, type OrderState,
} from '@qts/core';
import { makeEvent, type DomainEvent, type EventData, type EventType, type IdGenerator, type OrderRequested, type StrategyStarted } from '@qts/schemas';
import { Conflict, NotFound } from './errors.ts';
import type { BacktestJobs, CommandContext, Commands } from './ports.ts';
import type { ModelCommandResult } from './schemas.ts';

export interface EventCommandsDeps {
  readonly store: EventStore;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly backtests: BacktestJobs;
  /** Strategy kinds that may be created; defaults to core's built-ins. */
  readonly strategies?: Readonly<Record<string, AnyStrategy>>;
}

async function readStream(store: EventStore, stream: string): Promise<{ events: DomainEvent[]; revision: number | null }> {
  const events: DomainEvent[] = [];
  let revision: number | null = null;
  for await (const s of store.readStream(stream)) { events.push(s.event); revision = s.revision; }
  return { events, revision };
}

/** Same order apart from the time it was asked for. */
function sameRequest(a: OrderRequested, b: OrderRequested): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)].filter((k) => k !== 'ts'));
  return [...keys].every((k) => JSON.stringify((a as Record<string, unknown>)[k]) === JSON.stringify((b as Record<string, unknown>)[k]));
}

const expected = (revision: number | null): number | 'no_stream' => (revision === null ? 'no_stream' : revision);

function prefixIssues(e: unknown, prefix: string): never {
  if (e instanceof ValidationError) throw new ValidationError(e.message, e.issues.map((i) => ({ path: i.path ? `${prefix}.${i.path}` : prefix, message: i.message })));
  throw e;
}

interface StrategyFold { started: StrategyStarted | null; params: Record<string, unknown>; running: boolean }

function foldStrategy(events: readonly DomainEvent[]): StrategyFold {
  const s: StrategyFold = { started: null, params: {}, running: false };
  for (const e of events) {
    if (e.type === 'StrategyStarted') { s.started = e.data; s.params = e.data.params; s.running = true; }
    else if (e.type === 'StrategyStopped') s.running = false;
    else if (e.type === 'StrategyParamsChanged') s.params = e.data.params;
  }
  return s;
}

function haltedIn(events: readonly DomainEvent[]): { halted: boolean; since: number } {
  let halted = false; let since = 0;
  for (const e of events) {
    if (e.type === 'TradingHalted') { halted = true; since = e.data.ts; } else if (e.type === 'TradingResumed') halted = false;
  }
  return { halted, since };
}

export function eventStoreCommands(deps: EventCommandsDeps): Commands {
  const { store, clock, ids } = deps;
  const strategies = deps.strategies ?? builtInStrategies;
  const event = <T extends EventType>(type: T, data: EventData<T>, ctx: CommandContext): DomainEvent => {
    const now = clock.now();
    return makeEvent(type, data, { id: ids(now), occurredAt: now, recordedAt: now, correlationId: ctx.correlationId, meta: { by: ctx.by, source: 'api' } }) as DomainEvent;
  };
  const strategyOf = (kind: string): AnyStrategy => {
    const s = strategies[kind];
    if (!s) throw new ValidationError(`unknown strategy kind '${kind}'`, [{ path: 'body.kind', message: `unknown kind; known: ${Object.keys(strategies).join(', ')}` }]);
    return s;
  };
  const parseParams = (kind: string, params: unknown): Record<string, unknown> => {
    const strategy = strategyOf(kind);
    try { return parseStrategyParams(strategy, params) as Record<string, unknown>; } catch (e) { return prefixIssues(e, 'body.params'); }
  };
  const orderState = async (clientOrderId: string): Promise<{ state: OrderState; revision: number | null }> => {
    const { events, revision } = await readStream(store, `order-${clientOrderId}`);
    return { state: events.reduce((s, e) => evolveOrder(s, e as OrderEvent), initialOrderState), revision };
  };

  /**
   * Runs a registry command over the version's family stream, with core's decider; its rules become HTTP
   * kinds here: an unknown version is NotFound, a command the version's state forbids is a Conflict.
   */
  const modelCommand = async (version: string, command: (state: ModelFamilyState) => ModelCommand, refuse: (state: ModelFamilyState) => string | null, ctx: CommandContext): Promise<ModelCommandResult> => {
    const { family } = parseModelVersion(version);
    const { events, revision } = await readStream(store, `model-${family}`);
    const state = events.reduce((s, e) => (e.type === 'ModelTrained' || e.type === 'ModelPromoted' || e.type === 'ModelRetired' ? evolveModel(s, { type: e.type, data: e.data } as ModelEvent) : s), initialModelFamily);
    if (!state.versions.has(version)) throw new NotFound('model version', version);
    const refusal = refuse(state);
    if (refusal !== null) throw new Conflict(refusal);
    const decided = decideModel(command(state), state);
    if (decided.length !== 1) throw new Conflict(`model ${version}: the registry decided ${decided.length} events for one command`);
    const stored = decided.map((d) => event(d.type, d.data as never, ctx));
    await store.append(`model-${family}`, stored, expected(revision));
    return { version, family, event: decided[0]!.type as ModelCommandResult['event'], eventId: stored[0]!.id };
  };

  return {
    async placeManualOrder(o, ctx) {
      const clientOrderId = o.clientOrderId ?? `manual-${ids(clock.now())}`;
      const now = clock.now();
      const { state, revision } = await orderState(clientOrderId);
      const { events: riskEvents } = await readStream(store, `risk-${o.account}`);
      const risk = haltedIn(riskEvents);
      if (risk.halted && state.status === 'none') {
        // A refused manual order is still a fact for the audit trail, like any risk rejection.
        await store.append(`order-${clientOrderId}`, [event('OrderRejected', {
          clientOrderId, signalId: null, strategyId: 'manual', instrument: o.instrument, reason: { kind: 'TradingHalted', since: risk.since }, ts: now,
        }, ctx)], 'no_stream');
        return { clientOrderId, status: 'rejected' };
      }
      const order: OrderRequested = {
        clientOrderId, signalId: null, strategyId: 'manual', account: o.account, venue: o.venue, instrument: o.instrument, side: o.side,
        type: o.type, quantity: o.quantity, ...(o.limitPrice !== undefined ? { limitPrice: o.limitPrice } : {}),
        ...(o.stopPrice !== undefined ? { stopPrice: o.stopPrice } : {}), timeInForce: o.timeInForce, reduceOnly: o.reduceOnly, ts: now,
      };
      // A client retrying its POST with the same clientOrderId gets the order it already placed.
      if (state.order !== null && sameRequest(state.order, order)) return { clientOrderId, status: state.status };
      const decided = decideOrder({ type: 'RequestOrder', order }, state);
      if (decided.length === 0) return { clientOrderId, status: state.status };
      await store.append(`order-${clientOrderId}`, decided.map((d) => event(d.type, d.data as never, ctx)), expected(revision));
      return { clientOrderId, status: 'requested' };
    },

    async cancelOrder(clientOrderId, reason, ctx) {
      const { state, revision } = await orderState(clientOrderId);
      if (revision === null) throw new NotFound('order', clientOrderId);
      const decided = decideOrder({ type: 'RequestCancel', reason, ts: clock.now() }, state);
      if (decided.length > 0) await store.append(`order-${clientOrderId}`, decided.map((d) => event(d.type, d.data as never, ctx)), revision);
      return { clientOrderId, status: state.status === 'none' ? 'requested' : state.status };
    },

    async createStrategy(s, ctx) {
      const params = parseParams(s.kind, s.params);
      const r = await store.append(`strategy-${s.strategyId}`, [event('StrategyStarted', {
        strategyId: s.strategyId, kind: s.kind, instruments: s.instruments, timeframe: s.timeframe, params, by: ctx.by, ts: clock.now(),
      }, ctx)], 'no_stream');
      return { strategyId: s.strategyId, revision: r.nextExpectedRevision };
    },

    async changeParams(strategyId, patch, expectedRevision, ctx) {
      const { events, revision } = await readStream(store, `strategy-${strategyId}`);
      const s = foldStrategy(events);
      if (revision === null || !s.started) throw new NotFound('strategy', strategyId);
      // A kind this API has no schema for (a model strategy `ml:<family>`, whose params depend on the combinator
      // its worker serves it in) is validated by that worker, which records StrategyParamsRejected if it refuses.
      const merged = { ...s.params, ...patch };
      const params = strategies[s.started.kind] ? parseParams(s.started.kind, merged) : merged;
      const r = await store.append(`strategy-${strategyId}`, [event('StrategyParamsChanged', { strategyId, params, previous: s.params, by: ctx.by, ts: clock.now() }, ctx)], expectedRevision ?? revision);
      return { strategyId, revision: r.nextExpectedRevision };
    },

    async startStrategy(strategyId, ctx) {
      const { events, revision } = await readStream(store, `strategy-${strategyId}`);
      const s = foldStrategy(events);
      if (revision === null || !s.started) throw new NotFound('strategy', strategyId);
      if (s.running) throw new Conflict(`strategy '${strategyId}' is already running`);
      const r = await store.append(`strategy-${strategyId}`, [event('StrategyStarted', { ...s.started, params: s.params, by: ctx.by, ts: clock.now() }, ctx)], revision);
      return { strategyId, revision: r.nextExpectedRevision };
    },

    async stopStrategy(strategyId, reason, ctx) {
      const { events, revision } = await readStream(store, `strategy-${strategyId}`);
      const s = foldStrategy(events);
      if (revision === null || !s.started) throw new NotFound('strategy', strategyId);
      if (!s.running) throw new Conflict(`strategy '${strategyId}' is not running`);
      const r = await store.append(`strategy-${strategyId}`, [event('StrategyStopped', { strategyId, reason, by: ctx.by, ts: clock.now() }, ctx)], revision);
      return { strategyId, revision: r.nextExpectedRevision };
    },

    async submitBacktest(request) {
      parseParams(request.kind, request.params);
      return deps.backtests.submit(request);
    },

    async halt(account, by, note, ctx) {
      const { events, revision } = await readStream(store, `risk-${account}`);
      // The kill switch is idempotent: halting a halted account succeeds and writes nothing.
      if (haltedIn(events).halted) return { account, halted: true, revision: revision ?? -1 };
      const r = await store.append(`risk-${account}`, [event('TradingHalted', { account, reason: { kind: 'Manual', by, note }, ts: clock.now() }, ctx)], expected(revision));
      return { account, halted: true, revision: r.nextExpectedRevision };
    },

    async resume(account, by, note, ctx) {
      const { events, revision } = await readStream(store, `risk-${account}`);
      if (!haltedIn(events).halted) return { account, halted: false, revision: revision ?? -1 };
      const r = await store.append(`risk-${account}`, [event('TradingResumed', { account, by, note, ts: clock.now() }, ctx)], expected(revision));
      return { account, halted: false, revision: r.nextExpectedRevision };
    },

    promoteModel(version, reason, ctx) {
      return modelCommand(version, () => ({ type: 'PromoteModel', version, reason, by: ctx.by, ts: clock.now() }), (state) => {
        if (state.versions.get(version)!.status === 'retired') return `model ${version} is retired and cannot be promoted`;
        return state.champion === version ? `model ${version} is already the champion` : null;
      }, ctx);
    },

    retireModel(version, reason, ctx) {
      return modelCommand(version, () => ({ type: 'RetireModel', version, reason, by: ctx.by, ts: clock.now() }),
        (state) => (state.versions.get(version)!.status === 'retired' ? `model ${version} is already retired` : null), ctx);
    },
  };
}
