// The notifier against local servers speaking Telegram's bot API and a webhook receiver's: delivery, 429 retry_after, 5xx retries, coalescing, errors.
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { makeEvent, topics, uuidv7Ids, type DomainEvent } from '@qts/schemas';
import { InProcessBus } from '@qts/adapters';
import { eventually } from '@qts/adapters/testing';
import { observedLoggerOptions } from '../observability/logging.ts';
import { meteredBus } from '../observability/metered-bus.ts';
import { SystemMetrics } from '../observability/metrics.ts';
import { parsePrometheusText, sampleValue } from '../observability/prometheus-text.ts';
import { NotifyConfig } from './config.ts';
import { startNotifier, type RunningNotifier } from './notifier.ts';
import { botApi, closeStandins, SECRET, TOKEN, webhookReceiver, type Reply } from './standins.ts';

function capturedLogger() {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, cb) { lines.push(chunk.toString()); cb(); } });
  return { log: pino({ level: 'info', ...observedLoggerOptions() }, sink), lines };
}

let clock = Date.UTC(2026, 3, 1);
const ctx = () => { const ts = ++clock; return { id: uuidv7Ids(ts), occurredAt: ts, recordedAt: ts }; };
const fill = (n: number): DomainEvent => makeEvent('OrderFilled', {
  clientOrderId: `o-${n}`, instrument: 'BTC/USDT', venueOrderId: `v-${n}`, fillId: `f-${n}`, side: 'buy', price: 40_000 + n, quantity: 0.01,
  fee: 0.4, feeCurrency: 'USDT', liquidity: 'taker', ts: clock,
}, ctx());
const rejected = (kind: 'VenueRejected' | 'NothingToDo'): DomainEvent => makeEvent('OrderRejected', {
  clientOrderId: `r-${kind}`, signalId: null, strategyId: 'sma-btc', instrument: 'BTC/USDT',
  reason: kind === 'VenueRejected' ? { kind, code: '-2010', message: 'Account has insufficient balance' } : { kind, detail: 'already flat' }, ts: clock,
}, ctx());
const halted = (): DomainEvent => makeEvent('TradingHalted', { account: 'paper', reason: { kind: 'MaxDrawdown', limit: 1000, drawdown: 1250 }, ts: clock }, ctx());

let bus: InProcessBus;
let notifier: RunningNotifier | null = null;
afterEach(async () => {
  await notifier?.stop();
  notifier = null;
  await bus?.close();
  await closeStandins();
});

async function setup(o: { telegram?: Reply[]; webhook?: Reply[]; burst?: number; perMinute?: number; maxAttempts?: number }) {
  bus = new InProcessBus({ logger: pino({ level: 'silent' }) });
  await bus.ensureTopics([{ topic: topics.orders, partitions: 3 }, { topic: topics.risk, partitions: 1 }]);
  const metrics = new SystemMetrics({ defaultMetrics: false });
  const metered = meteredBus(bus, metrics);
  const telegram = await botApi(o.telegram);
  const webhook = await webhookReceiver(o.webhook);
  const config = NotifyConfig.parse({
    telegram: { chatId: '4242', baseUrl: telegram.url }, webhook: { url: `${webhook.url}/hooks/qts` },
    throttle: { burst: o.burst ?? 3, perMinute: o.perMinute ?? 600 }, retry: { maxAttempts: o.maxAttempts ?? 6, backoffMs: 50, maxBackoffMs: 1_000 },
  });
  const { log, lines } = capturedLogger();
  notifier = await startNotifier({ bus: metered, config, secrets: { telegramBotToken: TOKEN, webhookSecret: SECRET }, log, metrics });
  return { telegram, webhook, metrics, log, lines, metered };
}

/** How many fills the messages account for: one per fill line, N per "and N more fills" summary. */
function fillsTold(texts: readonly string[]): number {
  let n = 0;
  for (const t of texts) {
    const m = /^and (\d+) more fills/.exec(t);
    if (m) n += Number(m[1]);
    else if (t.startsWith('Filled ')) n += 1;
  }
  return n;
}

describe('notifier', () => {
  it('tells Telegram and the webhook about a halt, fills and a venue rejection; coalesces the storm; honours retry_after and retries a 503', async () => {
    const tooMany = { status: 429, body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } } };
    const { telegram, webhook, metrics, lines } = await setup({ telegram: [tooMany], webhook: [{ status: 503, body: { error: 'unavailable' } }] });

    await bus.publish(topics.risk, null, [halted()]);
    await bus.publish(topics.orders, null, Array.from({ length: 25 }, (_, i) => fill(i)));
    await bus.publish(topics.orders, null, [rejected('NothingToDo'), rejected('VenueRejected')]);

    await eventually(() => {
      expect(fillsTold(telegram.texts())).toBe(25);
      expect(telegram.texts().some((t) => t.startsWith('Rejected BTC/USDT order r-VenueRejected'))).toBe(true);
    }, { timeoutMs: 20_000 });
    // Everything queued is sent (and its answer read) before the books are compared.
    await notifier!.flush(10_000);
    const texts = telegram.texts();
    // The halt went first and whole; the storm of 25 fills became a few lines, at least one a summary.
    expect(texts[0]).toBe('TRADING HALTED on account paper: MaxDrawdown, drawdown 1250 over the limit 1000');
    expect(texts.length).toBeLessThan(15);
    expect(texts.some((t) => /^and \d+ more fills in the last minute; latest: Filled BUY/.test(t))).toBe(true);
    expect(texts.some((t) => t.includes('NothingToDo'))).toBe(false);
    expect(telegram.accepted.every((m) => m.body.chat_id === '4242')).toBe(true);
    // Telegram said "retry after 1": the halt was asked again no sooner than a second later.
    expect(telegram.accepted[0]!.at - telegram.attempts[0]!).toBeGreaterThanOrEqual(950);

    // The webhook got the same story, signed, after its 503 was retried.
    await eventually(() => expect(fillsTold(webhook.payloads().map((p) => p.text))).toBe(25), { timeoutMs: 20_000 });
    const [first] = webhook.payloads();
    expect(first).toMatchObject({ kind: 'halt', urgent: true, detail: { account: 'paper', reason: { kind: 'MaxDrawdown' } } });
    expect(typeof first!.correlationId).toBe('string');

    const m = parsePrometheusText((await metrics.scrape()).body);
    expect(sampleValue(m, 'qts_notifications_total', { channel: 'telegram', outcome: 'retried' })).toBe(1);
    expect(sampleValue(m, 'qts_notifications_total', { channel: 'webhook', outcome: 'retried' })).toBe(1);
    expect(sampleValue(m, 'qts_notifications_total', { channel: 'telegram', outcome: 'coalesced' })).toBeGreaterThan(0);
    expect(sampleValue(m, 'qts_notifications_total', { channel: 'telegram', outcome: 'sent' })).toBe(texts.length);
    // The bot token is in the URL path only: never in a log line.
    expect(lines.join('')).toMatch(/retrying/);
    expect(lines.join('')).not.toContain(TOKEN);
  }, 40_000);

  it('reports an error a worker logs, gives up on a 400 after one attempt, and goes on with the next notice', async () => {
    const badRequest = { status: 400, body: { ok: false, error_code: 400, description: 'Bad Request: chat not found' } };
    const { telegram, metrics, log } = await setup({ telegram: [badRequest] });
    log.child({ worker: 'executor' }).error({ err: new Error('venue timeout') }, 'order outcome unknown');
    await bus.publish(topics.orders, null, [fill(1)]);
    await eventually(() => expect(telegram.texts()).toEqual([expect.stringMatching(/^Filled BUY 0.01 BTC\/USDT/)]), { timeoutMs: 10_000 });
    expect(telegram.attempts).toHaveLength(2);
    const m = parsePrometheusText((await metrics.scrape()).body);
    expect(sampleValue(m, 'qts_notifications_total', { channel: 'telegram', outcome: 'failed' })).toBe(1);

    log.child({ worker: 'strategy' }).error({ err: new Error('indicator blew up') }, 'strategy failed on a bar');
    await eventually(() => expect(telegram.texts()).toContain('Error in strategy: strategy failed on a bar (indicator blew up)'), { timeoutMs: 10_000 });
  }, 30_000);

  it('never holds up the bus: with Telegram hanging, the notifier\'s group keeps consuming', async () => {
    const { metrics, webhook } = await setup({ telegram: ['hang', 'hang', 'hang'], burst: 100 });
    await bus.publish(topics.orders, null, Array.from({ length: 40 }, (_, i) => fill(i)));
    await eventually(async () => {
      const m = parsePrometheusText((await metrics.scrape()).body);
      expect(sampleValue(m, 'qts_bus_events_consumed_total', { group: 'notifier', type: 'OrderFilled' })).toBe(40);
    }, { timeoutMs: 10_000 });
    // The webhook is its own queue: a stuck Telegram does not hold it either.
    await eventually(() => expect(webhook.accepted).toHaveLength(40), { timeoutMs: 10_000 });
  }, 30_000);
});
