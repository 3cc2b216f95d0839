// The distributed pipeline on a real Kafka broker and Postgres server, with worker processes killed (-9) and
// restarted at random moments: one order per signal, every fill once, and the books and read models of an uninterrupted run.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBarsCsv, runBacktest, smaCross } from '@qts/core';
import { PostgresEventStore } from '@qts/adapters';
import { eventually } from '@qts/adapters/testing';
import type { DomainEvent } from '@qts/schemas';

const repo = resolve(import.meta.dirname, '../../..');
const PG_URL = process.env.PG_URL ?? 'postgres://qts:qts@127.0.0.1:55432/qts';
const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:19092';
const namespace = `t${Date.now().toString(36)}${process.pid.toString(36)}`;
const bars = 500;

const dir = mkdtempSync(join(tmpdir(), 'qts-dist-'));
const csv = join(dir, 'BTCUSDT-5m.csv');
writeFileSync(csv, readFileSync(join(repo, 'infra/data/sample/BTCUSDT-5m.csv'), 'utf8').split('\n').slice(0, bars + 1).join('\n'));
const config = join(dir, 'qts.config.json');
writeFileSync(config, JSON.stringify({ mode: 'distributed', market: { kind: 'replay', files: [{ path: csv, instrument: 'BTC/USDT', timeframe: '5m', venue: 'replay' }], barsPerSecond: 25 } }));
const series = parseBarsCsv(readFileSync(csv, 'utf8'), { instrument: 'BTC/USDT', timeframe: '5m', venue: 'replay' }).series;
const expected = runBacktest({ bars: series, strategy: smaCross, params: { fast: 10, slow: 30 }, cash: 10_000, venue: { slippageBps: 2, makerFeeBps: 2, takerFeeBps: 10 }, keepEvents: true });

/** Realised PnL (average cost, fees apart) and fees of the uninterrupted run, summed here independently of the projection's code. */
function booksOf(events: readonly DomainEvent[]): { position: number; realised: number; fees: number } {
  let position = 0;
  let average = 0;
  let realised = 0;
  let fees = 0;
  for (const e of events) {
    if (e.type !== 'OrderFilled') continue;
    const { side, quantity, price, fee } = e.data;
    const signed = side === 'buy' ? quantity : -quantity;
    if (position === 0 || Math.sign(position) === Math.sign(signed)) {
      average = (Math.abs(position) * average + quantity * price) / (Math.abs(position) + quantity);
    } else {
      realised += Math.min(Math.abs(position), quantity) * (price - average) * Math.sign(position);
      if (quantity > Math.abs(position)) average = price;
    }
    position += signed;
    if (position === 0) average = 0;
    fees += fee;
  }
  return { position, realised, fees };
}
const expectedBooks = booksOf(expected.events!);

const children = new Set<ChildProcess>();

function worker(name: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'infra/src/cli/main.ts', 'worker', name], {
    cwd: repo,
    env: {
      ...process.env, KAFKA_BROKERS, PG_URL, QTS_NAMESPACE: namespace, QTS_CONFIG: config, QTS_LOG_LEVEL: 'warn',
      QTS_KAFKA_SESSION_TIMEOUT_MS: '6000', QTS_API_TOKEN: 'unused-in-this-test',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-4000); });
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let store: PostgresEventStore;
const readModels = new pg.Client({ connectionString: PG_URL });
afterAll(async () => {
  await Promise.all([...children].map(kill9));
  await store?.close();
  await readModels.end().catch(() => undefined);
});

/** BarClosed events in the store so far: how far the run has come. */
async function barsStored(): Promise<number> {
  try {
    const { rows } = await readModels.query(`select count(*)::int as n from "${namespace}_event_store".events where type = 'BarClosed'`);
    return rows[0].n as number;
  } catch (e) {
    if ((e as { code?: string }).code === '42P01') return 0; // no events table yet
    throw e;
  }
}

/** A query on the read models the projector keeps for this namespace (`<namespace>_read`), or [] before its tables exist. */
async function read<R>(query: string): Promise<R[]> {
  try {
    return (await readModels.query(query.replaceAll('$schema', `"${namespace}_read"`))).rows as R[];
  } catch (e) {
    if ((e as { code?: string }).code === '42P01') return []; // undefined table: the projector has not migrated yet
    throw e;
  }
}

async function stored(): Promise<DomainEvent[]> {
  const out: DomainEvent[] = [];
  for await (const { event } of store.readAll()) out.push(event);
  return out;
}

describe('distributed workers over Kafka and Postgres', () => {
  it('survive kill -9 of the executor, the projector and the recorder with exactly-once orders, fills and positions', { timeout: 600_000 }, async () => {
    store = await PostgresEventStore.openPostgres(PG_URL, { schema: `${namespace}_event_store` });
    await readModels.connect();
    const t0 = performance.now();
    const since = () => `${Math.round((performance.now() - t0) / 1000)}s`;
    const running = { recorder: worker('recorder'), executor: worker('executor'), projector: worker('projector') };
    worker('strategy');
    worker('ingest');

    // Kill the executor three times, the projector three times and the recorder once, in a random order at
    // random moments of the run, and restart each at once. The moments fall in the first 15.5 s after the first
    // bar is stored, while the replay (500 bars at 25 a second, slower on a loaded machine) is still publishing.
    const victims: (keyof typeof running)[] = ['executor', 'executor', 'executor', 'projector', 'projector', 'projector', 'recorder'];
    for (let i = victims.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [victims[i], victims[j]] = [victims[j]!, victims[i]!];
    }
    const moments = victims.map(() => 500 + Math.floor(Math.random() * 15_000)).sort((a, b) => a - b);
    while ((await barsStored()) === 0) await sleep(200);
    const started = performance.now();
    const barsStoredAtKill: number[] = [];
    for (const [i, victim] of victims.entries()) {
      await sleep(started + moments[i]! - performance.now());
      barsStoredAtKill.push(await barsStored());
      await kill9(running[victim]);
      running[victim] = worker(victim);
    }
    const kills = `kills: ${victims.map((v, i) => `${v}@${barsStoredAtKill[i]} bars`).join(', ')} (last at ${since()})`;

    await eventually(async () => {
      const events = await stored();
      const count = (type: string) => events.filter((e) => e.type === type).length;
      expect(count('BarClosed')).toBe(bars);
      expect(count('SignalEmitted')).toBe(expected.signals);
      expect(count('OrderRequested')).toBe(expected.orders);
      expect(count('OrderFilled')).toBe(expected.fills);
    }, { timeoutMs: 300_000, intervalMs: 2_000 });

    // Where the time went, for the next one who has to make this test faster or find why it failed.
    console.log(`${kills}; store complete at ${since()}`);
    // The kills hit a running pipeline, not a finished one.
    expect(barsStoredAtKill[barsStoredAtKill.length - 1]).toBeLessThan(bars);
    const events = await stored();
    const requested = events.filter((e): e is DomainEvent<'OrderRequested'> => e.type === 'OrderRequested');
    const fills = events.filter((e): e is DomainEvent<'OrderFilled'> => e.type === 'OrderFilled');
    // One order per signal leg, no clientOrderId twice, every fill once.
    expect(new Set(requested.map((e) => e.data.clientOrderId)).size).toBe(requested.length);
    expect(new Set(fills.map((e) => e.data.fillId)).size).toBe(fills.length);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    // The books equal those of an uninterrupted replay (the backtest of the same bars).
    let position = 0;
    let cash = 10_000;
    for (const f of fills) {
      position += f.data.side === 'buy' ? f.data.quantity : -f.data.quantity;
      cash += (f.data.side === 'buy' ? -1 : 1) * f.data.price * f.data.quantity - f.data.fee;
    }
    expect(position).toBeCloseTo(expected.openPosition, 8);
    const lastClose = series.close[bars - 1]!;
    const finalEquity = expected.equityCurve.equity[bars - 1]!;
    expect(cash + position * lastClose).toBeCloseTo(finalEquity, 4);

    // The read models the killed projector kept: each order and each fill once, and the positions, realised
    // PnL, fees and equity of the uninterrupted run (marked at the last close).
    const clientOrderIds = new Set(events.filter((e) => e.type.startsWith('Order')).map((e) => (e.data as { clientOrderId: string }).clientOrderId));
    await eventually(async () => {
      const [counts] = await read<Record<string, string>>(`select
        (select count(*) from $schema.orders) as orders, (select count(*) from $schema.orders where requested_at is not null) as requested,
        (select count(*) from $schema.fills) as fills, (select count(distinct fill_id) from $schema.fills) as distinct_fills,
        (select count(*) from $schema.position_orders) as position_orders, (select count(*) from $schema.position_fills) as position_fills,
        (select max(last_price)::float8::text from $schema.positions where strategy_id = '*') as last_price`);
      expect(counts).toEqual({
        orders: String(clientOrderIds.size), requested: String(expected.orders), fills: String(expected.fills), distinct_fills: String(expected.fills),
        position_orders: String(expected.orders), position_fills: String(expected.fills), last_price: String(lastClose),
      });
    }, { timeoutMs: 120_000, intervalMs: 1_000 });
    console.log(`read models complete at ${since()}`);
    const [book] = await read<{ quantity: string; realized_pnl: string; fees: string }>(
      `select quantity, realized_pnl, fees from $schema.positions where account = 'paper' and strategy_id = '*' and instrument = 'BTC/USDT'`);
    expect(Number(book!.quantity)).toBeCloseTo(expectedBooks.position, 8);
    expect(Number(book!.realized_pnl)).toBeCloseTo(expectedBooks.realised, 6);
    expect(Number(book!.fees)).toBeCloseTo(expectedBooks.fees, 6);
    const [equity] = await read<{ equity: string }>(`select equity from $schema.equity where account = 'paper'`);
    expect(Number(equity!.equity)).toBeCloseTo(finalEquity, 4);
    // The strategy's own share of the account is the whole account here: one strategy trades it.
    const shares = await read<{ strategy_id: string; quantity: string; realized_pnl: string }>(
      `select strategy_id, quantity, realized_pnl from $schema.positions where account = 'paper' and strategy_id <> '*'`);
    expect(shares).toHaveLength(1);
    expect(Number(shares[0]!.quantity)).toBeCloseTo(expectedBooks.position, 8);
    expect(Number(shares[0]!.realized_pnl)).toBeCloseTo(expectedBooks.realised, 6);
  });
});
