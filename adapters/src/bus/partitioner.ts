// Key → partition exactly as Kafka's Java client (and kafkajs's DefaultPartitioner) computes it: murmur2, positive, modulo.
const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const encoder = new TextEncoder();

/** Kafka's murmur2 of the key's UTF-8 bytes, as a signed 32-bit integer. */
export function murmur2(key: string): number {
  const data = encoder.encode(key);
  const length = data.length;
  let h = SEED ^ length;
  const blocks = length >> 2;
  for (let i = 0; i < blocks; i++) {
    const o = i << 2;
    let k = (data[o]! & 0xff) | ((data[o + 1]! & 0xff) << 8) | ((data[o + 2]! & 0xff) << 16) | ((data[o + 3]! & 0xff) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  const tail = blocks << 2;
  switch (length & 3) {
    case 3: h ^= (data[tail + 2]! & 0xff) << 16; // falls through
    case 2: h ^= (data[tail + 1]! & 0xff) << 8; // falls through
    case 1: h ^= data[tail]! & 0xff; h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition a key lands on, so the in-process bus and Kafka place every instrument identically. */
export function partitionFor(key: string, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

/** Kafka's partitioner for kafkajs, with murmur2 in plain 32-bit math (kafkajs's own allocates a Long per step) and a per-key memo. */
export function kafkaCompatiblePartitioner() {
  return () => {
    const hashes = new Map<string, number>();
    let roundRobin = 0;
    return ({ partitionMetadata, message }: { partitionMetadata: readonly { partitionId: number; leader: number }[]; message: { key?: Buffer | string | null; partition?: number } }): number => {
      if (message.partition !== undefined && message.partition !== null) return message.partition;
      const n = partitionMetadata.length;
      const key = message.key;
      if (key !== null && key !== undefined) {
        const text = typeof key === 'string' ? key : key.toString('utf8');
        let h = hashes.get(text);
        if (h === undefined) {
          if (hashes.size >= 100_000) hashes.clear();
          h = murmur2(text) & 0x7fffffff;
          hashes.set(text, h);
        }
        return h % n;
      }
      const available = partitionMetadata.filter((p) => p.leader >= 0);
      const i = roundRobin++ & 0x7fffffff;
      return available.length > 0 ? available[i % available.length]!.partitionId : i % n;
    };
  };
}
