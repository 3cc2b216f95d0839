// A live-feed client for Node (tests, benchmarks, scripts): tracks each channel's sequence, detects gaps, resyncs.
import { WebSocket } from 'ws';
import type { ServerMessage } from './protocol.ts';

export interface ChannelState {
  seq: number;
  snapshots: number;
  deltas: number;
  gaps: number;
  lastSnapshot: unknown;
}

export interface LiveFeedClientOptions {
  readonly token?: string;
  /** Called for each delta applied in order (after its snapshot). */
  readonly onDelta?: (channel: string, data: unknown, seq: number) => void;
  readonly onSnapshot?: (channel: string, data: unknown, seq: number) => void;
  /** Test hook: return false to act as if a message was lost on the way. */
  readonly accept?: (m: ServerMessage) => boolean;
}

export class LiveFeedClient {
  readonly channels = new Map<string, ChannelState>();
  readonly errors: Extract<ServerMessage, { type: 'error' }>[] = [];
  private constructor(readonly ws: WebSocket, private readonly options: LiveFeedClientOptions) {
    ws.on('message', (raw) => this.received(JSON.parse(raw.toString()) as ServerMessage));
  }

  /** Connects (token in the Authorization header when given) and waits for the server's hello. */
  static async connect(url: string, options: LiveFeedClientOptions = {}): Promise<LiveFeedClient> {
    const ws = new WebSocket(url, { headers: options.token ? { authorization: `Bearer ${options.token}` } : {}, perMessageDeflate: false });
    const client = new LiveFeedClient(ws, options);
    await new Promise<void>((resolve, reject) => {
      ws.once('message', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
    return client;
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  subscribe(channel: string): void {
    if (!this.channels.has(channel)) this.channels.set(channel, { seq: -1, snapshots: 0, deltas: 0, gaps: 0, lastSnapshot: undefined });
    this.send({ op: 'subscribe', channel });
  }

  close(): void {
    this.ws.close();
  }

  private received(m: ServerMessage): void {
    if (this.options.accept && !this.options.accept(m)) return;
    if (m.type === 'error') { this.errors.push(m); return; }
    if (m.type !== 'snapshot' && m.type !== 'delta') return;
    const st = this.channels.get(m.channel);
    if (!st) return;
    if (m.type === 'snapshot') {
      st.seq = m.seq; st.snapshots++; st.lastSnapshot = m.data;
      this.options.onSnapshot?.(m.channel, m.data, m.seq);
      return;
    }
    if (st.seq < 0 || m.seq <= st.seq) return;
    if (m.seq !== st.seq + 1) {
      // A delta went missing: the rows we hold may be stale, so start over from a snapshot.
      st.gaps++;
      st.seq = -1;
      this.send({ op: 'resync', channel: m.channel });
      return;
    }
    st.seq = m.seq; st.deltas++;
    this.options.onDelta?.(m.channel, m.data, m.seq);
  }
}
