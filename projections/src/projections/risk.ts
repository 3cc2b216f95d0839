// Risk state per account: halted or trading, why and since when, and the last limit breached.
import { sql, type Kysely } from 'kysely';
import type { RiskStateTable } from '../db.ts';
import { defineProjection } from '../projection.ts';

export const riskProjection = defineProjection({
  name: 'risk',
  handles: ['RiskLimitBreached', 'TradingHalted', 'TradingResumed'],
  tables: { risk_state: ['account'] },
  migrations: {
    '001_risk_state': {
      async up(db: Kysely<unknown>) {
        await db.schema.createTable('risk_state')
          .addColumn('account', 'text', (c) => c.primaryKey())
          .addColumn('halted', 'boolean', (c) => c.notNull())
          .addColumn('halted_at', 'bigint').addColumn('halt_reason', 'jsonb')
          .addColumn('resumed_at', 'bigint').addColumn('resumed_by', 'text')
          .addColumn('last_breach', 'jsonb').addColumn('last_breach_at', 'bigint')
          .addColumn('breach_count', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('risk_state').ifExists().execute();
      },
    },
  },
  async apply(trx, events) {
    const ids = new Set(events.map((x) => (x.event.data as { account: string }).account));
    if (ids.size === 0) return;
    const rows = new Map<string, RiskStateTable>();
    for (const r of await trx.selectFrom('risk_state').selectAll().where('account', 'in', [...ids]).execute()) rows.set(r.account, r);
    for (const { event: e } of events) {
      if (e.type !== 'RiskLimitBreached' && e.type !== 'TradingHalted' && e.type !== 'TradingResumed') continue;
      let r = rows.get(e.data.account);
      if (!r) {
        r = { account: e.data.account, halted: false, halted_at: null, halt_reason: null, resumed_at: null, resumed_by: null, last_breach: null, last_breach_at: null, breach_count: 0, updated_at: 0 };
        rows.set(e.data.account, r);
      }
      if (e.type === 'RiskLimitBreached') {
        const { account: _a, ts: _t, ...breach } = e.data;
        r.last_breach = breach; r.last_breach_at = e.data.ts; r.breach_count = Number(r.breach_count) + 1;
      } else if (e.type === 'TradingHalted') {
        r.halted = true; r.halted_at = e.data.ts; r.halt_reason = e.data.reason;
      } else {
        r.halted = false; r.resumed_at = e.data.ts; r.resumed_by = e.data.by;
      }
      r.updated_at = Math.max(Number(r.updated_at), e.data.ts);
    }
    const values = [...rows.values()].map((r) => ({
      ...r, halt_reason: r.halt_reason === null ? null : JSON.stringify(r.halt_reason), last_breach: r.last_breach === null ? null : JSON.stringify(r.last_breach),
    }));
    const cols = Object.keys(values[0]!).filter((c) => c !== 'account');
    await trx.insertInto('risk_state').values(values)
      .onConflict((oc) => oc.column('account').doUpdateSet(Object.fromEntries(cols.map((c) => [c, sql.ref(`excluded.${c}`)]))))
      .execute();
  },
});
