// An EventStore decorator for command handlers: what they append is also published, so workers on the bus see it.
import { catalog, type DomainEvent } from '@qts/schemas';
import type { AppendResult, Bus, EventStore, ExpectedRevision } from '@qts/core';

/**
 * The store stays the system of record: the bus publish happens only after the append succeeded (a
 * crash in between loses the notification, never the fact; the recorder and projector read the store).
 */
export function publishingStore(store: EventStore, bus: Bus): EventStore {
  return {
    name: store.name,
    async append(stream: string, events: readonly DomainEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
      const result = await store.append(stream, events, expectedRevision);
      for (const e of events) await bus.publish(catalog[e.type].topic, e.key, [e]);
      return result;
    },
    readStream: (stream, options) => store.readStream(stream, options),
    readAll: (options) => store.readAll(options),
    subscribeToAll: (handler, options) => store.subscribeToAll(handler, options),
    close: () => store.close(),
  };
}
