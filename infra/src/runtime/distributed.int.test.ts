// The distributed pipeline on a real Kafka broker and Postgres server, with worker processes killed (-9) and
// restarted at random moments: one order per signal, every fill once, and the books of an uninterrupted run.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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
const expected = runBacktest({ bars: series, strategy: smaCross, params: { fast: 10, slow: 30 }, cash: 10_000, venue: { slippageBps: 2, makerFeeBps: 2, takerFeeBps: 10 } });

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
afterAll(async () => {
  await Promise.all([...children].map(kill9));
  await store?.close();
});

async function stored(): Promise<DomainEvent[]> {
  const out: DomainEvent[] = [];
  for await (const { event } of store.readAll()) out.push(event);
  return out;
}

describe('distributed workers over Kafka and Postgres', () => {
  it('survive kill -9 of the executor and the recorder with exactly-once orders and fills', { timeout: 600_000 }, async () => {
    store = await PostgresEventStore.openPostgres(PG_URL, { schema: `${namespace}_event_store` });
    let recorder = worker('recorder');
    let executor = worker('executor');
    worker('strategy');
    worker('ingest');

    // Kill the executor three times and the recorder once, at random moments of the run, and restart them.
    const barsStoredAtKill: number[] = [];
    for (let round = 0; round < 4; round++) {
      await sleep(3_000 + Math.floor(Math.random() * 4_000));
      barsStoredAtKill.push((await stored()).filter((e) => e.type === 'BarClosed').length);
      if (round === 2) {
        await kill9(recorder);
        recorder = worker('recorder');
      } else {
        await kill9(executor);
        executor = worker('executor');
      }
    }

    await eventually(async () => {
      const events = await stored();
      const count = (type: string) => events.filter((e) => e.type === type).length;
      expect(count('BarClosed')).toBe(bars);
      expect(count('SignalEmitted')).toBe(expected.signals);
      expect(count('OrderRequested')).toBe(expected.orders);
      expect(count('OrderFilled')).toBe(expected.fills);
    }, { timeoutMs: 300_000, intervalMs: 2_000 });

    // The kills hit a running pipeline, not a finished one.
    expect(barsStoredAtKill[0]).toBeLessThan(bars);
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
    expect(cash + position * lastClose).toBeCloseTo(expected.equityCurve.equity[bars - 1]!, 4);
  });
});
