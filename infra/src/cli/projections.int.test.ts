// `qts projections rebuild` against a running system on a Postgres server: it rebuilds the read models that system serves, and its API shows the result.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresEventStore } from '@qts/adapters';
import { eventually } from '@qts/adapters/testing';
import type { DomainEvent } from '@qts/schemas';
import { paperRunHistory } from '../faults/history.ts';
import { freePort } from '../faults/own-servers.ts';
import { runQts, spawnQts, type QtsProcess } from './spawn-qts.ts';

const PG_URL = process.env.PG_URL ?? 'postgres://qts:qts@127.0.0.1:55432/qts';
const namespace = `pr${Date.now().toString(36)}${process.pid.toString(36)}`;
const token = 'rebuild-test-token-0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'qts-rebuild-'));
const config = join(dir, 'qts.config.json');
writeFileSync(config, JSON.stringify({ mode: 'distributed' }));

let store: PostgresEventStore | null = null;
let api: QtsProcess | null = null;
afterAll(async () => {
  api?.child.kill('SIGTERM');
  await api?.exited;
  await store?.close();
});

describe('qts projections rebuild', () => {
  it('rebuilds the namespace\'s read models from its event store, and a running API in another process serves the rebuilt rows', async () => {
    const history = await paperRunHistory(300);
    const orderIds = history.filter((e): e is DomainEvent<'OrderRequested'> => e.type === 'OrderRequested').map((e) => e.data.clientOrderId).sort();
    expect(orderIds.length).toBeGreaterThan(0);
    store = await PostgresEventStore.openPostgres(PG_URL, { schema: `${namespace}_event_store` });
    for (const e of history) await store.append(e.stream, [e], 'any');

    const port = await freePort();
    const env = { PG_URL, QTS_NAMESPACE: namespace, QTS_CONFIG: config, QTS_API_TOKEN: token, QTS_API_PORT: String(port) };
    // Only the API runs: no projector has filled the read models yet, and its cache holds that empty answer.
    api = spawnQts(['worker', 'api'], env);
    const orders = async () => {
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/orders?limit=200`, { signal: AbortSignal.timeout(5_000) });
      expect(res.status).toBe(200);
      return ((await res.json()) as { items: { clientOrderId: string }[] }).items.map((o) => o.clientOrderId).sort();
    };
    await eventually(async () => expect(await orders()).toEqual([]), { timeoutMs: 90_000, intervalMs: 500 });

    const rebuilt = await runQts(['projections', 'rebuild', 'orders'], env, 120_000);
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout).toMatch(new RegExp(`orders: replayed ${history.length} events`));
    // The API process was told by the rebuild's commits: its next answer is the rebuilt read model.
    await eventually(async () => expect(await orders()).toEqual(orderIds), { timeoutMs: 10_000, intervalMs: 250 });
  }, 240_000);
});
