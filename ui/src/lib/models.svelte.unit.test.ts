// Training runs and the models lists: a run is polled through transient errors until it finishes, an API that forgot the job ends it, and one list failing keeps the other.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from './api.ts';
import { ModelsView, TrainingJobs, type TrainingRun } from './models.svelte.ts';
import { ApiToken } from './token.svelte.ts';

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const job = (status: string, epoch: number | null, loss: number | null = null) => ({ jobId: 'j1', status, model: 'lstm', instrument: 'BTC/USDT', timeframe: '5m', epoch, epochs: 5, loss, version: status === 'succeeded' ? 'lstm-btcusdt-5m@2' : null, metrics: null, error: null, submittedAt: 1, finishedAt: null });
function token(): ApiToken { const t = new ApiToken(null); t.set('t'); return t; }

/** Answers each GET of the job with the next of `answers` (a status code alone is an error answer). */
function polling(answers: (ReturnType<typeof job> | number)[]) {
  vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
    if (init?.method === 'POST') return json(202, { jobId: 'j1' });
    expect(url).toBe('/api/v1/models/train/j1');
    const a = answers.length > 1 ? answers.shift()! : answers[0]!;
    return typeof a === 'number' ? json(a, { error: { kind: a === 404 ? 'NotFound' : 'HttpError', message: `answered ${a}` } }) : json(200, a);
  }));
}

afterEach(() => vi.unstubAllGlobals());

describe('TrainingJobs', () => {
  it('polls through a dropped answer until the job succeeds, then reports the finished run once', async () => {
    polling([job('queued', null), job('running', 1, 0.7), 502, job('running', 1, 0.7), job('running', 3, 0.6), job('succeeded', 5, 0.5)]);
    const finished: TrainingRun[] = [];
    const jobs = new TrainingJobs(token(), (r) => finished.push(r), 1);
    expect(await jobs.submit({ model: 'lstm', instrument: 'BTC/USDT', timeframe: '5m', epochs: 5 })).toBe('j1');
    expect(jobs.active).toBe(true);
    await expect.poll(() => finished.length).toBe(1);
    expect(finished[0]!.job?.version).toBe('lstm-btcusdt-5m@2');
    expect(jobs.runs.map((r) => [r.job?.status, r.error])).toEqual([['succeeded', null]]);
    // One loss per epoch seen: a repeated reading is not a new point.
    expect(jobs.runs[0]!.losses).toEqual([0.7, 0.6, 0.5]);
    expect(jobs.active).toBe(false);
  });

  it('ends a run whose job the API no longer knows (restarted) with that reason instead of polling forever', async () => {
    polling([job('running', 1), 404]);
    const finished: TrainingRun[] = [];
    const jobs = new TrainingJobs(token(), (r) => finished.push(r), 1);
    await jobs.submit({ model: 'lstm', instrument: 'BTC/USDT', timeframe: '5m' });
    await expect.poll(() => finished.length).toBe(1);
    expect(jobs.runs[0]!.error).toBe('answered 404');
    expect(jobs.runs[0]!.job?.epoch).toBe(1);
    expect(jobs.active).toBe(false);
  });

  it('queues nothing when the API refuses the request', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json(503, { error: { kind: 'Unavailable', message: 'no training here' } })));
    const jobs = new TrainingJobs(token(), () => undefined, 1);
    const e = await jobs.submit({ model: 'xgboost', instrument: 'BTC/USDT', timeframe: '5m' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect([(e as ApiError).status, (e as ApiError).kind]).toEqual([503, 'Unavailable']);
    expect(jobs.runs).toEqual([]);
  });
});

describe('ModelsView', () => {
  it('keeps the families when the experiments fail to load, and says why', async () => {
    vi.stubGlobal('fetch', vi.fn(async (url: string) => (url.startsWith('/api/v1/experiments')
      ? json(500, { error: { kind: 'InfrastructureError', message: 'read model unavailable' } })
      : json(200, [{ family: 'f', instrument: 'BTC/USDT', timeframe: '5m', champion: null, versions: [] }]))));
    const view = new ModelsView();
    expect(view.loaded).toBe(false);
    await view.refresh();
    expect(view.loaded).toBe(true);
    expect(view.families.map((f) => f.family)).toEqual(['f']);
    expect(view.error).toBeNull();
    expect(view.experimentsError?.message).toBe('read model unavailable');
    expect(view.experiments).toEqual([]);
  });

  it('drops an answer that arrives after a newer one (a timer reload overtaken by the reload after a promote)', async () => {
    const pending: ((r: Response) => void)[] = [];
    vi.stubGlobal('fetch', vi.fn((url: string) => (url.startsWith('/api/v1/experiments') ? Promise.resolve(json(200, [])) : new Promise<Response>((r) => pending.push(r)))));
    const view = new ModelsView();
    const older = view.refresh();
    const newer = view.refresh();
    const family = (champion: string) => [{ family: 'f', instrument: 'BTC/USDT', timeframe: '5m', champion, versions: [] }];
    pending[1]!(json(200, family('f@2')));
    await newer;
    pending[0]!(json(200, family('f@1')));
    await older;
    expect(view.families[0]!.champion).toBe('f@2');
  });
});
