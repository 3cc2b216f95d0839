// The notifications section of the runtime config; the bot token and the webhook secret come only from env or secret files.
import { z } from 'zod';
import { noticeKinds } from './notice.ts';

export const NotifyConfig = z.object({
  /** Which notices go out. */
  events: z.array(z.enum(noticeKinds)).default([...noticeKinds]),
  /** Rejection reasons nobody needs a message for (a sell signal while flat is a NothingToDo). */
  ignoreRejections: z.array(z.string()).default(['NothingToDo']),
  /** Per channel: notices that may go back to back, then the sustained rate; the overflow is summarised. */
  throttle: z.object({
    burst: z.number().int().positive().default(5),
    perMinute: z.number().positive().default(20),
  }).default({ burst: 5, perMinute: 20 }),
  retry: z.object({
    maxAttempts: z.number().int().positive().default(6),
    backoffMs: z.number().int().positive().default(500),
    maxBackoffMs: z.number().int().positive().default(60_000),
  }).default({ maxAttempts: 6, backoffMs: 500, maxBackoffMs: 60_000 }),
  /** Telegram bot API; the token from QTS_TELEGRAM_BOT_TOKEN (or QTS_TELEGRAM_BOT_TOKEN_FILE). */
  telegram: z.object({
    chatId: z.string().min(1),
    baseUrl: z.string().url().default('https://api.telegram.org'),
  }).optional(),
  /** A JSON POST per notice; signed with QTS_WEBHOOK_SECRET (or _FILE) when set. */
  webhook: z.object({ url: z.string().url() }).optional(),
}).default({
  events: [...noticeKinds], ignoreRejections: ['NothingToDo'], throttle: { burst: 5, perMinute: 20 },
  retry: { maxAttempts: 6, backoffMs: 500, maxBackoffMs: 60_000 },
});
export type NotifyConfig = z.infer<typeof NotifyConfig>;

export interface NotifySecrets {
  readonly telegramBotToken?: string | undefined;
  readonly webhookSecret?: string | undefined;
}
