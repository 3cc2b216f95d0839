// Audit queries over the audit index: events by type, instrument or correlation id, and as of a time; pages in position order, events read from the store.
import { sql } from 'kysely';
import { ValidationError, type EventStore, type StoredEvent } from '@qts/core';
import type { EventsQuery, EventView, Page } from '@qts/adapters';
import type { ReadDb } from './db.ts';

/** Reads stored events by their positions (the store's $all order). */
export type EventsAt = (positions: readonly bigint[]) => Promise<StoredEvent[]>;

/** From any store: one read of $all per position, a few at a time. */
export function eventsAt(store: EventStore, parallel = 8): EventsAt {
  return async (positions) => {
    const out: StoredEvent[] = new Array(positions.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < positions.length; i = next++) {
        for await (const e of store.readAll({ after: positions[i]! - 1n, maxCount: 1 })) out[i] = e;
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, positions.length) }, worker));
    return out.filter((e) => e !== undefined);
  };
}

/** The last event recorded at or before `asOf`: one backward step in the record-time index. */
export function asOfQuery(db: ReadDb, asOf: number) {
  return db.selectFrom('audit_events').select('position').where('recorded_ms', '<=', asOf)
    .orderBy('recorded_ms', 'desc').orderBy('position', 'desc').limit(1);
}

/** The statement a page runs (also what the EXPLAIN test reads). */
export function auditQuery(db: ReadDb, q: EventsQuery, upTo: bigint | null) {
  let query = db.selectFrom('audit_events').select('position');
  if (q.type !== undefined) query = query.where('type', '=', q.type);
  if (q.correlationId !== undefined) query = query.where('correlation_id', '=', q.correlationId);
  if (q.instrument !== undefined) query = query.where('instrument', '=', q.instrument);
  if (q.cursor !== undefined) {
    if (!/^\d{1,19}$/.test(q.cursor)) throw new ValidationError('invalid cursor', [{ path: 'query.cursor', message: 'not a cursor from this API' }]);
    query = query.where('position', '>', sql<string>`${q.cursor}::bigint`);
  }
  if (upTo !== null) query = query.where('position', '<=', sql<string>`${upTo.toString()}::bigint`);
  return query.orderBy('position').limit(q.limit + 1);
}

function eventView(s: StoredEvent): EventView {
  const e = s.event;
  return {
    position: s.position.toString(), revision: s.revision, id: e.id, type: e.type, version: e.version, stream: e.stream, key: e.key,
    occurredAt: e.occurredAt, recordedAt: e.recordedAt, causationId: e.causationId, correlationId: e.correlationId, data: e.data, meta: { ...e.meta },
  };
}

/** A page of audit events (not by stream: those read the store's stream index, see the API route). */
export async function auditEvents(db: ReadDb, read: EventsAt, q: EventsQuery): Promise<Page<EventView>> {
  let upTo: bigint | null = null;
  if (q.asOf !== undefined) {
    const r = await asOfQuery(db, q.asOf).executeTakeFirst();
    if (!r) return { items: [], nextCursor: null };
    upTo = BigInt(r.position);
  }
  const rows = await auditQuery(db, q, upTo).execute();
  const more = rows.length > q.limit;
  const page = (more ? rows.slice(0, q.limit) : rows).map((r) => BigInt(r.position));
  const items = (await read(page)).map(eventView);
  return { items, nextCursor: more ? page[page.length - 1]!.toString() : null };
}
