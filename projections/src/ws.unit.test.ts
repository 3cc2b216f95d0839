// The live feed end to end: snapshot then numbered deltas, gap detection and resync, auth, heartbeats, slow clients dropped.
import { LiveFeedClient } from '@qts/adapters';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startReadSide, type ReadSideStack } from './stack.ts';
import { chunks, eventually, tradingHistory } from './testing.ts';

let s: ReadSideStack;
const history = tradingHistory(3);

beforeAll(async () => {
  s = await startReadSide({ ws: { heartbeatMs: 200, maxBufferedBytes: 256 * 1024 }, projector: { batchSize: 25 } });
  // A first part is there before anyone subscribes: it must arrive as the snapshot.
  await s.append(history.slice(0, 150).map((h) => h.event));
  await eventually(async () => expect((await s.read.orders({ limit: 10 } as never)).items.length).toBeGreaterThan(0), 20_000);
});
afterAll(async () => { await s?.close(); });

/** Rows by key: snapshot first, then each delta's rows replace what they name. */
function book(key: (r: Record<string, unknown>) => string) {
  const rows = new Map<string, Record<string, unknown>>();
  return {
    rows,
    snapshot: (data: unknown) => { rows.clear(); for (const r of data as Record<string, unknown>[]) rows.set(key(r), r); },
    delta: (data: unknown) => { for (const r of data as Record<string, unknown>[]) rows.set(key(r), r); },
  };
}

async function settled(): Promise<void> {
  let head = 0n;
  for await (const e of s.store.readAll()) head = e.position;
  await eventually(async () => expect(Object.values(await s.projector.checkpoints()).every((p) => p === head)).toBe(true), 20_000);
  await s.feed.idle();
}

describe('live feed', () => {
  it('control messages need the token: refused without it, accepted after an auth message', async () => {
    const c = await LiveFeedClient.connect(s.wsUrl);
    c.subscribe('orders');
    await eventually(() => expect(c.errors.map((e) => e.kind)).toEqual(['Unauthorized']));
    c.send({ op: 'auth', token: 'wrong' });
    await eventually(() => expect(c.errors.map((e) => e.kind)).toEqual(['Unauthorized', 'Forbidden']));
    expect(c.channels.get('orders')!.snapshots).toBe(0);
    c.send({ op: 'auth', token: s.token });
    c.subscribe('orders');
    await eventually(() => expect(c.channels.get('orders')!.snapshots).toBe(1));
    c.send({ op: 'subscribe', channel: 'bars:btc usdt:7m' });
    await eventually(() => expect(c.errors.at(-1)!.kind).toBe('ValidationError'));
    c.close();
  });

  it('a browser from another origin cannot open the feed', async () => {
    const ws = new WebSocket(s.wsUrl, { headers: { origin: 'http://evil.example' } });
    const status = await new Promise<number>((resolve) => ws.on('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(403);
  });

  it('each channel starts with a snapshot and follows with consecutive deltas; rows end equal to the read models', async () => {
    const orders = book((r) => r.clientOrderId as string);
    const bars = book((r) => `${r.venue}:${r.openTime}`);
    const positions = book((r) => `${r.account}:${r.strategyId}:${r.instrument}`);
    const signals = book((r) => r.id as string);
    const books: Record<string, ReturnType<typeof book>> = { orders, 'bars:BTC/USDT:5m': bars, positions, signals };
    const c = await LiveFeedClient.connect(s.wsUrl, {
      token: s.token,
      onSnapshot: (ch, data) => books[ch]?.snapshot(data),
      onDelta: (ch, data) => books[ch]?.delta(data),
    });
    for (const ch of [...Object.keys(books), 'fills', 'pnl', 'system']) c.subscribe(ch);
    await eventually(() => expect([...c.channels.values()].every((st) => st.snapshots === 1)).toBe(true));
    const before = orders.rows.size;
    expect(before).toBeGreaterThan(0);
    for (const part of chunks(history.slice(150).map((h) => h.event), 40)) await s.append(part);
    await settled();
    await eventually(async () => {
      expect(orders.rows.size).toBeGreaterThan(before);
      const all = (await s.read.orders({ limit: 1000 } as never)).items;
      expect(Object.fromEntries(orders.rows)).toEqual(Object.fromEntries(all.map((o) => [o.clientOrderId, o])));
    });
    const dbBars = (await s.read.bars({ instrument: 'BTC/USDT', timeframe: '5m', limit: 1000 } as never)).items;
    expect(Object.fromEntries(bars.rows)).toEqual(Object.fromEntries(dbBars.map((b) => [`${b.venue}:${b.openTime}`, b])));
    const dbPositions = await s.read.positions({ strategyId: 'all', openOnly: false, account: undefined });
    expect([...positions.rows.values()]).toEqual(expect.arrayContaining(dbPositions));
    expect(signals.rows.size).toBe(3);
    for (const [ch, st] of c.channels) {
      expect(st.gaps, ch).toBe(0);
      expect(st.deltas, ch).toBeGreaterThan(0);
    }
    c.close();
  });

  it('a client that misses a delta sees the gap in the sequence, resyncs, and ends up with the right rows', async () => {
    const orders = book((r) => r.clientOrderId as string);
    let seen = 0;
    const c = await LiveFeedClient.connect(s.wsUrl, {
      token: s.token,
      // The second delta is "lost in transit".
      accept: (m) => !(m.type === 'delta' && m.channel === 'orders' && ++seen === 2),
      onSnapshot: (_ch, data) => orders.snapshot(data),
      onDelta: (_ch, data) => orders.delta(data),
    });
    c.subscribe('orders');
    await eventually(() => expect(c.channels.get('orders')!.snapshots).toBe(1));
    for (let i = 0; i < 4; i++) {
      const r = await fetch(`${s.api.url}/api/v1/orders`, {
        method: 'POST', headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ account: 'paper', venue: 'binance', instrument: 'ETH/USDT', side: 'buy', type: 'limit', quantity: 1, limitPrice: 3 + i, clientOrderId: `gap-${i}` }),
      });
      expect(r.status).toBe(202);
      await settled();
    }
    await eventually(() => {
      const st = c.channels.get('orders')!;
      expect(st.gaps).toBe(1);
      expect(st.snapshots).toBe(2);
      expect([...orders.rows.keys()]).toEqual(expect.arrayContaining(['gap-0', 'gap-1', 'gap-2', 'gap-3']));
    });
    c.close();
  });

  it('a client that stops reading is dropped; the others keep their feed without a gap', async () => {
    const slow = new WebSocket(s.wsUrl, { headers: { authorization: `Bearer ${s.token}` } });
    await new Promise((r) => slow.once('message', r));
    slow.send(JSON.stringify({ op: 'subscribe', channel: 'system' }));
    await new Promise((r) => slow.once('message', r));
    const good = await LiveFeedClient.connect(s.wsUrl, { token: s.token });
    good.subscribe('system');
    await eventually(() => expect(good.channels.get('system')!.snapshots).toBe(1));
    // The slow client's socket stops reading: the server's send buffer for it can only grow.
    (slow as unknown as { _socket: { pause(): void } })._socket.pause();
    const dropped = s.hub.stats().dropped;
    const payload = 'x'.repeat(16 * 1024);
    for (let i = 0; i < 400 && s.hub.stats().dropped === dropped; i++) {
      s.hub.publish('system', { i, payload });
      await new Promise((r) => setImmediate(r));
    }
    expect(s.hub.stats().dropped).toBe(dropped + 1);
    await eventually(() => expect(good.channels.get('system')!.deltas).toBeGreaterThan(0));
    expect(good.channels.get('system')!.gaps).toBe(0);
    expect((await fetch(`${s.api.url}/api/v1/health`)).status).toBe(200);
    good.close();
    slow.terminate();
  });

  it('a client that stops answering pings is disconnected by the heartbeat', async () => {
    const ws = new WebSocket(s.wsUrl, { headers: { authorization: `Bearer ${s.token}` }, autoPong: false });
    await new Promise((r) => ws.once('open', r));
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    expect(await closed).toBe(1006);
    // Every client of the earlier tests has gone too: the hub holds no one.
    await eventually(() => expect(s.hub.stats().clients).toBe(0));
  });
});
