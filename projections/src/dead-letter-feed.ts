// Feeds the bus's dead letters (dlq.<topic>, reason in headers, original bytes as the value) into the dead-letters read model.
import type { RawMessage } from '@qts/core';
import type { Tail, TailOptions } from '@qts/adapters';
import { deadLetterHeader } from '@qts/adapters';
import { allTopics, deadLetterTopic } from '@qts/schemas';
import type { DeadLetterTable, ReadDb } from './db.ts';
import { rawColumns } from './projections/dead-letters.ts';

/** A bus whose topics can be read raw (both adapters, and the runtime's decorated bus). */
export interface RawTopics {
  tail(options: TailOptions): Promise<Tail>;
}

export interface DeadLetterFeedOptions {
  readonly bus: RawTopics;
  readonly db: ReadDb;
  /** The dead-letter topics to follow; default: dlq.<topic> of every topic in the catalog. */
  readonly topics?: readonly string[];
  /** Told after each stored dead letter (the API's cache of /dead-letters moves). */
  readonly onStored?: () => void;
  readonly onError?: (error: unknown) => void;
  readonly now?: () => number;
}

export interface DeadLetterFeed {
  stop(): Promise<void>;
}

/**
 * One row per source message: the key is the topic, partition and offset the consumer dead-lettered
 * (from the headers), so reading the dead-letter topics again from the start (each start does) adds nothing.
 */
export function busDeadLetterRow(m: RawMessage, receivedAt: number): DeadLetterTable {
  const h = m.headers;
  const sourceTopic = h[deadLetterHeader.sourceTopic];
  const sourcePartition = Number(h[deadLetterHeader.sourcePartition]);
  const sourceOffset = h[deadLetterHeader.sourceOffset];
  // A message someone published to a dlq topic by hand has no source: it is keyed by its own place.
  const sourced = sourceTopic !== undefined && sourceOffset !== undefined && Number.isInteger(sourcePartition);
  const reason = h[deadLetterHeader.reason] ?? 'no reason given (published to the dead-letter topic without dlq headers)';
  return {
    topic: sourced ? sourceTopic : m.topic,
    partition: sourced ? sourcePartition : m.partition,
    offset: sourced ? sourceOffset : m.offset,
    reason: reason.slice(0, 2000),
    failure: JSON.stringify({ kind: h[deadLetterHeader.kind] ?? 'Unknown', reason, deadLetterTopic: m.topic, deadLetterPartition: m.partition, deadLetterOffset: m.offset }),
    ...rawColumns(m.value),
    received_at: receivedAt,
  };
}

/** Follows the dead-letter topics from their start and stores each letter once. */
export async function followDeadLetters(o: DeadLetterFeedOptions): Promise<DeadLetterFeed> {
  const now = o.now ?? Date.now;
  let stopped = false;
  const tail = await o.bus.tail({
    topics: o.topics ?? allTopics.map(deadLetterTopic),
    fromBeginning: true,
    follow: true,
    onMessage: async (m) => {
      // A failed write is retried: the tail does not move past a letter until it is stored.
      for (let attempt = 0; ; attempt++) {
        try {
          const r = await o.db.insertInto('dead_letters').values(busDeadLetterRow(m, now()))
            .onConflict((oc) => oc.columns(['topic', 'partition', 'offset']).doNothing()).executeTakeFirst();
          if (Number(r.numInsertedOrUpdatedRows ?? 0n) > 0) o.onStored?.();
          return;
        } catch (e) {
          o.onError?.(e);
          if (stopped) return;
          await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** attempt)));
        }
      }
    },
  });
  return { stop: async () => { stopped = true; await tail.stop(); } };
}
