// The stand-in's websockets: Binance's public market streams (/ws, SUBSCRIBE trade and kline) and the
// WebSocket API's user-data stream (/ws-api/v3, userDataStream.subscribe.signature -> executionReport).
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { BinanceOrder, BinanceTrade, SpotEngine } from './spot-engine.ts';

interface PublicClient { readonly socket: WebSocket; readonly streams: Set<string> }
interface UserClient { readonly socket: WebSocket; readonly subscriptionId: number }

export class StandinStreams {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly publicClients = new Set<PublicClient>();
  private readonly userClients = new Set<UserClient>();
  private nextSubscription = 0;
  private eventSeq = 1;

  constructor(server: Server, private readonly apiKeys: Readonly<Record<string, string>>, engine: SpotEngine, private readonly now: () => number) {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = new URL(req.url ?? '/', 'http://standin').pathname;
      if (path === '/ws-api/v3') this.wss.handleUpgrade(req, socket, head, (ws) => this.serveApi(ws));
      else if (path === '/ws' || path.startsWith('/ws/')) this.wss.handleUpgrade(req, socket, head, (ws) => this.servePublic(ws));
      else socket.destroy();
    });
    engine.onOrderUpdate = (order, trade) => this.pushExecutionReport(order, trade);
  }

  /** Connections open now, public and user-data: tests wait for a subscriber before publishing. */
  get subscribers(): { public: number; user: number } {
    return { public: [...this.publicClients].filter((c) => c.streams.size > 0).length, user: this.userClients.size };
  }

  /** Sends a payload to every connection subscribed to `stream` (e.g. 'btcusdt@trade'). */
  publish(stream: string, payload: unknown): void {
    const text = JSON.stringify(payload);
    for (const c of this.publicClients) if (c.streams.has(stream) && c.socket.readyState === WebSocket.OPEN) c.socket.send(text);
  }

  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private servePublic(socket: WebSocket): void {
    const client: PublicClient = { socket, streams: new Set() };
    this.publicClients.add(client);
    socket.on('close', () => this.publicClients.delete(client));
    socket.on('message', (data) => {
      let msg: { method?: string; params?: unknown; id?: unknown };
      try {
        msg = JSON.parse(String(data)) as typeof msg;
      } catch {
        socket.send(JSON.stringify({ error: { code: 3, msg: 'Invalid JSON: expected value at line 1 column 1' } }));
        return;
      }
      const params = Array.isArray(msg.params) ? msg.params.filter((p): p is string => typeof p === 'string') : [];
      if (msg.method === 'SUBSCRIBE') for (const p of params) client.streams.add(p);
      else if (msg.method === 'UNSUBSCRIBE') for (const p of params) client.streams.delete(p);
      else if (msg.method !== 'LIST_SUBSCRIPTIONS') {
        socket.send(JSON.stringify({ error: { code: 2, msg: `Invalid request: unknown method ${String(msg.method)}` }, id: msg.id ?? null }));
        return;
      }
      socket.send(JSON.stringify({ result: msg.method === 'LIST_SUBSCRIPTIONS' ? [...client.streams] : null, id: msg.id ?? null }));
    });
  }

  private serveApi(socket: WebSocket): void {
    let user: UserClient | null = null;
    socket.on('close', () => { if (user) this.userClients.delete(user); });
    socket.on('message', (data) => {
      let msg: { id?: unknown; method?: string; params?: Record<string, unknown> };
      try {
        msg = JSON.parse(String(data)) as typeof msg;
      } catch {
        socket.send(JSON.stringify({ id: null, status: 400, error: { code: -1000, msg: 'Malformed request' } }));
        return;
      }
      const reply = (status: number, body: { result?: unknown; error?: { code: number; msg: string } }): void => {
        socket.send(JSON.stringify({ id: msg.id ?? null, status, ...body }));
      };
      if (msg.method === 'ping') return reply(200, { result: {} });
      if (msg.method === 'time') return reply(200, { result: { serverTime: this.now() } });
      if (msg.method !== 'userDataStream.subscribe.signature') return reply(400, { error: { code: -1000, msg: `Unsupported method ${String(msg.method)}` } });
      const problem = this.checkSignature(msg.params ?? {});
      if (problem !== null) return reply(problem.status, { error: { code: problem.code, msg: problem.msg } });
      user = { socket, subscriptionId: this.nextSubscription++ };
      this.userClients.add(user);
      reply(200, { result: { subscriptionId: user.subscriptionId } });
    });
  }

  /** The WebSocket API signs the parameters sorted by key, joined as key=value with '&', without the signature. */
  private checkSignature(params: Record<string, unknown>): { status: number; code: number; msg: string } | null {
    const apiKey = params['apiKey'];
    const secret = typeof apiKey === 'string' ? this.apiKeys[apiKey] : undefined;
    if (secret === undefined) return { status: 401, code: -2015, msg: 'Invalid API-key, IP, or permissions for action.' };
    const signature = params['signature'];
    if (typeof signature !== 'string') return { status: 400, code: -1102, msg: "Mandatory parameter 'signature' was not sent, was empty/null, or malformed." };
    const payload = Object.keys(params).filter((k) => k !== 'signature').sort().map((k) => `${k}=${String(params[k])}`).join('&');
    const expected = Buffer.from(createHmac('sha256', secret).update(payload).digest('hex'));
    const given = Buffer.from(signature.toLowerCase());
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { status: 400, code: -1022, msg: 'Signature for this request is not valid.' };
    const timestamp = Number(params['timestamp']);
    const now = this.now();
    if (!Number.isFinite(timestamp) || timestamp >= now + 1_000 || now - timestamp > 5_000) return { status: 400, code: -1021, msg: 'Timestamp for this request is outside of the recvWindow.' };
    return null;
  }

  private pushExecutionReport(order: BinanceOrder, trade: BinanceTrade | null): void {
    if (this.userClients.size === 0) return;
    const execution = trade !== null ? 'TRADE' : order.status === 'NEW' ? 'NEW' : order.status === 'CANCELED' ? 'CANCELED' : order.status === 'EXPIRED' ? 'EXPIRED' : 'REJECTED';
    const event = {
      e: 'executionReport', E: this.now(), s: order.symbol, c: order.clientOrderId, S: order.side, o: order.type, f: order.timeInForce,
      q: order.origQty, p: order.price, P: '0.00000000', F: '0.00000000', g: -1, C: order.status === 'CANCELED' ? order.clientOrderId : '',
      x: execution, X: order.status, r: 'NONE', i: order.orderId, l: trade?.qty ?? '0.00000000', z: order.executedQty,
      L: trade?.price ?? '0.00000000', n: trade?.commission ?? '0', N: trade?.commissionAsset ?? null, T: trade?.time ?? order.updateTime,
      t: trade?.id ?? -1, I: this.eventSeq++, w: order.status === 'NEW', m: trade?.isMaker ?? false, M: false, O: order.time,
      Z: order.cummulativeQuoteQty, Y: trade?.quoteQty ?? '0.00000000', Q: '0.00000000', W: order.workingTime, V: order.selfTradePreventionMode,
    };
    for (const u of this.userClients) {
      if (u.socket.readyState === WebSocket.OPEN) u.socket.send(JSON.stringify({ subscriptionId: u.subscriptionId, event }));
    }
  }
}
