// The metered bus on the in-process bus: counts in and out, failures, lag, and the handled event's correlation id on log lines.
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { makeEvent, uuidv7Ids, type DomainEvent } from '@qts/schemas';
import type { Bus } from '@qts/core';
import { InProcessBus, type TailingBus } from '@qts/adapters';
import { eventually } from '@qts/adapters/testing';
import { observedLoggerOptions, onIncident, type Incident } from './logging.ts';
import { meteredBus } from './metered-bus.ts';
import { SystemMetrics } from './metrics.ts';
import { parsePrometheusText, sampleValue } from './prometheus-text.ts';

let ts = Date.UTC(2026, 3, 1);
const tick = (correlationId: string): DomainEvent => {
  const t = ++ts;
  return makeEvent('TradeTick', { venue: 'x', instrument: 'BTC/USDT', price: 1, size: 1, aggressor: 'buy', ts: t }, { id: uuidv7Ids(t), occurredAt: t, recordedAt: t, correlationId });
};

let raw: InProcessBus;
let bus: Bus;
let metrics: SystemMetrics;
afterEach(async () => { await bus.close(); });

async function setup(): Promise<void> {
  raw = new InProcessBus({ logger: pino({ level: 'silent' }), retry: { initialMs: 5, maxMs: 10 } });
  metrics = new SystemMetrics({ defaultMetrics: false });
  bus = meteredBus(raw, metrics);
  await bus.ensureTopics([{ topic: 'market.ticks', partitions: 2 }]);
}
const value = async (name: string, labels: Record<string, string>) => sampleValue(parsePrometheusText((await metrics.scrape()).body), name, labels);

describe('meteredBus', () => {
  it('puts the handled event\'s correlation and causation ids on every log line the handler writes, and nothing outside it', async () => {
    await setup();
    const lines: Record<string, unknown>[] = [];
    const log = pino({ ...observedLoggerOptions() }, new Writable({ write(c: Buffer, _e, cb) { lines.push(JSON.parse(c.toString()) as Record<string, unknown>); cb(); } }));
    await bus.consume({ groupId: 'g', topics: ['market.ticks'], fromBeginning: true, handler: async (e) => { await Promise.resolve(); log.info({ price: 1 }, `handled ${e.id}`); } });
    await bus.publish('market.ticks', null, [tick('corr-a'), tick('corr-b')]);
    await eventually(() => expect(lines).toHaveLength(2));
    expect(lines.map((l) => l.correlationId)).toEqual(['corr-a', 'corr-b']);
    log.info('outside');
    expect(lines[0]).toMatchObject({ eventType: 'TradeTick', causationId: null });
    expect(lines[2]).not.toHaveProperty('correlationId');
  });

  it('counts events out and in per topic and type, a failing handler\'s attempts, and the lag until the group catches up', async () => {
    await setup();
    const incidents: Incident[] = [];
    const stopListening = onIncident((i) => incidents.push(i));
    let failures = 2;
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    await bus.consume({
      groupId: 'slow', topics: ['market.ticks'], fromBeginning: true,
      handler: async () => { await gate; if (failures-- > 0) throw new Error('not yet'); },
    });
    await bus.publish('market.ticks', 'BTC/USDT', Array.from({ length: 5 }, () => tick('c')));
    expect(await value('qts_bus_events_published_total', { topic: 'market.ticks', type: 'TradeTick' })).toBe(5);
    expect(await value('qts_bus_consumer_lag', { group: 'slow', topic: 'market.ticks' })).toBe(5);
    release();
    await eventually(async () => expect(await value('qts_bus_events_consumed_total', { group: 'slow', topic: 'market.ticks', type: 'TradeTick' })).toBe(5));
    expect(await value('qts_bus_handler_errors_total', { group: 'slow', type: 'TradeTick' })).toBe(2);
    expect(await value('qts_bus_handler_seconds_count', { group: 'slow', topic: 'market.ticks' })).toBe(5);
    expect(await value('qts_bus_consumer_lag', { group: 'slow', topic: 'market.ticks' })).toBe(0);
    expect(incidents.map((i) => [i.component, i.error])).toEqual([['slow', 'not yet'], ['slow', 'not yet']]);
    stopListening();
  });

  it('counts each event of a batch consumer, and drops a stopped consumer\'s lag series', async () => {
    await setup();
    const consumer = await bus.consume({ groupId: 'batch', topics: ['market.ticks'], fromBeginning: true, batchHandler: async () => undefined });
    await bus.publish('market.ticks', null, Array.from({ length: 7 }, () => tick('c')));
    await eventually(async () => expect(await value('qts_bus_events_consumed_total', { group: 'batch', type: 'TradeTick' })).toBe(7));
    expect(await value('qts_bus_consumer_lag', { group: 'batch' })).toBe(0);
    await consumer.stop();
    expect(await value('qts_bus_consumer_lag', { group: 'batch' })).toBeUndefined();
  });

  it('passes raw reads (tail) through when the inner bus has them, so taps and the dead-letter feed see the metered bus as the bare one', async () => {
    await setup();
    expect('tail' in bus).toBe(true);
    await bus.publishRaw('market.ticks', 'k', Buffer.from('raw bytes'));
    const seen: string[] = [];
    const tail = await (bus as unknown as TailingBus).tail({ topics: ['market.ticks'], fromBeginning: true, follow: false, onMessage: async (m) => { seen.push(m.value!.toString()); } });
    await tail.done;
    expect(seen).toEqual(['raw bytes']);
  });
});
