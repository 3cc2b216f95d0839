// The REST client for /api/v1: typed reads, token-bearing writes, and API errors that keep the field each issue names.
import type { ApiToken } from './token.svelte.ts';

export const API = '/api/v1';

export interface Issue { readonly path: string; readonly message: string }

/** An answer outside 2xx; `fieldErrors` maps a form field (last path segment after body/params) to its message. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly kind: string, message: string, readonly issues: readonly Issue[] = []) {
    super(message);
  }

  get fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const i of this.issues) out[fieldOf(i.path)] = i.message;
    return out;
  }
}

/** 'body.params.fast' -> 'fast', 'body.instrument' -> 'instrument', 'query.limit' -> 'limit'. */
export function fieldOf(path: string): string {
  return path.replace(/^(body|query|params)\.(params\.)?/, '') || path;
}

async function parse<T>(res: Response): Promise<T> {
  const text = await res.text();
  const json: unknown = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const e = (json as { error?: { kind?: string; message?: string; issues?: Issue[] } } | null)?.error;
    throw new ApiError(res.status, e?.kind ?? 'HttpError', e?.message ?? `${res.status} ${res.statusText}`, e?.issues ?? []);
  }
  return json as T;
}

export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export async function get<T>(path: string, token?: string | null): Promise<T> {
  return parse<T>(await fetch(API + path, { headers: token ? { authorization: `Bearer ${token}` } : {} }));
}

/**
 * A control action: asks for the API token once (kept for the tab's session) and retries once if the
 * server refuses the one it had.
 */
export async function send<T>(token: ApiToken, method: 'POST' | 'PUT', path: string, body: unknown = {}): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const t = await token.require();
    try {
      return await parse<T>(await fetch(API + path, {
        method, body: JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: `Bearer ${t}` },
      }));
    } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.status === 403) && attempt === 0) { token.forget(); continue; }
      throw e;
    }
  }
}

export interface Page<T> { items: T[]; nextCursor: string | null }
export interface Bar { venue: string; instrument: string; timeframe: string; openTime: number; closeTime: number; open: number; high: number; low: number; close: number; volume: number }
export interface Instrument { venue: string; instrument: string; lastPrice: number | null; lastTs: number | null }
export interface Signal { id: string; strategyId: string; instrument: string; direction: 'long' | 'short' | 'flat'; strength: number; price: number; asOf: number; reason: string; correlationId: string }
export interface Fill { fillId: string; clientOrderId: string; instrument: string; side: 'buy' | 'sell'; price: number; quantity: number; fee: number; feeCurrency: string; ts: number }
export interface Order {
  clientOrderId: string; signalId: string | null; strategyId: string; instrument: string; side: 'buy' | 'sell' | null; type: string | null;
  quantity: number | null; limitPrice: number | null; stopPrice: number | null; status: string; filledQuantity: number;
  averageFillPrice: number | null; correlationId: string; updatedAt: number;
}
export interface Position { account: string; strategyId: string; instrument: string; quantity: number; averagePrice: number; realizedPnl: number; unrealizedPnl: number; fees: number; lastPrice: number | null; updatedAt: number }
export interface Equity { account: string; equity: number; realizedPnl: number; unrealizedPnl: number; fees: number; updatedAt: number }
export interface EquityPoint { ts: number; equity: number }
export interface Strategy {
  strategyId: string; kind: string; instruments: string[]; timeframe: string; params: Record<string, unknown>;
  status: 'running' | 'stopped' | 'unknown'; startedAt: number | null; stoppedAt: number | null; stopReason: string | null;
  signalCount: number; lastSignalAt: number | null; updatedAt: number;
}
export interface RiskState { account: string; halted: boolean; haltedAt: number | null; haltReason: unknown; resumedAt: number | null; breachCount: number; updatedAt: number }
export interface StoredEvent { position: string; id: string; type: string; stream: string; occurredAt: string; causationId: string | null; correlationId: string; data: unknown }
export interface DeadLetter { topic: string; partition: number; offset: string; reason: string; receivedAt: number }
export interface BacktestJob { jobId: string; status: 'queued' | 'running' | 'succeeded' | 'failed'; submittedAt: number; finishedAt: number | null; error: string | null; request: Record<string, unknown> }
export interface Trade { direction: 'long' | 'short'; instrument: string; entryTime: number; exitTime: number; entryPrice: number; exitPrice: number; quantity: number; pnl: number; fees: number; returnPct?: number }
export interface BacktestResult {
  metrics: Record<string, number | null>; trades: Trade[]; eventHash: string; bars: number; fills: number; orders: number;
  equityCurve: { time: number[]; equity: number[] };
}
