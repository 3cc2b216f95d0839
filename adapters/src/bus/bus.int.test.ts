// The one Bus contract, run against the in-process bus and a real Kafka broker (KAFKA_BROKERS, default 127.0.0.1:19092).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { busContract, tick } from '../testing/bus-contract.ts';
import { eventually } from '../testing/eventually.ts';
import { readTopics } from './tail.ts';
import { InProcessBus } from './in-process-bus.ts';
import { KafkaBus } from './kafka-bus.ts';

const logger = pino({ level: process.env.QTS_LOG_LEVEL ?? 'error' }, pino.destination(2));
const retry = { initialMs: 20, maxMs: 200 };

busContract({
  name: 'InProcessBus',
  make: async (o = {}) => new InProcessBus({ ...o, retry, logger }),
});

busContract({
  name: 'KafkaBus',
  make: async (o = {}) => new KafkaBus({ ...o, retry, logger, consumer: { maxWaitTimeInMs: 100 } }),
});

describe('KafkaBus specifics', () => {
  it('dead-letters a real payload over the 1 MiB default limit (its topics accept up to 4 MiB so it can get there)', async () => {
    const bus = new KafkaBus({ retry, logger, consumer: { maxWaitTimeInMs: 100 } });
    const t = `big-${randomUUID().slice(0, 8)}`;
    try {
      await bus.ensureTopics([{ topic: t, partitions: 1 }]);
      const huge = Buffer.from(JSON.stringify({ ...tick('BTC/USDT', 1), meta: { pad: 'x'.repeat(1_500_000) } }));
      const after = tick('BTC/USDT', 2);
      await bus.publishRaw(t, 'BTC/USDT', huge);
      await bus.publish(t, null, [after]);
      const seen: string[] = [];
      const c = await bus.consume({ groupId: t, topics: [t], fromBeginning: true, handler: async (e) => { seen.push(e.id); } });
      await eventually(() => expect(seen).toEqual([after.id]), { timeoutMs: 30_000 });
      await c.stop();
      const [letter] = await readTopics(bus, [`dlq.${t}`]);
      expect(letter!.value).toEqual(huge);
      expect(letter!.headers['dlq-kind']).toBe('Oversized');
      expect(letter!.headers['dlq-reason']).toBe(`payload of ${huge.byteLength} bytes exceeds the limit of 1048576`);
    } finally {
      await bus.close();
    }
  });
});
