// The embedded system, scraped as Prometheus would: after a replay its counters, histograms, lag and book gauges match what happened.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '@qts/schemas';
import { evolveOrder, initialOrderState, type OrderEvent, type OrderState } from '@qts/core';
import { RECORDER_GROUP } from '@qts/adapters';
import { eventually } from '@qts/adapters/testing';
import { loadConfig } from '../runtime/config.ts';
import { openInfrastructure, startWorkers, systemClock, type Infrastructure, type RunningSystem } from '../runtime/compose.ts';
import { startHealthServer, type HealthServer } from '../runtime/health.ts';
import { createLogger } from '../runtime/log.ts';
import { startReadSide, type ReadSide } from '../runtime/read-side.ts';
import { parsePrometheusText, sampleValue, type Sample } from './prometheus-text.ts';

const BARS = 400;
const sample = join(mkdtempSync(join(tmpdir(), 'qts-metrics-')), 'BTCUSDT-5m.csv');
const lines = readFileSync(resolve(import.meta.dirname, '../../data/sample/BTCUSDT-5m.csv'), 'utf8').split('\n');
writeFileSync(sample, lines.slice(0, BARS + 1).join('\n'));
const lastClose = Number(lines[BARS]!.split(',')[4]);
const log = createLogger('test', 'silent');

let infra: Infrastructure;
let read: ReadSide;
let system: RunningSystem;
let health: HealthServer;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'qts-metrics-cfg-'));
  writeFileSync(join(dir, 'qts.config.json'), JSON.stringify({
    dataDir: join(dir, 'data'), api: { port: 0 },
    market: { kind: 'replay', files: [{ path: sample, instrument: 'BTC/USDT', timeframe: '5m', venue: 'replay' }], barsPerSecond: 0 },
  }));
  const { config } = loadConfig({ env: {}, cwd: dir });
  infra = await openInfrastructure(config, log);
  read = await startReadSide(config, {}, infra, { projector: true, api: true }, log, systemClock);
  system = await startWorkers(config, infra, ['recorder', 'executor', 'strategy', 'ingest'], log);
  health = await startHealthServer(0, 'test', log, infra.metrics);
}, 120_000);

afterAll(async () => {
  await system?.stop();
  await read?.close();
  await infra?.close();
  await health?.close();
});

async function scrape(url: string): Promise<{ contentType: string | null; samples: Sample[] }> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return { contentType: res.headers.get('content-type'), samples: parsePrometheusText(await res.text()) };
}

function finalStatuses(events: readonly DomainEvent[]): Record<string, number> {
  const orders = new Map<string, OrderState>();
  for (const e of events) {
    if (!e.stream.startsWith('order-')) continue;
    const id = (e.data as { clientOrderId: string }).clientOrderId;
    orders.set(id, evolveOrder(orders.get(id) ?? initialOrderState, e as OrderEvent));
  }
  const out: Record<string, number> = {};
  for (const o of orders.values()) out[o.status] = (out[o.status] ?? 0) + 1;
  return out;
}

async function stored(): Promise<DomainEvent[]> {
  const out: DomainEvent[] = [];
  for await (const s of infra.store.readAll()) out.push(s.event);
  return out;
}

describe('GET /metrics of the running system', () => {
  it('counts every bar in and out, times each handler call, shows no lag once caught up, and books fills and equity as the executor does', async () => {
    await system.replayDone;
    await eventually(() => expect(system.executor!.books()['BTC/USDT']?.tradedThrough ?? 0).toBeGreaterThan(0), { timeoutMs: 60_000 });
    const book = () => system.executor!.books()['BTC/USDT']!;
    let samples: Sample[] = [];
    await eventually(async () => {
      const events = await stored();
      const fills = events.filter((e) => e.type === 'OrderFilled');
      expect(fills.length).toBeGreaterThan(1);
      ({ samples } = await scrape(`${health.url}/metrics`));
      const v = (name: string, labels: Record<string, string> = {}) => sampleValue(samples, name, labels);
      expect(v('qts_bus_events_published_total', { topic: 'market.bars', type: 'BarClosed' })).toBe(BARS);
      expect(v('qts_bus_events_consumed_total', { group: 'executor.bars', topic: 'market.bars', type: 'BarClosed' })).toBe(BARS);
      expect(v('qts_bus_handler_seconds_count', { group: 'executor.bars', topic: 'market.bars' })).toBe(BARS);
      expect(v('qts_bus_consumer_lag', { group: 'executor.bars', topic: 'market.bars' })).toBe(0);
      // Each fill is appended by the executor, then re-appended (a no-op) by the recorder from the bus.
      expect(v('qts_store_append_events_total', { type: 'OrderFilled' })).toBe(2 * fills.length);
      expect(v('qts_fills_total', { account: 'paper' })).toBe(fills.length);
      // Orders by status as the order aggregate itself folds the stored lifecycle (an entry filled short of its size and then cancelled is 'cancelled').
      for (const [status, count] of Object.entries(finalStatuses(events))) expect(v('qts_orders', { account: 'paper', status }), status).toBe(count);
      expect(v('qts_equity', { account: 'paper' })).toBeCloseTo(book().cash + book().position * lastClose, 6);
    }, { timeoutMs: 45_000, intervalMs: 250 });
    const v = (name: string, labels: Record<string, string> = {}) => sampleValue(samples, name, labels);
    // The histogram is cumulative: its +Inf bucket is its count, and the sum is a positive time.
    expect(v('qts_bus_handler_seconds_bucket', { group: 'executor.bars', topic: 'market.bars', le: '+Inf' })).toBe(BARS);
    expect(v('qts_bus_handler_seconds_sum', { group: 'executor.bars', topic: 'market.bars' })).toBeGreaterThan(0);
    // Bars went out once, and every group that reads them took each once.
    expect(v('qts_bus_events_consumed_total', { topic: 'market.bars', type: 'BarClosed', group: RECORDER_GROUP })).toBe(BARS);
    expect(v('process_cpu_seconds_total')).toBeGreaterThan(0);
  }, 120_000);

  it('counts a dead letter per consumer group that met the bad bytes, and the incident', async () => {
    const before = parsePrometheusText((await infra.metrics.scrape()).body);
    expect(sampleValue(before, 'qts_bus_dead_letters_total', { group: 'executor.signals' }) ?? 0).toBe(0);
    await infra.bus.publishRaw('signals', 'BTC/USDT', Buffer.from('{not json'));
    await eventually(async () => {
      const { samples } = await scrape(`${health.url}/metrics`);
      expect(sampleValue(samples, 'qts_bus_dead_letters_total', { group: 'executor.signals', topic: 'signals', reason: 'MalformedJson' })).toBe(1);
      expect(sampleValue(samples, 'qts_incidents_total', { component: 'executor.signals' })).toBeGreaterThanOrEqual(1);
    }, { timeoutMs: 10_000 });
  });

  it('serves the same registry, with the HTTP metrics, on the API at /api/v1/metrics', async () => {
    await fetch(`${read.api!.url}/api/v1/positions`);
    const { contentType, samples } = await scrape(`${read.api!.url}/api/v1/metrics`);
    expect(contentType).toMatch(/^text\/plain/);
    expect(sampleValue(samples, 'qts_bus_events_published_total', { topic: 'market.bars', type: 'BarClosed' })).toBe(BARS);
    expect(sampleValue(samples, 'qts_http_request_duration_seconds_count', { route: '/positions' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(samples, 'qts_trading_halted', { account: 'paper' })).toBeUndefined();
  });
});
