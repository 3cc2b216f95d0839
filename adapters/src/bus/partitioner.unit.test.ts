// Same key, same partition in both buses: our murmur2 partitioner must agree with Kafka's (kafkajs DefaultPartitioner).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Partitioners } from 'kafkajs';
import { kafkaCompatiblePartitioner, murmur2, partitionFor } from './partitioner.ts';

const metadata = (n: number) => Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: 1 }));

describe('partitionFor', () => {
  it('matches the Java client on known vectors', () => {
    // Values from Kafka's UtilsTest.testMurmur2 (Java), as signed 32-bit ints.
    expect(murmur2('21')).toBe(-973932308);
    expect(murmur2('foobar')).toBe(-790332482);
    expect(murmur2('a-little-bit-long-string')).toBe(-985981536);
    expect(murmur2('a-little-bit-longer-string')).toBe(-1486304829);
    expect(murmur2('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8')).toBe(-58897971);
    expect(murmur2('abc')).toBe(479470107);
  });

  it('agrees with kafkajs DefaultPartitioner for any key and partition count', () => {
    const theirs = Partitioners.DefaultPartitioner();
    const ours = kafkaCompatiblePartitioner()();
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.integer({ min: 1, max: 64 }), (key, n) => {
      const args = { topic: 't', partitionMetadata: metadata(n).map((m) => ({ ...m, partitionErrorCode: 0, replicas: [1], isr: [1] })), message: { key, value: null } };
      const expected = theirs(args);
      expect(ours(args)).toBe(expected);
      expect(partitionFor(key, n)).toBe(expected);
    }), { numRuns: 2000 });
  });

  it('spreads keyless messages over the partitions with a leader', () => {
    const ours = kafkaCompatiblePartitioner()();
    const partitionMetadata = [{ partitionId: 0, leader: 1 }, { partitionId: 1, leader: -1 }, { partitionId: 2, leader: 1 }];
    const seen = new Set(Array.from({ length: 10 }, () => ours({ partitionMetadata, message: { key: null } })));
    expect([...seen].sort()).toEqual([0, 2]);
  });
});
