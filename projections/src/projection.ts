// What a projection is: the event types it handles, its tables (as migrations), and a batch handler.
import type { Migration } from 'kysely';
import type { DomainEvent, EventType } from '@qts/schemas';
import type { ReadTx } from './db.ts';

/** One event as a projection sees it: the event and its global position in the store. */
export interface Positioned {
  readonly event: DomainEvent;
  readonly position: bigint;
}

export interface Projection {
  readonly name: string;
  readonly handles: ReadonlySet<EventType>;
  /** Tables this projection owns, each with its primary key columns (for rebuild and row hashes). */
  readonly tables: Readonly<Record<string, readonly string[]>>;
  /** In-code kysely migrations; their 'down' drops the tables so a rebuild starts from nothing. */
  readonly migrations: Readonly<Record<string, Migration>>;
  /**
   * Applies events it handles, in order, inside the projector's transaction. The projector has
   * already dropped events at or below this projection's checkpoint, so redeliveries never get here.
   */
  apply(trx: ReadTx, events: readonly Positioned[]): Promise<void>;
}

export function defineProjection(p: Omit<Projection, 'handles'> & { handles: readonly EventType[] }): Projection {
  return { ...p, handles: new Set(p.handles) };
}

/** Epoch milliseconds of an event's source time. */
export function occurredMs(e: DomainEvent): number {
  return Date.parse(e.occurredAt);
}

/** Keeps the last item per key, in first-seen order: one multi-row upsert may touch a row only once. */
export function lastByKey<T>(items: readonly T[], key: (t: T) => string): T[] {
  const m = new Map<string, T>();
  for (const it of items) m.set(key(it), it);
  return [...m.values()];
}
