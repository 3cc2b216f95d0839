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

export interface BatchItem {
  readonly event: DomainEvent;
  readonly delivery: Delivery;
}

export interface ConsumeOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Where a group with no committed offset starts: the oldest retained message, else only what is published next. */
  readonly fromBeginning?: boolean;
  /**
   * Called with each valid event, in order per partition (so in order per key). The offset is committed
   * only after it resolves; a rejection redelivers the same event after a backoff, and nothing after it
   * on that partition is handled first (other partitions keep flowing). Any event may still arrive twice
   * (restart, rebalance): handlers must be idempotent. Give exactly one of `handler` and `batchHandler`.
   */
  readonly handler?: (event: DomainEvent, delivery: Delivery) => Promise<void>;
  /**
   * Called with runs of consecutive valid events of one partition, in order, at most `maxBatch` long: for
   * consumers whose writes are cheaper in bulk (the recorder, projections). The run is committed after it
   * resolves; a rejection redelivers the whole run (its boundaries may differ next time).
   */
  readonly batchHandler?: (items: readonly BatchItem[]) => Promise<void>;
  /** Longest run given to `batchHandler` (default 500). */
  readonly maxBatch?: number;
  /**
   * Told about each message sent to the dead letters (after it was published there). Bad bytes (not
   * JSON, unknown type or version, invalid fields, oversized) go to `dlq.<topic>` with their reason in
   * headers, are committed past, and never reach the handler.
   */
  readonly onDeadLetter?: (failure: DecodeFailure, message: RawMessage) => void;
}

export interface TopicPartitions {
  readonly topic: string;
  readonly partitions: readonly number[];
}

export interface Consumer {
  /** The partitions this member owns now; changes when members of its group come and go. */
  assignment(): readonly TopicPartitions[];
  /** Stops fetching, lets the in-flight handler finish, commits, leaves the group. */
  stop(): Promise<void>;
}

export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
}

export interface Bus {
  readonly name: string;
  /** Creates missing topics, each with its dead-letter topic `dlq.<topic>`; existing topics are left as they are. */
  ensureTopics(specs: readonly TopicSpec[]): Promise<void>;
  /**
   * Publishes in order; resolves once the broker has acknowledged every event (acks=all). `key` is the
   * partition key of every event in the call; null uses each event's own `key` (the catalog's partition
   * key), for batches that span instruments. May wait while too much is already in flight (backpressure).
   */
  publish(topic: string, key: string | null, events: readonly DomainEvent[]): Promise<void>;
  /** Publishes raw bytes as they are: dead letters, replays of stored bytes, and tests of bad input. */
  publishRaw(topic: string, key: string | null, value: Buffer, headers?: Readonly<Record<string, string>>): Promise<void>;
  /** Resolves once the consumer has joined its group and received its first assignment. */
  consume(options: ConsumeOptions): Promise<Consumer>;
  /** Stops every consumer this bus started, then disconnects. */
  close(): Promise<void>;
}
