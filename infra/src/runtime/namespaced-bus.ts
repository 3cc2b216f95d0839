// A Bus decorator that puts every topic and consumer group under a namespace, so several systems (or test
// runs) can share one Kafka cluster without reading each other's events or offsets.
import type { Bus, ConsumeOptions, Consumer, Delivery, TopicSpec } from '@qts/core';
import type { TailingBus, TailOptions } from '@qts/adapters';

export function namespacedBus(inner: Bus, namespace: string): Bus {
  if (!namespace) return inner;
  const prefix = `${namespace}.`;
  const outer = (topic: string): string => `${prefix}${topic}`;
  const local = <D extends Delivery>(d: D): D => (d.topic.startsWith(prefix) ? { ...d, topic: d.topic.slice(prefix.length) } : d);
  return {
    name: `${inner.name}[${namespace}]`,
    ensureTopics: (specs: readonly TopicSpec[]) => inner.ensureTopics(specs.map((s) => ({ ...s, topic: outer(s.topic) }))),
    publish: (topic, key, events) => inner.publish(outer(topic), key, events),
    publishRaw: (topic, key, value, headers) => inner.publishRaw(outer(topic), key, value, headers),
    consume(options: ConsumeOptions): Promise<Consumer> {
      const { handler, batchHandler, onDeadLetter } = options;
      return inner.consume({
        ...options,
        groupId: `${prefix}${options.groupId}`,
        topics: options.topics.map(outer),
        ...(handler ? { handler: (event, delivery) => handler(event, local(delivery)) } : {}),
        ...(batchHandler ? { batchHandler: (items) => batchHandler(items.map((i) => ({ event: i.event, delivery: local(i.delivery) }))) } : {}),
        ...(onDeadLetter ? { onDeadLetter: (failure, message) => onDeadLetter(failure, local(message)) } : {}),
      });
    },
    // Raw reads (the dead-letter feed, taps) pass through when the inner bus has them. The inner bus names
    // a dead-letter topic after the outer topic: dlq.<namespace>.<topic>.
    ...('tail' in inner ? {
      tail: (o: TailOptions) => (inner as TailingBus).tail({
        ...o,
        topics: o.topics.map((t) => (t.startsWith('dlq.') ? `dlq.${outer(t.slice(4))}` : outer(t))),
        onMessage: (m) => o.onMessage(m.topic.startsWith(`dlq.${prefix}`) ? { ...m, topic: `dlq.${m.topic.slice(4 + prefix.length)}` } : local(m)),
      }),
    } : {}),
    close: () => inner.close(),
  };
}
