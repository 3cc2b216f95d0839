// The EventStore port in process memory: for unit tests and backtests that need no durability; same contract.
import {
  IdempotencyConflict, InfrastructureError, ValidationError, WrongExpectedRevision,
  type AppendResult, type EventStore, type ExpectedRevision, type ReadAllOptions, type ReadStreamOptions,
  type StoredEvent, type SubscribeOptions, type Subscription,
} from '@qts/core';
import { describeFailure, validateEvent, type DomainEvent } from '@qts/schemas';
import { CatchUpSubscription } from './catch-up-subscription.ts';
import { checkExpectedRevision, toStoredEvent } from './stored-event.ts';

interface Row {
  readonly stream: string;
  readonly revision: number;
  readonly position: bigint;
  readonly envelope: DomainEvent;
}

/**
 * Positions are 1, 2, 3...; appends run to completion one at a time (the event loop is the lock), so the
 * rules match the Postgres store exactly. Events are copied on append, so a caller mutating its objects
 * afterwards cannot rewrite history.
 */
export class InMemoryEventStore implements EventStore {
  readonly name: string;
  private readonly log: Row[] = [];
  private readonly streams = new Map<string, Row[]>();
  private readonly byId = new Map<string, Row>();
  private readonly wakers = new Set<() => void>();
  private readonly subscriptions = new Set<CatchUpSubscription>();
  private closed = false;

  constructor(options: { name?: string } = {}) {
    this.name = options.name ?? 'in-memory-event-store';
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async append(stream: string, events: readonly DomainEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    checkExpectedRevision(expected);
    this.assertOpen();
    for (const e of events) {
      const r = validateEvent(e);
      if (!r.ok) throw new ValidationError(`cannot append to '${stream}': ${describeFailure(r.error)}`, [{ path: e.id ?? '(event)', message: describeFailure(r.error) }]);
    }
    const rows = this.streams.get(stream);
    const current = rows ? rows.length - 1 : -1;
    const matches = expected === 'any' || (expected === 'no_stream' ? !rows : expected === 'stream_exists' ? !!rows : current === expected);
    const wrong = (): WrongExpectedRevision => new WrongExpectedRevision(stream, String(expected), rows ? String(current) : 'no_stream');
    if (events.length === 0) {
      if (!matches) throw wrong();
      return { nextExpectedRevision: current, position: rows ? rows[rows.length - 1]!.position : -1n };
    }
    const stored = events.map((e) => this.byId.get(e.id)).filter((r): r is Row => r !== undefined);
    if (stored.length > 0) return this.alreadyAppended(stream, events, expected, stored, wrong);
    if (!matches) throw wrong();
    const target = rows ?? [];
    this.streams.set(stream, target);
    for (const e of events) {
      const row: Row = { stream, revision: target.length, position: BigInt(this.log.length + 1), envelope: structuredClone(e) };
      target.push(row);
      this.log.push(row);
      this.byId.set(e.id, row);
    }
    for (const w of this.wakers) w();
    const last = target[target.length - 1]!;
    return { nextExpectedRevision: last.revision, position: last.position };
  }

  /** Same rule as the Postgres store: the same ids at the same places answer as the first append did. */
  private alreadyAppended(stream: string, events: readonly DomainEvent[], expected: ExpectedRevision, stored: readonly Row[], wrong: () => WrongExpectedRevision): AppendResult {
    if (stored.length !== events.length) throw new IdempotencyConflict(stream, `${stored.length} of ${events.length} event ids are already stored`);
    const first = stored[0]!;
    stored.forEach((s, i) => {
      if (s.stream !== stream || s.revision !== first.revision + i) {
        throw new IdempotencyConflict(stream, `event ${events[i]!.id} is already stored at ${s.stream}@${s.revision}, not in this order`);
      }
    });
    const expectedFirst = expected === 'no_stream' ? 0 : typeof expected === 'number' ? expected + 1 : first.revision;
    if (first.revision !== expectedFirst) throw wrong();
    const last = stored[stored.length - 1]!;
    return { nextExpectedRevision: last.revision, position: last.position };
  }

  private toStored(row: Row): StoredEvent {
    return toStoredEvent(row.envelope, row.revision, row.position, { store: this.name }, 'upcast');
  }

  async *readStream(stream: string, options: ReadStreamOptions = {}): AsyncIterable<StoredEvent> {
    this.assertOpen();
    const rows = this.streams.get(stream) ?? [];
    const forwards = (options.direction ?? 'forwards') === 'forwards';
    let remaining = options.maxCount ?? Number.POSITIVE_INFINITY;
    if (forwards) {
      for (let i = Math.max(0, options.fromRevision ?? 0); i < rows.length && remaining-- > 0; i++) yield this.toStored(rows[i]!);
    } else {
      for (let i = Math.min(rows.length - 1, options.fromRevision ?? rows.length - 1); i >= 0 && remaining-- > 0; i--) yield this.toStored(rows[i]!);
    }
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<StoredEvent> {
    this.assertOpen();
    let remaining = options.maxCount ?? Number.POSITIVE_INFINITY;
    for (let i = Number(options.after ?? 0n); i < this.log.length && remaining-- > 0; i++) yield this.toStored(this.log[i]!);
  }

  async readPage(after: bigint, limit: number): Promise<StoredEvent[]> {
    this.assertOpen();
    const start = Number(after < 0n ? 0n : after);
    return this.log.slice(start, start + limit).map((r) => this.toStored(r));
  }

  async listening(): Promise<void> {}

  onAppended(waker: () => void): () => void {
    this.wakers.add(waker);
    return () => this.wakers.delete(waker);
  }

  subscribeToAll(handler: (stored: StoredEvent) => Promise<void>, options: SubscribeOptions = {}): Subscription {
    this.assertOpen();
    // Appends signal every waiting subscription, so the poll is only a backstop.
    const sub = new CatchUpSubscription(this, handler, options, 1000, 60_000, () => this.subscriptions.delete(sub));
    this.subscriptions.add(sub);
    sub.start();
    return sub;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
  }

  private assertOpen(): void {
    if (this.closed) throw new InfrastructureError(`${this.name} is closed`);
  }
}
