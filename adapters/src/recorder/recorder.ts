// The recorder: consumes every topic of the catalog in its own group and appends each event to its stream in the event store.
import { allTopics, type DomainEvent } from '@qts/schemas';
import { IdempotencyConflict } from '@qts/core';
import type { AppendResult, BatchItem, Bus, Consumer, Delivery, EventStore } from '@qts/core';
import { busLogger, type Logger } from '../bus/log.ts';

export interface RecorderOptions {
  readonly bus: Bus;
  readonly store: EventStore;
  /** Its own consumer group, so its offsets never move with any other worker's. Default 'qts-recorder'. */
  readonly groupId?: string;
  /** Default: every topic of the catalog. */
  readonly topics?: readonly string[];
  readonly logger?: Logger;
  /** Longest run appended at once (default 500). */
  readonly maxBatch?: number;
  /** Told after each event is safely in the store (also for a redelivery that the store recognised). */
  readonly onRecorded?: (event: DomainEvent, result: AppendResult, delivery: Delivery) => void;
}

export const RECORDER_GROUP = 'qts-recorder';

/**
 * Starts recording; stop the returned consumer to stop. A new group starts at the oldest retained message;
 * afterwards it resumes from its committed offset.
 *
 * Events arrive in runs (one partition, in order); each stream's share of a run is appended in one call
 * with expected revision 'any', because one transaction per event is what bounds a recorder's rate.
 *
 * Delivery is at-least-once, so any event can come again, also long after newer events of its stream were
 * appended, and a redelivered run may start or end elsewhere than the first time. The store's id
 * idempotency makes a re-append of already stored events a no-op when they sit together at their places;
 * when a run mixes stored and new events (the store answers IdempotencyConflict), its events are appended
 * one by one, each either a no-op (already stored, however old) or new. An id already stored in a
 * different stream is a conflict no retry can fix: it is logged and skipped, never appended twice.
 */
export async function startRecorder(options: RecorderOptions): Promise<Consumer> {
  const { store } = options;
  const logger = options.logger ?? busLogger('recorder');
  const groupId = options.groupId ?? RECORDER_GROUP;

  const appendOne = async (item: BatchItem): Promise<void> => {
    const { event, delivery } = item;
    try {
      const result = await store.append(event.stream, [event], 'any');
      options.onRecorded?.(event, result, delivery);
    } catch (err) {
      if (!(err instanceof IdempotencyConflict)) throw err;
      logger.error({ err, eventId: event.id, stream: event.stream, topic: delivery.topic, offset: delivery.offset }, 'event id already stored in another stream; not recorded again');
    }
  };

  return options.bus.consume({
    groupId,
    topics: options.topics ?? allTopics,
    fromBeginning: true,
    maxBatch: options.maxBatch ?? 500,
    batchHandler: async (items) => {
      const byStream = new Map<string, BatchItem[]>();
      for (const item of items) {
        const list = byStream.get(item.event.stream);
        if (list) list.push(item);
        else byStream.set(item.event.stream, [item]);
      }
      for (const [stream, group] of byStream) {
        if (group.length === 1) {
          await appendOne(group[0]!);
          continue;
        }
        try {
          const result = await store.append(stream, group.map((g) => g.event), 'any');
          if (options.onRecorded) for (const g of group) options.onRecorded(g.event, result, g.delivery);
        } catch (err) {
          if (!(err instanceof IdempotencyConflict)) throw err;
          for (const item of group) await appendOne(item);
        }
      }
    },
    onDeadLetter: (failure, message) => {
      logger.warn({ kind: failure.kind, topic: message.topic, partition: message.partition, offset: message.offset }, 'recorder skipped an invalid message (dead-lettered)');
    },
  });
}
