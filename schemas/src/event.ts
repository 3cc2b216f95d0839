// Typed domain events and their construction: the envelope fields derived from the catalog.
import type { Envelope } from './envelope.ts';
import { definitionOf, type EventData, type EventType } from './catalog.ts';

export type DomainEvent<T extends EventType = EventType> = { [K in T]: Envelope<K, EventData<K>> }[T];

export interface EventContext {
  readonly id: string;
  /** Source time as epoch milliseconds. */
  readonly occurredAt: number;
  readonly recordedAt: number;
  readonly causationId?: string | null;
  /** Defaults to the event's own id: it starts a new chain. */
  readonly correlationId?: string;
  readonly meta?: Readonly<Record<string, unknown>>;
}

/** Builds an event of the latest version; stream and key come from the catalog. Data is trusted here. */
export function makeEvent<T extends EventType>(type: T, data: EventData<T>, ctx: EventContext): DomainEvent<T> {
  const def = definitionOf(type);
  return {
    id: ctx.id,
    type,
    version: def.latest,
    stream: def.stream(data),
    key: def.key(data),
    occurredAt: new Date(ctx.occurredAt).toISOString(),
    recordedAt: new Date(ctx.recordedAt).toISOString(),
    causationId: ctx.causationId ?? null,
    correlationId: ctx.correlationId ?? ctx.id,
    data,
    meta: ctx.meta ?? {},
  } as DomainEvent<T>;
}

/** The context for an event caused by another: same correlation, causation = the cause's id. */
export function causedBy(cause: { id: string; correlationId: string }, ctx: Omit<EventContext, 'causationId' | 'correlationId'>): EventContext {
  return { ...ctx, causationId: cause.id, correlationId: cause.correlationId };
}

