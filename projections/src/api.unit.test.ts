// The REST API end to end on PGlite: commands append events, the projector updates read models, the API serves them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEvent, uuidv7Ids } from '@qts/schemas';
import { startReadSide, type ReadSideStack } from './stack.ts';
import { eventually, tradingHistory } from './testing.ts';

let s: ReadSideStack;
const history = tradingHistory();

beforeAll(async () => {
  s = await startReadSide({ api: { corsOrigins: ['http://localhost:5173'] } });
  await s.append(history.map((h) => h.event));
  await eventually(async () => expect((await s.read.checkpoints()).positions).toBe((await lastPosition()).toString()), 20_000);
});
afterAll(async () => { await s?.close(); });

async function lastPosition(): Promise<bigint> {
  let last = 0n;
  for await (const e of s.store.readAll()) last = e.position;
  return last;
}

async function call(method: string, path: string, opts: { body?: unknown; token?: string | null; headers?: Record<string, string>; raw?: string } = {}) {
  const headers: Record<string, string> = { ...opts.headers };
  const token = opts.token === undefined ? s.token : opts.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (opts.body !== undefined || opts.raw !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${s.api.url}/api/v1${path}`, { method, headers, ...(opts.raw !== undefined ? { body: opts.raw } : opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) });
  const text = await res.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field below
  let json: any = null;
  try { json = JSON.parse(text); } catch { json = null; }
  return { status: res.status, json, text, headers: res.headers };
}

describe('system routes', () => {
  it('health, readiness, metrics and an OpenAPI 3.1 document covering every route', async () => {
    expect((await call('GET', '/health', { token: null })).json.status).toBe('ok');
    expect((await call('GET', '/ready', { token: null })).json.ready).toBe(true);
    const metrics = await call('GET', '/metrics', { token: null });
    expect(metrics.headers.get('content-type')).toMatch(/text\/plain/);
    expect(metrics.text).toContain('qts_http_request_duration_seconds');
    const doc = (await call('GET', '/openapi.json', { token: null })).json;
    expect(doc.openapi).toBe('3.1.0');
    for (const p of ['/api/v1/orders', '/api/v1/orders/{clientOrderId}', '/api/v1/orders/{clientOrderId}/cancel', '/api/v1/bars', '/api/v1/positions',
      '/api/v1/strategies/{strategyId}/params', '/api/v1/backtests/{jobId}/results', '/api/v1/risk/halt', '/api/v1/events']) expect(doc.paths[p], p).toBeDefined();
    expect(doc.paths['/api/v1/orders'].post.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/api/v1/orders'].post.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/ManualOrder');
    expect(doc.components.schemas.Order.properties.status.enum).toContain('partially-filled');
    expect(doc.paths['/api/v1/bars'].get.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['instrument', 'timeframe', 'cursor', 'limit']));
  });
});

describe('read routes', () => {
  it('orders page by cursor through every order, newest first, and one order comes with its fills', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r = await call('GET', `/orders?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: null });
      expect(r.status).toBe(200);
      seen.push(...r.json.items.map((o: { clientOrderId: string }) => o.clientOrderId));
      cursor = r.json.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toHaveLength(5);
    expect(seen.slice(0, 2)).toEqual(['sig-x-entry', 'manual-1']);
    const one = await call('GET', '/orders/sig-20-entry', { token: null });
    expect(one.json).toMatchObject({ status: 'filled', filledQuantity: 1.5, side: 'buy', account: 'paper' });
    expect(one.json.fills.map((f: { fillId: string }) => f.fillId)).toEqual(['f-20-1', 'f-20-2']);
  });

  it('bars by instrument, timeframe and range, paged', async () => {
    const all: number[] = [];
    let cursor: string | null = null;
    do {
      const r = await call('GET', `/bars?instrument=BTC/USDT&venue=binance&timeframe=5m&limit=7${cursor ? `&cursor=${cursor}` : ''}`, { token: null });
      all.push(...r.json.items.map((b: { openTime: number }) => b.openTime));
      cursor = r.json.nextCursor;
    } while (cursor);
    expect(all).toHaveLength(24);
    expect([...all].sort((a, b) => a - b)).toEqual(all);
    const ranged = await call('GET', `/bars?instrument=BTC/USDT&venue=binance&timeframe=1m&from=${all[1]}&to=${all[2]}`, { token: null });
    expect(ranged.json.items).toHaveLength(5);
  });

  it('positions account-wide and per strategy, PnL, equity curve, signals, strategies, risk, instruments', async () => {
    const acct = (await call('GET', '/positions', { token: null })).json;
    expect(acct.every((p: { strategyId: string }) => p.strategyId === '*')).toBe(true);
    const all = (await call('GET', '/positions?strategyId=all', { token: null })).json;
    expect(all.map((p: { strategyId: string }) => p.strategyId).sort()).toEqual(['*', 'sma-1']);
    const pnl = (await call('GET', '/pnl', { token: null })).json;
    expect(pnl[0]).toMatchObject({ account: 'paper' });
    expect(pnl[0].realizedPnl).toBeCloseTo(all[0].realizedPnl, 9);
    const curve = (await call('GET', '/equity/paper?limit=10', { token: null })).json;
    expect(curve.items).toHaveLength(10);
    expect(curve.nextCursor).not.toBeNull();
    expect((await call('GET', '/signals?strategyId=sma-1', { token: null })).json.items).toHaveLength(3);
    expect((await call('GET', '/strategies/sma-1', { token: null })).json).toMatchObject({ status: 'stopped', params: { fast: 12, slow: 30 } });
    expect((await call('GET', '/risk', { token: null })).json[0]).toMatchObject({ account: 'paper', halted: false, breachCount: 1 });
    const inst = (await call('GET', '/instruments', { token: null })).json;
    expect(inst.map((i: { venue: string; instrument: string }) => `${i.venue}:${i.instrument}`)).toEqual(['binance:BTC/USDT', 'kraken:BTC/USDT', 'binance:ETH/USDT']);
  });

  it('audit events by stream, by type, by instrument and by correlation id', async () => {
    const byStream = (await call('GET', '/events?stream=order-sig-20-entry', { token: null })).json;
    expect(byStream.items.map((e: { type: string }) => e.type)).toEqual(['OrderRequested', 'OrderSubmitted', 'OrderAccepted', 'OrderFilled', 'OrderFilled', 'OrderFilled']);
    const signal = history.find((h) => h.event.type === 'SignalEmitted')!.event;
    const chain = (await call('GET', `/events?correlationId=${signal.correlationId}&limit=100`, { token: null })).json;
    expect(chain.items[0].type).toBe('SignalEmitted');
    expect(chain.items).toHaveLength(7);
    const halts = (await call('GET', '/events?type=TradingHalted', { token: null })).json;
    expect(halts.items).toHaveLength(1);
    const eth = (await call('GET', '/events?instrument=ETH/USDT&type=OrderRequested', { token: null })).json;
    expect(eth.items.map((e: { data: { clientOrderId: string } }) => e.data.clientOrderId)).toEqual(['manual-1']);
  });
});

describe('errors', () => {
  it('400 names every invalid field of params, query and body', async () => {
    const r = await call('GET', '/bars?timeframe=7m&limit=0&cursor=%%%', { token: null });
    expect(r.status).toBe(400);
    expect(r.json.error.kind).toBe('ValidationError');
    expect(r.json.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(['query.cursor', 'query.instrument', 'query.limit', 'query.timeframe']);
    const b = await call('POST', '/orders', { body: { account: 'paper', venue: 'binance', instrument: 'btc usdt', side: 'hold', type: 'limit', quantity: -1, extra: 1 } });
    expect(b.status).toBe(400);
    const paths = b.json.error.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['body.instrument', 'body.side', 'body.quantity']));
    const cursor = await call('GET', `/orders?cursor=${Buffer.from('["x"]').toString('base64url')}`, { token: null });
    expect(cursor.status).toBe(400);
    expect(cursor.json.error.issues).toEqual([{ path: 'query.cursor', message: 'not a cursor from this API' }]);
  });

  it('400 for malformed JSON, 413 for a body over the limit, 404 for unknown things, typed', async () => {
    const bad = await call('POST', '/orders', { raw: '{"account": ' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.kind).toBe('ValidationError');
    const big = await call('POST', '/orders', { raw: JSON.stringify({ note: 'x'.repeat(100_000) }) });
    expect(big.status).toBe(413);
    expect(big.json.error.kind).toBe('PayloadTooLarge');
    expect((await call('GET', '/orders/nope', { token: null })).json).toEqual({ error: { kind: 'NotFound', message: "order 'nope' not found" } });
    expect((await call('GET', '/strategies/nope', { token: null })).status).toBe(404);
    expect((await call('GET', '/no/such/route', { token: null })).status).toBe(404);
    expect((await call('POST', '/orders/nope/cancel', { body: {} })).status).toBe(404);
  });

  it('401 without a token on a mutating route, 403 with a wrong one; nothing is written', async () => {
    const before = (await call('GET', '/events?type=StrategyStarted', { token: null })).json.items.length;
    const body = { strategyId: 'x-1', kind: 'sma-cross', instruments: ['BTC/USDT'], timeframe: '1m' };
    const none = await call('POST', '/strategies', { body, token: null });
    expect(none.status).toBe(401);
    expect(none.json.error.kind).toBe('Unauthorized');
    const wrong = await call('POST', '/strategies', { body, token: 'not-the-token' });
    expect(wrong.status).toBe(403);
    expect(wrong.json.error.kind).toBe('Forbidden');
    expect((await call('GET', '/events?type=StrategyStarted', { token: null })).json.items.length).toBe(before);
  });

  it('CORS answers only the configured UI origin', async () => {
    const ok = await call('GET', '/health', { token: null, headers: { origin: 'http://localhost:5173' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const other = await call('GET', '/health', { token: null, headers: { origin: 'http://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${s.api.url}/api/v1/orders`, { method: 'OPTIONS', headers: { origin: 'http://evil.example' } });
    expect(preflight.status).toBe(403);
  });
});

describe('commands', () => {
  it('a manual order is requested, shows up in the read model, and can be cancelled once', async () => {
    const placed = await call('POST', '/orders', { body: { account: 'paper', venue: 'binance', instrument: 'ETH/USDT', side: 'buy', type: 'limit', quantity: 1, limitPrice: 3.5, clientOrderId: 'ui-1' } });
    expect(placed.status).toBe(202);
    expect(placed.json).toEqual({ clientOrderId: 'ui-1', status: 'requested' });
    // The same POST again (a client retry) changes nothing.
    expect((await call('POST', '/orders', { body: { account: 'paper', venue: 'binance', instrument: 'ETH/USDT', side: 'buy', type: 'limit', quantity: 1, limitPrice: 3.5, clientOrderId: 'ui-1' } })).status).toBe(202);
    await eventually(async () => expect((await call('GET', '/orders/ui-1', { token: null })).json.status).toBe('requested'));
    const cancel = await call('POST', '/orders/ui-1/cancel', { body: { reason: 'changed my mind' } });
    expect(cancel.status).toBe(202);
    await eventually(async () => expect((await call('GET', '/orders/ui-1', { token: null })).json.cancelRequestedAt).not.toBeNull());
    const stream = (await call('GET', '/events?stream=order-ui-1', { token: null })).json.items.map((e: { type: string }) => e.type);
    expect(stream).toEqual(['OrderRequested', 'OrderCancelRequested']);
  });

  it('409 when cancelling a filled order', async () => {
    const r = await call('POST', '/orders/sig-20-entry/cancel', { body: {} });
    expect(r.status).toBe(409);
    expect(r.json.error.kind).toBe('IllegalOrderTransition');
  });

  it('strategies: create, 409 on a duplicate, params validated by range, stale revision 409, stop and start', async () => {
    const body = { strategyId: 'api-sma', kind: 'sma-cross', instruments: ['BTC/USDT'], timeframe: '5m', params: { fast: 5, slow: 20 } };
    const created = await call('POST', '/strategies', { body });
    expect(created.status).toBe(201);
    expect(created.json).toEqual({ strategyId: 'api-sma', revision: 0 });
    const dup = await call('POST', '/strategies', { body });
    expect(dup.status).toBe(409);
    expect(dup.json.error.kind).toBe('WrongExpectedRevision');
    const badParams = await call('PUT', '/strategies/api-sma/params', { body: { params: { fast: 100000 } } });
    expect(badParams.status).toBe(400);
    expect(badParams.json.error.issues[0].path).toBe('body.params.fast');
    const stale = await call('PUT', '/strategies/api-sma/params', { body: { params: { fast: 6 }, expectedRevision: 5 } });
    expect(stale.status).toBe(409);
    const changed = await call('PUT', '/strategies/api-sma/params', { body: { params: { fast: 6 }, expectedRevision: 0 } });
    expect(changed.json).toEqual({ strategyId: 'api-sma', revision: 1 });
    expect((await call('POST', '/strategies/api-sma/stop', { body: {} })).status).toBe(200);
    expect((await call('POST', '/strategies/api-sma/stop', { body: {} })).status).toBe(409);
    await eventually(async () => expect((await call('GET', '/strategies/api-sma', { token: null })).json).toMatchObject({ status: 'stopped', params: { fast: 6, slow: 20 } }));
    expect((await call('POST', '/strategies/api-sma/start', { body: {} })).status).toBe(200);
    await eventually(async () => expect((await call('GET', '/strategies/api-sma', { token: null })).json.status).toBe('running'));
    expect((await call('POST', '/strategies', { body: { ...body, strategyId: 'x', kind: 'no-such' } })).json.error.issues[0].path).toBe('body.kind');
  });

  it('a model strategy started by its worker takes a params change; its worker, which knows its schema, validates it', async () => {
    const now = Date.now();
    await s.append([makeEvent('StrategyStarted', {
      strategyId: 'xgb-btc', kind: 'ml:xgboost-btcusdt-5m', instruments: ['BTC/USDT'], timeframe: '5m', params: { longAbove: 0.55, shortBelow: 0.45 }, by: 'config', ts: now,
    }, { id: uuidv7Ids(now), occurredAt: now, recordedAt: now })]);
    const changed = await call('PUT', '/strategies/xgb-btc/params', { body: { params: { longAbove: 0.6 } } });
    expect(changed.status).toBe(200);
    const stored = [];
    for await (const r of s.store.readStream('strategy-xgb-btc')) stored.push(r.event);
    expect(stored.at(-1)).toMatchObject({ type: 'StrategyParamsChanged', data: { params: { longAbove: 0.6, shortBelow: 0.45 }, previous: { longAbove: 0.55, shortBelow: 0.45 } } });
  });

  it('the kill switch halts an account, refuses manual orders while halted, and resumes', async () => {
    const halted = await call('POST', '/risk/halt', { body: { account: 'acct-2', by: 'ops', note: 'drill' } });
    expect(halted.json).toMatchObject({ account: 'acct-2', halted: true });
    expect((await call('POST', '/risk/halt', { body: { account: 'acct-2' } })).json.halted).toBe(true);
    await eventually(async () => expect((await call('GET', '/risk', { token: null })).json.find((r: { account: string }) => r.account === 'acct-2')).toMatchObject({ halted: true, haltReason: { kind: 'Manual', by: 'ops', note: 'drill' } }));
    const refused = await call('POST', '/orders', { body: { account: 'acct-2', venue: 'binance', instrument: 'BTC/USDT', side: 'buy', type: 'market', quantity: 1, clientOrderId: 'halted-1' } });
    expect(refused.json).toEqual({ clientOrderId: 'halted-1', status: 'rejected' });
    await eventually(async () => expect((await call('GET', '/orders/halted-1', { token: null })).json).toMatchObject({ status: 'rejected', rejectReason: { kind: 'TradingHalted' } }));
    expect((await call('POST', '/risk/resume', { body: { account: 'acct-2', by: 'ops' } })).json.halted).toBe(false);
    await eventually(async () => expect((await call('GET', '/risk', { token: null })).json.find((r: { account: string }) => r.account === 'acct-2').halted).toBe(false));
  });

  it('a backtest runs as a job over the projected bars: id at once, then status, then results', async () => {
    const mixed = await call('POST', '/backtests', { body: { kind: 'sma-cross', instrument: 'BTC/USDT', timeframe: '1m' } });
    await eventually(async () => expect((await call('GET', `/backtests/${mixed.json.jobId}`, { token: null })).json).toMatchObject({ status: 'failed', error: expect.stringContaining('several venues') }));
    expect((await call('GET', `/backtests/${mixed.json.jobId}/results`, { token: null })).status).toBe(409);
    const sub = await call('POST', '/backtests', { body: { kind: 'sma-cross', params: { fast: 3, slow: 8 }, instrument: 'BTC/USDT', venue: 'binance', timeframe: '1m', cash: 1000 } });
    expect(sub.status).toBe(202);
    const { jobId } = sub.json;
    await eventually(async () => expect((await call('GET', `/backtests/${jobId}`, { token: null })).json.status).toBe('succeeded'), 20_000);
    const res = (await call('GET', `/backtests/${jobId}/results`, { token: null })).json;
    expect(res.result.bars).toBe(120);
    expect(res.result.signals).toBeGreaterThan(0);
    expect(typeof res.result.eventHash).toBe('string');
    expect((await call('GET', '/backtests/bt-nope', { token: null })).status).toBe(404);
    const bad = await call('POST', '/backtests', { body: { kind: 'sma-cross', params: { fast: 'x' }, instrument: 'BTC/USDT' } });
    expect(bad.status).toBe(400);
  });
});
