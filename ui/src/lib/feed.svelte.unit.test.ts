// @vitest-environment happy-dom
// The browser feed against a scripted socket: auth, snapshot then deltas, resync on a gap, reconnect, and closing when unread.
import { flushSync } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LiveFeed } from './feed.svelte.ts';
import { ApiToken } from './token.svelte.ts';

class ScriptedSocket {
  static readonly OPEN = 1;
  static all: ScriptedSocket[] = [];
  readyState = 0;
  readonly sent: Record<string, unknown>[] = [];
  onmessage: ((m: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  constructor(readonly url: string) { ScriptedSocket.all.push(this); }
  send(text: string) { this.sent.push(JSON.parse(text) as Record<string, unknown>); }
  close() { if (this.readyState === 3) return; this.readyState = 3; this.onclose?.(); }
  /** The server speaks. */
  say(m: unknown) { this.readyState = 1; this.onmessage?.({ data: JSON.stringify(m) }); }
  ops() { return this.sent.map((m) => `${String(m.op)}${m.channel ? ` ${String(m.channel)}` : ''}`); }
}

const memory = () => { const m = new Map<string, string>(); return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k) }; };

beforeEach(() => {
  ScriptedSocket.all = [];
  vi.stubGlobal('WebSocket', ScriptedSocket);
  vi.useFakeTimers();
});
afterEach(() => { vi.useRealTimers(); vi.unstubAllGlobals(); });

/** Reads the channel in an effect, as a component on screen does; returns the teardown. */
function watch(read: () => unknown): () => void {
  const stop = $effect.root(() => { $effect(() => { read(); }); });
  flushSync();
  return stop;
}

describe('LiveFeed', () => {
  it('authenticates, subscribes what is read, applies deltas in order and resyncs after a missed one', () => {
    const token = new ApiToken(memory());
    token.set('secret-token');
    const feed = new LiveFeed(token, 'ws://test/api/v1/ws');
    const orders = feed.channel<{ clientOrderId: string; status: string }[]>('orders');
    const stop = watch(() => orders.data);

    const ws = ScriptedSocket.all[0]!;
    ws.say({ type: 'hello', authenticated: false, heartbeatMs: 15000 });
    expect(ws.sent[0]).toEqual({ op: 'auth', token: 'secret-token' });
    ws.say({ type: 'authenticated' });
    expect(feed.status).toBe('live');
    expect(ws.ops()).toContain('subscribe orders');

    ws.say({ type: 'snapshot', channel: 'orders', seq: 3, data: [{ clientOrderId: 'a', status: 'accepted' }] });
    ws.say({ type: 'delta', channel: 'orders', seq: 3, data: [{ clientOrderId: 'old', status: 'filled' }] }); // already in the snapshot
    ws.say({ type: 'delta', channel: 'orders', seq: 4, data: [{ clientOrderId: 'a', status: 'filled' }] });
    expect(orders.peek()).toEqual([{ clientOrderId: 'a', status: 'filled' }]);

    ws.say({ type: 'delta', channel: 'orders', seq: 6, data: [{ clientOrderId: 'b', status: 'accepted' }] });
    expect(ws.ops().at(-1)).toBe('resync orders');
    expect(feed.resyncs).toBe(1);
    expect(orders.peek()).toEqual([{ clientOrderId: 'a', status: 'filled' }]); // the gapped delta is not applied
    ws.say({ type: 'snapshot', channel: 'orders', seq: 6, data: [{ clientOrderId: 'b', status: 'accepted' }, { clientOrderId: 'a', status: 'filled' }] });
    ws.say({ type: 'delta', channel: 'orders', seq: 7, data: [{ clientOrderId: 'b', status: 'filled' }] });
    expect(orders.peek()?.map((o) => o.status)).toEqual(['filled', 'filled']);
    stop();
  });

  it('reconnects with backoff after the socket drops and subscribes again for a fresh snapshot', () => {
    const token = new ApiToken(memory());
    token.set('t');
    const feed = new LiveFeed(token, 'ws://test/ws');
    const stop = watch(() => feed.channel('pnl').data);
    const first = ScriptedSocket.all[0]!;
    first.say({ type: 'hello', authenticated: true, heartbeatMs: 15000 });
    first.close();
    expect(feed.status).toBe('reconnecting');
    expect(ScriptedSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(500);
    const second = ScriptedSocket.all[1]!;
    second.say({ type: 'hello', authenticated: true, heartbeatMs: 15000 });
    expect(second.ops()).toEqual(['subscribe pnl']);
    expect(feed.status).toBe('live');
    expect(feed.reconnects).toBe(1);
    stop();
  });

  it('unsubscribes when nothing reads the channel any more and closes the socket when idle', async () => {
    const token = new ApiToken(memory());
    token.set('t');
    const feed = new LiveFeed(token, 'ws://test/ws');
    const stop = watch(() => feed.channel('fills').data);
    const ws = ScriptedSocket.all[0]!;
    ws.say({ type: 'hello', authenticated: true, heartbeatMs: 15000 });
    stop();
    await vi.advanceTimersByTimeAsync(0); // createSubscriber releases in a microtask
    expect(ws.ops()).toEqual(['subscribe fills', 'unsubscribe fills']);
    vi.advanceTimersByTime(2000);
    expect(ws.readyState).toBe(3);
    expect(feed.status).toBe('idle');
  });

  it('without a token asks for one and does not subscribe', () => {
    const feed = new LiveFeed(new ApiToken(memory()), 'ws://test/ws');
    vi.stubGlobal('fetch', vi.fn(async () => new Response('[]')));
    const stop = watch(() => feed.channel('pnl').data);
    const ws = ScriptedSocket.all[0]!;
    ws.say({ type: 'hello', authenticated: false, heartbeatMs: 15000 });
    expect(feed.status).toBe('needs-token');
    expect(ws.sent).toEqual([]);
    stop();
  });
});
