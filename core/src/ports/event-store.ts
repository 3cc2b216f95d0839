// The EventStore port: the system of record. Adapters: Postgres (pg and PGlite) and EventStoreDB.
import type { DomainEvent } from '@qts/schemas';

/**
 * 'any': no check; 'no_stream': the stream must not exist; 'stream_exists': it must;
 * a number: the revision of the stream's last event (the first event is revision 0).
 */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | number;

export interface StoredEvent {
  readonly event: DomainEvent;
  /** Position of the event inside its stream, from 0. */
  readonly revision: number;
  /** Position in the store's global order ($all); strictly increasing, possibly with gaps. */
  readonly position: bigint;
}

export interface AppendResult {
  /** Revision of the stream's last event after the append: pass it as the next expected revision. */
  readonly nextExpectedRevision: number;
  /** Global position of the last event written (or of the already stored one on an idempotent re-append). */
  readonly position: bigint;
}

export interface ReadStreamOptions {
  readonly direction?: 'forwards' | 'backwards';
  /** Inclusive. Forwards defaults to 0; backwards to the end. */
  readonly fromRevision?: number;
  readonly maxCount?: number;
}

export interface ReadAllOptions {
  /** Exclusive: events strictly after this position. Omit to read from the start. */
  readonly after?: bigint;
  readonly maxCount?: number;
}

export interface Subscription {
  close(): Promise<void>;
}

export interface SubscribeOptions {
  /** Exclusive checkpoint; omit to start from the beginning. */
  readonly after?: bigint;
  /** Called once the subscription has caught up with what was stored when it started. */
  readonly onCaughtUp?: () => void;
  readonly onError?: (error: unknown) => void;
}

export interface EventStore {
  readonly name: string;
  /**
   * Appends atomically. Throws WrongExpectedRevision (writing nothing) when the stream moved.
   * Re-appending events whose ids are already stored at the same places is a no-op.
   */
  append(stream: string, events: readonly DomainEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult>;
  readStream(stream: string, options?: ReadStreamOptions): AsyncIterable<StoredEvent>;
  readAll(options?: ReadAllOptions): AsyncIterable<StoredEvent>;
  /** Catches up from the checkpoint, then delivers live events in global order, one at a time. */
  subscribeToAll(handler: (stored: StoredEvent) => Promise<void>, options?: SubscribeOptions): Subscription;
  close(): Promise<void>;
}
