// Secrets planted in a running `qts start` never reach a log line, a stored event, an API answer or a data file; every control route wants the token.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresEventStore } from '@qts/adapters';
import { eventually } from '@qts/adapters/testing';
import { sampleBars } from '../faults/history.ts';

const repo = resolve(import.meta.dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'qts-secrets-'));
const dataDir = join(dir, 'var');
const csv = join(dir, 'BTCUSDT-5m.csv');
writeFileSync(csv, sampleBars(300).csv);
const config = join(dir, 'qts.config.json');
writeFileSync(config, JSON.stringify({ dataDir, market: { kind: 'replay', files: [{ path: csv, instrument: 'BTC/USDT', timeframe: '5m', venue: 'replay' }], barsPerSecond: 100 } }));

// Distinctive values that occur nowhere by chance.
const secrets = {
  QTS_EXCHANGE_API_KEY: `PLANTEDKEY${randomBytes(12).toString('hex')}`,
  QTS_EXCHANGE_SECRET: `PLANTEDSECRET${randomBytes(12).toString('hex')}`,
  QTS_API_TOKEN: `plantedtoken${randomBytes(16).toString('hex')}`,
};
/** Each secret as text, and in the encodings a leak would take on its way into bytes (base64, hex). */
const forms = Object.entries(secrets).flatMap(([name, v]) => [
  { name, form: 'text', needle: v }, { name, form: 'base64', needle: Buffer.from(v).toString('base64').slice(0, 24) }, { name, form: 'hex', needle: Buffer.from(v).toString('hex') },
]);

let child: ChildProcess | null = null;
afterAll(() => { child?.kill('SIGKILL'); });

function leaks(where: string, text: string): string[] {
  return forms.filter((f) => text.includes(f.needle)).map((f) => `${f.name} (${f.form}) in ${where}`);
}

function filesUnder(d: string): string[] {
  return readdirSync(d, { recursive: true, encoding: 'utf8' }).map((f) => join(d, f)).filter((f) => statSync(f).isFile());
}

type OpenApi = { paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>> };

describe('secrets in a running system', () => {
  it('appear in no log line, stored event, API response or data file, and every mutating route answers 401 without the token', { timeout: 240_000 }, async () => {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'infra/src/cli/main.ts', 'start', '--config', config], {
      cwd: repo, env: { ...process.env, ...secrets, QTS_API_PORT: '0', QTS_LOG_LEVEL: 'debug', KAFKA_BROKERS: '', PG_URL: '', ESDB_URL: '' },
    });
    child = proc;
    let output = '';
    proc.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    proc.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    const url = await eventually(() => {
      const u = /API\s+(http:\/\/\S+)\/api\/v1/.exec(output)?.[1];
      if (!u) throw new Error(`not started yet:\n${output.slice(-2000)}`);
      return u;
    }, { timeoutMs: 90_000, intervalMs: 100 });
    const api = `${url}/api/v1`;
    const responses: string[] = [];
    const call = async (method: string, path: string, init: { token?: string; body?: string } = {}) => {
      const res = await fetch(`${api}${path}`, {
        method,
        headers: { ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...(init.token ? { authorization: `Bearer ${init.token}` } : {}) },
        ...(init.body !== undefined ? { body: init.body } : {}),
      });
      const text = await res.text();
      responses.push(`${method} ${path} ${res.status} ${JSON.stringify([...res.headers])} ${text}`);
      return { status: res.status, text };
    };

    // Trading happens: bars, signals, orders and fills flow into the store and the read models.
    await eventually(async () => {
      const { text } = await call('GET', '/orders?limit=200');
      expect(JSON.parse(text).items.some((o: { status: string }) => o.status === 'filled')).toBe(true);
    }, { timeoutMs: 90_000, intervalMs: 500 });

    const doc = JSON.parse((await call('GET', '/openapi.json')).text) as OpenApi;
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      path: path.replace(/^\/api\/v1/, '').replace(/\{(\w+)\}/g, (_m, name: string) => (name === 'account' ? 'paper' : name === 'strategyId' ? 'sma-btc' : 'no-such-id')),
      op,
    })));
    const mutating = operations.filter((o) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(o.method));
    expect(mutating.length).toBeGreaterThanOrEqual(8);

    // The token guards every control path: no token 401, a wrong one 403, whatever the body.
    for (const o of mutating) {
      for (const body of ['{}', JSON.stringify({ account: 'paper', note: 'x', reason: 'x', params: {} })]) {
        expect((await call(o.method, o.path, { body })).status, `${o.method} ${o.path} without a token`).toBe(401);
      }
      expect((await call(o.method, o.path, { body: '{}', token: `${secrets.QTS_API_TOKEN}x` })).status, `${o.method} ${o.path} with a wrong token`).toBe(403);
    }
    // Every read route, including the system ones, and errors: bad queries, unknown ids, bad bodies with the token.
    for (const o of operations.filter((x) => x.method === 'GET')) await call('GET', o.path);
    for (const path of ['/health', '/ready', '/metrics', '/orders?limit=-1', '/bars?instrument=%00', '/events?limit=5', '/no-such-route']) await call('GET', path);
    expect((await call('POST', '/risk/halt', { token: secrets.QTS_API_TOKEN, body: '{"account": 1}' })).status).toBe(400);
    expect((await call('POST', '/risk/halt', { token: secrets.QTS_API_TOKEN, body: '{"account":' })).status).toBe(400);
    expect((await call('POST', '/risk/halt', { token: secrets.QTS_API_TOKEN, body: JSON.stringify({ account: 'paper', note: 'secrets test' }) })).status).toBe(200);
    expect((await call('POST', '/risk/resume', { token: secrets.QTS_API_TOKEN, body: JSON.stringify({ account: 'paper', note: 'secrets test' }) })).status).toBe(200);
    await call('POST', '/orders', { token: secrets.QTS_API_TOKEN, body: JSON.stringify({ account: 'paper', venue: 'replay', instrument: 'BTC/USDT', side: 'buy', type: 'limit', quantity: 0.001, limitPrice: 1 }) });

    const stopped = new Promise<number | null>((done) => proc.once('exit', (code) => done(code)));
    proc.kill('SIGTERM');
    expect(await stopped).toBe(0);
    child = null;

    const found: string[] = [];
    const lines = output.split('\n');
    expect(lines.length).toBeGreaterThan(20); // startup, the worker logs at debug level, the shutdown
    lines.forEach((line, i) => found.push(...leaks(`output line ${i + 1}`, line)));
    responses.forEach((r) => found.push(...leaks(`response ${r.slice(0, 60)}`, r)));
    for (const file of filesUnder(dataDir)) found.push(...leaks(`file ${file}`, readFileSync(file).toString('latin1')));
    const store = await PostgresEventStore.openPglite(join(dataDir, 'pglite'));
    let events = 0;
    for await (const { event } of store.readAll()) {
      events++;
      found.push(...leaks(`event ${event.type} ${event.id}`, JSON.stringify(event)));
    }
    await store.close();
    expect(events).toBeGreaterThan(300);
    expect(found).toEqual([]);
  });
});
