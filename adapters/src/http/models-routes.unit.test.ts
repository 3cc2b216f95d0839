// The training routes over a training-jobs port: the request validated with its defaults before the port, the job's view served back.
import { afterEach, describe, expect, it } from 'vitest';
import type { EventStore } from '@qts/core';
import { tokenFromSecret } from './auth.ts';
import type { BacktestJobs, Commands, ModelTrainingJobs, ReadModels } from './ports.ts';
import type { TrainJobView, TrainRequest } from './schemas.ts';
import { startApiServer, type ApiServer } from './server.ts';

/** Ports these tests never reach: any call is a failure of the test, not an answer. */
const unreachable = new Proxy({}, { get: (_t, name) => () => { throw new Error(`port method ${String(name)} must not be called here`); } });

/** Keeps what it was asked to run; each job's view is built from its request, as a runner's would be before it starts. */
class RecordingJobs implements ModelTrainingJobs {
  readonly submitted: { request: TrainRequest; by: string }[] = [];
  async submit(request: TrainRequest, by: string) {
    this.submitted.push({ request, by });
    return { jobId: `train-${this.submitted.length}` };
  }
  async get(jobId: string): Promise<TrainJobView | null> {
    const n = Number(/^train-(\d+)$/.exec(jobId)?.[1] ?? NaN);
    const s = this.submitted[n - 1];
    if (!s) return null;
    return {
      jobId, status: 'queued', model: s.request.model, instrument: s.request.instrument, timeframe: s.request.timeframe,
      epoch: null, epochs: s.request.epochs, loss: null, version: null, metrics: null, error: null, submittedAt: 1, finishedAt: null,
    };
  }
}

let server: ApiServer | null = null;
afterEach(async () => { await server?.close(); server = null; });

async function post(url: string, path: string, body: unknown, token: string | null = 't0ken') {
  const r = await fetch(`${url}/api/v1${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body),
  });
  return { status: r.status, json: (await r.json()) as { jobId?: string; error?: { kind: string; issues?: { path: string }[] } } };
}

describe('POST /models/train and GET /models/train/:jobId', () => {
  it('queues a valid request with its defaults filled in, and serves the job by id', async () => {
    const jobs = new RecordingJobs();
    server = await startApiServer({
      read: unreachable as ReadModels, commands: unreachable as Commands, backtests: unreachable as BacktestJobs, store: unreachable as EventStore,
      token: tokenFromSecret('t0ken'), rateLimit: false, training: jobs,
    });
    const r = await post(server.url, '/models/train', { model: 'lstm', instrument: 'BTC/USDT', timeframe: '1h', epochs: 3 });
    expect(r).toEqual({ status: 202, json: { jobId: 'train-1' } });
    expect(jobs.submitted).toEqual([{ request: { model: 'lstm', instrument: 'BTC/USDT', timeframe: '1h', epochs: 3, horizon: 4, window: 32, batchSize: 64, seed: 1, promote: false }, by: 'api' }]);
    const view = await fetch(`${server.url}/api/v1/models/train/train-1`);
    expect(await view.json()).toMatchObject({ jobId: 'train-1', status: 'queued', model: 'lstm', epochs: 3 });
    expect((await fetch(`${server.url}/api/v1/models/train/train-9`)).status).toBe(404);
  });

  it('a request it cannot run is a 400 naming each field, and never reaches the jobs; no token is a 401', async () => {
    const jobs = new RecordingJobs();
    server = await startApiServer({
      read: unreachable as ReadModels, commands: unreachable as Commands, backtests: unreachable as BacktestJobs, store: unreachable as EventStore,
      token: tokenFromSecret('t0ken'), rateLimit: false, training: jobs,
    });
    const bad = await post(server.url, '/models/train', { model: 'gpt', instrument: 'BTC/USDT', timeframe: 'tick', epochs: 0, horizon: 501 });
    expect(bad.status).toBe(400);
    expect(bad.json.error!.issues!.map((i) => i.path).sort()).toEqual(['body.epochs', 'body.horizon', 'body.model', 'body.timeframe']);
    const backwards = await post(server.url, '/models/train', { model: 'xgboost', instrument: 'BTC/USDT', timeframe: '1h', from: 2000, to: 1000 });
    expect(backwards.json.error!.issues!.map((i) => i.path)).toEqual(['body.to']);
    expect((await post(server.url, '/models/train', { model: 'xgboost', instrument: 'BTC/USDT', timeframe: '1h' }, null)).status).toBe(401);
    expect(jobs.submitted).toEqual([]);
  });
});
