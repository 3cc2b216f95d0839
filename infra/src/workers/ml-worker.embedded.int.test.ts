// qts start with a model strategy: the composition root runs the ml worker, the paper executor waits for its markers, and the books equal a backtest of the same model on the same bars.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mlStrategy, parseBarsCsv, runBacktest, sliceSeries } from '@qts/core';
import { FileModelStorage, ModelRegistry, trainModel } from '@qts/adapters/ml';
import { eventually } from '@qts/adapters/testing';
import { uuidv7Ids, type DomainEvent } from '@qts/schemas';
import { loadConfig } from '../runtime/config.ts';
import { openInfrastructure, startWorkers, type Infrastructure, type RunningSystem } from '../runtime/compose.ts';
import { createLogger } from '../runtime/log.ts';

const csv = readFileSync(resolve(import.meta.dirname, '../../data/sample/BTCUSDT-5m.csv'), 'utf8').split('\n');
const all = parseBarsCsv(csv.join('\n'), { instrument: 'BTC/USDT', timeframe: '5m', venue: 'replay' }).series;
// Trained on bars before 1100, traded live on the 150 after them.
const sample = join(mkdtempSync(join(tmpdir(), 'qts-ml-sample-')), 'BTCUSDT-5m.csv');
writeFileSync(sample, [csv[0], ...csv.slice(1101, 1251)].join('\n'));
const live = parseBarsCsv(readFileSync(sample, 'utf8'), { instrument: 'BTC/USDT', timeframe: '5m', venue: 'replay' }).series;
const lastClose = live.openTime[live.length - 1]! + 300_000;
const log = createLogger('test', 'warn');
const params = { longAbove: 0.52, shortBelow: 0.48 };

let running: { infra: Infrastructure; system: RunningSystem } | null = null;
afterAll(async () => {
  await running?.system.stop();
  await running?.infra.close();
});

describe('qts start with a model strategy', () => {
  it('serves the promoted model, the executor trades its signals in event time, and the books equal a backtest of that model', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'qts-ml-emb-'));
    const modelDir = join(dataDir, 'models');
    const dir = mkdtempSync(join(tmpdir(), 'qts-ml-cfg-'));
    writeFileSync(join(dir, 'qts.config.json'), JSON.stringify({
      dataDir, modelDir, strategies: [],
      market: { kind: 'replay', files: [{ path: sample, instrument: 'BTC/USDT', timeframe: '5m', venue: 'replay' }], barsPerSecond: 0 },
      models: [{ id: 'xgb-btc', family: 'xgboost-btcusdt-5m', instrument: 'BTC/USDT', timeframe: '5m', params }],
    }));
    const config = loadConfig({ env: {}, cwd: dir }).config;
    const infra = await openInfrastructure(config, log);
    const trained = await trainModel({ kind: 'xgboost', series: sliceSeries(all, 0, 1100), horizon: 4, window: 4, seed: 1, xgboost: { iterations: 15, maxDepth: 2 } });
    const registry = new ModelRegistry({ store: infra.store, storage: new FileModelStorage(modelDir), ids: uuidv7Ids, now: () => Date.now() });
    const version = await registry.register({ model: trained.model, instrument: 'BTC/USDT', timeframe: '5m', metrics: {}, dataRange: trained.dataRange, codeVersion: 'test', seed: 1 });
    await registry.promote(version, 'test', 'test');

    const system = await startWorkers(config, infra, ['recorder', 'executor', 'strategy', 'ml', 'ingest'], log);
    running = { infra, system };
    await system.replayDone;
    await eventually(() => expect(system.executor!.books()['BTC/USDT']!.tradedThrough).toBe(lastClose), { timeoutMs: 50_000 });

    const strategy = mlStrategy(await registry.load(version));
    const expected = runBacktest({ bars: live, strategy, params, cash: 10_000, venue: { slippageBps: 2, makerFeeBps: 2, takerFeeBps: 10 } });
    expect(expected.fills).toBeGreaterThan(4);
    const signals: DomainEvent<'SignalEmitted'>[] = [];
    await eventually(async () => {
      signals.length = 0;
      let fills = 0;
      for await (const { event } of infra.store.readAll()) {
        if (event.type === 'SignalEmitted') signals.push(event);
        if (event.type === 'OrderFilled') fills++;
      }
      expect(signals).toHaveLength(expected.signals);
      expect(fills).toBe(expected.fills);
    }, { timeoutMs: 20_000 });
    expect(signals.every((s) => s.data.model?.version === version)).toBe(true);
    const book = system.executor!.books()['BTC/USDT']!;
    expect(book.position).toBeCloseTo(expected.openPosition, 9);
    expect(book.cash + book.position * live.close[live.length - 1]!).toBeCloseTo(expected.equityCurve.equity[live.length - 1]!, 6);
  });
});
