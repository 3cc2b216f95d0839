// Audit queries over the audit index: events by stream, type, instrument or correlation id, and as of a time; pages in position order.
import { sql } from 'kysely';
import { ValidationError } from '@qts/core';
import type { EventsQuery, EventView, Page } from '@qts/adapters';
import type { DomainEvent } from '@qts/schemas';
import type { ReadDb } from './db.ts';

/** The last event recorded at or before `asOf`: one backward step in the record-time index. */
export function asOfQuery(db: ReadDb, asOf: number) {
  return db.selectFrom('audit_events').select('position').where('recorded_ms', '<=', asOf)
    .orderBy('recorded_ms', 'desc').orderBy('position', 'desc').limit(1);
}

/** Its position (-1: nothing recorded by then). */
async function positionAsOf(db: ReadDb, asOf: number): Promise<bigint> {
  const r = await asOfQuery(db, asOf).executeTakeFirst();
  return r ? BigInt(r.position) : -1n;
}

/** The statement a page runs (also what the EXPLAIN test reads). */
export function auditQuery(db: ReadDb, q: EventsQuery, upTo: bigint | null) {
  let query = db.selectFrom('audit_events').select(['position', 'revision', 'envelope']);
  if (q.stream !== undefined) query = query.where('stream', '=', q.stream);
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

export async function auditEvents(db: ReadDb, q: EventsQuery): Promise<Page<EventView>> {
  const upTo = q.asOf === undefined ? null : await positionAsOf(db, q.asOf);
  if (upTo === -1n) return { items: [], nextCursor: null };
  const rows = await auditQuery(db, q, upTo).execute();
  const more = rows.length > q.limit;
  const page = more ? rows.slice(0, q.limit) : rows;
  const items = page.map((r): EventView => {
    const e = JSON.parse(r.envelope) as DomainEvent;
    return {
      position: String(r.position), revision: r.revision, id: e.id, type: e.type, version: e.version, stream: e.stream, key: e.key,
      occurredAt: e.occurredAt, recordedAt: e.recordedAt, causationId: e.causationId, correlationId: e.correlationId, data: e.data, meta: { ...e.meta },
    };
  });
  return { items, nextCursor: more ? String(page[page.length - 1]!.position) : null };
}
