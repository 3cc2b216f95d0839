// The event being handled, carried through async calls, so every log line a handler writes names its correlation id.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { DomainEvent } from '@qts/schemas';

const current = new AsyncLocalStorage<DomainEvent>();

/** Runs handler(event, arg) with `event` as the current event of this async context (no closure per call). */
export function withEvent<A, T>(event: DomainEvent, handler: (event: DomainEvent, arg: A) => Promise<T>, arg: A): Promise<T> {
  return current.run(event, handler, event, arg);
}

export function currentEvent(): DomainEvent | undefined {
  return current.getStore();
}

/**
 * A pino `mixin`: the correlation and causation ids (and the event's id and type) of the event being
 * handled, on each line; nothing outside a handler. pino({ mixin: correlationMixin })
 */
export function correlationMixin(): Record<string, unknown> {
  const e = current.getStore();
  return e ? { correlationId: e.correlationId, causationId: e.causationId, eventId: e.id, eventType: e.type } : {};
}
