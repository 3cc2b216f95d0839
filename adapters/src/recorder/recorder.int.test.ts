// The recorder on real servers: every event lands once in its stream, redeliveries write nothing, restarts resume from the commit.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { encodeEvent, makeEvent, uuidv7Ids, type DomainEvent } from '@qts/schemas';
import type { Bus, Consumer, EventStore, StoredEvent } from '@qts/core';
import { InProcessBus } from '../bus/in-process-bus.ts';
import { KafkaBus } from '../bus/kafka-bus.ts';
import { PostgresEventStore } from '../event-store/postgres-event-store.ts';
import { eventually } from '../testing/eventually.ts';
import { startRecorder } from './recorder.ts';

const PG_URL = process.env.PG_URL ?? 'postgres://qts:qts@127.0.0.1:55432/qts';
const logger = pino({ level: process.env.QTS_LOG_LEVEL ?? 'error' }, pino.destination(2));
const retry = { initialMs: 20, maxMs: 200 };
const schemas: string[] = [];

afterAll(async () => {
  if (schemas.length === 0) return;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  for (const s of schemas) await client.query(`drop schema if exists "${s}" cascade`);
  await client.end();
});

let clock = Date.UTC(2026, 1, 1);
function bar(instrument: string, i: number): DomainEvent<'BarClosed'> {
  const openTime = Date.UTC(2026, 1, 1) + i * 60_000;
  const ts = ++clock;
  return makeEvent('BarClosed', {
    venue: 'rec', instrument, timeframe: '1m', openTime, closeTime: openTime + 60_000, open: 10 + i, high: 11 + i, low: 9 + i, close: 10.5 + i, volume: 5,
  }, { id: uuidv7Ids(ts), occurredAt: openTime + 60_000, recordedAt: ts });
}
function halted(account: string): DomainEvent<'TradingHalted'> {
  const ts = ++clock;
  return makeEvent('TradingHalted', { account, reason: { kind: 'Manual', by: 'test', note: 'lunch' }, ts }, { id: uuidv7Ids(ts), occurredAt: ts, recordedAt: ts });
}

async function ids(store: EventStore, stream: string): Promise<string[]> {
  const out: StoredEvent[] = [];
  for await (const e of store.readStream(stream)) out.push(e);
  return out.map((s) => s.event.id);
}

const setups: { name: string; bus: () => Bus; store: () => Promise<EventStore> }[] = [
  {
    name: 'Kafka + Postgres server',
    bus: () => new KafkaBus({ logger, retry, consumer: { maxWaitTimeInMs: 100 } }),
    store: () => {
      const schema = `rec_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
      schemas.push(schema);
      return PostgresEventStore.openPostgres(PG_URL, { schema });
    },
  },
  { name: 'in-process bus + PGlite', bus: () => new InProcessBus({ logger, retry }), store: () => PostgresEventStore.openPglite('memory://') },
];

for (const setup of setups) {
  describe(`recorder on ${setup.name}`, () => {
    it('records each event once in its stream, ignores redeliveries old and new, and resumes from its commit', async () => {
      const run = randomUUID().slice(0, 8);
      const bars = `rec-${run}.market.bars`;
      const risk = `rec-${run}.risk`;
      const bus = setup.bus();
      const store = await setup.store();
      const consumers: Consumer[] = [];
      try {
        await bus.ensureTopics([{ topic: bars, partitions: 3 }, { topic: risk, partitions: 1 }]);
        const recorded: string[] = [];
        const start = async (groupId: string) => {
          const c = await startRecorder({ bus, store, groupId, topics: [bars, risk], logger, onRecorded: (e) => recorded.push(e.id) });
          consumers.push(c);
          return c;
        };
        const group = `rec-${run}`;
        const btc = [0, 1, 2, 3].map((i) => bar('BTC/USDT', i));
        const eth = [0, 1].map((i) => bar('ETH/USDT', i));
        const halt = halted('acc-1');
        await bus.publish(bars, null, [...btc.slice(0, 3), ...eth]);
        await bus.publish(risk, null, [halt]);
        const first = await start(group);
        await eventually(() => expect(recorded).toHaveLength(6), { timeoutMs: 30_000 });
        expect(await ids(store, btc[0]!.stream)).toEqual(btc.slice(0, 3).map((e) => e.id));
        expect(await ids(store, eth[0]!.stream)).toEqual(eth.map((e) => e.id));
        expect(await ids(store, halt.stream)).toEqual([halt.id]);

        // Restart after more was published, including a redelivery of the OLDEST event of a stream: the run
        // [old, new, new, new] mixes stored and new events of one stream; only the new ones are appended.
        await first.stop();
        const late = [4, 5].map((i) => bar('BTC/USDT', i));
        await bus.publishRaw(bars, 'BTC/USDT', encodeEvent(btc[0]!));
        await bus.publish(bars, null, [btc[3]!, ...late]);
        recorded.length = 0;
        await start(group);
        // Resumed from the commit: nothing recorded before the stop comes again.
        await eventually(() => expect(recorded).toEqual([btc[0]!.id, btc[3]!.id, ...late.map((e) => e.id)]), { timeoutMs: 30_000 });
        expect(await ids(store, btc[0]!.stream)).toEqual([...btc, ...late].map((e) => e.id));

        // A whole second pass over everything (a new group from the beginning) changes no stream.
        recorded.length = 0;
        await start(`${group}-replay`);
        await eventually(() => expect(recorded).toHaveLength(10), { timeoutMs: 30_000 });
        expect(await ids(store, btc[0]!.stream)).toEqual([...btc, ...late].map((e) => e.id));
        expect(await ids(store, eth[0]!.stream)).toEqual(eth.map((e) => e.id));
        expect(await ids(store, halt.stream)).toEqual([halt.id]);
        let total = 0;
        for await (const _ of store.readAll()) total++;
        expect(total).toBe(9);
      } finally {
        await Promise.all(consumers.map((c) => c.stop()));
        await bus.close();
        await store.close();
      }
    });
  });
}
