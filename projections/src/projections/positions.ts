// Positions per account and per strategy with realised/unrealised PnL, and each account's equity over time.
import { sql, type Kysely } from 'kysely';
import { applyFill, divUnits, Dec, emptyPortfolio, markPrice, mulUnits, toUnits, UNIT_DECIMALS, unitsToString, type Portfolio, type Position } from '@qts/core';
import type { EquityHistoryTable, PositionTable } from '../db.ts';
import { defineProjection, type Projection } from '../projection.ts';

/** The account-wide row's strategy id; other rows are one strategy's share of the account. */
export const ACCOUNT_WIDE = '*';

/**
 * One row's book. The accounting (average cost, realised PnL through a flip, fees in the quote
 * currency, marks, unrealised PnL) is core's Portfolio, the same code the executor and backtests book
 * fills with; this projection only loads and stores its exact amounts.
 */
interface Loaded { account: string; strategyId: string; instrument: string; book: Portfolio; position: Position; updatedAt: number; dirty: boolean }

/** A numeric column as exact units of 1e-18 (core's money/fixed). */
function unitsOf(v: unknown): bigint {
  if (typeof v === 'number') return toUnits(v);
  const m = /^\s*(-?)(\d*)(?:\.(\d*))?\s*$/.exec(String(v));
  if (!m) return toUnits(Number(v));
  const units = BigInt(`${m[2] || '0'}${(m[3] ?? '').padEnd(UNIT_DECIMALS, '0').slice(0, UNIT_DECIMALS)}`);
  return m[1] ? -units : units;
}

/** A book for one row, in the instrument's quote currency (core keeps one currency per portfolio). */
function openRow(instrument: string): { book: Portfolio; position: Position } {
  const slash = instrument.indexOf('/');
  const book = emptyPortfolio(0, slash >= 0 ? instrument.slice(slash + 1) : 'USD');
  markPrice(book, instrument, Number.NaN, Number.MIN_SAFE_INTEGER);
  return { book, position: book.positions.get(instrument)! };
}

export interface PositionsOptions {
  /** Cash each account started with; equity = starting cash + realised + unrealised - fees. */
  readonly startingCash?: Readonly<Record<string, number>>;
}

export function createPositionsProjection(options: PositionsOptions = {}): Projection {
  const startingCash = (account: string): Dec => new Dec(options.startingCash?.[account] ?? 0);
  return defineProjection({
    name: 'positions',
    handles: ['OrderRequested', 'OrderFilled', 'BarClosed', 'TradeTick'],
    tables: {
      positions: ['account', 'strategy_id', 'instrument'], position_orders: ['client_order_id'], position_fills: ['fill_id'],
      equity: ['account'], equity_history: ['account', 'ts'],
    },
    migrations: {
      '001_positions': {
        async up(db: Kysely<unknown>) {
          const num = 'numeric' as const;
          await db.schema.createTable('positions')
            .addColumn('account', 'text', (c) => c.notNull()).addColumn('strategy_id', 'text', (c) => c.notNull())
            .addColumn('instrument', 'text', (c) => c.notNull()).addColumn('quantity', num, (c) => c.notNull())
            .addColumn('average_price', num, (c) => c.notNull()).addColumn('realized_pnl', num, (c) => c.notNull())
            .addColumn('fees', num, (c) => c.notNull()).addColumn('last_price', num)
            .addColumn('unrealized_pnl', num, (c) => c.notNull()).addColumn('updated_at', 'bigint', (c) => c.notNull())
            .addPrimaryKeyConstraint('positions_pk', ['account', 'strategy_id', 'instrument']).execute();
          await db.schema.createIndex('positions_by_instrument').on('positions').column('instrument').execute();
          await db.schema.createTable('position_orders').addColumn('client_order_id', 'text', (c) => c.primaryKey())
            .addColumn('account', 'text', (c) => c.notNull()).addColumn('strategy_id', 'text', (c) => c.notNull()).execute();
          await db.schema.createTable('position_fills').addColumn('fill_id', 'text', (c) => c.primaryKey()).execute();
          await db.schema.createTable('equity').addColumn('account', 'text', (c) => c.primaryKey())
            .addColumn('realized_pnl', num, (c) => c.notNull()).addColumn('unrealized_pnl', num, (c) => c.notNull())
            .addColumn('fees', num, (c) => c.notNull()).addColumn('equity', num, (c) => c.notNull())
            .addColumn('updated_at', 'bigint', (c) => c.notNull()).execute();
          await db.schema.createTable('equity_history').addColumn('account', 'text', (c) => c.notNull())
            .addColumn('ts', 'bigint', (c) => c.notNull()).addColumn('equity', num, (c) => c.notNull())
            .addColumn('realized_pnl', num, (c) => c.notNull()).addColumn('unrealized_pnl', num, (c) => c.notNull())
            .addColumn('fees', num, (c) => c.notNull()).addPrimaryKeyConstraint('equity_history_pk', ['account', 'ts']).execute();
        },
        async down(db: Kysely<unknown>) {
          for (const t of ['equity_history', 'equity', 'position_fills', 'position_orders', 'positions']) await db.schema.dropTable(t).ifExists().execute();
        },
      },
      // The exact cost basis (the average price alone cannot restore it) and the time of the last mark.
      '002_cost_basis': {
        async up(db: Kysely<unknown>) {
          await db.schema.alterTable('positions').addColumn('cost_basis', 'numeric').execute();
          await db.schema.alterTable('positions').addColumn('mark_ts', 'bigint').execute();
        },
        async down(db: Kysely<unknown>) {
          await db.schema.alterTable('positions').dropColumn('mark_ts').execute();
          await db.schema.alterTable('positions').dropColumn('cost_basis').execute();
        },
      },
    },
    async apply(trx, events) {
      const owners = new Map<string, { account: string; strategy_id: string }>();
      const fillIds: string[] = [];
      const instruments = new Set<string>();
      for (const { event: e } of events) {
        if (e.type === 'OrderRequested') owners.set(e.data.clientOrderId, { account: e.data.account, strategy_id: e.data.strategyId });
        else if (e.type === 'OrderFilled') { fillIds.push(e.data.fillId); instruments.add(e.data.instrument); }
        else if (e.type === 'BarClosed' || e.type === 'TradeTick') instruments.add(e.data.instrument);
      }
      if (owners.size > 0) {
        await trx.insertInto('position_orders').values([...owners].map(([client_order_id, o]) => ({ client_order_id, ...o })))
          .onConflict((oc) => oc.column('client_order_id').doNothing()).execute();
      }
      const seen = new Set<string>();
      if (fillIds.length > 0) {
        for (const r of await trx.selectFrom('position_fills').select('fill_id').where('fill_id', 'in', fillIds).execute()) seen.add(r.fill_id);
        const unknownOwner = [...new Set(events.filter((x) => x.event.type === 'OrderFilled').map((x) => (x.event.data as { clientOrderId: string }).clientOrderId))].filter((id) => !owners.has(id));
        if (unknownOwner.length > 0) {
          for (const r of await trx.selectFrom('position_orders').selectAll().where('client_order_id', 'in', unknownOwner).execute()) owners.set(r.client_order_id, r);
        }
      }
      const fillAccounts = new Set<string>();
      for (const { event: e } of events) if (e.type === 'OrderFilled') fillAccounts.add(owners.get(e.data.clientOrderId)?.account ?? 'unknown');
      if (instruments.size === 0) return;

      // Every position of every account that this batch can move, so equity points sum whole accounts.
      const accountsQuery = trx.selectFrom('positions').select('account').distinct().where('instrument', 'in', [...instruments]);
      const loadedRows = await trx.selectFrom('positions').selectAll()
        .where((eb) => fillAccounts.size > 0 ? eb.or([eb('account', 'in', accountsQuery), eb('account', 'in', [...fillAccounts])]) : eb('account', 'in', accountsQuery))
        .execute();
      const book = new Map<string, Loaded>();
      const key = (a: string, s: string, i: string): string => `${a}\u0000${s}\u0000${i}`;
      for (const r of loadedRows) {
        const row = openRow(r.instrument);
        const p = row.position;
        p.qtyUnits = unitsOf(r.quantity);
        const held = p.qtyUnits < 0n ? -p.qtyUnits : p.qtyUnits;
        p.costUnits = r.cost_basis === null || r.cost_basis === undefined ? mulUnits(unitsOf(r.average_price), held) : unitsOf(r.cost_basis);
        p.realizedUnits = unitsOf(r.realized_pnl);
        p.feesUnits = unitsOf(r.fees);
        p.markPrice = r.last_price === null ? Number.NaN : Number(r.last_price);
        p.markTs = r.mark_ts === null || r.mark_ts === undefined ? Number(r.updated_at) : Number(r.mark_ts);
        p.touched();
        book.set(key(r.account, r.strategy_id, r.instrument), { account: r.account, strategyId: r.strategy_id, instrument: r.instrument, ...row, updatedAt: Number(r.updated_at), dirty: false });
      }
      const byInstrument = new Map<string, Loaded[]>();
      const byAccount = new Map<string, Loaded[]>();
      const index = (p: Loaded): void => {
        (byInstrument.get(p.instrument) ?? byInstrument.set(p.instrument, []).get(p.instrument)!).push(p);
        if (p.strategyId === ACCOUNT_WIDE) (byAccount.get(p.account) ?? byAccount.set(p.account, []).get(p.account)!).push(p);
      };
      for (const p of book.values()) index(p);
      const position = (account: string, strategyId: string, instrument: string, ts: number): Loaded => {
        const k = key(account, strategyId, instrument);
        let p = book.get(k);
        if (!p) {
          p = { account, strategyId, instrument, ...openRow(instrument), updatedAt: ts, dirty: true };
          book.set(k, p);
          index(p);
        }
        return p;
      };
      const history = new Map<string, EquityHistoryTable>();
      const equityOf = (account: string, ts: number): EquityHistoryTable => {
        let realized = 0n; let fees = 0n; let unrealized = new Dec(0);
        for (const p of byAccount.get(account) ?? []) {
          realized += p.position.realizedUnits; fees += p.position.feesUnits; unrealized = unrealized.plus(p.position.unrealizedPnl);
        }
        const equity = startingCash(account).plus(unitsToString(realized)).plus(unrealized).minus(unitsToString(fees));
        return { account, ts, equity: equity.toFixed(), realized_pnl: unitsToString(realized), unrealized_pnl: unrealized.toFixed(), fees: unitsToString(fees) };
      };

      // An account's equity point at time t is its state after the last event at t. Points are computed
      // lazily, when the account next moves at another time (or at the end), not once per event.
      const pending = new Map<string, number>();
      const flush = (account: string, unlessTs?: number): void => {
        const ts = pending.get(account);
        if (ts === undefined || ts === unlessTs) return;
        history.set(`${account}\u0000${ts}`, equityOf(account, ts));
        pending.delete(account);
      };
      for (const { event: e } of events) {
        if (e.type === 'OrderFilled') {
          const f = e.data;
          if (seen.has(f.fillId)) continue;
          seen.add(f.fillId);
          const owner = owners.get(f.clientOrderId) ?? { account: 'unknown', strategy_id: 'unknown' };
          flush(owner.account, f.ts);
          for (const sid of [owner.strategy_id, ACCOUNT_WIDE]) {
            const p = position(owner.account, sid, f.instrument, f.ts);
            applyFill(p.book, f);
            p.updatedAt = Math.max(p.updatedAt, f.ts); p.dirty = true;
          }
          pending.set(owner.account, f.ts);
        } else if (e.type === 'BarClosed' || e.type === 'TradeTick') {
          const price = e.type === 'BarClosed' ? e.data.close : e.data.price;
          const ts = e.type === 'BarClosed' ? e.data.closeTime : e.data.ts;
          const held = byInstrument.get(e.data.instrument);
          if (!held) continue;
          // Bars, not ticks, draw the equity curve: one point per account per bar close.
          // A tick moves prices without drawing a point, so it must not move a point still pending either.
          for (const p of held) if (p.strategyId === ACCOUNT_WIDE) flush(p.account, e.type === 'BarClosed' ? ts : undefined);
          for (const p of held) {
            markPrice(p.book, p.instrument, price, ts); p.updatedAt = Math.max(p.updatedAt, ts); p.dirty = true;
            if (e.type === 'BarClosed' && p.strategyId === ACCOUNT_WIDE) pending.set(p.account, ts);
          }
        }
      }
      for (const a of [...pending.keys()]) flush(a);

      const dirty = [...book.values()].filter((p) => p.dirty);
      if (dirty.length > 0) {
        await trx.insertInto('positions').values(dirty.map(({ account, strategyId, instrument, position: p, updatedAt }): PositionTable => {
          const held = p.qtyUnits < 0n ? -p.qtyUnits : p.qtyUnits;
          return {
            account, strategy_id: strategyId, instrument, quantity: unitsToString(p.qtyUnits), average_price: held === 0n ? '0' : unitsToString(divUnits(p.costUnits, held)),
            cost_basis: unitsToString(p.costUnits), realized_pnl: unitsToString(p.realizedUnits), fees: unitsToString(p.feesUnits),
            last_price: Number.isNaN(p.markPrice) ? null : String(p.markPrice), mark_ts: Number.isNaN(p.markPrice) ? null : p.markTs,
            unrealized_pnl: new Dec(p.unrealizedPnl).toFixed(), updated_at: updatedAt,
          };
        })).onConflict((oc) => oc.columns(['account', 'strategy_id', 'instrument']).doUpdateSet({
          quantity: sql`excluded.quantity`, average_price: sql`excluded.average_price`, cost_basis: sql`excluded.cost_basis`, realized_pnl: sql`excluded.realized_pnl`,
          fees: sql`excluded.fees`, last_price: sql`excluded.last_price`, mark_ts: sql`excluded.mark_ts`, unrealized_pnl: sql`excluded.unrealized_pnl`, updated_at: sql`excluded.updated_at`,
        })).execute();
        const accounts = new Set(dirty.filter((p) => p.strategyId === ACCOUNT_WIDE).map((p) => p.account));
        const now = Math.max(...dirty.map((p) => p.updatedAt));
        const rows = [...accounts].map((a) => { const h = equityOf(a, now); return { account: a, realized_pnl: h.realized_pnl, unrealized_pnl: h.unrealized_pnl, fees: h.fees, equity: h.equity, updated_at: now }; });
        if (rows.length > 0) {
          await trx.insertInto('equity').values(rows).onConflict((oc) => oc.column('account').doUpdateSet({
            realized_pnl: sql`excluded.realized_pnl`, unrealized_pnl: sql`excluded.unrealized_pnl`, fees: sql`excluded.fees`,
            equity: sql`excluded.equity`, updated_at: sql`greatest(equity.updated_at, excluded.updated_at)`,
          })).execute();
        }
      }
      const newFills = [...new Set(fillIds)];
      if (newFills.length > 0) await trx.insertInto('position_fills').values(newFills.map((fill_id) => ({ fill_id }))).onConflict((oc) => oc.column('fill_id').doNothing()).execute();
      if (history.size > 0) {
        await trx.insertInto('equity_history').values([...history.values()]).onConflict((oc) => oc.columns(['account', 'ts']).doUpdateSet({
          equity: sql`excluded.equity`, realized_pnl: sql`excluded.realized_pnl`, unrealized_pnl: sql`excluded.unrealized_pnl`, fees: sql`excluded.fees`,
        })).execute();
      }
    },
  });
}

export const positionsProjection = createPositionsProjection();
