// The models API on PGlite: stored registry and experiment events served as families and experiments; promote and retire as commands.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReadSide, type ReadSideStack } from './stack.ts';
import { eventFactory, eventually, HISTORY_FAMILY, modelHistory } from './testing.ts';

const FAMILY = HISTORY_FAMILY;
const OTHER = 'xgboost-ethusdt-5m';
const v = (n: number, family = FAMILY) => `${family}@${n}`;
let s: ReadSideStack;

beforeAll(async () => {
  s = await startReadSide();
  const f = eventFactory(11);
  modelHistory(f, f.start);
  f.add('ModelTrained', {
    version: v(1, OTHER), family: OTHER, kind: 'xgboost', instrument: 'ETH/USDT', timeframe: '5m', metrics: { accuracy: 0.52 }, params: { rounds: 50 },
    featureSpecHash: 'spec-x', dataRange: { from: 0, to: 1000, bars: 200 }, codeVersion: 'test', artifact: `${OTHER}/1.json`, artifactHash: 'h', seed: 3, ts: f.start + 500,
  }, f.start + 500);
  await s.append(f.events.map((e) => e.event));
  const last = f.events.length;
  await eventually(async () => expect(Number((await s.read.checkpoints()).models)).toBeGreaterThanOrEqual(last), 20_000);
});
afterAll(async () => { await s?.close(); });

async function call(method: string, path: string, opts: { body?: unknown; token?: string | null } = {}) {
  const headers: Record<string, string> = {};
  const token = opts.token === undefined ? s.token : opts.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${s.api.url}/api/v1${path}`, { method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field below
  return { status: res.status, json: (await res.json()) as any };
}

async function streamTypes(stream: string): Promise<string[]> {
  const out: string[] = [];
  for await (const r of s.store.readStream(stream)) out.push(r.event.type);
  return out;
}

describe('GET /models and /models/:family', () => {
  it('lists each family with its champion and its versions newest first: status, metrics, data range, promotion and retirement', async () => {
    const r = await call('GET', '/models', { token: null });
    expect(r.status).toBe(200);
    expect(r.json.map((f: { family: string }) => f.family)).toEqual([FAMILY, OTHER]);
    const fam = r.json[0];
    expect(fam).toMatchObject({ family: FAMILY, instrument: 'BTC/USDT', timeframe: '1m', champion: v(2) });
    expect(fam.versions.map((x: { version: string; status: string }) => [x.version, x.status])).toEqual([[v(3), 'retired'], [v(2), 'champion'], [v(1), 'challenger']]);
    const [third, second, first] = fam.versions;
    expect(third).toMatchObject({ kind: 'lstm', retireReason: 'worse log loss', promotedAt: null, metrics: { accuracy: 0.5 + 3 / 100, logLoss: 0.7 - 3 / 100, rocAuc: null }, params: { units: 48, lookback: 32 }, seed: 3 });
    expect(third.retiredAt).toBeGreaterThan(third.trainedAt);
    expect(third.dataRange).toEqual({ from: expect.any(Number), to: expect.any(Number), bars: 1440 });
    expect(second.promotedAt).toBeGreaterThan(first.promotedAt);
    expect(first).toMatchObject({ retiredAt: null, retireReason: null, featureSpecHash: `spec-${FAMILY}`, codeVersion: 'test' });
    expect(r.json[1]).toMatchObject({ family: OTHER, champion: null, versions: [{ version: v(1, OTHER), kind: 'xgboost', status: 'challenger' }] });
  });

  it('one family by name; 404 for a family never trained, 400 for a name that cannot be one', async () => {
    const one = await call('GET', `/models/${OTHER}`, { token: null });
    expect(one.json).toMatchObject({ family: OTHER, instrument: 'ETH/USDT', timeframe: '5m' });
    const missing = await call('GET', '/models/lstm-nope-1h', { token: null });
    expect(missing.status).toBe(404);
    expect(missing.json.error.kind).toBe('NotFound');
    const bad = await call('GET', '/models/Not%20A%20Family', { token: null });
    expect(bad.status).toBe(400);
    expect(bad.json.error.issues[0].path).toBe('params.family');
  });
});

describe('GET /experiments', () => {
  it('newest first, with per-variant signal and traded counts; a concluded one carries decision, winner, p-value and stats', async () => {
    const r = await call('GET', '/experiments', { token: null });
    expect(r.status).toBe(200);
    expect(r.json.map((x: { experimentId: string }) => x.experimentId)).toEqual([`ab-${FAMILY}-2`, `ab-${FAMILY}-1`]);
    const [shadow, split] = r.json;
    expect(shadow).toMatchObject({ mode: 'shadow', champion: v(2), status: 'running', concludedAt: null, decision: null, winner: null, pValue: null });
    expect(shadow.variants).toEqual([
      { version: v(2), share: 1, role: 'champion', signals: 1, traded: 1, stats: null },
      { version: v(1), share: 0, role: 'challenger', signals: 1, traded: 0, stats: null },
    ]);
    expect(split).toMatchObject({ mode: 'split', champion: v(1), status: 'concluded', decision: 'promote', winner: v(2), pValue: 0.03 });
    expect(split.concludedAt).toBeGreaterThan(split.startedAt);
    expect(split.variants).toEqual([
      { version: v(1), share: 0.5, role: 'champion', signals: 3, traded: 2, stats: { trades: 3, meanReturn: 0.001 } },
      { version: v(2), share: 0.5, role: 'challenger', signals: 3, traded: 3, stats: { trades: 2, meanReturn: 0.004, sharpe: null } },
    ]);
  });

  it('filters by family; signals are counted per variant, not kept one row each', async () => {
    expect((await call('GET', `/experiments?family=${OTHER}`, { token: null })).json).toEqual([]);
    expect((await call('GET', `/experiments?family=${FAMILY}`, { token: null })).json).toHaveLength(2);
    expect(await s.db.selectFrom('experiment_variants').select('version').execute()).toHaveLength(4);
  });
});

describe('POST /models/:version/promote and /retire', () => {
  it('401 without the token, 403 with a wrong one, 400 naming the field; nothing is written', async () => {
    const before = await streamTypes(`model-${FAMILY}`);
    const none = await call('POST', `/models/${v(1)}/promote`, { body: { reason: 'x' }, token: null });
    expect(none.status).toBe(401);
    expect(none.json.error.kind).toBe('Unauthorized');
    expect((await call('POST', `/models/${v(1)}/retire`, { body: { reason: 'x' }, token: 'not-the-token' })).status).toBe(403);
    const empty = await call('POST', `/models/${v(1)}/promote`, { body: { reason: '' } });
    expect(empty.status).toBe(400);
    expect(empty.json.error.issues.map((i: { path: string }) => i.path)).toEqual(['body.reason']);
    const badVersion = await call('POST', '/models/lstm-btcusdt-1m/promote', { body: { reason: 'x', extra: 1 } });
    expect(badVersion.status).toBe(400);
    expect(badVersion.json.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(['body', 'params.version']);
    expect(await streamTypes(`model-${FAMILY}`)).toEqual(before);
  });

  it('404 for an unknown version, 409 for a retired one or the champion itself', async () => {
    const unknown = await call('POST', `/models/${v(99)}/promote`, { body: { reason: 'x' } });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toEqual({ kind: 'NotFound', message: `model version '${v(99)}' not found` });
    expect((await call('POST', '/models/never-trained@1/retire', { body: { reason: 'x' } })).status).toBe(404);
    const retired = await call('POST', `/models/${v(3)}/promote`, { body: { reason: 'x' } });
    expect(retired.status).toBe(409);
    expect(retired.json.error.message).toContain('retired');
    const champion = await call('POST', `/models/${v(2)}/promote`, { body: { reason: 'x' } });
    expect(champion.status).toBe(409);
    expect(champion.json.error.message).toContain('already the champion');
    expect((await call('POST', `/models/${v(3)}/retire`, { body: { reason: 'x' } })).status).toBe(409);
  });

  it('promote moves the champion (the previous one recorded), GET shows it once projected; retiring the champion leaves none', async () => {
    const promoted = await call('POST', `/models/${v(1)}/promote`, { body: { reason: 'rollback: @2 drifts' } });
    expect(promoted.status).toBe(200);
    expect(promoted.json).toEqual({ version: v(1), family: FAMILY, event: 'ModelPromoted', eventId: expect.any(String) });
    const stored = [];
    for await (const r of s.store.readStream(`model-${FAMILY}`)) stored.push(r.event);
    expect(stored.at(-1)).toMatchObject({ id: promoted.json.eventId, type: 'ModelPromoted', data: { version: v(1), previous: v(2), reason: 'rollback: @2 drifts', by: 'api' } });
    await eventually(async () => {
      const fam = (await call('GET', `/models/${FAMILY}`, { token: null })).json;
      expect(fam.champion).toBe(v(1));
      expect(fam.versions.map((x: { status: string }) => x.status)).toEqual(['retired', 'challenger', 'champion']);
    });
    await eventually(async () => expect((await call('GET', '/models', { token: null })).json[0].champion).toBe(v(1)));

    // As a browser client sends it: the version percent-encoded ('@' as %40).
    const retired = await call('POST', `/models/${encodeURIComponent(v(1))}/retire`, { body: { reason: 'stale' } });
    expect(retired.json).toMatchObject({ version: v(1), event: 'ModelRetired' });
    await eventually(async () => {
      const fam = (await call('GET', `/models/${FAMILY}`, { token: null })).json;
      expect(fam.champion).toBeNull();
      expect(fam.versions[2]).toMatchObject({ status: 'retired', retireReason: 'stale' });
    });
    expect((await call('POST', `/models/${v(1)}/retire`, { body: { reason: 'again' } })).status).toBe(409);
  });
});

describe('training and the API document', () => {
  it('POST /models/train answers 503 Unavailable when this process has no training jobs; a job id is then unknown', async () => {
    const r = await call('POST', '/models/train', { body: { model: 'xgboost', instrument: 'BTC/USDT', timeframe: '1h' } });
    expect(r.status).toBe(503);
    expect(r.json.error.kind).toBe('Unavailable');
    expect(r.json.error.message).toMatch(/training is not available/);
    expect((await call('GET', '/models/train/job-1', { token: null })).status).toBe(404);
  });

  it('OpenAPI documents every models route, the writes behind the token', async () => {
    const doc = (await call('GET', '/openapi.json', { token: null })).json;
    for (const [p, m] of [['/models', 'get'], ['/models/{family}', 'get'], ['/experiments', 'get'], ['/models/{version}/promote', 'post'],
      ['/models/{version}/retire', 'post'], ['/models/train', 'post'], ['/models/train/{jobId}', 'get']] as const) expect(doc.paths[`/api/v1${p}`]?.[m], `${m} ${p}`).toBeDefined();
    expect(doc.paths['/api/v1/models/{version}/promote'].post.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/api/v1/models/train'].post.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/TrainRequest');
    expect(doc.components.schemas.ModelVersion.properties.status.enum).toEqual(['champion', 'challenger', 'retired']);
    expect(Object.keys(doc.paths['/api/v1/models/{version}/promote'].post.responses)).toEqual(expect.arrayContaining(['200', '401', '403', '404', '409']));
  });
});
