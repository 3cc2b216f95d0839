// The notifier: reads orders and risk from the bus in its own consumer group and tells humans, without ever holding up trading.
import { topics } from '@qts/schemas';
import type { Bus, Consumer } from '@qts/core';
import type { Logger } from 'pino';
import { onIncident } from '../observability/logging.ts';
import type { SystemMetrics } from '../observability/metrics.ts';
import { telegramChannel, webhookChannel, type Channel, type Fetch } from './channels.ts';
import type { NotifyConfig, NotifySecrets } from './config.ts';
import { Dispatcher } from './dispatcher.ts';
import { errorNotice, noticeOf, type Notice } from './notice.ts';

export const NOTIFIER_GROUP = 'notifier';

export interface NotifierOptions {
  readonly bus: Bus;
  readonly config: NotifyConfig;
  readonly secrets: NotifySecrets;
  readonly log: Logger;
  readonly metrics?: SystemMetrics;
  readonly groupId?: string;
  /** Consume fills, rejections and halts from the bus (default true); false: only this process's incidents. */
  readonly events?: boolean;
  /** Also report this process's incidents: error log lines, handler failures, dead letters. Default true. */
  readonly reportErrors?: boolean;
  readonly fetch?: Fetch;
  readonly now?: () => number;
}

export interface RunningNotifier {
  readonly channels: readonly string[];
  /** Enqueues a notice on every channel (returns at once). */
  notify(notice: Notice): void;
  /** Waits until the queues are empty (held summaries sent), or the deadline. */
  flush(deadlineMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** The channels the config and secrets enable; a Telegram section without its token is a config error. */
export function channelsOf(config: NotifyConfig, secrets: NotifySecrets, fetchImpl?: Fetch): Channel[] {
  const out: Channel[] = [];
  if (config.telegram) {
    if (!secrets.telegramBotToken) throw new Error('notify.telegram is configured but QTS_TELEGRAM_BOT_TOKEN (or QTS_TELEGRAM_BOT_TOKEN_FILE) is not set');
    out.push(telegramChannel({ token: secrets.telegramBotToken, chatId: config.telegram.chatId, baseUrl: config.telegram.baseUrl, ...(fetchImpl ? { fetch: fetchImpl } : {}) }));
  }
  if (config.webhook) out.push(webhookChannel({ url: config.webhook.url, ...(secrets.webhookSecret ? { secret: secrets.webhookSecret } : {}), ...(fetchImpl ? { fetch: fetchImpl } : {}) }));
  return out;
}

/**
 * Starts the notifier, or returns null when no channel is configured. The handler only enqueues, so a
 * slow or failing receiver never lags the group. Notices are best effort: after a crash the group resumes
 * from its commit (a notice may repeat), and one enqueued but unsent when the process died is lost; the
 * event store keeps every fact regardless.
 */
export async function startNotifier(o: NotifierOptions): Promise<RunningNotifier | null> {
  const channels = channelsOf(o.config, o.secrets, o.fetch);
  if (channels.length === 0) return null;
  const log = o.log.child({ component: 'notify' });
  const wanted = new Set(o.config.events);
  const ignore = new Set(o.config.ignoreRejections);
  const dispatchers = channels.map((c) => new Dispatcher(c, {
    burst: o.config.throttle.burst, perMinute: o.config.throttle.perMinute,
    maxAttempts: o.config.retry.maxAttempts, backoffMs: o.config.retry.backoffMs, maxBackoffMs: o.config.retry.maxBackoffMs,
    maxQueue: 1000, ...(o.now ? { now: o.now } : {}),
    ...(o.metrics ? { onOutcome: (channel: string, outcome: string) => o.metrics!.notifications.inc({ channel, outcome }) } : {}),
  }, log));
  const notify = (n: Notice): void => {
    if (!wanted.has(n.kind)) return;
    for (const d of dispatchers) d.push(n);
  };

  const consumer: Consumer | null = o.events === false ? null : await o.bus.consume({
    groupId: o.groupId ?? NOTIFIER_GROUP,
    topics: [topics.orders, topics.risk],
    handler: async (event) => {
      const n = noticeOf(event, ignore);
      if (n) notify(n);
    },
  });
  const now = o.now ?? Date.now;
  const stopErrors = o.reportErrors === false ? () => undefined
    : onIncident((e) => notify(errorNotice(e.component, e.message, now(), e.error)));
  log.info({ channels: channels.map((c) => c.name), events: [...wanted] }, 'notifier started');

  return {
    channels: channels.map((c) => c.name),
    notify,
    async flush(deadlineMs = 10_000) {
      await Promise.all(dispatchers.map((d) => d.flush(deadlineMs)));
    },
    async stop() {
      stopErrors();
      await consumer?.stop();
      // What was enqueued gets a short chance to go out; a stuck receiver does not hold the shutdown.
      await Promise.all(dispatchers.map((d) => d.flush(3_000)));
      for (const d of dispatchers) d.close();
    },
  };
}
