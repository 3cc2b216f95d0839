// The recorder: consumes every topic of the catalog in its own group and appends each event to its stream in the event store.
import { allTopics, type DomainEvent } from '@qts/schemas';
import { IdempotencyConflict } from '@qts/core';
import type { AppendResult, Bus, Consumer, Delivery, EventStore } from '@qts/core';
import { busLogger, type Logger } from '../bus/log.ts';

export interface RecorderOptions {
  readonly bus: Bus;
  readonly store: EventStore;
  /** Its own consumer group, so its offsets never move with any other worker's. Default 'qts-recorder'. */
  readonly groupId?: string;
  /** Default: every topic of the catalog. */
  readonly topics?: readonly string[];
  readonly logger?: Logger;
  /** Told after each event is safely in the store (also for a redelivery that the store recognised). */
  readonly onRecorded?: (event: DomainEvent, result: AppendResult, delivery: Delivery) => void;
}

export const RECORDER_GROUP = 'qts-recorder';

/**
 * Starts recording; stop the returned consumer to stop. A new group starts at the oldest retained message;
 * afterwards it resumes from its committed offset.
 *
 * Delivery is at-least-once, so any event can come again, also long after newer events of its stream were
 * appended. Each event is appended alone with expected revision 'any' and relies on the store's id
 * idempotency: a stored id re-appended to its own stream answers its original place and writes nothing,
 * however old it is (the EventStore contract holds every adapter to that). An id already stored in a
 * different stream is a conflict no retry can fix: it is logged and skipped, never appended twice.
 */
export async function startRecorder(options: RecorderOptions): Promise<Consumer> {
  const { store } = options;
  const logger = options.logger ?? busLogger('recorder');
  const groupId = options.groupId ?? RECORDER_GROUP;
  return options.bus.consume({
    groupId,
    topics: options.topics ?? allTopics,
    fromBeginning: true,
    handler: async (event, delivery) => {
      let result: AppendResult;
      try {
        result = await store.append(event.stream, [event], 'any');
      } catch (err) {
        if (err instanceof IdempotencyConflict) {
          logger.error({ err, eventId: event.id, stream: event.stream, topic: delivery.topic, offset: delivery.offset }, 'event id already stored in another stream; not recorded again');
          return;
        }
        throw err;
      }
      options.onRecorded?.(event, result, delivery);
    },
    onDeadLetter: (failure, message) => {
      logger.warn({ kind: failure.kind, topic: message.topic, partition: message.partition, offset: message.offset }, 'recorder skipped an invalid message (dead-lettered)');
    },
  });
}
