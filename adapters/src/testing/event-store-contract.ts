// One contract suite for every EventStore adapter: PGlite, a Postgres server, EventStoreDB.
import { randomUUID } from 'node:crypto';
import { IdempotencyConflict, WrongExpectedRevision, type EventStore, type StoredEvent } from '@qts/core';
import { makeEvent, uuidv7Ids, type DomainEvent } from '@qts/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './eventually.ts';

export interface EventStoreContractOptions {
  /** Deadline for subscription deliveries; a remote server may need more than the default 10 s. */
  readonly timeoutMs?: number;
}

/**
 * Streams of real-shaped order events under one run id, so the suite also holds on a shared, non-empty
 * store (EventStoreDB): every assertion looks only at this run's streams.
 */
export function contractEvents(run: string = randomUUID().slice(0, 8)) {
  let clock = Date.UTC(2024, 0, 2, 9, 30);
  let seq = 0;
  return {
    run,
    /** A stream named as the catalog names an order's stream, plus a maker of its next events. */
    stream(name: string) {
      const clientOrderId = `${run}-${name}`;
      const stream = `order-${clientOrderId}`;
      let fills = 0;
      const next = (count: number): DomainEvent[] =>
        Array.from({ length: count }, () => {
          clock += 1_000;
          seq += 1;
          const ctx = { id: uuidv7Ids(clock), occurredAt: clock, recordedAt: clock + 3, meta: { seq } };
          if (fills === 0) {
            fills += 1;
            return makeEvent('OrderSubmitted', { clientOrderId, instrument: 'BTC/USDT', venue: 'paper', ts: clock }, ctx);
          }
          fills += 1;
          return makeEvent('OrderFilled', {
            clientOrderId, instrument: 'BTC/USDT', venueOrderId: `v-${clientOrderId}`, fillId: `f-${fills}`, side: 'buy',
            price: 42_000.5 + fills, quantity: 0.01, fee: 0.0042, feeCurrency: 'USDT', liquidity: 'taker', ts: clock,
          }, ctx);
        });
      return { stream, next };
    },
  };
}

async function collect(iterable: AsyncIterable<StoredEvent>): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for await (const e of iterable) out.push(e);
  return out;
}

const ids = (events: readonly { id: string }[]): string[] => events.map((e) => e.id);
const storedIds = (stored: readonly StoredEvent[]): string[] => stored.map((s) => s.event.id);

function expectStrictlyIncreasing(positions: readonly bigint[]): void {
  for (let i = 1; i < positions.length; i++) expect(positions[i]! > positions[i - 1]!, `position ${i}`).toBe(true);
}

/**
 * Registers the suite for one adapter. `open` returns a store; the suite closes it at the end.
 * @example eventStoreContract('pglite', () => PostgresEventStore.openPglite());
 */
export function eventStoreContract(name: string, open: () => Promise<EventStore>, options: EventStoreContractOptions = {}): void {
  const timeoutMs = options.timeoutMs ?? 10_000;
  describe(`EventStore contract: ${name}`, () => {
    let store: EventStore;
    const gen = contractEvents();
    const mine = (s: StoredEvent): boolean => s.event.stream.startsWith(`order-${gen.run}-`);
    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await store?.close();
    });

    it('appends to a new stream and reads it back as written, revisions from 0', async () => {
      const s = gen.stream('read-back');
      const events = s.next(3);
      const result = await store.append(s.stream, events, 'no_stream');
      expect(result.nextExpectedRevision).toBe(2);
      const stored = await collect(store.readStream(s.stream));
      expect(stored.map((x) => x.event)).toEqual(events);
      expect(stored.map((x) => x.revision)).toEqual([0, 1, 2]);
      expectStrictlyIncreasing(stored.map((x) => x.position));
      expect(stored[2]!.position).toBe(result.position);
    });

    it('honours each kind of expected revision on new and existing streams', async () => {
      const s = gen.stream('expectations');
      await expect(store.append(s.stream, s.next(1), 'stream_exists')).rejects.toBeInstanceOf(WrongExpectedRevision);
      expect((await store.append(s.stream, s.next(1), 'no_stream')).nextExpectedRevision).toBe(0);
      await expect(store.append(s.stream, s.next(1), 'no_stream')).rejects.toBeInstanceOf(WrongExpectedRevision);
      expect((await store.append(s.stream, s.next(2), 0)).nextExpectedRevision).toBe(2);
      expect((await store.append(s.stream, s.next(1), 'stream_exists')).nextExpectedRevision).toBe(3);
      expect((await store.append(s.stream, s.next(1), 'any')).nextExpectedRevision).toBe(4);
      const fresh = gen.stream('any-on-new');
      expect((await store.append(fresh.stream, fresh.next(2), 'any')).nextExpectedRevision).toBe(1);
      expect((await collect(store.readStream(s.stream))).map((x) => x.revision)).toEqual([0, 1, 2, 3, 4]);
    });

    it('rejects a wrong expected revision with a typed, retryable WrongExpectedRevision and writes nothing', async () => {
      const s = gen.stream('wrong-revision');
      const written = s.next(2);
      const { position: checkpoint } = await store.append(s.stream, written, 'no_stream');
      const rejected = s.next(2);
      const error = await store.append(s.stream, rejected, 0).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(WrongExpectedRevision);
      expect(error).toMatchObject({ kind: 'WrongExpectedRevision', retryable: true, stream: s.stream });
      expect(storedIds(await collect(store.readStream(s.stream)))).toEqual(ids(written));
      const later = await collect(store.readAll({ after: checkpoint }));
      expect(storedIds(later)).not.toContain(rejected[0]!.id);
    });

    it('treats re-appending the same events at the same place as a no-op with the same result', async () => {
      const s = gen.stream('idempotent');
      const batch = s.next(3);
      const first = await store.append(s.stream, batch, 'no_stream');
      expect(await store.append(s.stream, batch, 'no_stream')).toEqual(first);
      expect(await store.append(s.stream, batch, 'any')).toEqual(first);
      const next = s.next(1);
      const second = await store.append(s.stream, next, 2);
      // A retry of an old command after the stream moved on is still recognised as already done.
      expect(await store.append(s.stream, batch, 'no_stream')).toEqual(first);
      expect(await store.append(s.stream, next, 2)).toEqual(second);
      expect(storedIds(await collect(store.readStream(s.stream)))).toEqual(ids([...batch, ...next]));
    });

    it('refuses a re-append that overlaps stored events only in part, writing nothing', async () => {
      const s = gen.stream('partial-overlap');
      const batch = s.next(2);
      await store.append(s.stream, batch, 'no_stream');
      const fresh = s.next(1);
      await expect(store.append(s.stream, [batch[1]!, ...fresh], 'any')).rejects.toBeInstanceOf(IdempotencyConflict);
      await expect(store.append(s.stream, [batch[1]!, ...fresh], 1)).rejects.toBeInstanceOf(IdempotencyConflict);
      expect(storedIds(await collect(store.readStream(s.stream)))).toEqual(ids(batch));
    });

    it('reads a stream forwards and backwards from a revision with maxCount; a missing stream reads empty', async () => {
      const s = gen.stream('directions');
      const events = s.next(5);
      await store.append(s.stream, events, 'no_stream');
      const revisions = async (o: Parameters<EventStore['readStream']>[1]) => (await collect(store.readStream(s.stream, o))).map((x) => x.revision);
      expect(await revisions({ direction: 'backwards', maxCount: 2 })).toEqual([4, 3]);
      expect(await revisions({ direction: 'backwards', fromRevision: 2 })).toEqual([2, 1, 0]);
      expect(await revisions({ direction: 'forwards', fromRevision: 3 })).toEqual([3, 4]);
      expect(await revisions({ maxCount: 2 })).toEqual([0, 1]);
      const backwards = await collect(store.readStream(s.stream, { direction: 'backwards' }));
      expect(backwards.map((x) => x.event)).toEqual([...events].reverse());
      expect(await collect(store.readStream(`order-${gen.run}-never-written`))).toEqual([]);
    });

    it('reads $all strictly after a position, in global order across streams', async () => {
      const a = gen.stream('all-a');
      const b = gen.stream('all-b');
      const { position: checkpoint } = await store.append(a.stream, a.next(1), 'no_stream');
      const a1 = a.next(2);
      const b0 = b.next(1);
      const a2 = a.next(1);
      await store.append(a.stream, a1, 0);
      await store.append(b.stream, b0, 'no_stream');
      await store.append(a.stream, a2, 2);
      const after = (await collect(store.readAll({ after: checkpoint }))).filter(mine);
      expect(storedIds(after)).toEqual(ids([...a1, ...b0, ...a2]));
      expectStrictlyIncreasing(after.map((x) => x.position));
      expect(after.every((x) => x.position > checkpoint)).toBe(true);
      const limited = await collect(store.readAll({ after: checkpoint, maxCount: 2 }));
      expect(limited).toHaveLength(2);
      expect(limited[0]!.position).toBe(after[0]!.position);
    });

    it('subscribes from a checkpoint: catches up, then receives live appends, in order, one at a time', async () => {
      const s = gen.stream('live');
      const { position: checkpoint } = await store.append(s.stream, s.next(1), 'no_stream');
      const backlog = s.next(3);
      await store.append(s.stream, backlog, 0);
      const received: StoredEvent[] = [];
      let inFlight = 0;
      let maxInFlight = 0;
      let caughtUp = false;
      const sub = store.subscribeToAll(async (e) => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 1));
        if (mine(e)) received.push(e);
        inFlight -= 1;
      }, { after: checkpoint, onCaughtUp: () => { caughtUp = true; } });
      try {
        await eventually(() => expect(storedIds(received)).toEqual(ids(backlog)), { timeoutMs });
        await eventually(() => expect(caughtUp).toBe(true), { timeoutMs });
        const live = s.next(4);
        await store.append(s.stream, live.slice(0, 1), 3);
        await store.append(s.stream, live.slice(1), 4);
        await eventually(() => expect(storedIds(received)).toEqual(ids([...backlog, ...live])), { timeoutMs });
        expectStrictlyIncreasing(received.map((x) => x.position));
        expect(received.map((x) => x.revision)).toEqual([1, 2, 3, 4, 5, 6, 7]);
        expect(maxInFlight).toBe(1);
      } finally {
        await sub.close();
      }
    });

    it('resumes from the checkpoint of a closed subscription, even inside a batch: no loss, no duplicate', async () => {
      const s = gen.stream('resume');
      const { position: start } = await store.append(s.stream, s.next(1), 'no_stream');
      const batch = s.next(4);
      await store.append(s.stream, batch, 0);
      const seen: StoredEvent[] = [];
      let stopAt: bigint | null = null;
      const first = store.subscribeToAll(async (e) => {
        if (stopAt === null && mine(e)) seen.push(e);
        if (seen.length === 2 && stopAt === null) stopAt = e.position;
      }, { after: start });
      await eventually(() => expect(stopAt).not.toBeNull(), { timeoutMs });
      await first.close();
      const whileDown = s.next(2);
      await store.append(s.stream, whileDown, 4);
      const resumed: StoredEvent[] = [];
      const second = store.subscribeToAll(async (e) => {
        if (mine(e)) resumed.push(e);
      }, { after: stopAt! });
      try {
        await eventually(() => expect(storedIds(resumed)).toEqual(ids([...batch.slice(2), ...whileDown])), { timeoutMs });
        expect(storedIds(seen)).toEqual(ids(batch.slice(0, 2)));
      } finally {
        await second.close();
      }
    });

    it('stops a subscription whose handler fails and reports the error', async () => {
      const s = gen.stream('failing-handler');
      const { position: start } = await store.append(s.stream, s.next(1), 'no_stream');
      await store.append(s.stream, s.next(2), 0);
      const errors: unknown[] = [];
      let calls = 0;
      const sub = store.subscribeToAll(async (e) => {
        if (!mine(e)) return;
        calls += 1;
        throw new Error('projection bug');
      }, { after: start, onError: (e) => errors.push(e) });
      try {
        await eventually(() => expect(errors).toHaveLength(1), { timeoutMs });
        await store.append(s.stream, s.next(1), 2);
        await new Promise((r) => setTimeout(r, 200));
        expect(calls).toBe(1);
        expect((errors[0] as Error).message).toContain('projection bug');
      } finally {
        await sub.close();
      }
    });

    it('delivers every event exactly once, in position order, to a subscriber reading during concurrent appends', async () => {
      const start = await store.append(gen.stream('concurrent-start').stream, gen.stream('concurrent-start').next(1), 'any');
      const received: StoredEvent[] = [];
      const sub = store.subscribeToAll(async (e) => {
        if (mine(e)) received.push(e);
      }, { after: start.position });
      try {
        const writers = Array.from({ length: 6 }, (_, w) => gen.stream(`concurrent-${w}`));
        const written: DomainEvent[] = [];
        // Six writers, ten small appends each, all in flight together: commits interleave in every order.
        await Promise.all(writers.map(async (w) => {
          let expected: number | 'no_stream' = 'no_stream';
          for (let i = 0; i < 10; i++) {
            const events = w.next(1 + (i % 3));
            written.push(...events);
            expected = (await store.append(w.stream, events, expected)).nextExpectedRevision;
          }
        }));
        await eventually(() => expect(received.length).toBeGreaterThanOrEqual(written.length), { timeoutMs });
        expect(new Set(storedIds(received)).size).toBe(received.length);
        expect(storedIds(received).sort()).toEqual(ids(written).sort());
        expectStrictlyIncreasing(received.map((x) => x.position));
      } finally {
        await sub.close();
      }
    });

    it('lets exactly one of many concurrent appends with the same expected revision win', async () => {
      const s = gen.stream('race');
      await store.append(s.stream, s.next(1), 'no_stream');
      const contenders = Array.from({ length: 8 }, () => s.next(2));
      const outcomes = await Promise.allSettled(contenders.map((events) => store.append(s.stream, events, 0)));
      const winners = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
      expect(winners).toHaveLength(1);
      for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(WrongExpectedRevision);
      const stored = await collect(store.readStream(s.stream));
      expect(stored).toHaveLength(3);
      expect(storedIds(stored.slice(1))).toEqual(ids(contenders[winners[0]!]!));
    });
  });
}
