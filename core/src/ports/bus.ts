// The Bus port: topics of events, partitioned by key. Adapters: Kafka (kafkajs) and an in-process bus.
import type { DecodeFailure, DomainEvent } from '@qts/schemas';

export interface Delivery {
  readonly topic: string;
  readonly partition: number;
  /** Offset as a decimal string (Kafka offsets are 64-bit). */
  readonly offset: string;
  readonly key: string | null;
}

export interface RawMessage extends Delivery {
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

export interface ConsumeOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Where a group with no committed offset starts. */
  readonly fromBeginning?: boolean;
  /**
   * Called with each valid event, in order per partition. The offset is committed only after it
   * resolves; a rejection is retried (redelivery), so handlers must be idempotent.
   */
  readonly handler: (event: DomainEvent, delivery: Delivery) => Promise<void>;
  /** Told about each message sent to the dead letters (after it was published there). */
  readonly onDeadLetter?: (failure: DecodeFailure, message: RawMessage) => void;
}

export interface Consumer {
  /** Stops fetching, lets the in-flight handler finish, commits, leaves the group. */
  stop(): Promise<void>;
}

export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
}

export interface Bus {
  readonly name: string;
  ensureTopics(specs: readonly TopicSpec[]): Promise<void>;
  /** Publishes in order; resolves once the broker has acknowledged every event (acks=all). */
  publish(topic: string, key: string, events: readonly DomainEvent[]): Promise<void>;
  /** Publishes raw bytes as they are: dead letters, replays of stored bytes, and tests of bad input. */
  publishRaw(topic: string, key: string | null, value: Buffer, headers?: Readonly<Record<string, string>>): Promise<void>;
  consume(options: ConsumeOptions): Promise<Consumer>;
  close(): Promise<void>;
}
