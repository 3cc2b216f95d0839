// Strategy instances: kind, instruments, parameters in force (a change its worker refused is undone), running or stopped, signals emitted.
import { sql, type Kysely } from 'kysely';
import type { StrategyTable } from '../db.ts';
import { defineProjection } from '../projection.ts';

export const strategiesProjection = defineProjection({
  name: 'strategies',
  handles: ['StrategyStarted', 'StrategyStopped', 'StrategyParamsChanged', 'StrategyParamsRejected', 'SignalEmitted'],
  tables: { strategies: ['strategy_id'] },
  migrations: {
    '001_strategies': {
      async up(db: Kysely<unknown>) {
        await db.schema.createTable('strategies')
          .addColumn('strategy_id', 'text', (c) => c.primaryKey())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('instruments', 'jsonb', (c) => c.notNull())
          .addColumn('timeframe', 'text', (c) => c.notNull())
          .addColumn('params', 'jsonb', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('started_at', 'bigint').addColumn('stopped_at', 'bigint')
          .addColumn('stop_reason', 'text').addColumn('changed_by', 'text')
          .addColumn('signal_count', 'bigint', (c) => c.notNull())
          .addColumn('last_signal_at', 'bigint')
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('strategies').ifExists().execute();
      },
    },
    // A worker may refuse a change the API accepted (a model strategy's params are checked where the model runs).
    '002_params_rejected': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('strategies').addColumn('previous_params', 'jsonb').execute();
        await db.schema.alterTable('strategies').addColumn('params_rejection', 'jsonb').execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.alterTable('strategies').dropColumn('params_rejection').execute();
        await db.schema.alterTable('strategies').dropColumn('previous_params').execute();
      },
    },
  },
  async apply(trx, events) {
    const ids = new Set(events.map((x) => (x.event.data as { strategyId: string }).strategyId));
    if (ids.size === 0) return;
    const rows = new Map<string, StrategyTable>();
    for (const r of await trx.selectFrom('strategies').selectAll().where('strategy_id', 'in', [...ids]).execute()) rows.set(r.strategy_id, r);
    const row = (id: string): StrategyTable => {
      let r = rows.get(id);
      if (!r) {
        // A signal or a stop may arrive for a strategy started before recording began.
        r = { strategy_id: id, kind: 'unknown', instruments: [], timeframe: '1m', params: {}, status: 'unknown', started_at: null, stopped_at: null, stop_reason: null, changed_by: null, signal_count: 0, last_signal_at: null, updated_at: 0, previous_params: null, params_rejection: null };
        rows.set(id, r);
      }
      return r;
    };
    for (const { event: e } of events) {
      switch (e.type) {
        case 'StrategyStarted': {
          const r = row(e.data.strategyId);
          Object.assign(r, { kind: e.data.kind, instruments: e.data.instruments, timeframe: e.data.timeframe, params: e.data.params, status: 'running', started_at: e.data.ts, stopped_at: null, stop_reason: null, changed_by: e.data.by });
          r.updated_at = Math.max(Number(r.updated_at), e.data.ts);
          break;
        }
        case 'StrategyStopped': {
          const r = row(e.data.strategyId);
          Object.assign(r, { status: 'stopped', stopped_at: e.data.ts, stop_reason: e.data.reason, changed_by: e.data.by });
          r.updated_at = Math.max(Number(r.updated_at), e.data.ts);
          break;
        }
        case 'StrategyParamsChanged': {
          const r = row(e.data.strategyId);
          r.params = e.data.params; r.changed_by = e.data.by;
          r.previous_params = e.data.previous; r.params_rejection = null;
          r.updated_at = Math.max(Number(r.updated_at), e.data.ts);
          break;
        }
        case 'StrategyParamsRejected': {
          const r = row(e.data.strategyId);
          // The refused params were never in force: the worker kept the ones before the change.
          if (r.previous_params !== null && JSON.stringify(r.params) === JSON.stringify(e.data.params)) r.params = r.previous_params;
          r.params_rejection = { params: e.data.params, issues: e.data.issues, ts: e.data.ts };
          r.updated_at = Math.max(Number(r.updated_at), e.data.ts);
          break;
        }
        case 'SignalEmitted': {
          const r = row(e.data.strategyId);
          r.signal_count = Number(r.signal_count) + 1;
          r.last_signal_at = Math.max(Number(r.last_signal_at ?? 0), e.data.asOf);
          break;
        }
        default: break;
      }
    }
    const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));
    const values = [...rows.values()].map((r) => ({
      ...r, instruments: JSON.stringify(r.instruments), params: JSON.stringify(r.params),
      previous_params: json(r.previous_params), params_rejection: json(r.params_rejection),
    }));
    const cols = Object.keys(values[0]!).filter((c) => c !== 'strategy_id');
    await trx.insertInto('strategies').values(values)
      .onConflict((oc) => oc.column('strategy_id').doUpdateSet(Object.fromEntries(cols.map((c) => [c, sql.ref(`excluded.${c}`)]))))
      .execute();
  },
});
