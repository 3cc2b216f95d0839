// The read boundary shared by event store adapters: a stored record becomes a latest-version event or a CorruptEvent.
import { CorruptEvent, ValidationError, type ExpectedRevision, type StoredEvent } from '@qts/core';
import { catalog, describeFailure, isEventType, validateEvent, type DomainEvent } from '@qts/schemas';

/**
 * 'upcast': an event already at its type's latest version was validated when appended and is returned as
 * stored; older versions go through validateEvent, which checks them against their own schema and upcasts.
 * 'all': every event is validated again on read (a store written by untrusted hands).
 */
export type ReadValidation = 'upcast' | 'all';

/** Turns a stored envelope into the latest version of its event, so readers never see old shapes. */
export function toStoredEvent(
  raw: unknown, revision: number, position: bigint, where: Readonly<Record<string, unknown>>, validation: ReadValidation = 'all',
): StoredEvent {
  if (validation === 'upcast' && isLatest(raw)) return { event: raw as DomainEvent, revision, position };
  const decoded = validateEvent(raw);
  if (!decoded.ok) {
    const { stream, id } = (typeof raw === 'object' && raw !== null ? raw : {}) as { stream?: unknown; id?: unknown };
    throw new CorruptEvent(`stored event does not decode: ${describeFailure(decoded.error)}`, {
      ...where, stream, eventId: id, revision, position: String(position), failure: decoded.error,
    });
  }
  return { event: decoded.event, revision, position };
}

function isLatest(raw: unknown): boolean {
  if (typeof raw !== 'object' || raw === null) return false;
  const { type, version, data } = raw as { type?: unknown; version?: unknown; data?: unknown };
  return typeof type === 'string' && isEventType(type) && version === catalog[type].latest && typeof data === 'object' && data !== null;
}

/** Rejects an expected revision no store could honour (negative, fractional). */
export function checkExpectedRevision(expected: ExpectedRevision): void {
  if (typeof expected === 'number' && !(Number.isSafeInteger(expected) && expected >= 0)) {
    throw new ValidationError(`expected revision must be a non-negative integer, got ${expected}`, [{ path: 'expectedRevision', message: 'non-negative integer' }]);
  }
}
