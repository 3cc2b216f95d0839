// Kafka throughput: publish and consume (validated, committed after the handler) for N seconds, proving nothing lost or duplicated.
import { randomUUID } from 'node:crypto';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { makeEvent, uuidv7Ids, type DomainEvent } from '@qts/schemas';
import { KafkaBus, kafkaBrokersFromEnv } from '../src/bus/kafka-bus.ts';
import { addId, emptyDigest, type IdDigest } from './kafka-checksum.ts';

/** Same shape as infra/src/bench/main.ts's BenchRow (adapters do not import infra). */
export interface BenchRow {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
}

export interface KafkaBenchOptions {
  readonly seconds?: number;
  readonly partitions?: number;
  /** Events per publish call (each call is sent as produce requests of up to ~1 MB). */
  readonly batch?: number;
  /** Concurrent publish calls. */
  readonly publishers?: number;
  /** Also run 10 s with record headers on (KafkaBus eventHeaders), to show what they cost. Default true. */
  readonly compareHeaders?: boolean;
}

type Progress = { kind: 'progress' | 'final'; digest: IdDigest; firstAt: number; lastAt: number; cpuMicros?: number };

const INSTRUMENTS = Array.from({ length: 64 }, (_, i) => `SYM${i}/USDT`);

export async function benchKafka(options: KafkaBenchOptions = {}): Promise<BenchRow[]> {
  const rows = await kafkaRun(options, false);
  if (options.compareHeaders === false) return rows;
  const withHeaders = await kafkaRun({ ...options, seconds: 10 }, true);
  return [
    ...rows,
    { ...withHeaders[0]!, name: `${withHeaders[0]!.name}, with type/version/correlation-id record headers (eventHeaders: true)`, target: '' },
    { ...withHeaders[3]!, name: `${withHeaders[3]!.name}, with record headers`, target: '' },
    { ...withHeaders[6]!, name: `${withHeaders[6]!.name}, with record headers` },
  ];
}

async function kafkaRun(options: KafkaBenchOptions, eventHeaders: boolean): Promise<BenchRow[]> {
  const seconds = options.seconds ?? 30;
  const batch = options.batch ?? 2_000;
  const publishers = options.publishers ?? 2;
  const brokers = kafkaBrokersFromEnv();
  const topic = `bench-kafka-${randomUUID().slice(0, 8)}`;
  const bus = new KafkaBus({ brokers, logger: pino({ level: 'warn' }, pino.destination(2)), maxInFlightMessages: 50_000, eventHeaders });
  await bus.ensureTopics([{ topic, partitions: options.partitions ?? 6 }]);

  const worker = fork(fileURLToPath(new URL('./kafka-consumer.ts', import.meta.url)), [topic, `${topic}-g`, brokers.join(',')], { execArgv: ['--import', 'tsx'] });
  let latest: Progress | null = null;
  let final: ((p: Progress) => void) | null = null;
  const ready = new Promise<void>((resolve, reject) => {
    worker.on('error', reject);
    worker.on('message', (m: { kind: 'ready' } | Progress) => {
      if (m.kind === 'ready') resolve();
      else if (m.kind === 'progress') latest = m;
      else if (m.kind === 'final') final?.(m);
    });
  });
  await ready;

  const sent = emptyDigest();
  let seq = 0;
  const nextBatch = (): DomainEvent[] => {
    const events: DomainEvent[] = new Array(batch);
    const now = Date.now();
    for (let i = 0; i < batch; i++) {
      const s = seq++;
      events[i] = makeEvent('TradeTick', {
        venue: 'bench', instrument: INSTRUMENTS[s % INSTRUMENTS.length]!, price: 100 + (s % 1000) / 100, size: 0.5, aggressor: s % 2 ? 'buy' : 'sell', ts: now,
      }, { id: uuidv7Ids(now), occurredAt: now, recordedAt: now });
    }
    return events;
  };
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const stopAt = start + seconds * 1000;
  await Promise.all(Array.from({ length: publishers }, async () => {
    while (performance.now() < stopAt) {
      const events = nextBatch();
      await bus.publish(topic, null, events);
      for (const e of events) addId(sent, e.id);
    }
  }));
  const publishSeconds = (performance.now() - start) / 1000;
  const publishCpu = process.cpuUsage(cpuStart);

  // Wait for the consumer to drain, as long as it keeps making progress.
  let lastCount = -1;
  let stalledSince = performance.now();
  while (true) {
    const count = (latest as Progress | null)?.digest.count ?? 0;
    if (count >= sent.count) break;
    if (count !== lastCount) {
      lastCount = count;
      stalledSince = performance.now();
    } else if (performance.now() - stalledSince > 15_000) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const done = new Promise<Progress>((r) => { final = r; });
  worker.send({ kind: 'stop' });
  const got = await done;
  await bus.close();

  const consumeSeconds = Math.max(1e-3, (got.lastAt - got.firstAt) / 1000);
  const drainSeconds = Math.max(0, (got.lastAt - (performance.timeOrigin + start)) / 1000 - publishSeconds);
  const mismatch = Math.abs(got.digest.count - sent.count) + (got.digest.xor === sent.xor && got.digest.sum === sent.sum ? 0 : 1);
  return [
    { name: `kafka publish, acks=all idempotent, ${publishers}x${batch}/call, ${seconds}s`, value: sent.count / publishSeconds, unit: 'events/s', target: '>= 50000' },
    { name: 'kafka consume, eachBatch, decoded+validated, committed after handler', value: got.digest.count / consumeSeconds, unit: 'events/s', target: '>= 50000' },
    { name: 'kafka events published', value: sent.count, unit: 'events' },
    // CPU per event is what the machine's load cannot distort: 1e6 / it is the rate one free core sustains.
    { name: 'kafka publish CPU per event (makeEvent + encode + kafkajs)', value: (publishCpu.user + publishCpu.system) / sent.count, unit: 'µs' },
    { name: 'kafka consume CPU per event (kafkajs + decode + validate + commit)', value: (got.cpuMicros ?? 0) / Math.max(1, got.digest.count), unit: 'µs' },
    { name: 'kafka consumer lag after the last publish', value: drainSeconds, unit: 's' },
    { name: 'kafka lost or duplicated (count diff + checksum mismatch)', value: mismatch, unit: 'events', target: '0' },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const rows = await benchKafka({ seconds: arg('seconds'), partitions: arg('partitions'), batch: arg('batch'), publishers: arg('publishers'), compareHeaders: !process.argv.includes('--no-headers-run') });
  console.table(rows.map((r) => ({ benchmark: r.name, value: Number(r.value.toPrecision(4)), unit: r.unit, target: r.target ?? '' })));
}
