// The latency bench's executor stage (a child process): signals from Kafka through the desk (sizing, risk) to orders on Kafka; ticks fill them on a paper venue.
//
// Like the paper executor, it trades in event time: a signal is decided once the executor has applied
// the tick it was taken on (and so every earlier tick of that instrument, and the fills they made), so
// the desk sees the book the strategy saw, however the two consumers are scheduled.
import { derivedId, makeEvent, topics, type DomainEvent, type EventData, type EventType } from '@qts/schemas';
import { openPaperBook, type Desk, type SimulatedVenue, type VenueEvent } from '@qts/core';
import { ACCOUNT, benchBus, serveStage, wallNow } from './latency-wire.ts';

const namespace = process.argv[2]!;
const bus = benchBus(namespace, 'executor');

interface Book { readonly desk: Desk; readonly venue: SimulatedVenue; lastPrice: number }
const books = new Map<string, Book>();
/** The OrderRequested each resting order answers: the cause of its venue events. */
const causes = new Map<string, DomainEvent>();
const seen = new Set<string>();
/** Ticks applied lately (ids, oldest first), so a signal can tell whether its tick has been applied. */
const applied = new Set<string>();
const APPLIED_KEPT = 200_000;
/** Signals whose tick has not been applied yet, by that tick's id. */
const parked = new Map<string, DomainEvent<'SignalEmitted'>[]>();
let decided = 0;
let duplicates = 0;
let emitted = 0;
let rejected = 0;
let noOrder = 0;
let ticks = 0;
let fills = 0;

function book(instrument: string): Book {
  let b = books.get(instrument);
  if (b === undefined) {
    // The desk and venue wiring of the paper executor and the backtest, with risk limits that are checked on every order.
    const { desk, venue } = openPaperBook(instrument, { venue: 'paper', slippageBps: 2, makerFeeBps: 2, takerFeeBps: 10 }, {
      cash: 100_000,
      // Orders smaller than a typical print fill on the next tick, so each flip finds the previous one done.
      executor: { account: ACCOUNT, venue: 'paper', sizing: { kind: 'fixed-quantity', quantity: 0.05 }, allowShort: true },
      limits: { maxOrderNotional: 50_000, maxPositionNotional: 50_000, maxGrossExposure: 1_000_000 },
    });
    books.set(instrument, (b = { desk, venue, lastPrice: Number.NaN }));
  }
  return b;
}

function event<T extends EventType>(type: T, data: EventData<T>, key: string, at: number, cause: DomainEvent | null, meta?: Record<string, unknown>): DomainEvent<T> {
  return makeEvent(type, data, {
    id: derivedId(`${ACCOUNT}:${key}`, at), occurredAt: at, recordedAt: Date.now(),
    causationId: cause?.id ?? null, ...(cause ? { correlationId: cause.correlationId } : {}), ...(meta ? { meta } : {}),
  });
}

function venueEvents(b: Book, reports: readonly VenueEvent[], at: number, out: DomainEvent[]): void {
  for (const v of reports) {
    const e = event(v.type, v.data as never, v.type === 'OrderFilled' ? `fill:${v.data.fillId}` : `${v.type}:${v.data.clientOrderId}`, v.data.ts ?? at, causes.get(v.data.clientOrderId) ?? null);
    b.desk.onEvent(e);
    if (e.type === 'OrderFilled') fills++;
    if (e.type === 'OrderCancelled' || e.type === 'OrderExpired' || e.type === 'OrderRejected') causes.delete(e.data.clientOrderId);
    out.push(e);
  }
}

/** What the paper executor does with one signal: decide on the current book, replace resting orders, submit. */
function decide(signal: DomainEvent<'SignalEmitted'>, out: DomainEvent[], seenAt: number): void {
  decided++;
  const s = signal.data;
  const b = book(s.instrument);
  const price = Number.isNaN(b.lastPrice) ? s.price : b.lastPrice;
  const decisions = b.desk.decide(signal, price, b.desk.cash + b.desk.position * price, s.asOf);
  if (decisions.length === 0) {
    noOrder++;
    return;
  }
  // OrderRequested first: it is what the order gateway waits for; venue acknowledgements follow in the same publish.
  // The hop times ride along for the bench's breakdown (where the time goes), not for the end-to-end figure.
  const meta = { tickSeenAt: signal.meta.tickSeenAt, signalSeenAt: seenAt };
  const events = decisions.map((d) => event(d.type, d.data as never, `${d.type}:${d.data.clientOrderId}`, s.asOf, signal, meta));
  const venue: DomainEvent[] = [];
  if (b.venue.hasOpenOrders && events.some((e) => e.type === 'OrderRequested')) venueEvents(b, b.venue.cancelAll(s.instrument, s.asOf, 'replaced by a new signal'), s.asOf, venue);
  for (const e of events) {
    b.desk.onEvent(e);
    out.push(e);
    if (e.type === 'OrderRequested') {
      emitted++;
      causes.set(e.data.clientOrderId, e);
      venueEvents(b, b.venue.submit(e.data, s.asOf), s.asOf, venue);
    } else if (e.type === 'OrderRejected') rejected++;
  }
  out.push(...venue);
}

const signalConsumer = await bus.consume({
  groupId: 'latency.executor',
  topics: [topics.signals],
  fromBeginning: true,
  maxBatch: 1_000,
  batchHandler: async (items) => {
    const out: DomainEvent[] = [];
    const seenAt = wallNow();
    for (const { event: e } of items) {
      if (e.type !== 'SignalEmitted') continue;
      if (seen.has(e.id)) {
        duplicates++;
        continue;
      }
      seen.add(e.id);
      const tickId = e.causationId!;
      if (applied.has(tickId)) decide(e, out, seenAt);
      else parked.set(tickId, [...(parked.get(tickId) ?? []), { ...e, meta: { ...e.meta, seenAt } }]);
    }
    if (out.length > 0) await bus.publish(topics.orders, null, out);
  },
});

// Its own group on the ticks: marks and fills never wait behind signals, nor signals behind ticks.
const tickConsumer = await bus.consume({
  groupId: 'latency.executor-marks',
  topics: [topics.ticks],
  fromBeginning: true,
  maxBatch: 1_000,
  batchHandler: async (items) => {
    const out: DomainEvent[] = [];
    for (const { event: e } of items) {
      if (e.type !== 'TradeTick') continue;
      ticks++;
      const b = book(e.data.instrument);
      b.lastPrice = e.data.price;
      if (b.venue.hasOpenOrders) venueEvents(b, b.venue.onTick(e.data), e.data.ts, out);
      applied.add(e.id);
      if (applied.size > APPLIED_KEPT) applied.delete(applied.values().next().value!);
      const waiting = parked.get(e.id);
      if (waiting !== undefined) {
        parked.delete(e.id);
        for (const signal of waiting) decide(signal, out, signal.meta.seenAt as number);
      }
    }
    if (out.length > 0) await bus.publish(topics.orders, null, out);
  },
});

serveStage(() => ({ handled: decided, duplicates, emitted, rejected, noOrder, ticks, fills }), async () => {
  await Promise.all([signalConsumer.stop(), tickConsumer.stop()]);
  await bus.close();
});
