// The embedded system trades recorded data like a backtest does, and a restart resumes without doubling anything.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseBarsCsv, runBacktest, smaCross, type EventStore } from '@qts/core';
import { eventually } from '@qts/adapters/testing';
import { loadConfig, type RuntimeConfig } from './config.ts';
import { openInfrastructure, startWorkers, type Infrastructure, type RunningSystem } from './compose.ts';
import { createLogger } from './log.ts';

// The first 600 bars of the bundled sample: enough for several round trips, small enough for a quick test.
const sample = join(mkdtempSync(join(tmpdir(), 'qts-sample-')), 'BTCUSDT-5m.csv');
writeFileSync(sample, readFileSync(resolve(import.meta.dirname, '../../data/sample/BTCUSDT-5m.csv'), 'utf8').split('\n').slice(0, 601).join('\n'));
const series = parseBarsCsv(readFileSync(sample, 'utf8'), { instrument: 'BTC/USDT', timeframe: '5m', venue: 'replay' }).series;
const lastClose = series.openTime[series.length - 1]! + 300_000;
const log = createLogger('test', 'warn');

function configFor(dataDir: string, barsPerSecond = 0): RuntimeConfig {
  const file = { dataDir, market: { kind: 'replay', files: [{ path: sample, instrument: 'BTC/USDT', timeframe: '5m', venue: 'replay' }], barsPerSecond } };
  const dir = mkdtempSync(join(tmpdir(), 'qts-cfg-'));
  writeFileSync(join(dir, 'qts.config.json'), JSON.stringify(file));
  return loadConfig({ env: {}, cwd: dir }).config;
}

async function countByType(store: EventStore): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for await (const { event } of store.readAll()) out[event.type] = (out[event.type] ?? 0) + 1;
  return out;
}

let running: { infra: Infrastructure; system: RunningSystem } | null = null;
afterEach(async () => {
  if (running) {
    await running.system.stop();
    await running.infra.close();
    running = null;
  }
});

async function start(config: RuntimeConfig) {
  const infra = await openInfrastructure(config, log);
  const system = await startWorkers(config, infra, ['recorder', 'executor', 'strategy', 'ingest'], log);
  running = { infra, system };
  return running;
}

async function stop(): Promise<void> {
  if (!running) return;
  await running.system.stop();
  await running.infra.close();
  running = null;
}

describe('embedded system on recorded data', () => {
  const expected = runBacktest({
    bars: series, strategy: smaCross, params: { fast: 10, slow: 30 }, cash: 10_000,
    venue: { slippageBps: 2, makerFeeBps: 2, takerFeeBps: 10 },
  });

  // The waits inside add up past vitest's default 60 s: on a loaded 2-core machine the replay runs 5x slower.
  it('trades the replay exactly as a backtest of the same bars does', { timeout: 240_000 }, async () => {
    const { infra, system } = await start(configFor(mkdtempSync(join(tmpdir(), 'qts-emb-'))));
    await system.replayDone;
    await eventually(() => expect(system.executor!.books()['BTC/USDT']!.tradedThrough).toBe(lastClose), { timeoutMs: 60_000 });
    const book = system.executor!.books()['BTC/USDT']!;
    expect(expected.fills).toBeGreaterThan(4);
    expect(book.position).toBeCloseTo(expected.openPosition, 9);
    await eventually(async () => {
      const counts = await countByType(infra.store);
      expect(counts.BarClosed).toBe(series.length);
      expect(counts.SignalEmitted).toBe(expected.signals);
      expect(counts.OrderRequested).toBe(expected.orders);
      expect(counts.OrderFilled).toBe(expected.fills);
    }, { timeoutMs: 30_000 });
    const equity = book.cash + book.position * series.close[series.length - 1]!;
    expect(equity).toBeCloseTo(expected.equityCurve.equity[series.length - 1]!, 6);
    // The configured strategy's start is on record once, for the audit and the read models.
    const control = [];
    for await (const s of infra.store.readStream('strategy-sma-btc')) control.push(s.event);
    expect(control).toMatchObject([{ type: 'StrategyStarted', data: { kind: 'sma-cross', by: 'config', params: { fast: 10, slow: 30 } } }]);
  });

  it('resumes after a stop mid-replay with no event twice and the same final books', { timeout: 240_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'qts-emb-'));
    const first = await start(configFor(dataDir, 400));
    await eventually(() => expect(first.system.executor!.books()['BTC/USDT']?.tradedThrough ?? 0).toBeGreaterThan(series.openTime[series.length / 2 | 0]!), { timeoutMs: 60_000 });
    await stop();

    const second = await start(configFor(dataDir, 0));
    await second.system.replayDone;
    await eventually(() => expect(second.system.executor!.books()['BTC/USDT']!.tradedThrough).toBe(lastClose), { timeoutMs: 60_000 });
    await eventually(async () => {
      const counts = await countByType(second.infra.store);
      expect(counts.BarClosed).toBe(series.length);
      expect(counts.OrderRequested).toBe(expected.orders);
      expect(counts.OrderFilled).toBe(expected.fills);
    }, { timeoutMs: 30_000 });
    const book = second.system.executor!.books()['BTC/USDT']!;
    expect(book.position).toBeCloseTo(expected.openPosition, 9);
    expect(book.cash + book.position * series.close[series.length - 1]!).toBeCloseTo(expected.equityCurve.equity[series.length - 1]!, 6);
  });
});
