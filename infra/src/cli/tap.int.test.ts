// `qts tap` against the real broker: JSON lines, flagged invalid messages, filters, follow, and no effect on any group.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { makeEvent, uuidv7Ids, type DomainEvent } from '@qts/schemas';
import { KafkaBus } from '@qts/adapters';
import { eventually } from '@qts/adapters/testing';
import { jsonLines, runQts, spawnQts } from './spawn-qts.ts';

const bus = new KafkaBus({ logger: pino({ level: 'error' }, pino.destination(2)), retry: { initialMs: 20, maxMs: 200 } });
const topic = `tap-${randomUUID().slice(0, 8)}`;
let clock = Date.UTC(2026, 2, 1);
const tick = (instrument: string, price: number): DomainEvent<'TradeTick'> => {
  const ts = ++clock;
  return makeEvent('TradeTick', { venue: 'tap', instrument, price, size: 2, aggressor: 'sell', ts }, { id: uuidv7Ids(ts), occurredAt: ts, recordedAt: ts });
};
const events = [tick('BTC/USDT', 100), tick('ETH/USDT', 10), tick('BTC/USDT', 101), tick('ETH/USDT', 11), tick('BTC/USDT', 102)];

beforeAll(async () => {
  await bus.ensureTopics([{ topic, partitions: 2 }]);
  await bus.publish(topic, null, events.slice(0, 3));
  await bus.publishRaw(topic, 'BTC/USDT', Buffer.from('{"not": "an event"'));
  await bus.publishRaw(topic, 'ETH/USDT', Buffer.from(JSON.stringify({ ...events[0], type: 'TradeTock' })));
  await bus.publish(topic, null, events.slice(3));
});
afterAll(() => bus.close());

describe('qts tap', () => {
  it('prints every event as a JSON line and flags invalid messages, then stops at the end of the topic', async () => {
    const r = await runQts(['tap', topic, '--from-beginning']);
    expect(r.code).toBe(0);
    const lines = jsonLines(r.stdout);
    const valid = lines.filter((l) => !l.invalid);
    const invalid = lines.filter((l) => l.invalid === true);
    expect(valid.map((l) => l.id).sort()).toEqual(events.map((e) => e.id).sort());
    expect(valid.find((l) => l.id === events[1]!.id)).toEqual(JSON.parse(JSON.stringify(events[1])));
    expect(invalid.map((l) => l.kind).sort()).toEqual(['MalformedJson', 'UnknownType']);
    expect(invalid.find((l) => l.kind === 'MalformedJson')).toMatchObject({ raw: '{"not": "an event"', topic, key: 'BTC/USDT' });
    expect(invalid.find((l) => l.kind === 'UnknownType')!.reason).toBe("unknown event type 'TradeTock'");
    expect(r.stderr).toMatch(/5 events printed, 0 filtered out, 2 invalid/);
  });

  it('filters on envelope fields and dotted data paths', async () => {
    const r = await runQts(['tap', topic, '--from-beginning', '--filter', 'data.instrument=BTC/USDT', '--filter', 'type=TradeTick']);
    expect(r.code).toBe(0);
    const valid = jsonLines(r.stdout).filter((l) => !l.invalid);
    expect(valid.map((l) => l.id).sort()).toEqual(events.filter((e) => e.key === 'BTC/USDT').map((e) => e.id).sort());
    const priced = await runQts(['tap', topic, '--from-beginning', '--filter', 'data.price=11']);
    expect(jsonLines(priced.stdout).filter((l) => !l.invalid).map((l) => l.id)).toEqual([events[3]!.id]);
    expect(priced.stderr).toMatch(/1 events printed, 4 filtered out, 2 invalid/);
  });

  it('names a topic that does not exist', async () => {
    const r = await runQts(['tap', `${topic}-missing`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`no such topic: ${topic}-missing`));
  });

  it('rejects a malformed filter with a usage error', async () => {
    const r = await runQts(['tap', topic, '--filter', 'instrument']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/expected field=value/);
  });

  it('never moves a worker group: the group resumes where it was after any number of taps', async () => {
    const group = `tap-worker-${randomUUID().slice(0, 8)}`;
    const seen: string[] = [];
    const first = await bus.consume({ groupId: group, topics: [topic], fromBeginning: true, handler: async (e) => { seen.push(e.id); } });
    await eventually(() => expect(seen).toHaveLength(5), { timeoutMs: 30_000 });
    await first.stop();
    expect((await runQts(['tap', topic, '--from-beginning'])).code).toBe(0);
    const late = tick('BTC/USDT', 103);
    await bus.publish(topic, null, [late]);
    seen.length = 0;
    const again = await bus.consume({ groupId: group, topics: [topic], fromBeginning: true, handler: async (e) => { seen.push(e.id); } });
    await eventually(() => expect(seen).toEqual([late.id]), { timeoutMs: 30_000 });
    await again.stop();
  });

  it('follows new events until interrupted', async () => {
    const followed = `tap-follow-${randomUUID().slice(0, 8)}`;
    await bus.ensureTopics([{ topic: followed, partitions: 1 }]);
    const p = spawnQts(['tap', followed, '--follow', '--from-beginning']);
    try {
      const fresh = [tick('SOL/USDT', 20), tick('SOL/USDT', 21)];
      // The tap joins its throwaway group first; keep publishing until its first line shows up.
      await eventually(async () => {
        if (!p.stdout().includes(fresh[0]!.id)) await bus.publish(followed, null, [fresh[0]!]);
        expect(p.stdout()).toContain(fresh[0]!.id);
      }, { timeoutMs: 30_000, intervalMs: 1_000 });
      await bus.publish(followed, null, [fresh[1]!]);
      await eventually(() => expect(p.stdout()).toContain(fresh[1]!.id), { timeoutMs: 30_000 });
    } finally {
      p.child.kill('SIGINT');
    }
    expect(await p.exited).toBe(0);
    expect(p.stderr()).toMatch(/events printed/);
  });
});
