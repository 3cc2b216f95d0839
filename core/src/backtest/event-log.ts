// The backtest's event log: real domain events (makeEvent, seeded ids) for the rare facts, hashed as they come.
import { createHash, type Hash } from 'node:crypto';
import { makeEvent, seededIds, type DomainEvent, type EventData, type EventType, type IdGenerator } from '@qts/schemas';

/**
 * Signals, orders, fills and risk decisions become events; bars do not (the bars are the input and
 * are identified by the data's own hash, so per-bar envelopes would only slow the replay).
 * The SHA-256 runs over each event's JSON, one line per event, in the order they happened: the same
 * input and seed give the same hash, run after run.
 */
export class EventLog {
  readonly events: DomainEvent[] | null;
  count = 0;
  private readonly hash: Hash = createHash('sha256');
  private readonly ids: IdGenerator;
  /** JSON lines waiting to be hashed: one hash update per batch costs far less than one per event. */
  private pending: string[] = [];

  constructor(seed: number, keep: boolean) {
    this.ids = seededIds(seed);
    this.events = keep ? [] : null;
  }

  /** Records an event that happened at `occurredAt` and was recorded (virtual clock) at `recordedAt`. */
  record<T extends EventType>(
    type: T, data: EventData<T>, occurredAt: number, recordedAt: number,
    cause?: { readonly id: string; readonly correlationId: string },
  ): DomainEvent<T> {
    const id = this.ids(occurredAt);
    const event = makeEvent(type, data, {
      id, occurredAt, recordedAt,
      ...(cause ? { causationId: cause.id, correlationId: cause.correlationId } : {}),
    });
    this.pending.push(JSON.stringify(event));
    if (this.pending.length === 512) this.flush();
    this.count++;
    this.events?.push(event as DomainEvent);
    return event;
  }

  private flush(): void {
    this.hash.update(`${this.pending.join('\n')}\n`);
    this.pending = [];
  }

  digest(): string {
    if (this.pending.length > 0) this.flush();
    return this.hash.digest('hex');
  }
}
