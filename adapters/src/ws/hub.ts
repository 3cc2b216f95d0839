// The live feed over WebSocket: channels with a snapshot then numbered deltas, heartbeats, and slow clients dropped.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { bearerOf, type ApiToken } from '../http/auth.ts';
import { ClientMessage, type ServerMessage } from './protocol.ts';

export interface WsHubOptions {
  readonly token: ApiToken;
  /** Loads a channel's current state (from the read models); called on subscribe and resync. */
  readonly snapshot: (channel: string) => Promise<unknown>;
  readonly path?: string;
  readonly heartbeatMs?: number;
  /** A client whose unsent bytes exceed this is dropped: one slow reader must not hold the server's memory. */
  readonly maxBufferedBytes?: number;
  readonly maxSubscriptions?: number;
  /** Allowed Origin headers for browsers; connections without an Origin (non-browser clients) are allowed. */
  readonly origins?: readonly string[];
  readonly log?: (level: 'info' | 'warn' | 'error', msg: string, detail?: unknown) => void;
}

interface Subscription {
  /** While the snapshot loads, deltas wait here (seq, serialized message). */
  pending: { seq: number; text: string }[] | null;
}

interface Client {
  readonly ws: WebSocket;
  readonly subs: Map<string, Subscription>;
  authenticated: boolean;
  alive: boolean;
  failures: number;
}

export interface WsHubStats { clients: number; dropped: number; sent: number; channels: number }

const MAX_PENDING = 10_000;

export class WsHub {
  private readonly wss: WebSocketServer;
  private readonly clients = new Set<Client>();
  private readonly subscribers = new Map<string, Set<Client>>();
  private readonly seqs = new Map<string, number>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly path: string;
  private readonly maxBuffered: number;
  private readonly heartbeatMs: number;
  private dropped = 0;
  private sent = 0;
  private onUpgrade: ((req: IncomingMessage, socket: Duplex, head: Buffer) => void) | null = null;
  private server: Server | null = null;

  constructor(private readonly options: WsHubOptions) {
    this.path = options.path ?? '/api/v1/ws';
    this.maxBuffered = options.maxBufferedBytes ?? 4 * 1024 * 1024;
    this.heartbeatMs = options.heartbeatMs ?? 15_000;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false });
    this.heartbeat = setInterval(() => this.beat(), this.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Serves the feed on an existing HTTP server (the API's), at `path`. */
  attach(server: Server): void {
    this.server = server;
    this.onUpgrade = (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== this.path) return;
      const origin = req.headers.origin;
      if (origin && !(this.options.origins ?? []).includes(origin)) {
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.connected(ws, req));
    };
    server.on('upgrade', this.onUpgrade);
  }

  /** The next sequence number a delta on `channel` will carry, minus one. */
  seqOf(channel: string): number {
    return this.seqs.get(channel) ?? 0;
  }

  hasSubscribers(channel: string): boolean {
    return (this.subscribers.get(channel)?.size ?? 0) > 0;
  }

  /** Channels with at least one subscriber (the feed computes deltas only for these). */
  activeChannels(): string[] {
    return [...this.subscribers].filter(([, s]) => s.size > 0).map(([c]) => c);
  }

  /** Sends a delta to every subscriber of `channel`; serialized once, whatever the number of clients. */
  publish(channel: string, data: unknown): void {
    const subs = this.subscribers.get(channel);
    if (!subs || subs.size === 0) return;
    const seq = this.seqOf(channel) + 1;
    this.seqs.set(channel, seq);
    const text = JSON.stringify({ type: 'delta', channel, seq, data } satisfies ServerMessage);
    for (const c of subs) {
      const sub = c.subs.get(channel);
      if (!sub) continue;
      if (sub.pending) {
        if (sub.pending.length < MAX_PENDING) sub.pending.push({ seq, text });
        continue;
      }
      this.sendText(c, text);
    }
  }

  stats(): WsHubStats {
    return { clients: this.clients.size, dropped: this.dropped, sent: this.sent, channels: this.activeChannels().length };
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    if (this.server && this.onUpgrade) this.server.off('upgrade', this.onUpgrade);
    for (const c of this.clients) c.ws.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
  }

  private connected(ws: WebSocket, req: IncomingMessage): void {
    const presented = bearerOf(req.headers.authorization);
    const client: Client = { ws, subs: new Map(), authenticated: presented !== null && this.options.token.verify(presented), alive: true, failures: 0 };
    this.clients.add(client);
    ws.on('pong', () => { client.alive = true; });
    ws.on('message', (data, isBinary) => { void this.received(client, data, isBinary); });
    ws.on('close', () => this.forget(client));
    ws.on('error', () => this.forget(client));
    this.send(client, { type: 'hello', authenticated: client.authenticated, heartbeatMs: this.heartbeatMs });
  }

  private async received(c: Client, data: RawData, isBinary: boolean): Promise<void> {
    let parsed: unknown;
    try { parsed = isBinary ? undefined : JSON.parse(data.toString()); } catch { parsed = undefined; }
    const msg = ClientMessage.safeParse(parsed);
    if (!msg.success) {
      this.refuse(c, 'ValidationError', msg.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).join('; '));
      return;
    }
    const m = msg.data;
    if (m.op === 'auth') {
      if (this.options.token.verify(m.token)) { c.authenticated = true; c.failures = 0; this.send(c, { type: 'authenticated' }); }
      else this.refuse(c, 'Forbidden', 'the token is not valid');
      return;
    }
    // Every control message needs the token, sent at upgrade (Authorization) or by an auth message.
    if (!c.authenticated) { this.refuse(c, 'Unauthorized', `'${m.op}' needs the API token: send {"op":"auth","token":...} first`); return; }
    if (m.op === 'unsubscribe') {
      c.subs.delete(m.channel);
      this.subscribers.get(m.channel)?.delete(c);
      this.send(c, { type: 'unsubscribed', channel: m.channel });
      return;
    }
    if (m.op === 'subscribe' && !c.subs.has(m.channel) && c.subs.size >= (this.options.maxSubscriptions ?? 64)) {
      this.refuse(c, 'ValidationError', 'too many subscriptions on one connection', m.channel);
      return;
    }
    await this.sendSnapshot(c, m.channel);
  }

  /** Snapshot first, then the deltas that arrived while it loaded; later deltas flow directly. */
  private async sendSnapshot(c: Client, channel: string): Promise<void> {
    let sub = c.subs.get(channel);
    if (!sub) {
      sub = { pending: [] };
      c.subs.set(channel, sub);
      let set = this.subscribers.get(channel);
      if (!set) { set = new Set(); this.subscribers.set(channel, set); }
      set.add(c);
    } else {
      sub.pending ??= [];
    }
    const seq = this.seqOf(channel);
    let data: unknown;
    try {
      data = await this.options.snapshot(channel);
    } catch (e) {
      this.options.log?.('error', `snapshot of ${channel} failed`, e);
      c.subs.delete(channel);
      this.subscribers.get(channel)?.delete(c);
      this.refuse(c, 'SnapshotFailed', 'could not load the snapshot; subscribe again', channel);
      return;
    }
    if (c.subs.get(channel) !== sub || c.ws.readyState !== WebSocket.OPEN) return;
    const pending = sub.pending ?? [];
    sub.pending = null;
    this.send(c, { type: 'snapshot', channel, seq, data });
    for (const p of pending) if (p.seq > seq) this.sendText(c, p.text);
  }

  private refuse(c: Client, kind: string, message: string, channel?: string): void {
    this.send(c, { type: 'error', kind, message, ...(channel ? { channel } : {}) });
    // A client that keeps sending what we refuse is closed rather than served errors forever.
    if (++c.failures > 20) c.ws.close(1008, 'too many refused messages');
  }

  private send(c: Client, m: ServerMessage): void {
    this.sendText(c, JSON.stringify(m));
  }

  private sendText(c: Client, text: string): void {
    if (c.ws.readyState !== WebSocket.OPEN) return;
    if (c.ws.bufferedAmount > this.maxBuffered) {
      this.dropped++;
      this.options.log?.('warn', 'dropping a slow websocket client', { buffered: c.ws.bufferedAmount });
      this.forget(c);
      c.ws.terminate();
      return;
    }
    this.sent++;
    c.ws.send(text);
  }

  private beat(): void {
    for (const c of this.clients) {
      if (!c.alive) { this.forget(c); c.ws.terminate(); continue; }
      c.alive = false;
      try { c.ws.ping(); } catch { this.forget(c); }
    }
  }

  private forget(c: Client): void {
    if (!this.clients.delete(c)) return;
    for (const ch of c.subs.keys()) this.subscribers.get(ch)?.delete(c);
    c.subs.clear();
  }
}
