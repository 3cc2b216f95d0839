// `qts worker notifier --health-port 0` as its own process on the real Kafka broker: it tells the stand-ins, and its /metrics shows what it consumed.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { makeEvent, topics, uuidv7Ids } from '@qts/schemas';
import { KafkaBus } from '@qts/adapters';
import { eventually } from '@qts/adapters/testing';
import { jsonLines, spawnQts, temporaryDatabase } from '../cli/spawn-qts.ts';
import { namespacedBus } from '../runtime/namespaced-bus.ts';
import { parsePrometheusText, sampleValue } from '../observability/prometheus-text.ts';
import { botApi, closeStandins, SECRET, TOKEN, webhookReceiver } from './standins.ts';

const kafka = new KafkaBus({ logger: pino({ level: 'error' }, pino.destination(2)) });
let db: Awaited<ReturnType<typeof temporaryDatabase>> | null = null;
afterAll(async () => {
  await kafka.close();
  await closeStandins();
  await db?.drop();
});

describe('qts worker notifier', () => {
  it('sends a halt and a fill from Kafka to Telegram and the webhook, serves /metrics with its consumption and lag, and stops cleanly', async () => {
    const ns = `ntf${randomUUID().slice(0, 8)}`;
    const bus = namespacedBus(kafka, ns);
    await bus.ensureTopics([{ topic: topics.orders, partitions: 2 }, { topic: topics.risk, partitions: 1 }]);
    db = await temporaryDatabase('notifier');
    const telegram = await botApi();
    const webhook = await webhookReceiver();
    const worker = spawnQts(['worker', 'notifier', '--health-port', '0'], {
      QTS_NAMESPACE: ns, PG_URL: db.url, QTS_EVENT_STORE: 'postgres', QTS_LOG_LEVEL: 'info',
      QTS_TELEGRAM_CHAT_ID: '777', QTS_TELEGRAM_BASE_URL: telegram.url, QTS_TELEGRAM_BOT_TOKEN: TOKEN,
      QTS_WEBHOOK_URL: `${webhook.url}/qts`, QTS_WEBHOOK_SECRET: SECRET,
    });
    try {
      let health = '';
      await eventually(() => {
        const line = jsonLines(worker.stderr()).find((l) => l.msg === 'health endpoints up');
        expect(line).toBeDefined();
        health = line!.url as string;
      }, { timeoutMs: 90_000, intervalMs: 250 });
      await eventually(async () => expect((await fetch(`${health}/ready`)).status).toBe(200), { timeoutMs: 90_000, intervalMs: 250 });

      const ts = Date.now();
      const ctx = (n: number) => ({ id: uuidv7Ids(ts + n), occurredAt: ts + n, recordedAt: ts + n });
      await bus.publish(topics.risk, null, [makeEvent('TradingHalted', { account: 'paper', reason: { kind: 'Manual', by: 'ops', note: 'exchange maintenance' }, ts }, ctx(0))]);
      await bus.publish(topics.orders, null, [makeEvent('OrderFilled', {
        clientOrderId: 'o-9', instrument: 'ETH/USDT', venueOrderId: 'v9', fillId: 'f9', side: 'sell', price: 3000, quantity: 0.5, fee: 1.5, feeCurrency: 'USDT', liquidity: 'maker', ts,
      }, ctx(1))]);

      await eventually(() => expect(telegram.texts().sort()).toEqual([
        'Filled SELL 0.5 ETH/USDT @ 3000 (fee 1.5 USDT, maker) order o-9',
        'TRADING HALTED on account paper: Manual, by ops: exchange maintenance',
      ]), { timeoutMs: 30_000, intervalMs: 250 });
      await eventually(() => expect(webhook.payloads().map((p) => p.kind).sort()).toEqual(['fill', 'halt']), { timeoutMs: 30_000, intervalMs: 250 });

      await eventually(async () => {
        const samples = parsePrometheusText(await (await fetch(`${health}/metrics`)).text());
        expect(sampleValue(samples, 'qts_bus_events_consumed_total', { group: 'notifier', topic: topics.orders, type: 'OrderFilled' })).toBe(1);
        expect(sampleValue(samples, 'qts_bus_events_consumed_total', { group: 'notifier', topic: topics.risk, type: 'TradingHalted' })).toBe(1);
        // Lag against the broker's high watermarks: nothing left on the partitions it handled.
        expect(sampleValue(samples, 'qts_bus_consumer_lag', { group: 'notifier', topic: topics.risk, partition: '0' })).toBe(0);
        // Both order partitions have a series, also the one no message reached (its position comes from the group's commits).
        expect(samples.filter((x) => x.name === 'qts_bus_consumer_lag' && x.labels.topic === topics.orders).map((x) => [x.labels.partition, x.value]).sort()).toEqual([['0', 0], ['1', 0]]);
        expect(sampleValue(samples, 'qts_notifications_total', { channel: 'telegram', outcome: 'sent' })).toBe(2);
        expect(sampleValue(samples, 'qts_notifications_total', { channel: 'webhook', outcome: 'sent' })).toBe(2);
      }, { timeoutMs: 30_000, intervalMs: 250 });
    } finally {
      worker.child.kill('SIGTERM');
    }
    expect(await worker.exited).toBe(0);
    expect(worker.stderr()).toMatch(/worker stopped/);
    expect(worker.stderr() + worker.stdout()).not.toContain(TOKEN);
  }, 180_000);
});
