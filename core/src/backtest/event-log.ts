// The backtest's event log: the rare facts (signals, orders, fills, risk) with seeded ids, hashed as they happen.
import { createHash, type Hash } from 'node:crypto';
import { definitionOf, makeEvent, seededIds, type DomainEvent, type EventData, type EventType, type IdGenerator } from '@qts/schemas';

/**
 * What the hash covers for one event: every envelope field that is not derived from the type and
 * the data (stream and key are), with times as epoch ms, then the data as JSON. One line per event.
 * The same line comes from the live fields (replay) and from a stored envelope (hashEventLog), so a
 * stored stream can be checked against a backtest's hash.
 */
export function eventLine(
  id: string, type: string, version: number, occurredAt: number, recordedAt: number,
  causationId: string | null, correlationId: string, data: unknown,
): string {
  return `${id}|${type}|${version}|${occurredAt}|${recordedAt}|${causationId ?? ''}|${correlationId}|${JSON.stringify(data)}\n`;
}

/** SHA-256 (hex) of a sequence of events, in order: equals the eventHash of the backtest that produced them. */
export function hashEventLog(events: Iterable<DomainEvent>): string {
  const hash = createHash('sha256');
  for (const e of events) {
    hash.update(eventLine(e.id, e.type, e.version, Date.parse(e.occurredAt), Date.parse(e.recordedAt), e.causationId, e.correlationId, e.data));
  }
  return hash.digest('hex');
}

/** The part of a recorded event the replay itself needs: its identity for causation, its type and data. */
export type LoggedEvent<T extends EventType = EventType> = {
  [K in T]: { readonly id: string; readonly correlationId: string; readonly type: K; readonly data: EventData<K> };
}[T];

/** Bytes of pending lines per hash update: one update per batch costs far less than one per event. */
const BATCH_CHARS = 1 << 16;

/**
 * Signals, orders, fills and risk decisions are recorded; bars are not (they are the input, and a
 * per-bar envelope would cost more than the whole replay). Envelopes are only built (makeEvent)
 * when the caller keeps the events: the hash is the same either way.
 */
export class EventLog {
  readonly events: DomainEvent[] | null;
  count = 0;
  private readonly hash: Hash = createHash('sha256');
  private readonly ids: IdGenerator;
  private pending = '';

  constructor(seed: number, keep: boolean) {
    this.ids = seededIds(seed);
    this.events = keep ? [] : null;
  }

  /** Records an event that happened at `occurredAt` and was recorded (virtual clock) at `recordedAt`. */
  record<T extends EventType>(
    type: T, data: EventData<T>, occurredAt: number, recordedAt: number,
    cause?: { readonly id: string; readonly correlationId: string },
  ): LoggedEvent<T> {
    const id = this.ids(occurredAt);
    const causationId = cause ? cause.id : null;
    const correlationId = cause ? cause.correlationId : id;
    this.pending += eventLine(id, type, definitionOf(type).latest, occurredAt, recordedAt, causationId, correlationId, data);
    if (this.pending.length >= BATCH_CHARS) this.flush();
    this.count++;
    if (this.events !== null) {
      this.events.push(makeEvent(type, data, { id, occurredAt, recordedAt, causationId, correlationId }) as DomainEvent);
    }
    return { id, correlationId, type, data } as LoggedEvent<T>;
  }

  /** Records like `record` and returns the full envelope (for consumers whose contract takes one: the executor takes the signal). */
  recordEnvelope<T extends EventType>(type: T, data: EventData<T>, occurredAt: number, recordedAt: number): DomainEvent<T> {
    const id = this.ids(occurredAt);
    this.pending += eventLine(id, type, definitionOf(type).latest, occurredAt, recordedAt, null, id, data);
    if (this.pending.length >= BATCH_CHARS) this.flush();
    this.count++;
    const event = makeEvent(type, data, { id, occurredAt, recordedAt });
    this.events?.push(event as DomainEvent);
    return event;
  }

  private flush(): void {
    this.hash.update(this.pending);
    this.pending = '';
  }

  digest(): string {
    if (this.pending.length > 0) this.flush();
    return this.hash.digest('hex');
  }
}
