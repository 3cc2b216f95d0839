// `qts worker recorder` as its own process on the real broker and Postgres: records, stops gracefully, resumes after a restart.
import { randomUUID } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { makeEvent, uuidv7Ids, type DomainEvent } from '@qts/schemas';
import type { EventStore } from '@qts/core';
import { KafkaBus, PostgresEventStore } from '@qts/adapters';
import { eventually } from '@qts/adapters/testing';
import { runQts, spawnQts, temporaryDatabase, type QtsProcess } from './spawn-qts.ts';

const bus = new KafkaBus({ logger: pino({ level: 'error' }, pino.destination(2)) });
let db: Awaited<ReturnType<typeof temporaryDatabase>>;
let store: EventStore;
let clock = Date.UTC(2026, 3, 1);
const tick = (instrument: string, price: number): DomainEvent<'TradeTick'> => {
  const ts = ++clock;
  return makeEvent('TradeTick', { venue: 'worker', instrument, price, size: 1, aggressor: 'buy', ts }, { id: uuidv7Ids(ts), occurredAt: ts, recordedAt: ts });
};

beforeAll(async () => {
  db = await temporaryDatabase('worker');
  store = await PostgresEventStore.openPostgres(db.url);
});
afterAll(async () => {
  await bus.close();
  await store?.close();
  await db?.drop();
});

async function streamIds(stream: string): Promise<string[]> {
  const out: string[] = [];
  for await (const s of store.readStream(stream)) out.push(s.event.id);
  return out;
}

describe('qts worker recorder', () => {
  it('records events into their streams, stops on SIGTERM, and resumes from its commit when restarted', async () => {
    const topic = `worker-${randomUUID().slice(0, 8)}.market.ticks`;
    const group = `worker-rec-${randomUUID().slice(0, 8)}`;
    await bus.ensureTopics([{ topic, partitions: 2 }]);
    const env = { PG_URL: db.url, QTS_EVENT_STORE: 'postgres', QTS_LOG_LEVEL: 'info' };
    const run = (): QtsProcess => spawnQts(['worker', 'recorder', '--topics', topic, '--group', group], env);
    const first = [tick('BTC/USDT', 1), tick('ETH/USDT', 2), tick('BTC/USDT', 3)];
    await bus.publish(topic, null, first);
    const a = run();
    const btc = first[0]!.stream;
    try {
      // Each stream's share of a batch is its own append: the ETH stream may land after the BTC one.
      await eventually(async () => {
        expect(await streamIds(btc)).toEqual([first[0]!.id, first[2]!.id]);
        expect(await streamIds(first[1]!.stream)).toEqual([first[1]!.id]);
      }, { timeoutMs: 90_000, intervalMs: 250 });
    } finally {
      a.child.kill('SIGTERM');
    }
    expect(await a.exited).toBe(0);
    expect(a.stderr()).toMatch(/worker stopped/);

    const later = [tick('BTC/USDT', 4), tick('BTC/USDT', 5)];
    await bus.publish(topic, null, later);
    const b = run();
    try {
      await eventually(async () => expect(await streamIds(btc)).toEqual([first[0]!.id, first[2]!.id, ...later.map((e) => e.id)]), { timeoutMs: 90_000, intervalMs: 250 });
    } finally {
      b.child.kill('SIGTERM');
    }
    expect(await b.exited).toBe(0);
    // Resumed from the commit: the restarted worker appended only the two new events.
    let total = 0;
    for await (const _ of store.readAll()) total++;
    expect(total).toBe(5);
  }, 240_000);

  it('waits for a broker that is not up yet (retrying), starts once it answers, and a SIGTERM ends the wait', async () => {
    const topic = `worker-${randomUUID().slice(0, 8)}.market.ticks`;
    await bus.ensureTopics([{ topic, partitions: 1 }]);
    const event = tick('SOL/USDT', 7);
    await bus.publish(topic, null, [event]);
    // The worker's bootstrap address: nothing listens there until the "broker comes up" (a forwarder to the real one).
    const port = await new Promise<number>((done) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => done(p)); }); });
    const env = { PG_URL: db.url, QTS_EVENT_STORE: 'postgres', QTS_LOG_LEVEL: 'info', KAFKA_BROKERS: `127.0.0.1:${port}` };
    const waiting = spawnQts(['worker', 'recorder', '--topics', topic, '--group', `worker-wait-${randomUUID().slice(0, 8)}`], env);
    let forwarder: Server | null = null;
    const sockets = new Set<Socket>();
    try {
      await eventually(() => expect(waiting.stderr()).toMatch(/not reachable yet; retrying/), { timeoutMs: 60_000, intervalMs: 200 });
      expect(waiting.child.exitCode).toBe(null);
      const [host, brokerPort] = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',')[0]!.split(':');
      forwarder = createServer((inbound) => {
        const outbound = connect(Number(brokerPort), host);
        for (const s of [inbound, outbound]) { sockets.add(s); s.on('error', () => s.destroy()); s.on('close', () => sockets.delete(s)); }
        inbound.pipe(outbound).pipe(inbound);
      });
      await new Promise<void>((r) => forwarder!.listen(port, '127.0.0.1', () => r()));
      await eventually(async () => expect(await streamIds(event.stream)).toEqual([event.id]), { timeoutMs: 90_000, intervalMs: 250 });
      expect(waiting.stderr()).toMatch(/worker started/);
    } finally {
      waiting.child.kill('SIGTERM');
      for (const s of sockets) s.destroy();
      forwarder?.close();
    }
    expect(await waiting.exited).toBe(0);

    // Stopped while still waiting: it gives up the start at once instead of sleeping through its backoff.
    const stopped = spawnQts(['worker', 'recorder', '--topics', topic], { ...env, KAFKA_BROKERS: `127.0.0.1:${port}` });
    await eventually(() => expect(stopped.stderr()).toMatch(/not reachable yet; retrying/), { timeoutMs: 60_000, intervalMs: 200 });
    const asked = Date.now();
    stopped.child.kill('SIGTERM');
    expect(await stopped.exited).toBe(1);
    expect(Date.now() - asked).toBeLessThan(10_000);
    expect(stopped.stderr()).toMatch(/worker failed to start/);
  }, 240_000);

  it('refuses to run a worker on the in-process bus, which no other process can reach', async () => {
    const r = await runQts(['worker', 'recorder'], { KAFKA_BROKERS: '', QTS_BUS: 'in-process' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/needs the shared Kafka bus: set KAFKA_BROKERS/);
  });

  it('names the known workers when asked for an unknown one', async () => {
    const r = await runQts(['worker', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown worker 'nope'; known: recorder/);
  });
});
