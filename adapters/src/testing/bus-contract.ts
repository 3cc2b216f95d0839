// The Bus contract: one suite every bus adapter passes (in-process and Kafka), so the embedded and distributed modes behave alike.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFailure, encodeEvent, makeEvent, uuidv7Ids, type DecodeFailure, type DomainEvent } from '@qts/schemas';
import { ValidationError } from '@qts/core';
import type { BatchItem, Consumer, ConsumeOptions, Delivery, RawMessage } from '@qts/core';
import { deadLetterHeader, eventHeader } from '../bus/headers.ts';
import { readTopics, type TailingBus } from '../bus/tail.ts';
import { partitionFor } from '../bus/partitioner.ts';
import { eventually } from './eventually.ts';

export interface BusContractHarness {
  readonly name: string;
  /** A fresh bus with fast retries; `maxEventBytes` lowers the oversize limit for the dead-letter test; `eventHeaders` copies envelope fields to headers. */
  make(options?: { maxEventBytes?: number; eventHeaders?: boolean }): Promise<TailingBus>;
}

const ids = uuidv7Ids;
let clock = Date.UTC(2026, 0, 1);

/** A valid trade tick on `instrument`; `seq` is carried in the price so order can be read back. */
export function tick(instrument: string, seq: number): DomainEvent<'TradeTick'> {
  const ts = ++clock;
  return makeEvent('TradeTick', { venue: 'contract', instrument, price: 100 + seq, size: 1, aggressor: 'buy', ts }, { id: ids(ts), occurredAt: ts, recordedAt: ts });
}

/** Instruments that land on distinct partitions of a topic with `partitions` partitions (Kafka's murmur2). */
export function keysOnDistinctPartitions(partitions: number): string[] {
  const byPartition = new Map<number, string>();
  for (let i = 0; byPartition.size < partitions; i++) {
    const key = `P${i}/USDT`;
    const p = partitionFor(key, partitions);
    if (!byPartition.has(p)) byPartition.set(p, key);
  }
  return [...byPartition.keys()].sort((a, b) => a - b).map((p) => byPartition.get(p)!);
}

const seqOf = (e: DomainEvent): number => (e.data as { price: number }).price - 100;

interface Seen {
  readonly event: DomainEvent;
  readonly delivery: Delivery;
}

export function busContract(harness: BusContractHarness): void {
  describe(`Bus contract: ${harness.name}`, () => {
    const run = randomUUID().slice(0, 8);
    let n = 0;
    const unique = (what: string) => `contract-${run}-${++n}-${what}`;
    let bus: TailingBus;
    const consumers: Consumer[] = [];

    beforeAll(async () => {
      bus = await harness.make();
    });
    afterAll(async () => {
      await Promise.all(consumers.map((c) => c.stop()));
      await bus?.close();
    });

    async function topic(partitions: number): Promise<string> {
      const t = unique('topic');
      await bus.ensureTopics([{ topic: t, partitions }]);
      return t;
    }

    async function consume(options: ConsumeOptions, on: TailingBus = bus): Promise<Consumer> {
      const c = await on.consume({ fromBeginning: true, ...options });
      consumers.push(c);
      return c;
    }

    function recorder(): { seen: Seen[]; handler: ConsumeOptions['handler'] } {
      const seen: Seen[] = [];
      return { seen, handler: async (event, delivery) => { seen.push({ event, delivery }); } };
    }

    it('delivers published events unchanged, with their topic, key and partition', async () => {
      const t = await topic(3);
      const events = [tick('BTC/USDT', 1), tick('ETH/USDT', 2), tick('BTC/USDT', 3)];
      await bus.publish(t, null, events);
      const r = recorder();
      await consume({ groupId: unique('g'), topics: [t], handler: r.handler });
      await eventually(() => expect(r.seen).toHaveLength(3));
      expect(r.seen.map((s) => s.event).sort((a, b) => seqOf(a) - seqOf(b))).toEqual(events);
      for (const s of r.seen) {
        expect(s.delivery.topic).toBe(t);
        expect(s.delivery.key).toBe(s.event.key);
        expect(s.delivery.partition).toBeGreaterThanOrEqual(0);
        expect(s.delivery.partition).toBeLessThan(3);
      }
      const btc = r.seen.filter((s) => s.event.key === 'BTC/USDT');
      expect(new Set(btc.map((s) => s.delivery.partition)).size).toBe(1);
    });

    it('publishes the event\'s bytes under its key, and no headers unless asked: the envelope already holds type, version and correlation id', async () => {
      const t = await topic(2);
      const e = tick('BTC/USDT', 1);
      await bus.publish(t, null, [e]);
      const [m] = await readTopics(bus, [t]);
      expect(m!.value).toEqual(encodeEvent(e));
      expect(m!.key).toBe('BTC/USDT');
      expect(m!.headers).toEqual({});
    });

    it('with eventHeaders on, carries type, version and correlation id as headers too, for tools that route without parsing', async () => {
      const withHeaders = await harness.make({ eventHeaders: true });
      try {
        const t = unique('headers');
        await withHeaders.ensureTopics([{ topic: t, partitions: 2 }]);
        const e = tick('BTC/USDT', 1);
        await withHeaders.publish(t, null, [e]);
        const [m] = await readTopics(withHeaders, [t]);
        expect(m!.value).toEqual(encodeEvent(e));
        expect(m!.headers).toEqual({ [eventHeader.type]: 'TradeTick', [eventHeader.version]: '1', [eventHeader.correlationId]: e.correlationId });
      } finally {
        await withHeaders.close();
      }
    });

    it('keeps per-key order across many keys and partitions', async () => {
      const t = await topic(4);
      const keys = Array.from({ length: 24 }, (_, i) => `K${i}/USDT`);
      const perKey = 20;
      for (let seq = 0; seq < perKey; seq++) {
        // Interleave keys, and mix per-call keys with per-event keys.
        if (seq % 2 === 0) await bus.publish(t, null, keys.map((k) => tick(k, seq)));
        else for (const k of keys) await bus.publish(t, k, [tick(k, seq)]);
      }
      const r = recorder();
      await consume({ groupId: unique('g'), topics: [t], handler: r.handler });
      await eventually(() => expect(r.seen).toHaveLength(keys.length * perKey), { timeoutMs: 30_000 });
      for (const k of keys) {
        const mine = r.seen.filter((s) => s.event.key === k);
        expect(mine.map((s) => seqOf(s.event))).toEqual(Array.from({ length: perKey }, (_, i) => i));
        expect(new Set(mine.map((s) => s.delivery.partition)).size).toBe(1);
        const offsets = mine.map((s) => BigInt(s.delivery.offset));
        expect(offsets.every((o, i) => i === 0 || o > offsets[i - 1]!)).toBe(true);
      }
      expect(new Set(r.seen.map((s) => s.delivery.partition)).size).toBeGreaterThan(1);
    });

    it('redelivers an event whose handler failed, before anything after it on that partition', async () => {
      const t = await topic(1);
      const events = Array.from({ length: 10 }, (_, i) => tick(i % 2 === 0 ? 'BTC/USDT' : 'ETH/USDT', i));
      await bus.publish(t, null, events);
      const attempts: { id: string; ok: boolean }[] = [];
      let failed = false;
      await consume({
        groupId: unique('g'),
        topics: [t],
        handler: async (event) => {
          if (!failed && seqOf(event) === 4) {
            failed = true;
            attempts.push({ id: event.id, ok: false });
            throw new Error('transient failure');
          }
          attempts.push({ id: event.id, ok: true });
        },
      });
      await eventually(() => expect(attempts.filter((a) => a.ok)).toHaveLength(10));
      expect(attempts).toEqual([
        ...events.slice(0, 4).map((e) => ({ id: e.id, ok: true })),
        { id: events[4]!.id, ok: false },
        ...events.slice(4).map((e) => ({ id: e.id, ok: true })),
      ]);
    });

    it('holds back only the failing partition: other partitions keep flowing while it retries', async () => {
      const t = await topic(2);
      const [slowKey, freeKey] = keysOnDistinctPartitions(2) as [string, string];
      const stuck = tick(slowKey, 1);
      const next = tick(slowKey, 2);
      const others = Array.from({ length: 5 }, (_, i) => tick(freeKey, 10 + i));
      await bus.publish(t, null, [stuck, next]);
      const order: string[] = [];
      let failures = 0;
      await consume({
        groupId: unique('g'),
        topics: [t],
        handler: async (event) => {
          // The stuck event fails until every event of the other partition went through.
          if (event.id === stuck.id && order.length < others.length) {
            failures++;
            throw new Error('dependency not ready');
          }
          order.push(event.id);
        },
      });
      await eventually(() => expect(failures).toBeGreaterThan(0), { timeoutMs: 30_000 });
      await bus.publish(t, null, others);
      await eventually(() => expect(order).toHaveLength(7), { timeoutMs: 30_000 });
      expect(order).toEqual([...others.map((e) => e.id), stuck.id, next.id]);
    });

    it('hands a batch handler runs of consecutive events in order, never across a dead letter', async () => {
      const t = await topic(1);
      const before = Array.from({ length: 20 }, (_, i) => tick('BTC/USDT', i));
      const after = Array.from({ length: 20 }, (_, i) => tick('BTC/USDT', 20 + i));
      await bus.publish(t, 'BTC/USDT', before);
      await bus.publishRaw(t, 'BTC/USDT', Buffer.from('garbage'));
      await bus.publish(t, 'BTC/USDT', after);
      const runs: BatchItem[][] = [];
      const dead: string[] = [];
      await consume({
        groupId: unique('g'),
        topics: [t],
        maxBatch: 8,
        batchHandler: async (items) => { runs.push([...items]); },
        onDeadLetter: (_f, m) => { dead.push(m.offset); },
      });
      await eventually(() => expect(runs.flat()).toHaveLength(40), { timeoutMs: 30_000 });
      expect(runs.flat().map((x) => x.event.id)).toEqual([...before, ...after].map((e) => e.id));
      expect(runs.every((r) => r.length >= 1 && r.length <= 8)).toBe(true);
      expect(dead).toEqual(['20']);
      expect(runs.some((r) => r.length > 1)).toBe(true);
      for (const r of runs) {
        const offsets = r.map((x) => Number(x.delivery.offset));
        expect(offsets.every((o, i) => i === 0 || o === offsets[i - 1]! + 1)).toBe(true);
        expect(offsets.some((o) => o < 20) && offsets.some((o) => o > 20)).toBe(false);
      }
    });

    it('redelivers a whole failed run to a batch handler, then goes on', async () => {
      const t = await topic(1);
      const events = Array.from({ length: 12 }, (_, i) => tick('ETH/USDT', i));
      await bus.publish(t, 'ETH/USDT', events);
      const calls: { ids: string[]; ok: boolean }[] = [];
      await consume({
        groupId: unique('g'),
        topics: [t],
        maxBatch: 5,
        batchHandler: async (items) => {
          const ok = calls.length > 0;
          calls.push({ ids: items.map((x) => x.event.id), ok });
          if (!ok) throw new Error('store unavailable');
        },
      });
      await eventually(() => expect(calls.filter((c) => c.ok).flatMap((c) => c.ids)).toHaveLength(12), { timeoutMs: 30_000 });
      expect(calls.filter((c) => c.ok).flatMap((c) => c.ids)).toEqual(events.map((e) => e.id));
      expect(calls[1]!.ids[0]).toBe(calls[0]!.ids[0]);
    });

    it('refuses a consumer with neither or both of handler and batchHandler', async () => {
      const t = await topic(1);
      await expect(bus.consume({ groupId: unique('g'), topics: [t] })).rejects.toBeInstanceOf(ValidationError);
      await expect(bus.consume({ groupId: unique('g'), topics: [t], handler: async () => undefined, batchHandler: async () => undefined })).rejects.toBeInstanceOf(ValidationError);
    });

    it('resumes a restarted group after its last committed offset, losing nothing', async () => {
      const t = await topic(3);
      const group = unique('g');
      const first = Array.from({ length: 30 }, (_, i) => tick(`A${i % 5}/USDT`, i));
      await bus.publish(t, null, first);
      const a = recorder();
      const ca = await consume({ groupId: group, topics: [t], handler: a.handler });
      await eventually(() => expect(a.seen).toHaveLength(30));
      await ca.stop();
      const second = Array.from({ length: 20 }, (_, i) => tick(`A${i % 5}/USDT`, 100 + i));
      await bus.publish(t, null, second);
      const b = recorder();
      await consume({ groupId: group, topics: [t], handler: b.handler });
      await eventually(() => expect(b.seen.length).toBeGreaterThanOrEqual(20));
      // A graceful stop committed everything handled: exactly the new events arrive, once each.
      expect(b.seen.map((s) => s.event.id).sort()).toEqual(second.map((e) => e.id).sort());
    });

    it('does not commit an event still failing when the consumer stops: the next member gets it', async () => {
      const t = await topic(1);
      const group = unique('g');
      const [ok, poison, after] = [tick('BTC/USDT', 1), tick('BTC/USDT', 2), tick('BTC/USDT', 3)];
      await bus.publish(t, 'BTC/USDT', [ok!, poison!, after!]);
      const failing: string[] = [];
      const handledA: string[] = [];
      const ca = await consume({
        groupId: group,
        topics: [t],
        handler: async (event) => {
          if (event.id === poison!.id) {
            failing.push(event.id);
            throw new Error('downstream unavailable');
          }
          handledA.push(event.id);
        },
      });
      await eventually(() => expect(failing.length).toBeGreaterThanOrEqual(2));
      await ca.stop();
      expect(handledA).toEqual([ok!.id]);
      const b = recorder();
      await consume({ groupId: group, topics: [t], handler: b.handler });
      await eventually(() => expect(b.seen).toHaveLength(2));
      expect(b.seen.map((s) => s.event.id)).toEqual([poison!.id, after!.id]);
    });

    it('shares partitions between two members of one group: each event handled by exactly one', async () => {
      const t = await topic(4);
      const group = unique('g');
      const a = recorder();
      const b = recorder();
      const ca = await consume({ groupId: group, topics: [t], handler: a.handler });
      const cb = await consume({ groupId: group, topics: [t], handler: b.handler });
      const owned = (c: Consumer) => c.assignment().flatMap((x) => (x.topic === t ? x.partitions : []));
      await eventually(() => {
        const pa = owned(ca);
        const pb = owned(cb);
        expect(pa.length).toBeGreaterThan(0);
        expect(pb.length).toBeGreaterThan(0);
        expect([...pa, ...pb].sort()).toEqual([0, 1, 2, 3]);
      }, { timeoutMs: 30_000, intervalMs: 50 });
      const events = Array.from({ length: 200 }, (_, i) => tick(`S${i % 40}/USDT`, i));
      await bus.publish(t, null, events);
      await eventually(() => expect(a.seen.length + b.seen.length).toBe(200), { timeoutMs: 30_000 });
      const all = [...a.seen, ...b.seen].map((s) => s.event.id);
      expect(new Set(all).size).toBe(200);
      expect(a.seen.length).toBeGreaterThan(0);
      expect(b.seen.length).toBeGreaterThan(0);
      const pa = new Set(owned(ca));
      expect(a.seen.every((s) => pa.has(s.delivery.partition))).toBe(true);
      expect(b.seen.every((s) => !pa.has(s.delivery.partition))).toBe(true);
    });

    it('sends each kind of bad input to dlq.<topic> with its reason and original bytes, and goes on', async () => {
      const small = await harness.make({ maxEventBytes: 8 * 1024 });
      try {
        const t = unique('topic');
        await small.ensureTopics([{ topic: t, partitions: 2 }]);
        const good = tick('BTC/USDT', 1);
        const asJson = (o: unknown) => Buffer.from(JSON.stringify(o));
        const { size: _size, ...missingSize } = good.data;
        const bad: { kind: DecodeFailure['kind']; value: Buffer }[] = [
          { kind: 'MalformedJson', value: Buffer.from('{"id": "truncated') },
          { kind: 'MalformedJson', value: Buffer.from([0xff, 0xfe, 0x00, 0x7b]) },
          { kind: 'InvalidEnvelope', value: asJson({ ...good, id: 'not-a-uuid' }) },
          { kind: 'UnknownType', value: asJson({ ...good, type: 'TradeTickle' }) },
          { kind: 'UnknownVersion', value: asJson({ ...good, version: 7 }) },
          { kind: 'InvalidData', value: asJson({ ...good, data: missingSize }) },
          { kind: 'Oversized', value: asJson({ ...good, meta: { padding: 'x'.repeat(10_000) } }) },
        ];
        const valid = Array.from({ length: bad.length }, (_, i) => tick('BTC/USDT', 10 + i));
        for (let i = 0; i < bad.length; i++) {
          await small.publishRaw(t, 'BTC/USDT', bad[i]!.value, { source: 'contract-test' });
          await small.publish(t, 'BTC/USDT', [valid[i]!]);
        }
        const handled: string[] = [];
        const told: { failure: DecodeFailure; message: RawMessage }[] = [];
        const group = unique('g');
        const c = await consume({
          groupId: group,
          topics: [t],
          handler: async (e) => { handled.push(e.id); },
          onDeadLetter: (failure, message) => { told.push({ failure, message }); },
        }, small);
        await eventually(() => expect(handled).toHaveLength(valid.length), { timeoutMs: 30_000 });
        expect(handled).toEqual(valid.map((e) => e.id));
        expect(told.map((x) => x.failure.kind)).toEqual(bad.map((b) => b.kind));

        const letters = await eventually(async () => {
          const got = await readTopics(small, [`dlq.${t}`]);
          expect(got).toHaveLength(bad.length);
          return got;
        }, { timeoutMs: 30_000, intervalMs: 200 });
        const byOffset = (m: RawMessage) => Number(m.headers[deadLetterHeader.sourceOffset]);
        letters.sort((x, y) => byOffset(x) - byOffset(y));
        letters.forEach((letter, i) => {
          const { failure, message } = told[i]!;
          expect(letter.value).toEqual(bad[i]!.value);
          expect(letter.key).toBe('BTC/USDT');
          expect(letter.headers[deadLetterHeader.kind]).toBe(bad[i]!.kind);
          expect(letter.headers[deadLetterHeader.reason]).toBe(describeFailure(failure));
          expect(letter.headers[deadLetterHeader.sourceTopic]).toBe(t);
          expect(letter.headers[deadLetterHeader.sourcePartition]).toBe(String(message.partition));
          expect(letter.headers[deadLetterHeader.sourceOffset]).toBe(message.offset);
          expect(letter.headers.source).toBe('contract-test');
        });
        expect(letters[6]!.headers[deadLetterHeader.reason]).toMatch(/exceeds the limit of 8192/);
        expect(letters[5]!.headers[deadLetterHeader.reason]).toMatch(/size/);

        // Committed past: a restarted member of the group neither dead-letters nor handles anything again.
        await c.stop();
        const again: string[] = [];
        await consume({ groupId: group, topics: [t], handler: async (e) => { again.push(e.id); }, onDeadLetter: (f) => { again.push(f.kind); } }, small);
        const marker = tick('BTC/USDT', 99);
        await small.publish(t, 'BTC/USDT', [marker]);
        await eventually(() => expect(again).toEqual([marker.id]));
      } finally {
        await small.close();
      }
    });

    it('refuses to publish an event over the size limit, publishing nothing of the call', async () => {
      const small = await harness.make({ maxEventBytes: 2 * 1024 });
      try {
        const t = unique('topic');
        await small.ensureTopics([{ topic: t, partitions: 1 }]);
        const big = makeEvent('TradeTick', { ...tick('BTC/USDT', 1).data }, { id: ids(clock), occurredAt: clock, recordedAt: clock, meta: { note: 'y'.repeat(4096) } });
        expect(encodeEvent(big).byteLength).toBeGreaterThan(2048);
        await expect(small.publish(t, null, [tick('BTC/USDT', 0), big])).rejects.toBeInstanceOf(ValidationError);
        expect(await readTopics(small, [t])).toEqual([]);
      } finally {
        await small.close();
      }
    });

    it('stops gracefully: the in-flight handler finishes and is committed, nothing runs after stop()', async () => {
      const t = await topic(1);
      const group = unique('g');
      const events = [tick('BTC/USDT', 1), tick('BTC/USDT', 2), tick('BTC/USDT', 3)];
      await bus.publish(t, 'BTC/USDT', events);
      let release!: () => void;
      const gate = new Promise<void>((r) => { release = r; });
      const started: string[] = [];
      const finished: string[] = [];
      const c = await consume({
        groupId: group,
        topics: [t],
        handler: async (e) => {
          started.push(e.id);
          if (seqOf(e) === 2) await gate;
          finished.push(e.id);
        },
      });
      await eventually(() => expect(started).toEqual([events[0]!.id, events[1]!.id]));
      let stopped = false;
      const stopping = c.stop().then(() => { stopped = true; });
      await new Promise((r) => setTimeout(r, 100));
      expect(stopped).toBe(false);
      release();
      await stopping;
      expect(finished).toEqual([events[0]!.id, events[1]!.id]);
      const afterStop = started.length;
      await new Promise((r) => setTimeout(r, 200));
      expect(started.length).toBe(afterStop);
      const next = recorder();
      await consume({ groupId: group, topics: [t], handler: next.handler });
      await eventually(() => expect(next.seen).toHaveLength(1));
      expect(next.seen[0]!.event.id).toBe(events[2]!.id);
    });
  });
}
