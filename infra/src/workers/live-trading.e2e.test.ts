// The whole system trading live through ccxt over Kafka: the stand-in's candles -> ingest -> strategy -> live executor -> the stand-in's orders, across a restart.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { pino } from 'pino';
import { catalog, type BarClosed, type DomainEvent } from '@qts/schemas';
import type { EventStore } from '@qts/core';
import { BinanceStandin, eventually, standinBarsFromCsv, type StandinBar } from '@qts/adapters/testing';
import { loadConfig } from '../runtime/config.ts';
import { openInfrastructure, startWorkers, systemClock, type Infrastructure, type RunningSystem } from '../runtime/compose.ts';

const PG_URL = process.env.PG_URL ?? 'postgres://qts:qts@127.0.0.1:55432/qts';
const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:19092';
const API_KEY = 'planted-e2e-key-0c2e4a6b8d1f3a5c7e9b0d2f4a6c8e1b';
const SECRET = 'planted-e2e-secret-7a9c1e3b5d7f9a2c4e6b8d0f1a3c5e7d';
const namespace = `live_e2e_${Date.now().toString(36)}`;
const SAMPLE = resolve(import.meta.dirname, '../../data/sample/BTCUSDT-5m.csv');

const lines: string[] = [];
const log = pino({ level: 'debug', base: { service: 'e2e' } }, { write: (s: string) => { lines.push(s); } });

// Recorded prices on a 1-minute grid ending at the last whole minute, so every candle is closed and recent.
const N = 80;
const lastOpen = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
const bars: StandinBar[] = standinBarsFromCsv(SAMPLE).slice(0, N).map((b, i) => ({ ...b, openTime: lastOpen - (N - 1 - i) * 60_000 }));

let standin: BinanceStandin;
let running: { infra: Infrastructure; system: RunningSystem } | null = null;

const dataDir = mkdtempSync(join(tmpdir(), 'qts-live-data-'));
function config() {
  const dir = mkdtempSync(join(tmpdir(), 'qts-live-'));
  const secretFile = join(dir, 'exchange-secret');
  writeFileSync(secretFile, `${SECRET}\n`);
  writeFileSync(join(dir, 'qts.config.json'), JSON.stringify({
    namespace, account: 'live', cash: 10_000, dataDir,
    // The deployment's shape: workers over a real Kafka broker (topics under this run's namespace) and Postgres.
    bus: { kind: 'kafka', brokers: KAFKA_BROKERS.split(','), sessionTimeoutMs: 6_000 },
    eventStore: { kind: 'postgres', url: PG_URL },
    market: { kind: 'ccxt', exchange: 'binance', symbols: ['BTC/USDT'], timeframe: '1m', baseUrl: standin.url, warmupBars: 200 },
    venue: { kind: 'ccxt', exchange: 'binance', baseUrl: standin.url, maxSignalAgeMs: 4 * 3_600_000 },
    strategies: [{ id: 'sma-live', kind: 'sma-cross', instrument: 'BTC/USDT', timeframe: '1m', params: { fast: 3, slow: 8 } }],
    executor: { sizing: { kind: 'percent-equity', percent: 50 } },
  }));
  // The key from the environment, the secret from a file named by the environment: never from the config file.
  return loadConfig({ env: { QTS_EXCHANGE_API_KEY: API_KEY, QTS_EXCHANGE_SECRET_FILE: secretFile }, cwd: dir });
}

async function start() {
  const { config: c, secrets } = config();
  const infra = await openInfrastructure(c, log);
  const system = await startWorkers(c, infra, ['recorder', 'executor', 'strategy', 'ingest'], log, systemClock, secrets);
  running = { infra, system };
  return running;
}

async function stop(): Promise<void> {
  if (!running) return;
  await running.system.stop();
  await running.infra.close();
  running = null;
}

async function lastStoredBar(store: EventStore): Promise<number> {
  for await (const { event } of store.readStream(catalog.BarClosed.stream({ venue: 'binance', instrument: 'BTC/USDT', timeframe: '1m' } as BarClosed), { direction: 'backwards', maxCount: 1 })) if (event.type === 'BarClosed') return event.data.openTime;
  return -1;
}

/** The market moves to bar i: its candle is in the REST history, its close is the price, and (when live) its kline is streamed. */
function marketAt(i: number, stream: boolean): void {
  standin.loadBars('BTCUSDT', '1m', bars.slice(0, i + 1));
  standin.setPrice('BTCUSDT', bars[i]!.close);
  if (stream) standin.publishKline('BTCUSDT', '1m', bars[i]!, true);
}

async function streamBars(from: number, to: number, store: EventStore): Promise<void> {
  for (let i = from; i < to; i++) {
    marketAt(i, true);
    await eventually(async () => expect(await lastStoredBar(store)).toBe(bars[i]!.openTime), { timeoutMs: 20_000 });
  }
}

afterAll(async () => {
  await stop();
  await standin?.close();
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`drop schema if exists "${namespace}_event_store" cascade`);
  await client.end();
});

describe('live trading through ccxt, end to end', () => {
  it('trades the stand-in\'s candles: one exchange order per OrderRequested, each fill once, nothing doubled by a restart', async () => {
    standin = await BinanceStandin.start({ apiKeys: { [API_KEY]: SECRET } });
    standin.setBalance('USDT', 10_000);
    marketAt(19, false); // twenty candles of history for the warm-up

    let { infra, system } = await start();
    expect(system.executor).toBeNull();
    expect(system.liveExecutor).not.toBeNull();
    await eventually(async () => expect(await lastStoredBar(infra.store)).toBe(bars[19]!.openTime), { timeoutMs: 30_000 });
    await eventually(() => expect(standin.streams.subscribers.public).toBeGreaterThan(0));
    await streamBars(20, 45, infra.store);
    await stop();

    // Down for ten candles: the restarted feed takes them from the REST history, once.
    for (let i = 45; i < 55; i++) marketAt(i, false);
    ({ infra, system } = await start());
    await eventually(async () => expect(await lastStoredBar(infra.store)).toBe(bars[54]!.openTime), { timeoutMs: 30_000 });
    await eventually(() => expect(standin.streams.subscribers.public).toBeGreaterThan(0));
    await streamBars(55, N, infra.store);

    const lastClose = bars[N - 1]!.openTime + 60_000;
    const store = infra.store;
    await eventually(async () => {
      let evaluated = -1;
      for await (const { event } of store.readStream('signals-sma-live', { direction: 'backwards', maxCount: 5 })) if (event.type === 'BarEvaluated') evaluated = Math.max(evaluated, event.data.asOf);
      expect(evaluated).toBe(lastClose);
    }, { timeoutMs: 30_000 });
    await system.liveExecutor!.settled();
    await eventually(() => expect(system.liveExecutor!.openOrders()).toEqual([]), { timeoutMs: 20_000 });

    const all: DomainEvent[] = [];
    for await (const { event } of store.readAll()) all.push(event);
    const of = <T extends DomainEvent['type']>(type: T) => all.filter((e) => e.type === type) as DomainEvent<T>[];
    expect(of('BarClosed').map((e) => e.data.openTime)).toEqual(bars.map((b) => b.openTime));
    const requested = of('OrderRequested');
    const signals = of('SignalEmitted');
    expect(signals.length).toBeGreaterThanOrEqual(4);
    expect(requested.length).toBeGreaterThanOrEqual(4);
    // Every order the executor requested is at the exchange exactly once, under its clientOrderId, and nothing else is.
    const exchangeOrders = standin.engine.allOrders();
    for (const r of requested) expect(exchangeOrders.filter((o) => o.clientOrderId === r.data.clientOrderId)).toHaveLength(1);
    expect(exchangeOrders.map((o) => o.clientOrderId).sort()).toEqual(requested.map((r) => r.data.clientOrderId).sort());
    // Every exchange trade is one OrderFilled, under the exchange's trade id.
    const fills = of('OrderFilled');
    const trades = exchangeOrders.flatMap((o) => standin.engine.tradesOf(o.orderId));
    expect(fills.map((f) => f.data.fillId).sort()).toEqual(trades.map((t) => String(t.id)).sort());
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    // Each order's fills cause it; each order's cause is a signal.
    const signalIds = new Set(signals.map((s) => s.id));
    for (const r of requested) expect(signalIds.has(r.causationId!)).toBe(true);
    // The book holds what the exchange account holds.
    const btc = standin.engine.balancesSnapshot().find((b) => b.asset === 'BTC');
    expect(system.liveExecutor!.positions()['BTC/USDT']!.baseHeld).toBeCloseTo(btc ? Number(btc.free) + Number(btc.locked) : 0, 8);

    for (const text of [...lines, ...all.map((e) => JSON.stringify(e))]) {
      expect(text).not.toContain(API_KEY);
      expect(text).not.toContain(SECRET);
    }
  }, 120_000);
});
