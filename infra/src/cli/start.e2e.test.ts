// `qts start` as a user runs it: prints the URL and token, trades the replay, serves the API, stops on SIGTERM, resumes.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseBarsCsv, runBacktest, smaCross } from '@qts/core';
import { eventually } from '@qts/adapters/testing';

const repo = resolve(import.meta.dirname, '../../..');
const bars = 400;
const dir = mkdtempSync(join(tmpdir(), 'qts-start-'));
const csv = join(dir, 'BTCUSDT-5m.csv');
writeFileSync(csv, readFileSync(join(repo, 'infra/data/sample/BTCUSDT-5m.csv'), 'utf8').split('\n').slice(0, bars + 1).join('\n'));
const series = parseBarsCsv(readFileSync(csv, 'utf8'), { instrument: 'BTC/USDT', timeframe: '5m', venue: 'replay' }).series;
const lastClose = series.openTime[bars - 1]! + 300_000;
const expected = runBacktest({ bars: series, strategy: smaCross, params: { fast: 10, slow: 30 }, cash: 10_000, venue: { slippageBps: 2, makerFeeBps: 2, takerFeeBps: 10 } });

interface Started { child: ChildProcess; url: string; tokenLine: string; output: () => string }

let child: ChildProcess | null = null;
afterEach(() => {
  child?.kill('SIGKILL');
  child = null;
});

function start(dataDir: string, barsPerSecond: number): Promise<Started> {
  const config = join(dir, `config-${barsPerSecond}.json`);
  writeFileSync(config, JSON.stringify({ dataDir, market: { kind: 'replay', files: [{ path: csv, instrument: 'BTC/USDT', timeframe: '5m', venue: 'replay' }], barsPerSecond } }));
  const proc = spawn(process.execPath, ['--import', 'tsx', 'infra/src/cli/main.ts', 'start', '--config', config], {
    cwd: repo, env: { ...process.env, QTS_API_PORT: '0', QTS_LOG_LEVEL: 'warn', QTS_API_TOKEN: '', KAFKA_BROKERS: '', PG_URL: '' },
  });
  child = proc;
  let out = '';
  proc.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  return eventually(() => {
    const url = /API\s+(http:\/\/\S+)\/api\/v1/.exec(out)?.[1];
    const tokenLine = /API token\s+(.*)/.exec(out)?.[1];
    if (!url || !tokenLine) throw new Error(`not started yet:\n${out}`);
    return { child: proc, url, tokenLine, output: () => out };
  }, { timeoutMs: 90_000, intervalMs: 100 });
}

async function get<T>(url: string): Promise<T> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

function stopped(proc: ChildProcess): Promise<{ code: number | null; ms: number }> {
  const t0 = Date.now();
  return new Promise((done) => {
    proc.once('exit', (code) => done({ code, ms: Date.now() - t0 }));
    proc.kill('SIGTERM');
  });
}

type Page<T> = { items: T[]; nextCursor: string | null };
type Order = { clientOrderId: string; status: string; filledQuantity: number };

async function allOrders(url: string): Promise<Order[]> {
  const out: Order[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<Order> = await get(`${url}/api/v1/orders?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

describe('qts start (embedded)', () => {
  it('trades the replay, guards control with the token, stops on SIGTERM and resumes without doubling an order', { timeout: 300_000 }, async () => {
    const dataDir = join(dir, 'var');
    const first = await start(dataDir, 50);
    const token = /^(\S+)/.exec(first.tokenLine)![1]!;
    expect(token.length).toBeGreaterThanOrEqual(32);

    // Live fills reach the read models through the projector.
    await eventually(async () => {
      const orders = await allOrders(first.url);
      expect(orders.some((o) => o.status === 'filled')).toBe(true);
    }, { timeoutMs: 60_000, intervalMs: 250 });

    // The kill switch is a control path: no token, no halt.
    const halt = (auth?: string) => fetch(`${first.url}/api/v1/risk/halt`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
      body: JSON.stringify({ account: 'paper', note: 'e2e' }),
    });
    expect((await halt()).status).toBe(401);
    expect((await halt('wrong-token-000000000000')).status).toBe(403);
    expect((await halt(token)).status).toBe(200);
    const resume = await fetch(`${first.url}/api/v1/risk/resume`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ account: 'paper', note: 'e2e' }),
    });
    expect(resume.status).toBe(200);

    const stop = await stopped(first.child);
    expect(stop.code).toBe(0);
    expect(stop.ms).toBeLessThan(10_000);
    expect(first.output().split(token).length - 1).toBe(1); // the token is printed once, never logged

    const second = await start(dataDir, 0);
    expect(second.tokenLine).toMatch(/as printed on the first start/);
    await eventually(async () => {
      const instruments: { instrument: string; lastTs: number | null }[] = await get(`${second.url}/api/v1/instruments`);
      expect(instruments.find((i) => i.instrument === 'BTC/USDT')?.lastTs).toBe(lastClose);
      const orders = await allOrders(second.url);
      expect(orders.filter((o) => o.status === 'filled').length).toBeGreaterThanOrEqual(expected.fills > 0 ? 1 : 0);
      expect(orders.length).toBe(expected.orders);
    }, { timeoutMs: 90_000, intervalMs: 500 });
    const orders = await allOrders(second.url);
    expect(new Set(orders.map((o) => o.clientOrderId)).size).toBe(orders.length);
    expect((await stopped(second.child)).code).toBe(0);
  });
});
