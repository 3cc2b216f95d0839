// Bus dead letters reach the API: malformed bytes on a topic -> a consumer dead-letters them -> GET /api/v1/dead-letters lists them with their reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadLetterHeader, InProcessBus } from '@qts/adapters';
import { allTopics, topics } from '@qts/schemas';
import { followDeadLetters, type RawTopics } from './dead-letter-feed.ts';
import { startReadSide, type ReadSideStack } from './stack.ts';
import { eventually } from './testing.ts';

let bus: InProcessBus;
let s: ReadSideStack;

beforeAll(async () => {
  bus = new InProcessBus();
  await bus.ensureTopics(allTopics.map((topic) => ({ topic, partitions: topic === topics.bars ? 2 : 1 })));
  s = await startReadSide({ deadLetters: { bus } });
});
afterAll(async () => {
  await s?.close();
  await bus?.close();
});

async function deadLetters(query = ''): Promise<{ status: number; json: { items: { topic: string; partition: number; offset: string; reason: string; failure: { kind: string }; rawText: string | null; rawBase64: string; receivedAt: number }[]; nextCursor: string | null } }> {
  const res = await fetch(`${s.api.url}/api/v1/dead-letters${query}`);
  return { status: res.status, json: await res.json() as never };
}

describe('dead letters from the bus', () => {
  it('a malformed message on a topic is dead-lettered by its consumer and listed by the API with its reason, place and bytes', async () => {
    const handled: string[] = [];
    const consumer = await bus.consume({ groupId: 'strategy-test', topics: [topics.bars], fromBeginning: true, handler: async (e) => { handled.push(e.type); } });
    try {
      const before = await deadLetters();
      expect(before.json.items).toEqual([]);
      await bus.publishRaw(topics.bars, 'BTC/USDT', Buffer.from('{"type":"BarClosed","data":'));
      const binary = Buffer.from([0xff, 0x00, 0xfe, 0x41]);
      await bus.publishRaw(topics.bars, 'ETH/USDT', binary);
      await eventually(async () => expect((await deadLetters()).json.items).toHaveLength(2), 10_000);
      const { items } = (await deadLetters()).json;
      const text = items.find((d) => d.rawText !== null)!;
      expect(text).toMatchObject({ topic: topics.bars, rawText: '{"type":"BarClosed","data":', failure: { kind: 'MalformedJson' } });
      expect(text.reason).toMatch(/not valid JSON/);
      expect(Number.isInteger(Number(text.offset))).toBe(true);
      expect(Buffer.from(text.rawBase64, 'base64').toString()).toBe('{"type":"BarClosed","data":');
      const bytes = items.find((d) => d.rawText === null)!;
      expect(Buffer.from(bytes.rawBase64, 'base64')).toEqual(binary);
      expect(bytes.reason.length).toBeGreaterThan(0);
      expect(handled).toEqual([]);
    } finally {
      await consumer.stop();
    }
  });

  it('a letter published to a dlq topic by hand is kept under its own place, and reading the topics again adds no row', async () => {
    await bus.publishRaw(`dlq.${topics.orders}`, null, Buffer.from('operator note'), { [deadLetterHeader.reason]: 'replayed by hand' });
    await eventually(async () => expect((await deadLetters()).json.items.some((d) => d.reason === 'replayed by hand')).toBe(true), 10_000);
    const all = (await deadLetters()).json.items;
    expect(all.find((d) => d.reason === 'replayed by hand')).toMatchObject({ topic: `dlq.${topics.orders}`, partition: 0, offset: '0', rawText: 'operator note' });
    // A restart reads every dlq topic again from its start into the same table: nothing is added.
    let seen = 0;
    const counting: RawTopics = { tail: (o) => bus.tail({ ...o, onMessage: async (m) => { await o.onMessage(m); seen++; } }) };
    let stored = 0;
    const restarted = await followDeadLetters({ bus: counting, db: s.db, onStored: () => { stored++; } });
    try {
      await eventually(() => expect(seen).toBe(3), 10_000);
      expect(stored).toBe(0);
      expect((await deadLetters('?limit=100')).json.items).toHaveLength(all.length);
    } finally {
      await restarted.stop();
    }
  });
});
