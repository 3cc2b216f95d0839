// The live feed in the browser: one WebSocket, channels open only while something on screen reads them,
// snapshot then numbered deltas, a resync on a gap, reconnect with backoff, REST polling without a token.
import { createSubscriber } from 'svelte/reactivity';
import { API, get } from './api.ts';
import { applyDelta, sequence } from './feed-merge.ts';
import { apiToken, type ApiToken } from './token.svelte.ts';

export type FeedStatus = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'needs-token';

/** One channel's rows; reading `data` keeps the channel subscribed. */
export class FeedChannel<T> {
  #data = $state.raw<T | null>(null);
  #seq = -1;
  readonly #subscribe: () => void;

  constructor(readonly name: string, feed: LiveFeed) {
    this.#subscribe = createSubscriber(() => {
      feed.open(this as FeedChannel<unknown>);
      return () => feed.close(this as FeedChannel<unknown>);
    });
  }

  get data(): T | null {
    this.#subscribe();
    return this.#data;
  }

  /** The rows without subscribing (tests, one-off reads). */
  peek(): T | null { return this.#data; }

  snapshot(seq: number, data: T): void {
    this.#seq = seq;
    this.#data = data;
  }

  /** False when a delta is missing before this one: the caller resyncs. */
  delta(seq: number, data: unknown): boolean {
    const verdict = sequence(this.#seq, seq);
    if (verdict === 'gap') return false;
    if (verdict === 'apply') {
      this.#seq = seq;
      this.#data = applyDelta(this.name, this.#data, data) as T;
    }
    return true;
  }
}

/** What polling reads for a channel when the socket cannot be used (no token yet). */
async function poll(channel: string): Promise<unknown> {
  if (channel.startsWith('bars:')) {
    const [, instrument, timeframe] = channel.split(':') as [string, string, string];
    const first = await get<{ items: unknown[] }>(`/bars?instrument=${encodeURIComponent(instrument)}&timeframe=${timeframe}&limit=1000`);
    return first.items;
  }
  switch (channel) {
    case 'orders': return (await get<{ items: unknown[] }>('/orders?limit=100')).items;
    case 'signals': return (await get<{ items: unknown[] }>('/signals?limit=100')).items;
    case 'positions': return get('/positions?strategyId=all');
    case 'pnl': return get('/pnl');
    case 'system': return { risk: await get('/risk'), strategies: await get('/strategies') };
    default: return null;
  }
}

export class LiveFeed {
  #status = $state<FeedStatus>('idle');
  #resyncs = $state(0);
  #reconnects = $state(0);
  readonly #channels = new Map<string, FeedChannel<unknown>>();
  readonly #active = new Map<FeedChannel<unknown>, number>();
  #ws: WebSocket | null = null;
  #authed = false;
  #backoff = 500;
  #retry: ReturnType<typeof setTimeout> | null = null;
  #poller: ReturnType<typeof setInterval> | null = null;
  #idleClose: ReturnType<typeof setTimeout> | null = null;

  /**
   * The fixed channels are made here, outside any effect: Svelte does not track state that the reading
   * reaction itself created, so a channel first made inside a template would never update it.
   * Bars channels are made by whoever picks the instrument, from an event handler (see LiveView).
   */
  constructor(private readonly token: ApiToken = apiToken, private readonly url = defaultUrl()) {
    for (const name of ['signals', 'orders', 'fills', 'positions', 'pnl', 'system']) this.channel(name);
  }

  get status(): FeedStatus { return this.#status; }
  /** Snapshots asked again after a missed delta (shown in the status bar; tests read it). */
  get resyncs(): number { return this.#resyncs; }
  get reconnects(): number { return this.#reconnects; }

  channel<T>(name: string): FeedChannel<T> {
    let c = this.#channels.get(name);
    if (!c) { c = new FeedChannel<unknown>(name, this); this.#channels.set(name, c); }
    return c as FeedChannel<T>;
  }

  open(c: FeedChannel<unknown>): void {
    const n = this.#active.get(c) ?? 0;
    this.#active.set(c, n + 1);
    if (n > 0) return;
    if (this.#idleClose) { clearTimeout(this.#idleClose); this.#idleClose = null; }
    if (this.#authed) this.#send({ op: 'subscribe', channel: c.name });
    else if (this.#status === 'needs-token') void this.#pollOnce(c);
    this.#connect();
  }

  close(c: FeedChannel<unknown>): void {
    const n = (this.#active.get(c) ?? 1) - 1;
    if (n > 0) { this.#active.set(c, n); return; }
    this.#active.delete(c);
    if (this.#authed) this.#send({ op: 'unsubscribe', channel: c.name });
    // Page switches unsubscribe and resubscribe within a tick: keep the socket a moment.
    if (this.#active.size === 0) this.#idleClose = setTimeout(() => this.#shutdown(), 2000);
  }

  /** Called after the user enters a token: leaves polling for the socket. */
  retryWithToken(): void {
    if (this.#status !== 'needs-token') return;
    this.#stopPolling();
    this.#ws?.close();
    this.#ws = null;
    this.#status = 'idle';
    this.#connect();
  }

  /** Drops the socket as a network failure would (tests and the status bar's reconnect button). */
  dropConnection(): void { this.#ws?.close(4000, 'dropped by client'); }

  #connect(): void {
    if (this.#ws || this.#retry || this.#active.size === 0 || this.#status === 'needs-token') return;
    this.#status = this.#status === 'reconnecting' ? 'reconnecting' : 'connecting';
    const ws = new WebSocket(this.url);
    this.#ws = ws;
    ws.onmessage = (m) => this.#received(JSON.parse(String(m.data)) as ServerMessage);
    ws.onclose = () => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      this.#authed = false;
      if (this.#active.size === 0 || this.#status === 'needs-token') { if (this.#status !== 'needs-token') this.#status = 'idle'; return; }
      this.#status = 'reconnecting';
      this.#reconnects++;
      this.#retry = setTimeout(() => { this.#retry = null; this.#connect(); }, this.#backoff);
      this.#backoff = Math.min(this.#backoff * 2, 10_000);
    };
  }

  #received(m: ServerMessage): void {
    switch (m.type) {
      case 'hello':
        if (m.authenticated) this.#authenticated();
        else if (this.token.value) this.#send({ op: 'auth', token: this.token.value });
        else this.#needsToken();
        return;
      case 'authenticated': this.#authenticated(); return;
      case 'snapshot': this.#channels.get(m.channel)?.snapshot(m.seq, m.data); return;
      case 'delta': {
        const c = this.#channels.get(m.channel);
        if (c && !c.delta(m.seq, m.data)) { this.#resyncs++; this.#send({ op: 'resync', channel: m.channel }); }
        return;
      }
      case 'error':
        if (m.kind === 'Forbidden') { this.token.forget(); this.#needsToken(); }
        return;
      default:
    }
  }

  #authenticated(): void {
    this.#authed = true;
    this.#backoff = 500;
    this.#stopPolling();
    this.#status = 'live';
    // A (re)connection starts every channel from a fresh snapshot: whatever was missed while away is in it.
    for (const c of this.#active.keys()) this.#send({ op: 'subscribe', channel: c.name });
  }

  #needsToken(): void {
    this.#status = 'needs-token';
    this.#ws?.close();
    this.#ws = null;
    if (this.#poller) return;
    const tick = () => { for (const c of this.#active.keys()) void this.#pollOnce(c); };
    tick();
    this.#poller = setInterval(tick, 2500);
  }

  async #pollOnce(c: FeedChannel<unknown>): Promise<void> {
    try {
      const data = await poll(c.name);
      if (data !== null && this.#status === 'needs-token') c.snapshot(-1, data);
    } catch { /* the next tick tries again */ }
  }

  #stopPolling(): void {
    if (this.#poller) clearInterval(this.#poller);
    this.#poller = null;
  }

  #shutdown(): void {
    this.#idleClose = null;
    if (this.#active.size > 0) return;
    this.#stopPolling();
    if (this.#retry) { clearTimeout(this.#retry); this.#retry = null; }
    const ws = this.#ws;
    this.#ws = null;
    this.#authed = false;
    ws?.close();
    if (this.#status !== 'needs-token') this.#status = 'idle';
  }

  #send(m: unknown): void {
    if (this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify(m));
  }
}

type ServerMessage =
  | { type: 'hello'; authenticated: boolean }
  | { type: 'authenticated' }
  | { type: 'snapshot' | 'delta'; channel: string; seq: number; data: unknown }
  | { type: 'unsubscribed'; channel: string }
  | { type: 'error'; kind: string; message: string; channel?: string };

function defaultUrl(): string {
  const loc = globalThis.location;
  return loc ? `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}${API}/ws` : `ws://127.0.0.1${API}/ws`;
}

export const feed = new LiveFeed();
