// Notification settings: channels from the config file or env, secrets only from env or secret files, never in the config object.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '@qts/core';
import { loadConfig } from '../runtime/config.ts';
import { channelsOf } from './notifier.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'qts-notify-cfg-'));

describe('notify config', () => {
  it('is off by default: no channel, every notice kind, NothingToDo rejections ignored', () => {
    const { config, secrets } = loadConfig({ env: {}, cwd: dir() });
    expect(config.notify).toMatchObject({ events: ['fill', 'halt', 'rejection', 'error'], ignoreRejections: ['NothingToDo'], throttle: { burst: 5, perMinute: 20 } });
    expect(channelsOf(config.notify, secrets)).toEqual([]);
  });

  it('takes the chat and webhook from env, the bot token from a secret file, and keeps the token out of the config', () => {
    const cwd = dir();
    writeFileSync(join(cwd, 'bot-token'), 'file-token-123\n');
    const { config, secrets } = loadConfig({
      cwd, env: { QTS_TELEGRAM_CHAT_ID: '-100200', QTS_TELEGRAM_BASE_URL: 'http://127.0.0.1:9', QTS_TELEGRAM_BOT_TOKEN_FILE: 'bot-token', QTS_WEBHOOK_URL: 'https://hooks.example/qts', QTS_WEBHOOK_SECRET: 's3' },
    });
    expect(config.notify.telegram).toEqual({ chatId: '-100200', baseUrl: 'http://127.0.0.1:9' });
    expect(config.notify.webhook).toEqual({ url: 'https://hooks.example/qts' });
    expect(secrets).toMatchObject({ telegramBotToken: 'file-token-123', webhookSecret: 's3' });
    expect(JSON.stringify(config)).not.toMatch(/file-token-123|s3"/);
    expect(channelsOf(config.notify, secrets).map((c) => c.name)).toEqual(['telegram', 'webhook']);
  });

  it('refuses a Telegram chat without its token, and a throttle or URL that makes no sense', () => {
    const cwd = dir();
    const { config, secrets } = loadConfig({ cwd, env: { QTS_TELEGRAM_CHAT_ID: '1' } });
    expect(() => channelsOf(config.notify, secrets)).toThrow(/QTS_TELEGRAM_BOT_TOKEN/);
    writeFileSync(join(cwd, 'qts.config.json'), JSON.stringify({ notify: { throttle: { burst: 0 }, webhook: { url: 'not a url' }, events: ['fill', 'gossip'] } }));
    let error: unknown;
    try { loadConfig({ cwd, env: {} }); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path).sort()).toEqual(['notify.events.1', 'notify.throttle.burst', 'notify.webhook.url']);
  });
});
