// kill -9 of the strategy, ingest and api workers mid-run (distributed.int.test.ts covers executor, recorder, projector):
// the stored bars, signals, orders and fills are those of an uninterrupted run, each once, and the API answers again.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresEventStore } from '@qts/adapters';
import { eventually } from '@qts/adapters/testing';
import type { DomainEvent } from '@qts/schemas';
import { paperRunHistory, sampleBars } from './history.ts';
import { freePort } from './own-servers.ts';

const repo = resolve(import.meta.dirname, '../../..');
const PG_URL = process.env.PG_URL ?? 'postgres://qts:qts@127.0.0.1:55432/qts';
const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:19092';
const namespace = `fk${Date.now().toString(36)}${process.pid.toString(36)}`;
const bars = 300;
const token = 'fault-test-token-0123456789abcdef';

const dir = mkdtempSync(join(tmpdir(), 'qts-fault-kill-'));
const csv = join(dir, 'BTCUSDT-5m.csv');
writeFileSync(csv, sampleBars(bars).csv);
const config = join(dir, 'qts.config.json');
writeFileSync(config, JSON.stringify({ mode: 'distributed', market: { kind: 'replay', files: [{ path: csv, instrument: 'BTC/USDT', timeframe: '5m', venue: 'replay' }], barsPerSecond: 25 } }));

const children = new Set<ChildProcess>();
const names = ['recorder', 'executor', 'projector', 'api', 'strategy', 'ingest'];
const logOf = (name: string) => join(dir, `${name}.log`);

/** What each worker said last, and how far the read models got: printed when the test fails. */
async function report(): Promise<string> {
  const parts = names.map((n) => `== ${n}\n${existsSync(logOf(n)) ? readFileSync(logOf(n), 'utf8').split('\n').slice(-25).join('\n') : '(no log)'}`);
  try {
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      const cps = await client.query(`select name, position from "${namespace}_read".projection_checkpoints order by name`);
      const orders = await client.query(`select count(*)::int as n from "${namespace}_read".orders`);
      const last = await client.query(`select max(position)::text as p from "${namespace}_event_store".events`);
      parts.push(`== read models: orders ${orders.rows[0].n}, checkpoints ${JSON.stringify(cps.rows)}, store head ${last.rows[0].p}`);
    } finally {
      await client.end();
    }
  } catch (e) {
    parts.push(`== read models: ${(e as Error).message}`);
  }
  return parts.join('\n');
}
let apiPort = 0;

function worker(name: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'infra/src/cli/main.ts', 'worker', name], {
    cwd: repo,
    env: {
      ...process.env, KAFKA_BROKERS, PG_URL, QTS_NAMESPACE: namespace, QTS_CONFIG: config, QTS_LOG_LEVEL: 'info',
      QTS_KAFKA_SESSION_TIMEOUT_MS: '6000', QTS_API_TOKEN: token, QTS_API_PORT: String(apiPort),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  // Every incarnation's log, kept for the failure report: a flaky run must say which worker stalled.
  appendFileSync(logOf(name), `--- ${name} pid ${child.pid} started ${new Date().toISOString()}\n`);
  child.stderr!.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-4000); appendFileSync(logOf(name), d); });
  child.once('exit', (code, signal) => {
    children.delete(child);
    if (code !== 0 && signal !== 'SIGKILL' && signal !== 'SIGTERM') console.error(`worker ${name} exited ${code}: ${err}`);
  });
  children.add(child);
  return child;
}

function kill9(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', () => done());
    child.kill('SIGKILL');
  });
}

let store: PostgresEventStore | null = null;
afterAll(async () => {
  await Promise.all([...children].map(kill9));
  await store?.close();
});

async function stored(): Promise<DomainEvent[]> {
  const out: DomainEvent[] = [];
  for await (const { event } of store!.readAll()) out.push(event);
  return out;
}

const idsOf = (events: readonly DomainEvent[], type: string) => events.filter((e) => e.type === type).map((e) => e.id).sort();
const apiGet = async (path: string) => fetch(`http://127.0.0.1:${apiPort}/api/v1${path}`, { signal: AbortSignal.timeout(5_000) });

describe('kill -9 of the strategy, ingest and api workers', () => {
  it('leaves the signals, orders and fills of an uninterrupted run, each once, and the API serving again', { timeout: 300_000 }, async () => {
    try {
      await killAndCheck();
    } catch (e) {
      console.error(`worker-kill failed; workers' last words:\n${await report()}`);
      throw e;
    }
  });
});

async function killAndCheck(): Promise<void> {
  const uninterrupted = await paperRunHistory(bars);
  apiPort = await freePort();
  store = await PostgresEventStore.openPostgres(PG_URL, { schema: `${namespace}_event_store` });
  worker('recorder');
  worker('executor');
  worker('projector');
  let api = worker('api');
  let strategy = worker('strategy');
  let ingest = worker('ingest');
  await eventually(async () => expect((await apiGet('/health')).status).toBe(200), { timeoutMs: 90_000, intervalMs: 500 });

  // Each kill lands while bars are still flowing: the store holds some bars, not all.
  const barsAt = async () => (await stored()).filter((e) => e.type === 'BarClosed').length;
  const progressed = (n: number) => eventually(async () => expect(await barsAt()).toBeGreaterThanOrEqual(n), { timeoutMs: 90_000, intervalMs: 200 });
  const killedAt: number[] = [];

  await progressed(50);
  killedAt.push(await barsAt());
  await Promise.all([kill9(strategy), kill9(ingest)]);
  strategy = worker('strategy');
  ingest = worker('ingest');

  await progressed(killedAt[0]! + 50);
  killedAt.push(await barsAt());
  await Promise.all([kill9(api), kill9(strategy)]);
  expect((await apiGet('/health').catch((e: unknown) => e)) instanceof Error).toBe(true); // nobody answers now
  api = worker('api');
  strategy = worker('strategy');
  await eventually(async () => expect((await apiGet('/health')).status).toBe(200), { timeoutMs: 90_000, intervalMs: 500 });

  for (const n of killedAt) expect(n).toBeLessThan(bars);
  await eventually(async () => {
    const events = await stored();
    expect(idsOf(events, 'BarClosed')).toHaveLength(bars);
    expect(idsOf(events, 'SignalEmitted')).toEqual(idsOf(uninterrupted, 'SignalEmitted'));
    expect(idsOf(events, 'OrderFilled')).toEqual(idsOf(uninterrupted, 'OrderFilled'));
  }, { timeoutMs: 180_000, intervalMs: 1_000 });

  const events = await stored();
  // No bar, signal or order twice; the same decisions as the uninterrupted run (ids derive from what they answer).
  expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  expect(idsOf(events, 'BarClosed')).toEqual(idsOf(uninterrupted, 'BarClosed'));
  expect(idsOf(events, 'OrderRequested')).toEqual(idsOf(uninterrupted, 'OrderRequested'));
  const signalData = (list: readonly DomainEvent[]) => list.filter((e) => e.type === 'SignalEmitted').map((e) => JSON.stringify(e.data)).sort();
  expect(signalData(events)).toEqual(signalData(uninterrupted));

  // The restarted API serves the read models the projector keeps filling: every order, once.
  await eventually(async () => {
    const res = await apiGet('/orders?limit=200');
    expect(res.status).toBe(200);
    const page = (await res.json()) as { items: { clientOrderId: string }[] };
    const want = events.filter((e): e is DomainEvent<'OrderRequested'> => e.type === 'OrderRequested').map((e) => e.data.clientOrderId).sort();
    expect(page.items.map((o) => o.clientOrderId).sort()).toEqual(want);
  }, { timeoutMs: 60_000, intervalMs: 500 });
}
