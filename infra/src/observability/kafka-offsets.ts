// A consumer group's committed offsets, read with a kafkajs admin client opened on the first scrape that needs them.
import { Kafka, logLevel, type Admin } from 'kafkajs';

export interface CommittedOffsets {
  committed(group: string, topic: string): Promise<readonly { partition: number; offset: string }[]>;
  close(): Promise<void>;
}

/** Group and topic are the local (un-namespaced) names; the namespace is applied as namespacedBus does. */
export function kafkaCommittedOffsets(brokers: readonly string[], namespace: string): CommittedOffsets {
  const outer = (name: string) => (namespace ? `${namespace}.${name}` : name);
  let admin: Promise<Admin> | null = null;
  const connect = (): Promise<Admin> => {
    admin ??= (async () => {
      // Quiet: a failed lookup only leaves a lag series out of one scrape.
      const a = new Kafka({ clientId: 'qts-metrics', brokers: [...brokers], logLevel: logLevel.NOTHING }).admin();
      await a.connect();
      return a;
    })().catch((e: unknown) => { admin = null; throw e; });
    return admin;
  };
  return {
    async committed(group, topic) {
      const a = await connect();
      const [entry] = await a.fetchOffsets({ groupId: outer(group), topics: [outer(topic)] });
      return entry ? entry.partitions.map((p) => ({ partition: p.partition, offset: p.offset })) : [];
    },
    async close() {
      const a = admin;
      admin = null;
      await a?.then((x) => x.disconnect()).catch(() => undefined);
    },
  };
}
