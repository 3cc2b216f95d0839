// `qts replay` against a real Postgres event store and broker: stored events republished in store order under their catalog keys.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { encodeEvent, makeEvent, uuidv7Ids, type DomainEvent } from '@qts/schemas';
import type { EventStore } from '@qts/core';
import { KafkaBus, PostgresEventStore, readTopics } from '@qts/adapters';
import { runQts, temporaryDatabase } from './spawn-qts.ts';

const bus = new KafkaBus({ logger: pino({ level: 'error' }, pino.destination(2)) });
let db: Awaited<ReturnType<typeof temporaryDatabase>>;
let store: EventStore;
let clock = Date.UTC(2026, 4, 1);
const bar = (instrument: string, i: number): DomainEvent<'BarClosed'> => {
  const openTime = Date.UTC(2026, 4, 1) + i * 300_000;
  const ts = ++clock;
  return makeEvent('BarClosed', {
    venue: 'replay', instrument, timeframe: '5m', openTime, closeTime: openTime + 300_000, open: 1 + i, high: 2 + i, low: 0.5 + i, close: 1.5 + i, volume: 3,
  }, { id: uuidv7Ids(ts), occurredAt: openTime + 300_000, recordedAt: ts });
};
const halt = (): DomainEvent<'TradingHalted'> => {
  const ts = ++clock;
  return makeEvent('TradingHalted', { account: 'acc-9', reason: { kind: 'Manual', by: 'ops', note: 'test' }, ts }, { id: uuidv7Ids(ts), occurredAt: ts, recordedAt: ts });
};
const btc = [0, 1, 2].map((i) => bar('BTC/USDT', i));
const eth = [0, 1].map((i) => bar('ETH/USDT', i));
const stop = halt();

beforeAll(async () => {
  db = await temporaryDatabase('replay');
  store = await PostgresEventStore.openPostgres(db.url);
  await store.append(btc[0]!.stream, [btc[0]!, btc[1]!], 'no_stream');
  await store.append(eth[0]!.stream, eth, 'no_stream');
  await store.append(stop.stream, [stop], 'no_stream');
  await store.append(btc[0]!.stream, [btc[2]!], 1);
});
afterAll(async () => {
  await bus.close();
  await store?.close();
  await db?.drop();
});

const env = () => ({ PG_URL: db.url, QTS_EVENT_STORE: 'postgres' });

describe('qts replay', () => {
  it('republishes one stream from a revision, in order, each event keyed by its instrument', async () => {
    const to = `replay-${randomUUID().slice(0, 8)}`;
    const r = await runQts(['replay', '--stream', btc[0]!.stream, '--from', '1', '--to', to], env());
    expect(r.stderr).toMatch(/replay: 2 events from stream bars-replay.BTC_USDT.5m up to revision 2 published/);
    expect(r.code).toBe(0);
    const got = await readTopics(bus, [to]);
    expect(got.map((m) => m.value)).toEqual([encodeEvent(btc[1]!), encodeEvent(btc[2]!)]);
    expect(got.every((m) => m.key === 'BTC/USDT')).toBe(true);
  });

  it('republishes everything in global order, filtered by type, keys from the catalog', async () => {
    const to = `replay-${randomUUID().slice(0, 8)}`;
    const r = await runQts(['replay', '--all', '--to', to, '--type', 'BarClosed', 'TradingHalted', '--partitions', '3'], env());
    expect(r.code).toBe(0);
    const got = await readTopics(bus, [to]);
    expect(got).toHaveLength(6);
    const byKey = (k: string) => got.filter((m) => m.key === k).map((m) => JSON.parse(m.value!.toString()).id);
    expect(byKey('BTC/USDT')).toEqual(btc.map((e) => e.id));
    expect(byKey('ETH/USDT')).toEqual(eth.map((e) => e.id));
    expect(byKey('acc-9')).toEqual([stop.id]);

    const only = `replay-${randomUUID().slice(0, 8)}`;
    const positions: bigint[] = [];
    for await (const s of store.readAll()) positions.push(s.position);
    const from = positions[3]!;
    expect((await runQts(['replay', '--all', '--from', String(from), '--to', only, '--type', 'BarClosed'], env())).code).toBe(0);
    const tail = (await readTopics(bus, [only])).map((m) => JSON.parse(m.value!.toString()).id);
    expect(tail.sort()).toEqual([eth[1]!.id, btc[2]!.id].sort());
  });

  it('refuses a call without exactly one source', async () => {
    const r = await runQts(['replay', '--to', 'anywhere'], env());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/exactly one of --all or --stream/);
  });
});
