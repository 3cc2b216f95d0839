// What metering costs per event: the in-process bus round trip (publish, consume, handler) bare and behind meteredBus.
import { pino } from 'pino';
import { makeEvent, uuidv7Ids, type DomainEvent } from '@qts/schemas';
import type { Bus, ConsumeOptions, Delivery } from '@qts/core';
import { InProcessBus } from '@qts/adapters';
import { meteredBus } from '../observability/metered-bus.ts';
import { SystemMetrics } from '../observability/metrics.ts';
import type { BenchRow } from './main.ts';

const N = 50_000;

function bars(): DomainEvent[] {
  const t0 = Date.UTC(2026, 0, 1);
  return Array.from({ length: N }, (_, i) => {
    const ts = t0 + i * 60_000;
    return makeEvent('BarClosed', {
      instrument: 'BTC/USDT', timeframe: '1m', venue: 'bench', openTime: ts, closeTime: ts + 60_000, open: 1, high: 2, low: 0.5, close: 1.5, volume: 10,
    }, { id: uuidv7Ids(ts), occurredAt: ts, recordedAt: ts });
  });
}

/** Nanoseconds per event from publish to the handler's return, batches of 500 per publish. */
async function roundTrip(wrap: (b: Bus) => Bus, events: readonly DomainEvent[]): Promise<number> {
  const raw = new InProcessBus({ logger: pino({ level: 'silent' }), retainPerPartition: N + 1, maxLag: N });
  const bus = wrap(raw);
  await bus.ensureTopics([{ topic: 'market.bars', partitions: 1 }]);
  let seen = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => { done = r; });
  const consumer = await bus.consume({ groupId: 'bench', topics: ['market.bars'], handler: async () => { if (++seen === events.length) done(); } });
  const started = process.hrtime.bigint();
  for (let i = 0; i < events.length; i += 500) await bus.publish('market.bars', 'BTC/USDT', events.slice(i, i + 500));
  await finished;
  const ns = Number(process.hrtime.bigint() - started) / events.length;
  await consumer.stop();
  await bus.close();
  return ns;
}

/** The handler as a consumer of a bus sees it: bare, or wrapped by meteredBus (captured from a stub bus). */
async function wrappedHandler(metered: boolean): Promise<NonNullable<ConsumeOptions['handler']>> {
  let captured: ConsumeOptions | null = null;
  const stub: Bus = {
    name: 'stub', ensureTopics: async () => undefined, publish: async () => undefined, publishRaw: async () => undefined, close: async () => undefined,
    consume: async (o) => { captured = o; return { assignment: () => [], stop: async () => undefined }; },
  };
  const bus = metered ? meteredBus(stub, new SystemMetrics({ defaultMetrics: false })) : stub;
  let sink = 0;
  await bus.consume({ groupId: 'bench', topics: ['market.bars'], handler: async (e) => { sink += e.id.length; } });
  if (sink < 0) throw new Error('unreachable');
  return captured!.handler!;
}

/** Nanoseconds per awaited handler call, over every event. */
async function perCall(handler: NonNullable<ConsumeOptions['handler']>, events: readonly DomainEvent[]): Promise<number> {
  const delivery: Delivery = { topic: 'market.bars', partition: 0, offset: '0', key: null };
  const started = process.hrtime.bigint();
  for (let i = 0; i < events.length; i++) await handler(events[i]!, delivery);
  return Number(process.hrtime.bigint() - started) / events.length;
}

export async function benchObservability(): Promise<BenchRow[]> {
  const events = bars();
  // One warm-up of each, then the timed runs alternate so drift in the machine's load hits both alike.
  await roundTrip((b) => b, events);
  await roundTrip((b) => meteredBus(b, new SystemMetrics({ defaultMetrics: false })), events);
  const bare: number[] = [];
  const metered: number[] = [];
  for (let i = 0; i < 3; i++) {
    bare.push(await roundTrip((b) => b, events));
    metered.push(await roundTrip((b) => meteredBus(b, new SystemMetrics({ defaultMetrics: false })), events));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1]!;
  const bareHandler = await wrappedHandler(false);
  const meteredHandler = await wrappedHandler(true);
  const callsBare: number[] = [];
  const callsMetered: number[] = [];
  for (let i = 0; i < 4; i++) {
    callsBare.push(await perCall(bareHandler, events));
    callsMetered.push(await perCall(meteredHandler, events));
  }
  callsBare.shift();
  callsMetered.shift();
  return [
    { name: 'handler call, bare (median of 3)', value: median(callsBare), unit: 'ns/event' },
    { name: 'handler call, metered: counts, timing, correlation context (median of 3)', value: median(callsMetered), unit: 'ns/event' },
    { name: 'in-process bus round trip, bare (median of 3)', value: median(bare), unit: 'ns/event' },
    { name: 'in-process bus round trip, metered (median of 3)', value: median(metered), unit: 'ns/event' },
    { name: 'metering overhead in the round trip (noisy: a difference of two medians)', value: median(metered) - median(bare), unit: 'ns/event' },
  ];
}
