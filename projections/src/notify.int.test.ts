// An API in another process than the projector: its cached answers follow the projector's NOTIFY on the Postgres server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDb, inProcessBacktestJobs, eventStoreCommands, InMemoryEventStore, startApiServer, tokenFromSecret, type ApiServer, type PgDatabase } from '@qts/adapters';
import { sql } from 'kysely';
import type { ReadDb } from './db.ts';
import { Projector } from './projector.ts';
import { createReadModels } from './read-models.ts';
import { listenReadModels, ReadVersions } from './read-versions.ts';
import { eventFactory, eventually, PG_URL } from './testing.ts';

const schema = `notify_${process.pid}_${Date.now()}`;
let projectorSide: PgDatabase;
let apiSide: PgDatabase;
let api: ApiServer;
let unlisten: () => Promise<void>;
const versions = new ReadVersions();

beforeAll(async () => {
  projectorSide = await createPostgresDb(PG_URL, { schema });
  apiSide = await createPostgresDb(PG_URL, { schema });
  const store = new InMemoryEventStore();
  const clock = { now: () => Date.now() };
  let n = 0;
  const ids = () => `00000000-0000-7000-8000-${String(++n).padStart(12, '0')}`;
  const backtests = inProcessBacktestJobs({ run: async () => ({}), clock, ids });
  const read = createReadModels(apiSide.db as ReadDb);
  await new Projector(projectorSide.db as ReadDb).migrate();
  unlisten = await listenReadModels(apiSide, apiSide.db as ReadDb, versions);
  api = await startApiServer({ read, commands: eventStoreCommands({ store, clock, ids, backtests }), backtests, store, token: tokenFromSecret('test-token-0123456789'), readAccess: 'open', rateLimit: false, readVersion: (r) => versions.of(r) });
});
afterAll(async () => {
  await api?.close();
  await unlisten?.();
  await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(projectorSide.db).catch(() => undefined);
  await apiSide?.close();
  await projectorSide?.close();
});

describe('read models changed by another process', () => {
  it('a fill the projector commits shows in the next answers once its NOTIFY arrived; other schemas do not disturb the cache', async () => {
    const projector = new Projector(projectorSide.db as ReadDb, { notify: true });
    const f = eventFactory(5);
    f.add('OrderRequested', { clientOrderId: 'n-1', signalId: null, strategyId: 'manual', account: 'acct', venue: 'binance', instrument: 'BTC/USDT', side: 'buy', type: 'market', quantity: 5, timeInForce: 'GTC', reduceOnly: false, ts: f.start }, f.start);
    await projector.project(f.events);
    const positions = async () => (await (await fetch(`${api.url}/api/v1/positions?strategyId=*`)).json()) as { quantity: number }[];
    expect(await positions()).toEqual([]);
    for (let i = 1; i <= 3; i++) {
      const before = versions.of('/positions');
      f.add('OrderFilled', { clientOrderId: 'n-1', instrument: 'BTC/USDT', venueOrderId: 'v', fillId: `n-${i}`, side: 'buy', price: 100, quantity: 1, fee: 0, feeCurrency: 'USDT', liquidity: 'taker', ts: f.start + i }, f.start + i);
      await projector.project(f.events.slice(-1));
      await eventually(() => expect(versions.of('/positions')).toBeGreaterThan(before));
      // Once told, never the older answer.
      expect((await positions())[0]!.quantity).toBe(i);
    }
    const stable = versions.of('/positions');
    await sql`select pg_notify('qts_read_models', 'some_other_schema:positions')`.execute(projectorSide.db);
    f.add('SignalEmitted', { strategyId: 's', instrument: 'BTC/USDT', direction: 'long', strength: 1, price: 1, asOf: f.start, reason: 'r' }, f.start);
    await projector.project(f.events.slice(-1));
    await eventually(async () => expect(((await (await fetch(`${api.url}/api/v1/signals`)).json()) as { items: unknown[] }).items).toHaveLength(1));
    expect(versions.of('/positions')).toBe(stable);
  });
});
