// The read models' Postgres server crashes and restarts under a running projector: it retries, resumes, and ends equal to a clean run.
import { afterAll, describe, expect, it } from 'vitest';
import { InMemoryEventStore, createPostgresDb, type PgDatabase } from '@qts/adapters';
import { eventually } from '@qts/adapters/testing';
import { Projector, type ReadDb, type RunningProjector } from '@qts/projections';
import type { DomainEvent } from '@qts/schemas';
import { paperRunHistory } from './history.ts';
import { ownPostgresNode, type PostgresNode } from './own-servers.ts';

let node: PostgresNode | null = null;
const dbs: PgDatabase[] = [];
let running: RunningProjector | null = null;
afterAll(async () => {
  await running?.close().catch(() => undefined);
  for (const d of dbs) await d.close().catch(() => undefined);
  await node?.destroy();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function projectorOn(url: string, schema: string, onError?: (e: unknown) => void): Promise<Projector> {
  const database = await createPostgresDb(url, { schema });
  dbs.push(database);
  const projector = new Projector(database.db as ReadDb, { batchSize: 50, ...(onError ? { onError } : {}) });
  await projector.migrate();
  return projector;
}

describe('Postgres server restarted under the projector', () => {
  it('retries, resumes, and its read models equal a clean run with no fill counted twice', { timeout: 180_000 }, async () => {
    const history: DomainEvent[] = await paperRunHistory(700);
    expect(history.some((e) => e.type === 'OrderFilled')).toBe(true);
    node = await ownPostgresNode();
    await node.start();

    const store = new InMemoryEventStore();
    const errors: unknown[] = [];
    const live = await projectorOn(node.url, 'live', (e) => errors.push(e));
    running = live.run(store);

    // The store grows as a live system's would; the server dies twice under it: a crash, then a clean stop.
    const outages: { at: number; mode: 'immediate' | 'fast' }[] = [{ at: Math.floor(history.length / 3), mode: 'immediate' }, { at: Math.floor((2 * history.length) / 3), mode: 'fast' }];
    for (let i = 0; i < history.length; i += 10) {
      for (const e of history.slice(i, i + 10)) await store.append(e.stream, [e], 'any');
      const outage = outages.find((o) => i <= o.at && o.at < i + 10);
      if (outage) {
        await node.stop(outage.mode);
        await sleep(1_500);
        await node.start();
      }
      await sleep(5);
    }

    let last = -1n;
    for await (const s of store.readAll()) last = s.position;
    await eventually(async () => {
      const cps = await live.checkpoints();
      expect(Object.values(cps).every((p) => p === last)).toBe(true);
    }, { timeoutMs: 90_000, intervalMs: 250 });
    // The outages were felt: the projector reported failed batches and went on.
    expect(errors.length).toBeGreaterThan(0);

    const clean = await projectorOn(node.url, 'clean');
    await clean.catchUp(store);
    expect(await live.tableHashes()).toEqual(await clean.tableHashes());

    // Nothing counted twice: one fill row per fill, and the position is the sum of the distinct fills.
    const fills = history.filter((e): e is DomainEvent<'OrderFilled'> => e.type === 'OrderFilled');
    const db = live.db;
    const rows = await db.selectFrom('fills').select(['fill_id']).execute();
    expect(rows.length).toBe(new Set(fills.map((f) => f.data.fillId)).size);
    const position = fills.reduce((q, f) => q + (f.data.side === 'buy' ? f.data.quantity : -f.data.quantity), 0);
    const row = await db.selectFrom('positions').select(['quantity']).where('instrument', '=', 'BTC/USDT').where('strategy_id', '=', '*').executeTakeFirst();
    expect(Number(row?.quantity ?? 0)).toBeCloseTo(position, 9);
  });
});
