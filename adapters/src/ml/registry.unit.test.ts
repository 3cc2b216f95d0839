// The model registry on a PGlite event store and a directory: immutable numbered versions, exact reload, promotion and retirement as events, refusals.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorruptModelArtifact, defaultFeatureSpec, ModelIncompatible, ValidationError } from '@qts/core';
import type { BarSeries, EventStore } from '@qts/core';
import { loadBars } from '@qts/core/testing';
import { seededIds } from '@qts/schemas';
import { PostgresEventStore } from '../event-store/postgres-event-store.ts';
import { encodeArtifact } from './models.ts';
import { ModelRegistry } from './registry.ts';
import { ScheduledRetrainer } from './retrain.ts';
import { FileModelStorage, InMemoryModelStorage } from './storage.ts';
import { initTf } from './tf.ts';
import { trainModel } from './training.ts';
import type { TrainResult } from './training.ts';

const raw = loadBars('BTCUSDT-5m');
const n = 1200;
const series: BarSeries = {
  instrument: 'BTC/USDT', venue: 'recorded', timeframe: '5m', length: n, openTime: raw.time.slice(0, n), open: raw.open.slice(0, n),
  high: raw.high.slice(0, n), low: raw.low.slice(0, n), close: raw.close.slice(0, n), volume: raw.volume.slice(0, n),
};

let store: EventStore;
let dir: string;
let registry: ModelRegistry;
let lstm: TrainResult;
let clock = Date.UTC(2026, 0, 1);

beforeAll(async () => {
  await initTf(() => {});
  store = await PostgresEventStore.openPglite('memory://', { pollIntervalMs: 60_000 });
  dir = await mkdtemp(join(tmpdir(), 'qts-models-'));
  registry = new ModelRegistry({ store, storage: new FileModelStorage(dir), ids: seededIds(5), now: () => (clock += 1000) });
  lstm = await trainModel({ kind: 'lstm', series, horizon: 4, window: 8, epochs: 2, seed: 3, lstm: { units: 8 } });
}, 120_000);

afterAll(async () => { await store?.close(); });

const meta = (r: TrainResult) => ({ instrument: 'BTC/USDT', timeframe: '1h' as const, metrics: { accuracy: r.metrics.accuracy, logLoss: r.metrics.logLoss, rocAuc: r.metrics.rocAuc }, dataRange: r.dataRange, codeVersion: 'test', seed: 3 });

describe('ModelRegistry', () => {
  it('registers immutable numbered versions with their metrics, params, feature-spec hash, data range and code version', async () => {
    const v1 = await registry.register({ model: lstm.model, ...meta(lstm) });
    const other = await trainModel({ kind: 'lstm', series, horizon: 4, window: 8, epochs: 1, seed: 4, lstm: { units: 8 } });
    const v2 = await registry.register({ model: other.model, ...meta(other) });
    expect([v1, v2]).toEqual(['lstm-btcusdt-1h@1', 'lstm-btcusdt-1h@2']);
    expect(lstm.model.version).toBe(v1);
    const events = [];
    for await (const s of store.readStream('model-lstm-btcusdt-1h')) events.push(s.event);
    expect(events.map((e) => e.type)).toEqual(['ModelTrained', 'ModelTrained']);
    const t = events[0]!.data as Record<string, unknown>;
    expect(t).toMatchObject({ version: v1, kind: 'lstm', featureSpecHash: lstm.model.featureSpecHash, dataRange: lstm.dataRange, codeVersion: 'test', artifact: 'lstm-btcusdt-1h/1.json' });
    expect((t['params'] as Record<string, unknown>)['units']).toBe(8);
    expect((t['metrics'] as Record<string, unknown>)['accuracy']).toBe(lstm.metrics.accuracy);
    other.model.dispose();
  });

  it('loads a version that reproduces its predictions exactly', async () => {
    const loaded = await registry.load('lstm-btcusdt-1h@1', { workerFeatureSpec: defaultFeatureSpec() });
    const w = new Float32Array(8 * lstm.model.scaler.mean.length).map((_, i) => Math.cos(i));
    expect(loaded.version).toBe('lstm-btcusdt-1h@1');
    expect(loaded.predict(w)).toBe(lstm.model.predict(w));
    loaded.dispose();
  });

  it('registers an artifact another process trained (its kind, params and feature spec), which loads and predicts as the original; refuses bytes that are no artifact', async () => {
    const other = await trainModel({ kind: 'lstm', series, horizon: 4, window: 8, epochs: 1, seed: 6, lstm: { units: 8 } });
    const bytes = encodeArtifact(await other.model.toArtifact());
    const elsewhere = new ModelRegistry({ store, storage: new FileModelStorage(await mkdtemp(join(tmpdir(), 'qts-models-'))), ids: seededIds(8), now: () => (clock += 1000) });
    const v = await elsewhere.registerArtifact({ artifact: bytes, ...meta(other), instrument: 'ETH/USDT' });
    expect(v).toBe('lstm-ethusdt-1h@1');
    let trained: Record<string, unknown> | undefined;
    for await (const s of store.readStream('model-lstm-ethusdt-1h')) trained = s.event.data as Record<string, unknown>;
    expect(trained).toMatchObject({ kind: 'lstm', featureSpecHash: other.model.featureSpecHash, dataRange: other.dataRange, seed: 3 });
    expect((trained!['params'] as Record<string, unknown>)['units']).toBe(8);
    const loaded = await elsewhere.load(v, { workerFeatureSpec: defaultFeatureSpec() });
    const w = new Float32Array(8 * other.model.scaler.mean.length).map((_, i) => Math.sin(i));
    expect(loaded.predict(w)).toBe(other.model.predict(w));
    loaded.dispose();
    other.model.dispose();
    await expect(elsewhere.registerArtifact({ artifact: new TextEncoder().encode('{"format":"zip"}'), ...meta(lstm), instrument: 'ETH/USDT' })).rejects.toThrow(CorruptModelArtifact);
  });

  it('refuses a worker whose feature spec differs, an unknown version, and a tampered artifact', async () => {
    await expect(registry.load('lstm-btcusdt-1h@1', { workerFeatureSpec: { ...defaultFeatureSpec(), returns: [1, 2] } })).rejects.toThrow(ModelIncompatible);
    await expect(registry.load('lstm-btcusdt-1h@1', { workerFeatureSpec: { ...defaultFeatureSpec(), returns: [1, 2] } })).rejects.toThrow(/trained on feature spec [0-9a-f]{16} but this worker computes [0-9a-f]{16}/);
    await expect(registry.load('lstm-btcusdt-1h@9')).rejects.toThrow(/not in the registry/);
    const file = join(dir, 'lstm-btcusdt-1h', '2.json');
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('"units":8', '"units":9'));
    await expect(registry.load('lstm-btcusdt-1h@2')).rejects.toThrow(CorruptModelArtifact);
    await writeFile(file, text);
    // Immutable: the same key cannot be overwritten with other bytes.
    await expect(new FileModelStorage(dir).put('lstm-btcusdt-1h/1.json', new TextEncoder().encode('{}'))).rejects.toThrow(/immutable/);
  });

  it('promotes and retires as events; a retired version is not served', async () => {
    await registry.promote('lstm-btcusdt-1h@1', 'first', 'alice');
    await registry.promote('lstm-btcusdt-1h@2', 'better AUC', 'alice');
    expect(await registry.champion('lstm-btcusdt-1h')).toBe('lstm-btcusdt-1h@2');
    await registry.retire('lstm-btcusdt-1h@2', 'drift', 'bob');
    expect(await registry.champion('lstm-btcusdt-1h')).toBeNull();
    await expect(registry.load('lstm-btcusdt-1h@2')).rejects.toThrow(/retired/);
    await expect(registry.promote('lstm-btcusdt-1h@2', 'again', 'bob')).rejects.toThrow(ValidationError);
    const types = [];
    for await (const s of store.readStream('model-lstm-btcusdt-1h')) types.push(s.event.type);
    expect(types).toEqual(['ModelTrained', 'ModelTrained', 'ModelPromoted', 'ModelPromoted', 'ModelRetired']);
    clock += 100 * 3_600_000;
    expect(await registry.expire('lstm-btcusdt-1h', 24 * 3_600_000, 'scheduler')).toEqual(['lstm-btcusdt-1h@1']);
  });
});

describe('ScheduledRetrainer', () => {
  it('retrains every N bars on the trailing bars, promotes the first version, and retires expired ones', async () => {
    const own = await PostgresEventStore.openPglite('memory://', { pollIntervalMs: 60_000 });
    let now = Date.UTC(2026, 0, 1);
    const reg = new ModelRegistry({ store: own, storage: new InMemoryModelStorage(), ids: seededIds(9), now: () => now });
    const retrainer = new ScheduledRetrainer(reg, { kind: 'xgboost', horizon: 4, window: 8, seed: 1, xgboost: { iterations: 10 } },
      { everyBars: 300, trainBars: 800, maxAgeMs: 3_600_000 }, { instrument: 'BTC/USDT', timeframe: '5m', codeVersion: 'test' });
    const first = await retrainer.onBar(series, 799);
    expect(first).toMatchObject({ version: 'xgboost-btcusdt-5m@1', promoted: true, retired: [] });
    expect(await retrainer.onBar(series, 900)).toBeNull();
    now += 2 * 3_600_000;
    const second = await retrainer.onBar(series, 1099);
    expect(second!.version).toBe('xgboost-btcusdt-5m@2');
    // @1 is now older than the max age: retired, whatever it was.
    expect(second!.retired).toEqual(['xgboost-btcusdt-5m@1']);
    const { state } = await reg.family('xgboost-btcusdt-5m');
    expect(state.versions.get('xgboost-btcusdt-5m@2')!.trained.dataRange).toEqual({ from: series.openTime[300], to: series.openTime[1099], bars: 800 });
    await own.close();
  }, 60_000);
});
