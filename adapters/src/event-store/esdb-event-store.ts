// The event store on EventStoreDB (@eventstore/db-client 6): the distributed system of record.
import {
  ANY, BACKWARDS, END, EventStoreDBClient, FORWARDS, NO_STREAM, START, STREAM_EXISTS, StreamNotFoundError,
  WrongExpectedVersionError, excludeSystemEvents, jsonEvent,
  type AllStreamSubscription, type AppendExpectedRevision, type JSONType, type Position, type ResolvedEvent,
} from '@eventstore/db-client';
import {
  IdempotencyConflict, InfrastructureError, QtsError, WrongExpectedRevision,
  type AppendResult, type EventStore, type ExpectedRevision, type ReadAllOptions, type ReadStreamOptions,
  type StoredEvent, type SubscribeOptions, type Subscription,
} from '@qts/core';
import type { DomainEvent } from '@qts/schemas';
import { checkExpectedRevision, toStoredEvent } from './stored-event.ts';

/** Envelope fields kept in ESDB's event metadata; `$correlationId`/`$causationId` also feed ESDB's own projections. */
interface EnvelopeMetadata {
  readonly version: number;
  readonly stream: string;
  readonly key: string;
  readonly occurredAt: string;
  readonly recordedAt: string;
  readonly causationId: string | null;
  readonly correlationId: string;
  readonly meta: Readonly<Record<string, unknown>>;
  readonly $correlationId: string;
  readonly $causationId?: string;
}

type RecordedEvent = NonNullable<ResolvedEvent['event']>;

const isSystem = (e: RecordedEvent): boolean => e.type.startsWith('$') || e.streamId.startsWith('$');
// Servers before 22.x report no $all position on stream reads (the field is absent or all ones).
const positionOf = (e: RecordedEvent): bigint => (e.position && e.position.commit < 2n ** 63n ? e.position.commit : -1n);

function toEsdbRevision(expected: ExpectedRevision): AppendExpectedRevision {
  if (expected === 'any') return ANY;
  if (expected === 'no_stream') return NO_STREAM;
  if (expected === 'stream_exists') return STREAM_EXISTS;
  return BigInt(expected);
}

function toEsdbEvent(e: DomainEvent) {
  const metadata: EnvelopeMetadata = {
    version: e.version, stream: e.stream, key: e.key, occurredAt: e.occurredAt, recordedAt: e.recordedAt,
    causationId: e.causationId, correlationId: e.correlationId, meta: e.meta,
    $correlationId: e.correlationId, ...(e.causationId ? { $causationId: e.causationId } : {}),
  };
  return jsonEvent({ id: e.id, type: e.type, data: e.data as JSONType, metadata: metadata as unknown as JSONType });
}

function toEvent(e: RecordedEvent): StoredEvent {
  const m = (e.isJson && e.metadata && typeof e.metadata === 'object' ? e.metadata : {}) as Partial<EnvelopeMetadata>;
  const raw = {
    id: e.id, type: e.type, version: m.version, stream: m.stream ?? e.streamId, key: m.key,
    occurredAt: m.occurredAt, recordedAt: m.recordedAt, causationId: m.causationId ?? null,
    correlationId: m.correlationId, data: e.isJson ? e.data : undefined, meta: m.meta ?? {},
  };
  return toStoredEvent(raw, Number(e.revision), positionOf(e), { stream: e.streamId, eventId: e.id });
}

const fromPosition = (after: bigint | undefined): Position | typeof START =>
  after === undefined ? START : { commit: after, prepare: after };

/**
 * Positions are ESDB commit positions ($all order); events from `$`-prefixed types or streams are skipped.
 * Re-appends are recognised here before ESDB sees them (see alreadyAppended); with 'any' or 'stream_exists'
 * only the stream's last events are compared, as ESDB itself only promises best effort there.
 */
export class EsdbEventStore implements EventStore {
  readonly name: string;
  private readonly subscriptions = new Set<EsdbAllSubscription>();
  private closed = false;

  constructor(private readonly client: EventStoreDBClient, options: { name?: string; ownsClient?: boolean } = {}) {
    this.name = options.name ?? 'eventstoredb';
    this.ownsClient = options.ownsClient ?? false;
  }

  private readonly ownsClient: boolean;

  /**
   * @example const store = EsdbEventStore.connect('esdb://127.0.0.1:2113?tls=false');
   */
  static connect(connectionString: string): EsdbEventStore {
    return new EsdbEventStore(EventStoreDBClient.connectionString(connectionString), { ownsClient: true });
  }

  async append(stream: string, events: readonly DomainEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    checkExpectedRevision(expectedRevision);
    this.assertOpen();
    try {
      if (events.length === 0) return await this.checkOnly(stream, expectedRevision);
      const already = await this.alreadyAppended(stream, events, expectedRevision);
      if (already) return already;
      const result = await this.client.appendToStream(stream, events.map(toEsdbEvent), { expectedRevision: toEsdbRevision(expectedRevision) });
      const next = Number(result.nextExpectedRevision);
      const position = result.position?.commit ?? (await this.tail(stream, 1)).map(positionOf)[0] ?? -1n;
      return { nextExpectedRevision: next, position };
    } catch (e) {
      throw this.translate(e, stream, expectedRevision);
    }
  }

  /**
   * ESDB is idempotent by event id only at the exact places of the first write, and would store a batch that
   * merely overlaps the stream's end a second time. So the places this batch would occupy (for an exact
   * expectation, plus as many revisions before them) or the stream's tail (for 'any'/'stream_exists') are read
   * first: the same ids in the same places answer as the first append did; some of them are a conflict.
   */
  private async alreadyAppended(stream: string, events: readonly DomainEvent[], expected: ExpectedRevision): Promise<AppendResult | null> {
    const n = events.length;
    let window: RecordedEvent[];
    let first: number | null;
    if (expected === 'any' || expected === 'stream_exists') {
      window = (await this.tail(stream, n)).reverse();
      first = window.length === n ? Number(window[0]!.revision) : null;
    } else {
      first = expected === 'no_stream' ? 0 : expected + 1;
      window = await this.slice(stream, Math.max(0, first - n), 2 * n);
    }
    const ours = new Set(events.map((e) => e.id));
    const overlap = window.filter((e) => ours.has(e.id));
    if (overlap.length === 0) return null;
    const inPlace = first !== null && events.every((e, i) => window.find((w) => Number(w.revision) === first + i)?.id === e.id);
    if (!inPlace) throw new IdempotencyConflict(stream, `${overlap.length} of ${n} event ids are already stored, not at these revisions`);
    const last = window.find((w) => Number(w.revision) === first! + n - 1)!;
    return { nextExpectedRevision: first! + n - 1, position: positionOf(last) };
  }

  private async slice(stream: string, fromRevision: number, count: number): Promise<RecordedEvent[]> {
    const out: RecordedEvent[] = [];
    try {
      for await (const r of this.client.readStream(stream, { direction: FORWARDS, fromRevision: BigInt(fromRevision), maxCount: count })) {
        if (r.event) out.push(r.event);
      }
    } catch (e) {
      if (e instanceof StreamNotFoundError) return [];
      throw e;
    }
    return out;
  }

  /** An empty append writes nothing but still answers whether the expectation holds. */
  private async checkOnly(stream: string, expected: ExpectedRevision): Promise<AppendResult> {
    const [last] = await this.tail(stream, 1);
    const current = last ? Number(last.revision) : -1;
    const ok = expected === 'any' || (expected === 'no_stream' ? !last : expected === 'stream_exists' ? !!last : expected === current);
    if (!ok) throw new WrongExpectedRevision(stream, String(expected), last ? String(current) : 'no_stream');
    return { nextExpectedRevision: current, position: last ? positionOf(last) : -1n };
  }

  private async tail(stream: string, count: number): Promise<RecordedEvent[]> {
    const out: RecordedEvent[] = [];
    try {
      for await (const r of this.client.readStream(stream, { direction: BACKWARDS, fromRevision: END, maxCount: count })) {
        if (r.event) out.push(r.event);
      }
    } catch (e) {
      if (e instanceof StreamNotFoundError) return [];
      throw e;
    }
    return out;
  }

  private translate(e: unknown, stream: string, expected: ExpectedRevision): Error {
    if (e instanceof QtsError) return e;
    if (e instanceof WrongExpectedVersionError) {
      return new WrongExpectedRevision(stream, String(expected), String(e.actualVersion), { cause: e });
    }
    return new InfrastructureError(`EventStoreDB append to '${stream}' failed: ${(e as Error)?.message ?? String(e)}`, { stream }, { cause: e });
  }

  async *readStream(stream: string, options: ReadStreamOptions = {}): AsyncIterable<StoredEvent> {
    this.assertOpen();
    const backwards = options.direction === 'backwards';
    if (options.maxCount === 0) return;
    const read = this.client.readStream(stream, {
      direction: backwards ? BACKWARDS : FORWARDS,
      fromRevision: options.fromRevision === undefined ? (backwards ? END : START) : BigInt(options.fromRevision),
      ...(options.maxCount === undefined ? {} : { maxCount: options.maxCount }),
    });
    try {
      for await (const r of read) if (r.event) yield toEvent(r.event);
    } catch (e) {
      if (e instanceof StreamNotFoundError) return;
      throw e instanceof QtsError ? e : new InfrastructureError(`EventStoreDB read of '${stream}' failed`, { stream }, { cause: e });
    }
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<StoredEvent> {
    this.assertOpen();
    let remaining = options.maxCount ?? Number.POSITIVE_INFINITY;
    if (remaining <= 0) return;
    const after = options.after;
    // One streamed read (gRPC flow control keeps memory flat); breaking out of the loop cancels it.
    for await (const r of this.client.readAll({ direction: FORWARDS, fromPosition: fromPosition(after) })) {
      const e = r.event;
      if (!e || isSystem(e)) continue;
      if (after !== undefined && e.position.commit <= after) continue;
      yield toEvent(e);
      if (--remaining <= 0) return;
    }
  }

  subscribeToAll(handler: (stored: StoredEvent) => Promise<void>, options: SubscribeOptions = {}): Subscription {
    this.assertOpen();
    const sub = new EsdbAllSubscription(this.client, handler, options, () => this.subscriptions.delete(sub));
    this.subscriptions.add(sub);
    sub.start();
    return sub;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    if (this.ownsClient) await this.client.dispose();
  }

  private assertOpen(): void {
    if (this.closed) throw new InfrastructureError(`${this.name} is closed`);
  }
}

/** A catch-up subscription to $all without system events; the handler is awaited before the next event is pulled. */
class EsdbAllSubscription implements Subscription {
  private closed = false;
  private inHandler = false;
  private subscription: AllStreamSubscription | null = null;
  private done: Promise<void> = Promise.resolve();
  private caughtUp = false;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly handler: (stored: StoredEvent) => Promise<void>,
    private readonly options: SubscribeOptions,
    private readonly onClosed: () => void,
  ) {}

  start(): void {
    this.done = this.run().catch((e) => {
      if (!this.closed) this.options.onError?.(e instanceof QtsError ? e : new InfrastructureError('EventStoreDB subscription failed', {}, { cause: e }));
    }).finally(() => this.onClosed());
  }

  private reachedHead(): void {
    if (this.caughtUp) return;
    this.caughtUp = true;
    this.options.onCaughtUp?.();
  }

  /** Servers before 23.10 send no caught-up signal: the last non-system position at start stands in for it. */
  private async headAtStart(): Promise<bigint | null> {
    for await (const r of this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 500 })) {
      if (r.event && !isSystem(r.event)) return r.event.position.commit;
    }
    return null;
  }

  private async run(): Promise<void> {
    const after = this.options.after;
    const head = await this.headAtStart();
    if (head === null || (after !== undefined && head <= after)) this.reachedHead();
    if (this.closed) return;
    const sub = this.client.subscribeToAll({ fromPosition: fromPosition(after), filter: excludeSystemEvents() });
    this.subscription = sub;
    sub.on('caughtUp', () => this.reachedHead());
    for await (const r of sub) {
      if (this.closed) break;
      const e = r.event;
      if (!e || isSystem(e) || (after !== undefined && e.position.commit <= after)) continue;
      try {
        this.inHandler = true;
        await this.handler(toEvent(e));
      } catch (error) {
        this.options.onError?.(error);
        this.closed = true;
        break;
      } finally {
        this.inHandler = false;
      }
      if (head !== null && e.position.commit >= head) this.reachedHead();
    }
    await sub.unsubscribe().catch(() => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.subscription?.unsubscribe().catch(() => {});
    if (!this.inHandler) await this.done;
  }
}
