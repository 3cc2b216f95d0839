// A namespaced bus reads its own dead-letter topics raw: dlq.<topic> inside the namespace is dlq.<namespace>.<topic> on the inner bus.
import { describe, expect, it } from 'vitest';
import { InProcessBus, readTopics, type TailingBus } from '@qts/adapters';
import { eventually } from '@qts/adapters/testing';
import { namespacedBus } from './namespaced-bus.ts';

describe('namespaced bus, raw reads', () => {
  it('a letter its consumer dead-lettered is read back from dlq.<topic> under the namespace, and not from another namespace', async () => {
    const inner = new InProcessBus();
    const a = namespacedBus(inner, 'sys-a') as TailingBus;
    const b = namespacedBus(inner, 'sys-b') as TailingBus;
    try {
      await a.ensureTopics([{ topic: 'market.bars', partitions: 1 }]);
      await b.ensureTopics([{ topic: 'market.bars', partitions: 1 }]);
      const consumer = await a.consume({ groupId: 'g', topics: ['market.bars'], fromBeginning: true, handler: async () => undefined });
      await a.publishRaw('market.bars', null, Buffer.from('not json'));
      await eventually(async () => expect(await readTopics(a, ['dlq.market.bars'])).toHaveLength(1));
      const [letter] = await readTopics(a, ['dlq.market.bars']);
      expect(letter!.topic).toBe('dlq.market.bars');
      expect(letter!.value!.toString()).toBe('not json');
      expect(await readTopics(b, ['dlq.market.bars'])).toEqual([]);
      await consumer.stop();
    } finally {
      await inner.close();
    }
  });
});
