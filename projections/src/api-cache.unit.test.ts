// The API's cached read answers: a GET after a projector commit shows it, ETag revalidation, compression, other read models left alone.
import { request } from 'node:http';
import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '@qts/schemas';
import { startReadSide, type ReadSideStack } from './stack.ts';
import { eventFactory, eventually } from './testing.ts';

let s: ReadSideStack;
const f = eventFactory(7);
const t0 = f.start;

beforeAll(async () => {
  s = await startReadSide({ api: { rateLimit: { readsPerMinute: 100_000, writesPerMinute: 100 } } });
  f.add('OrderRequested', { clientOrderId: 'c-1', signalId: null, strategyId: 'manual', account: 'acct', venue: 'binance', instrument: 'BTC/USDT', side: 'buy', type: 'market', quantity: 100, timeInForce: 'GTC', reduceOnly: false, ts: t0 }, t0);
  await s.append(f.events.map((x) => x.event));
  await s.running.caughtUp;
  await eventually(async () => expect((await get('/orders')).json.items).toHaveLength(1));
});
afterAll(async () => { await s?.close(); });

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any -- bodies are checked field by field
  return new Promise((resolve, reject) => {
    const req = request(`${s.api.url}/api/v1${path}`, { headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => {
        const body = Buffer.concat(parts);
        const enc = res.headers['content-encoding'];
        const plain = enc === 'gzip' ? gunzipSync(body) : enc === 'br' ? brotliDecompressSync(body) : body;
        let json: unknown = null;
        try { json = JSON.parse(plain.toString()); } catch { json = null; }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Appends an event and resolves once the projector has committed it. */
async function projected(event: DomainEvent): Promise<void> {
  const committed = new Promise<void>((resolve) => {
    const off = s.projector.onCommitted((events) => { if (events.some((x) => x.event.id === event.id)) { off(); resolve(); } });
  });
  await s.append([event]);
  await committed;
}

const fill = (n: number): DomainEvent => f.add('OrderFilled', {
  clientOrderId: 'c-1', instrument: 'BTC/USDT', venueOrderId: 'v-1', fillId: `fill-${n}`, side: 'buy', price: 100 + n, quantity: 1, fee: 0.1, feeCurrency: 'USDT', liquidity: 'taker', ts: t0 + n * 1000,
}, t0 + n * 1000) as DomainEvent;

describe('cached read answers', () => {
  it('a GET right after the projector committed a fill shows the fill, every time', async () => {
    const before = await get('/positions?strategyId=*');
    expect(before.json).toEqual([]);
    for (let n = 1; n <= 15; n++) {
      // Read twice between commits, so the answer is cached when the next fill lands.
      await get('/positions?strategyId=*');
      await projected(fill(n));
      const after = await get('/positions?strategyId=*');
      expect(after.status).toBe(200);
      expect(after.json).toHaveLength(1);
      expect(after.json[0]).toMatchObject({ account: 'acct', instrument: 'BTC/USDT', quantity: n });
      const order = await get('/orders/c-1');
      expect(order.json.fills).toHaveLength(n);
    }
  });

  it('answers 304 to a client holding the current ETag, and 200 with a new ETag once the read model changed', async () => {
    const first = await get('/positions?strategyId=*');
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^W\/"/);
    expect(first.headers['cache-control']).toBe('no-cache');
    const again = await get('/positions?strategyId=*', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    await projected(fill(100));
    const changed = await get('/positions?strategyId=*', { 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(changed.json[0].quantity).toBe(16);
  });

  it('a commit to another read model leaves the answer (and its ETag) in place', async () => {
    const first = await get('/positions?strategyId=*');
    await projected(f.add('SignalEmitted', { strategyId: 's-1', instrument: 'ETH/USDT', direction: 'long', strength: 1, price: 5, asOf: t0, reason: 'test' }, t0) as DomainEvent);
    expect((await get('/signals')).json.items).toHaveLength(1);
    const again = await get('/positions?strategyId=*', { 'if-none-match': first.headers.etag as string });
    expect(again.status).toBe(304);
  });

  it('sends br or gzip to clients that accept them, the same JSON as plain', async () => {
    for (let n = 200; n < 230; n++) f.add('OrderRequested', { clientOrderId: `c-${n}`, signalId: null, strategyId: 'manual', account: 'acct', venue: 'binance', instrument: 'BTC/USDT', side: 'buy', type: 'limit', limitPrice: 90, quantity: 1, timeInForce: 'GTC', reduceOnly: false, ts: t0 + n }, t0 + n);
    const last = f.events[f.events.length - 1]!.event;
    const committed = new Promise<void>((resolve) => { const off = s.projector.onCommitted((ev) => { if (ev.some((x) => x.event.id === last.id)) { off(); resolve(); } }); });
    await s.append(f.events.slice(-30).map((x) => x.event));
    await committed;
    const plain = await get('/orders?limit=50');
    expect(plain.json.items.length).toBeGreaterThan(20);
    expect(plain.body.length).toBeGreaterThan(1024);
    const gz = await get('/orders?limit=50', { 'accept-encoding': 'gzip, deflate' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.body.length).toBeLessThan(plain.body.length);
    expect(gz.json).toEqual(plain.json);
    const br = await get('/orders?limit=50', { 'accept-encoding': 'gzip, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.json).toEqual(plain.json);
    const refused = await get('/orders?limit=50', { 'accept-encoding': 'br;q=0, gzip' });
    expect(refused.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.vary).toContain('Accept-Encoding');
  });

  it('cached answers keep the read policy: a token from other hosts, 400 for bad queries, 429 past the limit counted with the cached ones', async () => {
    expect((await get('/orders?limit=0')).status).toBe(400);
    expect((await get('/orders?limit=abc')).status).toBe(400);
    // The same URL again: an error is never cached.
    expect((await get('/orders?limit=0')).status).toBe(400);
    // One stack for both policies: reads need the token, and 6 reads a minute.
    const strict = await startReadSide({ api: { readAccess: 'token', rateLimit: { readsPerMinute: 6, writesPerMinute: 5 } } });
    try {
      const risk = (authorization?: string) => fetch(`${strict.api.url}/api/v1/risk`, authorization ? { headers: { authorization } } : {}).then((r) => r.status);
      const bearer = `Bearer ${strict.token}`;
      expect(await risk(bearer)).toBe(200);
      expect(await risk(bearer)).toBe(200);
      expect(await risk()).toBe(401);
      expect(await risk('Bearer wrong-token-0123456789')).toBe(403);
      expect(await risk(bearer)).toBe(200);
      expect(await risk(bearer)).toBe(200);
      // The 7th read of the minute, cached or not.
      expect(await risk(bearer)).toBe(429);
    } finally {
      await strict.close();
    }
  });
});
