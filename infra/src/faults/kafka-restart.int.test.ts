// The Kafka broker crashes (kill -9) mid-stream and comes back on its data: the recorded store holds every event exactly once, in order per key.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { makeEvent, topics, uuidv7Ids, type DomainEvent } from '@qts/schemas';
import type { Consumer } from '@qts/core';
import { KafkaBus, PostgresEventStore, startRecorder } from '@qts/adapters';
import { eventually } from '@qts/adapters/testing';
import { ownKafkaNode, type KafkaNode } from './own-servers.ts';

const PG_URL = process.env.PG_URL ?? 'postgres://qts:qts@127.0.0.1:55432/qts';
const schema = `fault_kafka_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const logger = pino({ level: process.env.QTS_LOG_LEVEL ?? 'silent' }, pino.destination(2));
const instruments = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'];
const perInstrument = 300;
const t0 = Date.UTC(2026, 0, 5);

function bar(instrument: string, i: number): DomainEvent<'BarClosed'> {
  const openTime = t0 + i * 60_000;
  return makeEvent('BarClosed', {
    venue: 'fault', instrument, timeframe: '1m', openTime, closeTime: openTime + 60_000, open: 100 + i, high: 101 + i, low: 99 + i, close: 100.5 + i, volume: 1,
  }, { id: uuidv7Ids(openTime + 60_000), occurredAt: openTime + 60_000, recordedAt: openTime + 60_001 });
}

/** The stream as a producer sends it: a few bars per instrument per call, instruments interleaved. */
const stream: DomainEvent<'BarClosed'>[][] = [];
for (let i = 0; i < perInstrument; i += 5) {
  for (const instrument of instruments) stream.push(Array.from({ length: 5 }, (_, k) => bar(instrument, i + k)));
}
const all = stream.flat();

let node: KafkaNode | null = null;
const buses: KafkaBus[] = [];
const consumers: Consumer[] = [];
let store: PostgresEventStore | null = null;
afterAll(async () => {
  for (const c of consumers) await c.stop().catch(() => undefined);
  for (const b of buses) await b.close().catch(() => undefined);
  await store?.close();
  await node?.destroy();
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`drop schema if exists "${schema}" cascade`);
  await admin.end();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Kafka broker restarted mid-stream', () => {
  it('loses and duplicates no event: the recorder stores each once, a consumer sees each at least once in key order', { timeout: 240_000 }, async () => {
    node = await ownKafkaNode();
    await node.start();
    const bus = (name: string) => {
      const b = new KafkaBus({ brokers: node!.brokers, name, logger, retry: { initialMs: 50, maxMs: 500 }, consumer: { maxWaitTimeInMs: 100, sessionTimeoutMs: 6_000 } });
      buses.push(b);
      return b;
    };
    const producer = bus('producer');
    await producer.ensureTopics([{ topic: topics.bars, partitions: 3 }]);
    // The recorder's store is the shared Postgres server (a schema of this run): only the broker is ours to crash.
    store = await PostgresEventStore.openPostgres(PG_URL, { schema });
    const consumerBus = bus('consumer');
    consumers.push(await startRecorder({ bus: consumerBus, store, topics: [topics.bars], logger }));
    const delivered: DomainEvent[] = [];
    consumers.push(await consumerBus.consume({ groupId: 'fault.reader', topics: [topics.bars], fromBeginning: true, handler: async (e) => { delivered.push(e); } }));

    // The producer's duty under at-least-once: a failed publish is sent again, the same events with the same ids.
    let sent = 0;
    let failedPublishes = 0;
    const publishing = (async () => {
      for (const batch of stream) {
        for (;;) {
          try {
            await producer.publish(topics.bars, batch[0]!.key, batch);
            break;
          } catch {
            failedPublishes++;
            await sleep(250);
          }
        }
        sent += batch.length;
        await sleep(15); // a live feed's pace, so the crash lands mid-stream
      }
    })();

    await eventually(() => expect(sent).toBeGreaterThanOrEqual(all.length / 3), { timeoutMs: 60_000, intervalMs: 20 });
    const sentAtCrash = sent;
    await node.stop('SIGKILL');
    await sleep(1_000);
    await node.start();
    await publishing;

    expect(sentAtCrash).toBeLessThan(all.length);
    // Publishing went on across the outage: at least one publish failed and was retried.
    expect(failedPublishes).toBeGreaterThan(0);

    const storedEvents = async () => {
      const out: DomainEvent[] = [];
      for await (const s of store!.readAll()) out.push(s.event);
      return out;
    };
    await eventually(async () => expect((await storedEvents()).length).toBe(all.length), { timeoutMs: 90_000, intervalMs: 500 });
    await eventually(() => expect(new Set(delivered.map((e) => e.id)).size).toBe(all.length), { timeoutMs: 60_000, intervalMs: 200 });

    const stored = await storedEvents();
    expect(new Set(stored.map((e) => e.id))).toEqual(new Set(all.map((e) => e.id)));
    for (const instrument of instruments) {
      const want = all.filter((e) => e.data.instrument === instrument).map((e) => e.id);
      const streamOf = bar(instrument, 0).stream;
      const got: string[] = [];
      for await (const s of store.readStream(streamOf)) got.push(s.event.id);
      expect(got).toEqual(want); // one copy each, in the producer's order
      // The consumer may see an event twice after the crash (its last commit lagged), never out of order.
      const firstSeen = [...new Set(delivered.filter((e) => e.key === instrument).map((e) => e.id))];
      expect(firstSeen).toEqual(want);
    }
  });
});
