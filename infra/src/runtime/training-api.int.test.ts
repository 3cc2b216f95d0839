// Training a model through the running system's API: POST /models/train, progress and result by polling, the version in the registry; failures and bad requests answered while the API keeps serving.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '@qts/adapters/testing';
import { makeEvent, uuidv7Ids, type DomainEvent } from '@qts/schemas';
import { loadConfig, type RuntimeConfig } from './config.ts';
import { openInfrastructure, startWorkers, systemClock, type Infrastructure, type RunningSystem } from './compose.ts';
import { createLogger } from './log.ts';
import { SystemMetrics } from '../observability/metrics.ts';
import { startReadSide, type ReadSide } from './read-side.ts';

const BARS = 600;
const sample = join(mkdtempSync(join(tmpdir(), 'qts-train-api-')), 'BTCUSDT-5m.csv');
const lines = readFileSync(resolve(import.meta.dirname, '../../data/sample/BTCUSDT-5m.csv'), 'utf8').split('\n');
writeFileSync(sample, lines.slice(0, BARS + 1).join('\n'));
const token = 'training-api-test-token';
const log = createLogger('test', 'silent');

let config: RuntimeConfig;
let infra: Infrastructure;
let system: RunningSystem;
/** The one-process read side (projector + API + feed) and an API-only one (the `api` worker's path) over the same store. */
let embedded: ReadSide;
let apiOnly: ReadSide;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'qts-train-api-cfg-'));
  writeFileSync(join(dir, 'qts.config.json'), JSON.stringify({
    dataDir: join(dir, 'data'), api: { port: 0 },
    market: { kind: 'replay', files: [{ path: sample, instrument: 'BTC/USDT', timeframe: '5m', venue: 'replay' }], barsPerSecond: 0 },
  }));
  config = loadConfig({ env: {}, cwd: dir }).config;
  infra = await openInfrastructure(config, log);
  // The bars are recorded as the running system records them: replay feed on the bus, recorder into the store.
  system = await startWorkers(config, infra, ['recorder', 'ingest'], log);
  await system.replayDone;
  await eventually(async () => {
    let n = 0;
    for await (const s of infra.store.readStream('bars-replay.BTC_USDT.5m')) if (s.event.type === 'BarClosed') n++;
    expect(n).toBe(BARS);
  }, { timeoutMs: 30_000 });
  // 1h bars backfilled from an exchange the feed does not use: found through the venues the read models know.
  await infra.store.append('bars-binance.BTC_USDT.1h', hourlyBars(300), 'no_stream');
  embedded = await startReadSide(config, { apiToken: token }, infra, { projector: true, api: true }, log, systemClock);
  // A process of its own would have its own metrics registry.
  apiOnly = await startReadSide(config, { apiToken: token }, { ...infra, metrics: new SystemMetrics() }, { projector: false, api: true }, log, systemClock);
}, 90_000);

afterAll(async () => {
  await apiOnly?.close();
  await embedded?.close();
  await system?.stop();
  await infra?.close();
});

const post = (side: ReadSide, path: string, body: unknown) => fetch(`${side.api!.url}/api/v1${path}`, {
  method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body),
});
const get = async (side: ReadSide, path: string) => {
  const res = await fetch(`${side.api!.url}/api/v1${path}`);
  return { status: res.status, body: await res.json() as Record<string, unknown> };
};

const HOUR = 3_600_000;
const hourStart = Date.UTC(2024, 0, 1);
function hourlyBars(n: number): DomainEvent[] {
  return lines.slice(1, n + 1).map((l, i) => {
    const [, open, high, low, close, volume] = l.split(',').map(Number) as [number, number, number, number, number, number];
    const openTime = hourStart + i * HOUR;
    return makeEvent('BarClosed', { venue: 'binance', instrument: 'BTC/USDT', timeframe: '1h', openTime, closeTime: openTime + HOUR, open, high, low, close, volume },
      { id: uuidv7Ids(openTime), occurredAt: openTime + HOUR, recordedAt: openTime + HOUR });
  });
}

async function modelEvents(family: string): Promise<DomainEvent[]> {
  const out: DomainEvent[] = [];
  for await (const s of infra.store.readStream(`model-${family}`)) out.push(s.event);
  return out;
}

describe('POST /api/v1/models/train', () => {
  it('trains an LSTM on the recorded bars in a child process, shows its epochs and loss, registers and promotes the version', async () => {
    const res = await post(embedded, '/models/train', { model: 'lstm', instrument: 'BTC/USDT', timeframe: '5m', epochs: 2, window: 16, batchSize: 32, seed: 3, promote: true });
    expect(res.status).toBe(202);
    const { jobId } = await res.json() as { jobId: string };
    const seen = new Set<unknown>();
    const job = await eventually(async () => {
      const r = await get(embedded, `/models/train/${jobId}`);
      expect(r.status).toBe(200);
      seen.add(r.body['status']);
      expect(r.body['status']).toBe('succeeded');
      return r.body;
    }, { timeoutMs: 150_000, intervalMs: 100 });
    // The API answered while the job ran: its status was seen before it finished.
    expect(seen.has('queued') || seen.has('running')).toBe(true);
    expect(job).toMatchObject({
      jobId, model: 'lstm', instrument: 'BTC/USDT', timeframe: '5m', epoch: 2, epochs: 2, loss: expect.any(Number) as number,
      version: 'lstm-btcusdt-5m@1', error: null, finishedAt: expect.any(Number) as number,
    });
    const metrics = job['metrics'] as Record<string, number>;
    expect(metrics['accuracy']).toBeGreaterThan(0);
    expect(metrics['testSamples']).toBeGreaterThan(10);

    const events = await modelEvents('lstm-btcusdt-5m');
    expect(events.map((e) => e.type)).toEqual(['ModelTrained', 'ModelPromoted']);
    const trained = events[0]!.data as { version: string; metrics: unknown; dataRange: { bars: number }; seed: number; artifact: string; artifactHash: string; params: Record<string, unknown> };
    expect(trained).toMatchObject({ version: 'lstm-btcusdt-5m@1', metrics, seed: 3, dataRange: { bars: BARS } });
    expect(trained.params).toMatchObject({ epochs: 2, window: 16, batchSize: 32 });
    const bytes = readFileSync(join(config.dataDir, 'models', trained.artifact));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(trained.artifactHash);
    expect(events[1]!.data).toMatchObject({ version: 'lstm-btcusdt-5m@1' });
    // The registry's read model shows it as the family's champion.
    await eventually(async () => expect((await get(embedded, '/models/lstm-btcusdt-5m')).body).toMatchObject({ champion: 'lstm-btcusdt-5m@1' }), { timeoutMs: 15_000 });
  }, 200_000);

  it('a job with too little history fails with the reason while the API keeps serving (the api worker path, bars of a backfilled venue); bad requests are 400 naming the field', async () => {
    await eventually(async () => expect((await get(apiOnly, '/instruments')).body).toContainEqual(expect.objectContaining({ venue: 'binance', instrument: 'BTC/USDT' })), { timeoutMs: 15_000 });
    const res = await post(apiOnly, '/models/train', { model: 'xgboost', instrument: 'BTC/USDT', timeframe: '1h', from: hourStart + 200 * HOUR });
    expect(res.status).toBe(202);
    const { jobId } = await res.json() as { jobId: string };
    const job = await eventually(async () => {
      const r = await get(apiOnly, `/models/train/${jobId}`);
      expect(r.body['status']).toBe('failed');
      return r.body;
    }, { timeoutMs: 90_000, intervalMs: 100 });
    expect(job).toMatchObject({ version: null, metrics: null, epoch: null, loss: null, finishedAt: expect.any(Number) as number });
    // 100 of the binance stream's 300 bars are after `from`: the replay feed has no 1h bars at all.
    expect(job['error']).toMatch(/^too little history: 100 bars/);
    expect((await get(apiOnly, '/instruments')).status).toBe(200);
    expect((await get(apiOnly, '/models/train/train-unknown')).status).toBe(404);

    for (const [body, field] of [
      [{ model: 'lstm', instrument: 'BTC/USDT', timeframe: '2h' }, 'body.timeframe'],
      [{ model: 'forest', instrument: 'BTC/USDT', timeframe: '5m' }, 'body.model'],
      [{ model: 'lstm', instrument: 'BTC/USDT', timeframe: '5m', epochs: 0 }, 'body.epochs'],
    ] as const) {
      const bad = await post(apiOnly, '/models/train', body);
      expect(bad.status).toBe(400);
      const error = (await bad.json() as { error: { kind: string; issues: { path: string }[] } }).error;
      expect(error.kind).toBe('ValidationError');
      expect(error.issues.map((i) => i.path)).toContain(field);
    }
  }, 150_000);
});
