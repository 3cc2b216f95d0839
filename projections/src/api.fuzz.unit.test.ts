// Fuzzing every route of a listening API with random and malformed requests: never a 5xx, and it keeps serving.
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startReadSide, type ReadSideStack } from './stack.ts';
import { eventually, tradingHistory } from './testing.ts';

let s: ReadSideStack;
let routes: { method: string; path: string; params: string[]; query: string[] }[] = [];

beforeAll(async () => {
  s = await startReadSide();
  await s.append(tradingHistory().slice(0, 120).map((h) => h.event));
  const doc = await (await fetch(`${s.api.url}/api/v1/openapi.json`)).json() as { paths: Record<string, Record<string, { parameters: { name: string; in: string }[] }>> };
  routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({
    method: method.toUpperCase(), path,
    params: op.parameters.filter((p) => p.in === 'path').map((p) => p.name),
    query: op.parameters.filter((p) => p.in === 'query').map((p) => p.name),
  })));
});
afterAll(async () => { await s?.close(); });

/** Percent-encodes what encodeURIComponent can; lone surrogates and raw '%' go through as they are. */
const enc = (v: string): string => { try { return encodeURIComponent(v); } catch { return v.replace(/[#?/ ]/g, ''); } };

const nasty = fc.constantFrom('', '%', '%00', '%E0%A4%A', '..', '../..', 'sig-20-entry', 'sma-1', 'paper', 'BTC/USDT', '1m', '5m', '-1', '1e400', 'NaN',
  'Infinity', '9'.repeat(40), 'a'.repeat(600), '\u0000', '\ud800', 'null', 'true', '[]', '{}', '__proto__', 'constructor', 'eyJ4IjoxfQ', 'WzEsIngiXQ');
const text = fc.oneof(nasty, fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }));

const sampleBodies: Record<string, Record<string, unknown>> = {
  'POST /api/v1/orders': { account: 'paper', venue: 'binance', instrument: 'ETH/USDT', side: 'buy', type: 'limit', quantity: 1, limitPrice: 3 },
  'POST /api/v1/strategies': { strategyId: 'fz', kind: 'sma-cross', instruments: ['BTC/USDT'], timeframe: '1m', params: { fast: 5, slow: 20 } },
  'PUT /api/v1/strategies/{strategyId}/params': { params: { fast: 7 }, expectedRevision: 0 },
  'POST /api/v1/backtests': { kind: 'sma-cross', instrument: 'BTC/USDT', venue: 'binance', timeframe: '1m', params: {} },
  'POST /api/v1/risk/halt': { account: 'fuzz', by: 'fuzz', note: '' },
  'POST /api/v1/risk/resume': { account: 'fuzz', by: 'fuzz', note: '' },
  'POST /api/v1/orders/{clientOrderId}/cancel': { reason: 'fuzz' },
};

const request = fc.integer({ min: 0, max: 10_000 }).chain((pick) => {
  const r = routes[pick % routes.length]!;
  const sample = sampleBodies[`${r.method} ${r.path}`] ?? {};
  const body = fc.oneof(
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...Object.keys(sample), 'extra'), fc.oneof(fc.jsonValue(), text)).map(([k, v]) => JSON.stringify({ ...sample, [k]: v })) },
    { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: text },
    { weight: 1, arbitrary: fc.constant(JSON.stringify(sample)) },
    { weight: 1, arbitrary: fc.constantFrom('[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]', '{"a":'.repeat(200), '{"__proto__":{"x":1}}', '"\\ud800"', '{"account":"\\u0000"}') },
  );
  return fc.record({
    route: fc.constant(r),
    params: fc.tuple(...r.params.map(() => text)),
    query: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...r.query, 'limit', 'cursor'), text), text), { maxLength: 6 }),
    body,
    contentType: fc.constantFrom('application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded', ''),
    auth: fc.constantFrom('valid', 'valid', 'none', 'garbage', 'malformed'),
  });
});

it('no random or malformed request gets a 5xx, and the server keeps serving', async () => {
  const seen = new Map<number, number>();
  await fc.assert(fc.asyncProperty(request, async (q) => {
    let path = q.route.path;
    q.route.params.forEach((name, i) => { path = path.replace(`{${name}}`, enc(q.params[i]!) || 'x'); });
    const qs = q.query.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
    const headers: Record<string, string> = {};
    if (q.contentType) headers['content-type'] = q.contentType;
    if (q.auth === 'valid') headers.authorization = `Bearer ${s.token}`;
    if (q.auth === 'garbage') headers.authorization = 'Bearer not-it';
    if (q.auth === 'malformed') headers.authorization = 'Basic \u00e9\u00e9';
    const res = await fetch(`${s.api.url}${path}${qs ? `?${qs}` : ''}`, {
      method: q.route.method, headers, ...(q.route.method === 'GET' ? {} : { body: q.body }),
    }).catch((e: unknown) => { throw new Error(`${q.route.method} ${path}: ${(e as Error).message}`); });
    const text = await res.text();
    seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
    if (res.status >= 500) throw new Error(`${q.route.method} ${path}?${qs} ${q.body.slice(0, 200)} -> ${res.status} ${text.slice(0, 300)}`);
    if (res.status >= 400 && res.headers.get('content-type')?.includes('json')) {
      const err = JSON.parse(text) as { error: { kind: string; message: string } };
      expect(typeof err.error.kind).toBe('string');
    }
  }), { numRuns: 1500, seed: Number(process.env.FUZZ_SEED ?? 20261125) });
  // Both outcomes were exercised: requests got through, and requests were refused.
  expect([...seen.keys()].some((k) => k < 300)).toBe(true);
  expect([...seen.keys()].some((k) => k === 400)).toBe(true);
  console.log('fuzz statuses', Object.fromEntries([...seen].sort((a, b) => a[0] - b[0])));
  expect((await fetch(`${s.api.url}/api/v1/health`)).status).toBe(200);
  // Whatever the commands appended, the projector digests it all: no poison event stalls a read model.
  let head = 0n;
  for await (const e of s.store.readAll()) head = e.position;
  await eventually(async () => expect(Object.values(await s.projector.checkpoints()).every((p) => p === head)).toBe(true), 20_000);
  expect((await (await fetch(`${s.api.url}/api/v1/orders?limit=5`)).json() as { items: unknown[] }).items.length).toBeGreaterThan(0);
}, 120_000);
