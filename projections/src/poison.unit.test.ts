// One event a projection cannot take is set aside as a dead letter; the projection moves on and the others are untouched.
import { expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { defineProjection } from './projection.ts';
import { Projector } from './projector.ts';
import { ordersProjection } from './projections/orders.ts';
import { eventFactory, pgliteTestDb } from './testing.ts';

const fragile = defineProjection({
  name: 'fragile',
  handles: ['OrderRequested'],
  tables: {},
  migrations: { '001': { async up(_db: Kysely<unknown>) {}, async down(_db: Kysely<unknown>) {} } },
  async apply(_trx, events) {
    for (const { event } of events) if ((event.data as { clientOrderId: string }).clientOrderId === 'poison') throw new TypeError('cannot read properties of undefined');
  },
});

it('a poison event becomes a dead letter for the one projection that cannot take it', async () => {
  const t = await pgliteTestDb();
  try {
    const p = new Projector(t.db, { projections: [ordersProjection, fragile] });
    await p.migrate();
    const f = eventFactory(5);
    for (const id of ['a', 'poison', 'b']) {
      f.add('OrderRequested', { clientOrderId: id, signalId: null, strategyId: 's', account: 'x', venue: 'v', instrument: 'BTC/USDT', side: 'buy', type: 'market', quantity: 1, timeInForce: 'GTC', reduceOnly: false, ts: 1 }, f.start);
    }
    await p.projectResilient(f.events);
    expect((await t.db.selectFrom('orders').select('client_order_id').orderBy('client_order_id').execute()).map((r) => r.client_order_id)).toEqual(['a', 'b', 'poison']);
    expect(await p.checkpoints()).toEqual({ orders: 3n, fragile: 3n });
    const dl = await t.db.selectFrom('dead_letters').selectAll().execute();
    expect(dl).toHaveLength(1);
    expect(dl[0]).toMatchObject({ topic: 'projection:fragile', offset: '2' });
    expect(dl[0]!.reason).toContain('cannot read properties of undefined');
    // A redelivery of the same batch changes nothing.
    await p.projectResilient(f.events);
    expect(await t.db.selectFrom('dead_letters').selectAll().execute()).toHaveLength(1);
  } finally {
    await t.close();
  }
});
