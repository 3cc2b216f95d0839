// Orders through their lifecycle (statuses as in core's order decider) (status, filled quantity, average fill price, time of each step) and their fills.
import { Decimal } from 'decimal.js';
import { sql, type Kysely } from 'kysely';
import type { DomainEvent } from '@qts/schemas';
import type { FillTable, OrderTable } from '../db.ts';
import { defineProjection } from '../projection.ts';

const terminal = new Set(['filled', 'cancelled', 'expired', 'rejected']);

function blankOrder(e: DomainEvent & { data: { clientOrderId: string; instrument: string } }): OrderTable {
  return {
    client_order_id: e.data.clientOrderId, signal_id: null, strategy_id: '', account: null, venue: null, instrument: e.data.instrument,
    side: null, type: null, quantity: null, limit_price: null, stop_price: null, time_in_force: null, reduce_only: null,
    parent_client_order_id: null, status: 'requested', filled_quantity: '0', average_fill_price: null, venue_order_id: null,
    reject_reason: null, cancel_reason: null, correlation_id: e.correlationId, requested_at: null, rejected_at: null,
    submitted_at: null, accepted_at: null, first_fill_at: null, filled_at: null, cancel_requested_at: null, cancelled_at: null,
    expired_at: null, updated_at: 0,
  };
}

/** One order event folded into the order's row; fills must already be de-duplicated by fillId. */
export function evolveOrder(row: OrderTable, e: DomainEvent): void {
  switch (e.type) {
    case 'OrderRequested': {
      const d = e.data;
      Object.assign(row, {
        signal_id: d.signalId, strategy_id: d.strategyId, account: d.account, venue: d.venue, side: d.side, type: d.type,
        quantity: String(d.quantity), limit_price: d.limitPrice ?? null, stop_price: d.stopPrice ?? null, time_in_force: d.timeInForce,
        reduce_only: d.reduceOnly, parent_client_order_id: d.parentClientOrderId ?? null, requested_at: d.ts, correlation_id: e.correlationId,
      });
      break;
    }
    case 'OrderRejected':
      row.status = 'rejected'; row.reject_reason = e.data.reason; row.rejected_at = e.data.ts;
      row.signal_id ??= e.data.signalId;
      if (row.strategy_id === '') row.strategy_id = e.data.strategyId;
      break;
    case 'OrderSubmitted':
      row.submitted_at = e.data.ts; row.venue ??= e.data.venue;
      if (row.status === 'requested') row.status = 'submitted';
      break;
    case 'OrderAccepted':
      row.accepted_at = e.data.ts; row.venue_order_id = e.data.venueOrderId;
      if (row.status === 'requested' || row.status === 'submitted') row.status = 'accepted';
      break;
    case 'OrderFilled': {
      const d = e.data;
      const before = new Decimal(row.filled_quantity.toString());
      const after = before.plus(d.quantity);
      const avg = row.average_fill_price === null ? new Decimal(0) : new Decimal(row.average_fill_price.toString());
      row.average_fill_price = avg.times(before).plus(new Decimal(d.price).times(d.quantity)).div(after).toFixed();
      row.filled_quantity = after.toFixed();
      row.first_fill_at ??= d.ts;
      if (d.venueOrderId) row.venue_order_id ??= d.venueOrderId;
      if (row.quantity !== null && after.gte(row.quantity.toString())) { row.status = 'filled'; row.filled_at = d.ts; }
      else if (!terminal.has(row.status)) row.status = 'partially-filled';
      break;
    }
    case 'OrderCancelRequested':
      // Like core's order decider: a cancel request is a flag (cancel_requested_at), not a status.
      row.cancel_requested_at = e.data.ts;
      break;
    case 'OrderCancelled':
      row.cancelled_at = e.data.ts; row.cancel_reason = e.data.reason;
      if (row.status !== 'filled') row.status = 'cancelled';
      break;
    case 'OrderExpired':
      row.expired_at = e.data.ts;
      if (row.status !== 'filled') row.status = 'expired';
      break;
    default:
      return;
  }
  row.updated_at = Math.max(Number(row.updated_at), (e.data as { ts: number }).ts);
}

export const ordersProjection = defineProjection({
  name: 'orders',
  handles: ['OrderRequested', 'OrderRejected', 'OrderSubmitted', 'OrderAccepted', 'OrderFilled', 'OrderCancelRequested', 'OrderCancelled', 'OrderExpired'],
  tables: { orders: ['client_order_id'], fills: ['fill_id'] },
  migrations: {
    '001_orders': {
      async up(db: Kysely<unknown>) {
        const num = 'numeric' as const;
        let t = db.schema.createTable('orders').addColumn('client_order_id', 'text', (c) => c.primaryKey());
        for (const c of ['signal_id', 'account', 'venue', 'side', 'type', 'time_in_force', 'parent_client_order_id', 'venue_order_id', 'cancel_reason']) t = t.addColumn(c, 'text');
        t = t.addColumn('strategy_id', 'text', (c) => c.notNull()).addColumn('instrument', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull()).addColumn('correlation_id', 'text', (c) => c.notNull())
          .addColumn('reduce_only', 'boolean').addColumn('reject_reason', 'jsonb')
          .addColumn('quantity', num).addColumn('limit_price', num).addColumn('stop_price', num)
          .addColumn('filled_quantity', num, (c) => c.notNull()).addColumn('average_fill_price', num);
        for (const c of ['requested_at', 'rejected_at', 'submitted_at', 'accepted_at', 'first_fill_at', 'filled_at', 'cancel_requested_at', 'cancelled_at', 'expired_at']) t = t.addColumn(c, 'bigint');
        await t.addColumn('updated_at', 'bigint', (c) => c.notNull()).execute();
        await db.schema.createIndex('orders_by_time').on('orders').columns(['updated_at', 'client_order_id']).execute();
        await db.schema.createTable('fills')
          .addColumn('fill_id', 'text', (c) => c.primaryKey())
          .addColumn('client_order_id', 'text', (c) => c.notNull())
          .addColumn('instrument', 'text', (c) => c.notNull())
          .addColumn('venue_order_id', 'text', (c) => c.notNull())
          .addColumn('side', 'text', (c) => c.notNull())
          .addColumn('price', num, (c) => c.notNull())
          .addColumn('quantity', num, (c) => c.notNull())
          .addColumn('fee', num, (c) => c.notNull())
          .addColumn('fee_currency', 'text', (c) => c.notNull())
          .addColumn('liquidity', 'text', (c) => c.notNull())
          .addColumn('ts', 'bigint', (c) => c.notNull())
          .addColumn('event_id', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('fills_by_order').on('fills').columns(['client_order_id', 'ts']).execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('fills').ifExists().execute();
        await db.schema.dropTable('orders').ifExists().execute();
      },
    },
  },
  async apply(trx, events) {
    const ids = new Set<string>();
    const fillIds: string[] = [];
    for (const { event: e } of events) {
      ids.add((e.data as { clientOrderId: string }).clientOrderId);
      if (e.type === 'OrderFilled') fillIds.push(e.data.fillId);
    }
    if (ids.size === 0) return;
    const rows = new Map<string, OrderTable>();
    for (const r of await trx.selectFrom('orders').selectAll().where('client_order_id', 'in', [...ids]).execute()) rows.set(r.client_order_id, r);
    // A venue may report the same fill twice under different event ids: the fillId decides.
    const seenFills = new Set<string>();
    if (fillIds.length > 0) {
      for (const f of await trx.selectFrom('fills').select('fill_id').where('fill_id', 'in', fillIds).execute()) seenFills.add(f.fill_id);
    }
    const newFills: FillTable[] = [];
    for (const { event: e } of events) {
      const d = e.data as { clientOrderId: string; instrument: string };
      if (e.type === 'OrderFilled') {
        if (seenFills.has(e.data.fillId)) continue;
        seenFills.add(e.data.fillId);
        const f = e.data;
        newFills.push({
          fill_id: f.fillId, client_order_id: f.clientOrderId, instrument: f.instrument, venue_order_id: f.venueOrderId, side: f.side,
          price: f.price, quantity: f.quantity, fee: f.fee, fee_currency: f.feeCurrency, liquidity: f.liquidity, ts: f.ts, event_id: e.id,
        });
      }
      let row = rows.get(d.clientOrderId);
      if (!row) { row = blankOrder(e as DomainEvent & { data: { clientOrderId: string; instrument: string } }); rows.set(d.clientOrderId, row); }
      evolveOrder(row, e);
    }
    if (newFills.length > 0) await trx.insertInto('fills').values(newFills).execute();
    const values = [...rows.values()].map((r) => ({ ...r, reject_reason: r.reject_reason === null ? null : JSON.stringify(r.reject_reason) }));
    const cols = Object.keys(values[0]!).filter((c) => c !== 'client_order_id') as (keyof OrderTable)[];
    await trx.insertInto('orders').values(values)
      .onConflict((oc) => oc.column('client_order_id').doUpdateSet(Object.fromEntries(cols.map((c) => [c, sql.ref(`excluded.${c}`)]))))
      .execute();
  },
});
