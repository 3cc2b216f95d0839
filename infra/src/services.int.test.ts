// Checks that the servers infra/scripts/services.sh starts are the real ones the suite relies on.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';

const PG_URL = process.env.PG_URL ?? 'postgres://qts:qts@127.0.0.1:55432/qts';
const KAFKA_BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');

describe('test servers', () => {
  it('Postgres is a real PostgreSQL server reachable at PG_URL', async () => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ version: string }>('select version()');
      expect(rows[0]?.version).toMatch(/^PostgreSQL \d+/);
    } finally {
      await client.end();
    }
  });

  it('Kafka creates a topic with 3 partitions and reports them in its metadata', async () => {
    const admin = new Kafka({ clientId: 'qts-services-test', brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    // Unique per run: the broker outlives test runs and is shared by every checkout on the machine.
    const topic = `qts.services-test.${randomUUID()}`;
    try {
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true })).toBe(true);
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(topics[0]?.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
    } finally {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});
