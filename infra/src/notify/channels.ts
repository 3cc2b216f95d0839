// The places notices go: Telegram's bot API and a JSON webhook; each send either succeeds or throws a typed, retry-aware error.
import { createHmac } from 'node:crypto';
import { QtsError } from '@qts/core';
import type { Notice } from './notice.ts';

/** A send that failed; `retryable` with `retryAfterMs` when the receiver said how long to wait. */
export class NotifyFailed extends QtsError {
  readonly kind = 'NotifyFailed';
  constructor(
    readonly channel: string, message: string, readonly retryable: boolean,
    readonly status: number | null, readonly retryAfterMs: number | null, options?: { cause?: unknown },
  ) {
    super(`${channel}: ${message}`, { channel, status, retryAfterMs }, options);
  }
}

export interface Channel {
  readonly name: string;
  send(notice: Notice, signal?: AbortSignal): Promise<void>;
}

export type Fetch = typeof fetch;

const TIMEOUT_MS = 10_000;

async function post(channel: string, url: string, body: string, headers: Record<string, string>, fetchImpl: Fetch, signal?: AbortSignal): Promise<Response> {
  const timeout = AbortSignal.timeout(TIMEOUT_MS);
  try {
    return await fetchImpl(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
  } catch (e) {
    // Network errors and timeouts: the receiver may be back soon. The URL is not in the message (a bot token is part of it).
    throw new NotifyFailed(channel, `request failed: ${(e as Error).name}`, !signal?.aborted, null, null, { cause: e });
  }
}

function retryable(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}

/** Retry-After in seconds (or an HTTP date), as milliseconds. */
function retryAfterHeader(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const s = Number(value);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

export interface TelegramOptions {
  readonly token: string;
  readonly chatId: string;
  /** https://api.telegram.org, or a local server speaking the bot API in tests. */
  readonly baseUrl: string;
  readonly fetch?: Fetch;
}

/** POST {baseUrl}/bot{token}/sendMessage; {ok:false, parameters:{retry_after}} on 429 is honoured. */
export function telegramChannel(o: TelegramOptions): Channel {
  const url = `${o.baseUrl.replace(/\/+$/, '')}/bot${o.token}/sendMessage`;
  const fetchImpl = o.fetch ?? fetch;
  return {
    name: 'telegram',
    async send(notice, signal) {
      const res = await post('telegram', url, JSON.stringify({ chat_id: o.chatId, text: notice.text.slice(0, 4096), disable_web_page_preview: true }), {}, fetchImpl, signal);
      const body = await res.json().catch(() => null) as { ok?: boolean; description?: string; parameters?: { retry_after?: number } } | null;
      if (res.ok && body?.ok === true) return;
      const retryAfter = typeof body?.parameters?.retry_after === 'number' ? body.parameters.retry_after * 1000 : retryAfterHeader(res.headers.get('retry-after'));
      throw new NotifyFailed('telegram', `HTTP ${res.status}: ${body?.description ?? 'no description'}`, retryable(res.status), res.status, retryAfter);
    },
  };
}

export interface WebhookOptions {
  readonly url: string;
  /** Signs each body: header X-Qts-Signature: sha256=<hex HMAC of "<timestamp>.<body>">, with X-Qts-Timestamp. */
  readonly secret?: string;
  readonly fetch?: Fetch;
  readonly now?: () => number;
}

/** The JSON body a webhook receives. */
export interface WebhookPayload {
  readonly kind: Notice['kind'];
  readonly text: string;
  readonly at: string;
  readonly urgent: boolean;
  readonly correlationId: string | null;
  readonly detail: Readonly<Record<string, unknown>> | null;
}

export function webhookChannel(o: WebhookOptions): Channel {
  const fetchImpl = o.fetch ?? fetch;
  const now = o.now ?? Date.now;
  return {
    name: 'webhook',
    async send(notice, signal) {
      const payload: WebhookPayload = {
        kind: notice.kind, text: notice.text, at: new Date(notice.at).toISOString(), urgent: notice.urgent,
        correlationId: notice.correlationId ?? null, detail: notice.detail ?? null,
      };
      const body = JSON.stringify(payload);
      const headers: Record<string, string> = {};
      if (o.secret) {
        const ts = String(Math.floor(now() / 1000));
        headers['x-qts-timestamp'] = ts;
        headers['x-qts-signature'] = `sha256=${createHmac('sha256', o.secret).update(`${ts}.${body}`).digest('hex')}`;
      }
      const res = await post('webhook', o.url, body, headers, fetchImpl, signal);
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return;
      throw new NotifyFailed('webhook', `HTTP ${res.status}`, retryable(res.status), res.status, retryAfterHeader(res.headers.get('retry-after')));
    },
  };
}
