// The API's read side over the projection tables: keyset pagination with opaque cursors, numbers as JSON numbers.
import { ValidationError } from '@qts/core';
import type { ReadModels, Page } from '@qts/adapters';
import type { EventStore } from '@qts/core';
import type { EventsQuery } from '@qts/adapters';
import { auditEvents, eventsAt } from './audit-queries.ts';
import type { ExperimentTable, ExperimentVariantTable, ModelFamilyTable, ModelTable, OrderTable, ReadDb, StrategyTable } from './db.ts';

const n = (v: unknown): number => Number(v);
const nn = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** GET /experiments answers at most this many (newest first): experiments are few, each lives for days. */
const MAX_EXPERIMENTS = 500;

/** A cursor is the sort key of the last row served, base64url-encoded JSON; anything else is a 400. */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor<T extends readonly ('string' | 'number')[]>(cursor: string | undefined, shape: T): { [K in keyof T]: T[K] extends 'string' ? string : number } | null {
  if (cursor === undefined) return null;
  const bad = (): never => { throw new ValidationError('invalid cursor', [{ path: 'query.cursor', message: 'not a cursor from this API' }]); };
  let v: unknown;
  try { v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')); } catch { return bad(); }
  if (!Array.isArray(v) || v.length !== shape.length) return bad();
  for (let i = 0; i < shape.length; i++) {
    if (typeof v[i] !== shape[i] || (shape[i] === 'number' && !Number.isSafeInteger(v[i]))) return bad();
    if (shape[i] === 'string' && (v[i] as string).length > 200) return bad();
  }
  return v as never;
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it); else m.set(k, [it]);
  }
  return m;
}

function pageOf<R, T>(rows: R[], limit: number, view: (r: R) => T, key: (r: R) => (string | number)[]): Page<T> {
  const more = rows.length > limit;
  const items = (more ? rows.slice(0, limit) : rows).map(view);
  return { items, nextCursor: more ? encodeCursor(key(rows[limit - 1]!)) : null };
}

/** `store`: where audit pages read their events (GET /api/v1/events through the audit index); without it the API scans the store. */
export function createReadModels(db: ReadDb, store?: EventStore): ReadModels {
  const read = store ? eventsAt(store) : null;
  return {
    ...(read ? { events: (q: EventsQuery) => auditEvents(db, read, q) } : {}),

    async instruments() {
      const rows = await db.selectFrom('instruments').selectAll().orderBy('instrument').orderBy('venue').execute();
      return rows.map((r) => ({ venue: r.venue, instrument: r.instrument, lastPrice: nn(r.last_price), lastTs: nn(r.last_ts), bid: nn(r.bid), ask: nn(r.ask), quoteTs: nn(r.quote_ts) }));
    },

    async bars(q) {
      const after = decodeCursor(q.cursor, ['number', 'string'] as const);
      let query = db.selectFrom('bars').selectAll().where('instrument', '=', q.instrument).where('timeframe', '=', q.timeframe);
      if (q.venue !== undefined) query = query.where('venue', '=', q.venue);
      if (q.from !== undefined) query = query.where('open_time', '>=', q.from);
      if (q.to !== undefined) query = query.where('open_time', '<', q.to);
      if (after) query = query.where((eb) => eb(eb.refTuple('open_time', 'venue'), '>', eb.tuple(after[0], after[1])));
      const rows = await query.orderBy('open_time').orderBy('venue').limit(q.limit + 1).execute();
      return pageOf(rows, q.limit, (r) => ({
        venue: r.venue, instrument: r.instrument, timeframe: r.timeframe, openTime: n(r.open_time), closeTime: n(r.close_time),
        open: n(r.open), high: n(r.high), low: n(r.low), close: n(r.close), volume: n(r.volume), source: r.source,
      }), (r) => [n(r.open_time), r.venue]);
    },

    async signals(q) {
      const after = decodeCursor(q.cursor, ['number', 'string'] as const);
      let query = db.selectFrom('signals').selectAll();
      if (q.strategyId !== undefined) query = query.where('strategy_id', '=', q.strategyId);
      if (q.instrument !== undefined) query = query.where('instrument', '=', q.instrument);
      if (after) query = query.where((eb) => eb(eb.refTuple('as_of', 'id'), '<', eb.tuple(after[0], after[1])));
      const rows = await query.orderBy('as_of', 'desc').orderBy('id', 'desc').limit(q.limit + 1).execute();
      return pageOf(rows, q.limit, (r) => ({
        id: r.id, strategyId: r.strategy_id, instrument: r.instrument, direction: r.direction as 'long' | 'short' | 'flat', strength: n(r.strength),
        price: n(r.price), asOf: n(r.as_of), reason: r.reason, correlationId: r.correlation_id,
        model: (r.model ?? null) as { version: string; probability: number; confidence: number } | null,
      }), (r) => [n(r.as_of), r.id]);
    },

    async orders(q) {
      const after = decodeCursor(q.cursor, ['number', 'string'] as const);
      let query = db.selectFrom('orders').selectAll();
      if (q.status !== undefined) query = query.where('status', '=', q.status);
      if (q.instrument !== undefined) query = query.where('instrument', '=', q.instrument);
      if (q.strategyId !== undefined) query = query.where('strategy_id', '=', q.strategyId);
      if (q.account !== undefined) query = query.where('account', '=', q.account);
      if (after) query = query.where((eb) => eb(eb.refTuple('updated_at', 'client_order_id'), '<', eb.tuple(after[0], after[1])));
      const rows = await query.orderBy('updated_at', 'desc').orderBy('client_order_id', 'desc').limit(q.limit + 1).execute();
      return pageOf(rows, q.limit, orderView, (r) => [n(r.updated_at), r.client_order_id]);
    },

    async order(clientOrderId) {
      const r = await db.selectFrom('orders').selectAll().where('client_order_id', '=', clientOrderId).executeTakeFirst();
      if (!r) return null;
      const fills = await db.selectFrom('fills').selectAll().where('client_order_id', '=', clientOrderId).orderBy('ts').orderBy('fill_id').execute();
      return {
        ...orderView(r),
        fills: fills.map((f) => ({
          fillId: f.fill_id, clientOrderId: f.client_order_id, instrument: f.instrument, side: f.side as 'buy' | 'sell', price: n(f.price),
          quantity: n(f.quantity), fee: n(f.fee), feeCurrency: f.fee_currency, liquidity: f.liquidity, ts: n(f.ts),
        })),
      };
    },

    async positions(q) {
      let query = db.selectFrom('positions').selectAll();
      if (q.account !== undefined) query = query.where('account', '=', q.account);
      if (q.strategyId !== 'all') query = query.where('strategy_id', '=', q.strategyId);
      if (q.openOnly) query = query.where('quantity', '<>', 0);
      const rows = await query.orderBy('account').orderBy('strategy_id').orderBy('instrument').limit(5000).execute();
      return rows.map((r) => ({
        account: r.account, strategyId: r.strategy_id, instrument: r.instrument, quantity: n(r.quantity), averagePrice: n(r.average_price),
        realizedPnl: n(r.realized_pnl), unrealizedPnl: n(r.unrealized_pnl), fees: n(r.fees), lastPrice: nn(r.last_price), updatedAt: n(r.updated_at),
      }));
    },

    async equity() {
      const rows = await db.selectFrom('equity').selectAll().orderBy('account').execute();
      return rows.map((r) => ({ account: r.account, equity: n(r.equity), realizedPnl: n(r.realized_pnl), unrealizedPnl: n(r.unrealized_pnl), fees: n(r.fees), updatedAt: n(r.updated_at) }));
    },

    async equityCurve(account, q) {
      const after = decodeCursor(q.cursor, ['number'] as const);
      let query = db.selectFrom('equity_history').selectAll().where('account', '=', account);
      if (q.from !== undefined) query = query.where('ts', '>=', q.from);
      if (q.to !== undefined) query = query.where('ts', '<', q.to);
      if (after) query = query.where('ts', '>', after[0]);
      const rows = await query.orderBy('ts').limit(q.limit + 1).execute();
      return pageOf(rows, q.limit, (r) => ({ ts: n(r.ts), equity: n(r.equity), realizedPnl: n(r.realized_pnl), unrealizedPnl: n(r.unrealized_pnl), fees: n(r.fees) }), (r) => [n(r.ts)]);
    },

    async strategies() {
      const rows = await db.selectFrom('strategies').selectAll().orderBy('strategy_id').execute();
      return rows.map(strategyView);
    },

    async strategy(strategyId) {
      const r = await db.selectFrom('strategies').selectAll().where('strategy_id', '=', strategyId).executeTakeFirst();
      return r ? strategyView(r) : null;
    },

    async riskStates() {
      const rows = await db.selectFrom('risk_state').selectAll().orderBy('account').execute();
      return rows.map((r) => ({
        account: r.account, halted: r.halted, haltedAt: nn(r.halted_at), haltReason: r.halt_reason ?? null, resumedAt: nn(r.resumed_at),
        resumedBy: r.resumed_by, lastBreach: r.last_breach ?? null, lastBreachAt: nn(r.last_breach_at), breachCount: n(r.breach_count), updatedAt: n(r.updated_at),
      }));
    },

    async deadLetters(q) {
      const after = decodeCursor(q.cursor, ['number', 'string', 'number', 'string'] as const);
      let query = db.selectFrom('dead_letters').selectAll();
      if (after) query = query.where((eb) => eb(eb.refTuple('received_at', 'topic', 'partition', 'offset'), '<', eb.tuple(after[0], after[1], after[2], after[3])));
      const rows = await query.orderBy('received_at', 'desc').orderBy('topic', 'desc').orderBy('partition', 'desc').orderBy('offset', 'desc').limit(q.limit + 1).execute();
      return pageOf(rows, q.limit, (r) => ({
        topic: r.topic, partition: r.partition, offset: r.offset, reason: r.reason, failure: r.failure, rawText: r.raw_text, rawBase64: r.raw_base64, receivedAt: n(r.received_at),
      }), (r) => [n(r.received_at), r.topic, r.partition, r.offset]);
    },

    async models() {
      const families = await db.selectFrom('model_families').selectAll().orderBy('family').execute();
      const versions = groupBy(await db.selectFrom('models').selectAll().orderBy('family').orderBy('number', 'desc').execute(), (v) => v.family);
      return families.map((f) => familyView(f, versions.get(f.family) ?? []));
    },

    async model(family) {
      const f = await db.selectFrom('model_families').selectAll().where('family', '=', family).executeTakeFirst();
      if (!f) return null;
      return familyView(f, await db.selectFrom('models').selectAll().where('family', '=', family).orderBy('number', 'desc').execute());
    },

    async experiments(q) {
      let query = db.selectFrom('experiments').selectAll();
      if (q.family !== undefined) query = query.where('family', '=', q.family);
      const rows = await query.orderBy('started_at', 'desc').orderBy('experiment_id', 'desc').limit(MAX_EXPERIMENTS).execute();
      if (rows.length === 0) return [];
      const variants = await db.selectFrom('experiment_variants').selectAll().where('experiment_id', 'in', rows.map((r) => r.experiment_id))
        .orderBy('experiment_id').orderBy('ordinal').orderBy('version').execute();
      const byExperiment = groupBy(variants, (v) => v.experiment_id);
      return rows.map((r) => experimentView(r, byExperiment.get(r.experiment_id) ?? []));
    },

    async checkpoints() {
      const rows = await db.selectFrom('projection_checkpoints').select(['name', 'position']).execute();
      return Object.fromEntries(rows.map((r) => [r.name, String(r.position)]));
    },
  };
}

export function orderView(r: OrderTable) {
  return {
    clientOrderId: r.client_order_id, signalId: r.signal_id, strategyId: r.strategy_id, account: r.account, venue: r.venue, instrument: r.instrument,
    side: r.side as 'buy' | 'sell' | null, type: r.type, quantity: nn(r.quantity), limitPrice: nn(r.limit_price), stopPrice: nn(r.stop_price),
    timeInForce: r.time_in_force, reduceOnly: r.reduce_only, parentClientOrderId: r.parent_client_order_id,
    status: r.status as 'requested' | 'submitted' | 'accepted' | 'partially-filled' | 'filled' | 'cancelled' | 'rejected' | 'expired',
    filledQuantity: n(r.filled_quantity), averageFillPrice: nn(r.average_fill_price), venueOrderId: r.venue_order_id,
    rejectReason: r.reject_reason ?? null, cancelReason: r.cancel_reason, correlationId: r.correlation_id,
    requestedAt: nn(r.requested_at), rejectedAt: nn(r.rejected_at), submittedAt: nn(r.submitted_at), acceptedAt: nn(r.accepted_at),
    firstFillAt: nn(r.first_fill_at), filledAt: nn(r.filled_at), cancelRequestedAt: nn(r.cancel_requested_at), cancelledAt: nn(r.cancelled_at),
    expiredAt: nn(r.expired_at), updatedAt: n(r.updated_at),
  };
}

export function strategyView(r: StrategyTable) {
  return {
    strategyId: r.strategy_id, kind: r.kind, instruments: (r.instruments ?? []) as string[], timeframe: r.timeframe,
    params: (r.params ?? {}) as Record<string, unknown>, status: r.status as 'running' | 'stopped' | 'unknown',
    startedAt: nn(r.started_at), stoppedAt: nn(r.stopped_at), stopReason: r.stop_reason, changedBy: r.changed_by,
    signalCount: n(r.signal_count), lastSignalAt: nn(r.last_signal_at), updatedAt: n(r.updated_at),
    lastRejectedParams: (r.params_rejection ?? null) as { params: Record<string, unknown>; issues: { path: string; message: string }[]; ts: number } | null,
  };
}


export function modelVersionView(r: ModelTable, champion: string | null) {
  return {
    version: r.version, family: r.family, kind: r.kind as 'lstm' | 'transformer' | 'xgboost' | 'ensemble', instrument: r.instrument, timeframe: r.timeframe,
    status: r.retired_at !== null ? ('retired' as const) : r.version === champion ? ('champion' as const) : ('challenger' as const),
    metrics: (r.metrics ?? {}) as Record<string, number | null>, params: (r.params ?? {}) as Record<string, unknown>,
    featureSpecHash: r.feature_spec_hash, dataRange: { from: n(r.data_from), to: n(r.data_to), bars: n(r.data_bars) },
    codeVersion: r.code_version, seed: n(r.seed), trainedAt: n(r.trained_at), promotedAt: nn(r.promoted_at), retiredAt: nn(r.retired_at),
    retireReason: r.retire_reason,
  };
}

function familyView(f: ModelFamilyTable, versions: readonly ModelTable[]) {
  return { family: f.family, instrument: f.instrument, timeframe: f.timeframe, champion: f.champion, versions: versions.map((v) => modelVersionView(v, f.champion)) };
}

export function experimentView(r: ExperimentTable, variants: readonly ExperimentVariantTable[]) {
  return {
    experimentId: r.experiment_id, family: r.family, mode: r.mode as 'split' | 'shadow', champion: r.champion,
    status: r.status as 'running' | 'concluded', startedAt: n(r.started_at), concludedAt: nn(r.concluded_at),
    decision: r.decision as 'promote' | 'reject' | 'inconclusive' | null, winner: r.winner, pValue: nn(r.p_value),
    variants: variants.map((v) => ({
      version: v.version, share: n(v.share), role: v.role as 'champion' | 'challenger', signals: n(v.signals), traded: n(v.traded),
      stats: (v.stats ?? null) as Record<string, number | null> | null,
    })),
  };
}
