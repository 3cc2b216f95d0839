// @vitest-environment happy-dom
// The Models page on given API answers: status badges, metrics per locale, experiments, promote with a reason, training progress, API errors.
import { flushSync, mount, unmount } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { i18n } from '../lib/i18n.svelte.ts';
import type { ExperimentView, ModelFamilyView, ModelVersionView, TrainJobView } from '../lib/models-api.ts';
import { ModelsView, TrainingJobs } from '../lib/models.svelte.ts';
import { apiToken } from '../lib/token.svelte.ts';
import Models from './Models.svelte';

const T0 = Date.UTC(2026, 10, 20, 9, 30);
const version = (n: number, status: ModelVersionView['status'], metrics: Record<string, number | null>): ModelVersionView => ({
  version: `xgb-btcusdt-5m@${n}`, family: 'xgb-btcusdt-5m', kind: 'xgboost', instrument: 'BTC/USDT', timeframe: '5m', status, metrics,
  params: { window: 8, rounds: 50 }, featureSpecHash: 'f3a9c2', dataRange: { from: T0 - 86_400_000 * 30, to: T0 - 86_400_000, bars: 8_640 },
  codeVersion: 'dev', seed: 1, trainedAt: T0 + n * 60_000, promotedAt: status === 'champion' ? T0 + 600_000 : null,
  retiredAt: status === 'retired' ? T0 + 700_000 : null, retireReason: status === 'retired' ? 'worse log loss' : null,
});
const family: ModelFamilyView = {
  family: 'xgb-btcusdt-5m', instrument: 'BTC/USDT', timeframe: '5m', champion: 'xgb-btcusdt-5m@2',
  versions: [
    version(3, 'challenger', { accuracy: 0.5731, logLoss: 0.68123, rocAuc: 0.6012, backtestReturn: 0.0425, backtestTrades: 1234, calibrationGap: 0.0123456 }),
    version(2, 'champion', { accuracy: 0.5612, logLoss: 0.6843, rocAuc: 0.5911, backtestReturn: -0.013, backtestTrades: 980 }),
    version(1, 'retired', { accuracy: 0.51, logLoss: 0.6931, rocAuc: null, backtestReturn: null, backtestTrades: 12 }),
  ],
};
const experiments: ExperimentView[] = [
  {
    experimentId: 'exp-2', family: 'xgb-btcusdt-5m', mode: 'split', champion: 'xgb-btcusdt-5m@2', status: 'concluded', startedAt: T0, concludedAt: T0 + 3_600_000,
    decision: 'promote', winner: 'xgb-btcusdt-5m@3', pValue: 0.0123,
    variants: [
      { version: 'xgb-btcusdt-5m@2', share: 0.5, role: 'champion', signals: 1500, traded: 740, stats: { trades: 40, pnl: -12.5, hitRate: 0.45, maxDrawdown: 30.25, meanReturn: -0.0004 } },
      { version: 'xgb-btcusdt-5m@3', share: 0.5, role: 'challenger', signals: 1498, traded: 758, stats: { trades: 42, pnl: 88.75, hitRate: 0.5714, maxDrawdown: 10, meanReturn: 0.0021 } },
    ],
  },
  {
    experimentId: 'exp-1', family: 'xgb-btcusdt-5m', mode: 'shadow', champion: 'xgb-btcusdt-5m@2', status: 'running', startedAt: T0 - 3_600_000, concludedAt: null,
    decision: null, winner: null, pValue: null,
    variants: [
      { version: 'xgb-btcusdt-5m@2', share: 1, role: 'champion', signals: 20, traded: 20, stats: null },
      { version: 'xgb-btcusdt-5m@1', share: 0, role: 'challenger', signals: 20, traded: 0, stats: null },
    ],
  },
];

type Answer = { status: number; body: unknown };
interface Call { method: string; url: string; body: unknown }
let calls: Call[];
/** The API as a table of answers by "METHOD path"; a function answers in turn (job polling). */
function serve(routes: Record<string, Answer | (() => Answer)>) {
  calls = [];
  vi.stubGlobal('fetch', vi.fn(async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    calls.push({ method, url, body: init?.body ? JSON.parse(String(init.body)) : null });
    const r = routes[`${method} ${url.replace('/api/v1', '')}`];
    const a = typeof r === 'function' ? r() : r ?? { status: 404, body: { error: { kind: 'NotFound', message: `no route ${url}` } } };
    return new Response(JSON.stringify(a.body), { status: a.status, headers: { 'content-type': 'application/json' } });
  }));
}
const ok = (body: unknown): Answer => ({ status: 200, body });
const readRoutes = { 'GET /models': ok([family]), 'GET /experiments': ok(experiments), 'GET /instruments': ok([{ venue: 'replay', instrument: 'BTC/USDT', lastPrice: 1, lastTs: 1 }]) };

let target: HTMLElement;
let app: ReturnType<typeof mount> | null = null;
function open(): { models: ModelsView; training: TrainingJobs } {
  const models = new ModelsView();
  const training = new TrainingJobs(apiToken, () => void models.refresh(), 5);
  target = document.createElement('div');
  document.body.append(target);
  app = mount(Models, { target, props: { models, training, refreshMs: 60_000 } });
  flushSync();
  return { models, training };
}
const q = <E extends Element = HTMLElement>(sel: string) => target.querySelector<E>(sel);
const qa = (sel: string) => [...target.querySelectorAll<HTMLElement>(sel)];
const text = (sel: string) => q(sel)?.textContent?.replace(/\s+/g, ' ').trim() ?? null;
function click(el: HTMLElement | null) { el!.click(); flushSync(); }
function type(el: HTMLInputElement | null, value: string) { el!.value = value; el!.dispatchEvent(new Event('input', { bubbles: true })); flushSync(); }

beforeEach(() => { i18n.lang = 'en'; apiToken.set('test-token'); });
afterEach(() => { if (app) unmount(app); app = null; target?.remove(); vi.unstubAllGlobals(); });

describe('Models page', () => {
  it('lists the champion, challengers and retired versions with their badges, actions and metrics in English and Korean formats', async () => {
    serve(readRoutes);
    open();
    await expect.poll(() => qa('[data-family] tr[data-version]').length).toBe(3);
    expect(text('[data-testid=family-champion]')).toBe('xgb-btcusdt-5m@2');
    const row = (n: number) => `tr[data-version="xgb-btcusdt-5m@${n}"]`;
    expect([3, 2, 1].map((n) => text(`${row(n)} [data-testid=model-status]`))).toEqual(['challenger', 'champion', 'retired']);
    expect([3, 2, 1].map((n) => q(`${row(n)} [data-testid=model-status]`)!.className)).toEqual(['badge challenger', 'badge champion', 'badge retired']);
    // Promote only a challenger; retire anything not yet retired.
    expect([3, 2, 1].map((n) => [!!q(`${row(n)} [data-testid=promote]`), !!q(`${row(n)} [data-testid=retire]`)])).toEqual([[true, true], [false, true], [false, false]]);

    // Known metrics in their order, then the unknown one by name; percent, 4-decimal ratios and counts.
    expect(qa('[data-metric-head]').map((h) => h.dataset.metricHead)).toEqual(['accuracy', 'logLoss', 'rocAuc', 'backtestReturn', 'backtestTrades', 'calibrationGap']);
    expect(qa('[data-metric-head]').map((h) => h.textContent)).toEqual(['Accuracy', 'Log loss', 'ROC AUC', 'BT return', 'BT trades', 'calibrationGap']);
    expect(qa(`${row(3)} td[data-metric]`).map((c) => c.textContent)).toEqual(['57.31%', '0.6812', '0.6012', '4.25%', '1,234', '0.0123']);
    expect(qa(`${row(1)} td[data-metric]`).map((c) => c.textContent)).toEqual(['51.00%', '0.6931', '—', '—', '12', '—']);
    expect(text(`${row(3)} td.range`)).toMatch(/^10\/2[01]\/26 – 11\/(19|20)\/26 \(8,640\)$/);

    i18n.lang = 'ko';
    flushSync();
    expect(text(`${row(2)} [data-testid=model-status]`)).toBe('챔피언');
    expect(qa('[data-metric-head]').map((h) => h.textContent).slice(0, 2)).toEqual(['정확도', '로그 손실']);
    expect(q(`${row(3)} td:nth-child(4)`)!.textContent).toMatch(/^26\. 11\. 20\. (오[전후]|[AP]M) \d{1,2}:\d{2}:\d{2}$/); // Node's ICU may lack Korean day periods
    expect(q(`${row(3)} [data-testid=promote]`)!.textContent).toBe('승격');
    expect(q(`${row(3)} td[data-metric=backtestTrades]`)!.textContent).toBe('1,234');

    // A version's details: params, feature spec, and why it was retired.
    click(q(`${row(1)} button.link`));
    expect(text('[data-testid=version-details]')).toContain('worse log loss');
    expect(text('[data-testid=version-details]')).toContain('{"window":8,"rounds":50}');
  });

  it('shows the newest ten versions and the champion of a long family, and the rest on request', async () => {
    const versions = Array.from({ length: 14 }, (_, k) => version(14 - k, 14 - k === 2 ? 'champion' : 'challenger', { accuracy: 0.5 }));
    serve({ ...readRoutes, 'GET /models': ok([{ ...family, versions }]) });
    open();
    await expect.poll(() => qa('tr[data-version]').length).toBe(11);
    expect(qa('tr[data-version]').at(-1)!.dataset.version).toBe('xgb-btcusdt-5m@2');
    expect(text('[data-testid=more-versions]')).toBe('More (3)');
    click(q('[data-testid=more-versions]'));
    expect(qa('tr[data-version]').map((r) => r.dataset.version)).toEqual(versions.map((v) => v.version));
    expect(q('[data-testid=more-versions]')).toBeNull();
  });

  it('shows each experiment with its decision and p-value, and per variant share, signals, traded and stats', async () => {
    serve(readRoutes);
    open();
    await expect.poll(() => qa('[data-experiment]').length).toBe(2);
    const done = '[data-experiment=exp-2]';
    expect(text(`${done} [data-testid=experiment-status]`)).toBe('concluded');
    expect(text(`${done} [data-testid=experiment-decision]`)).toBe('promote');
    expect(text(`${done} [data-testid=experiment-p]`)).toBe('0.012');
    expect(text(`${done} .exp-head`)).toContain('Winner xgb-btcusdt-5m@3');
    const cells = (v: number) => qa(`${done} tr[data-variant="xgb-btcusdt-5m@${v}"] td.n`).map((c) => c.textContent);
    // share, signals, traded, then trades, hit rate, mean return, pnl, max drawdown
    expect(cells(3)).toEqual(['50.00%', '1,498', '758', '42', '57.14%', '0.21%', '88.75', '10.00']);
    expect(cells(2)).toEqual(['50.00%', '1,500', '740', '40', '45.00%', '-0.04%', '-12.50', '30.25']);
    expect(q(`${done} tr[data-variant="xgb-btcusdt-5m@3"]`)!.classList.contains('selected')).toBe(true);

    const running = '[data-experiment=exp-1]';
    expect(text(`${running} [data-testid=experiment-status]`)).toBe('running');
    expect(q(`${running} [data-testid=experiment-decision]`)).toBeNull();
    expect(text(`${running} [data-testid=experiment-p]`)).toBe('—');
    expect(qa(`${running} tr[data-variant="xgb-btcusdt-5m@1"] td.n`).map((c) => c.textContent)).toEqual(['0.00%', '20', '0']);
    i18n.lang = 'ko';
    flushSync();
    expect(text(`${done} [data-testid=experiment-decision]`)).toBe('승격');
    expect(text(`${running} [data-testid=experiment-status]`)).toBe('실행 중');
  });

  it('shows the empty state when there are no models, and the API error when the models route fails', async () => {
    serve({ ...readRoutes, 'GET /models': ok([]), 'GET /experiments': ok([]) });
    open();
    await expect.poll(() => text('[data-testid=models-empty]')).toContain('No models yet');
    expect(q('[data-testid=models-error]')).toBeNull();
    unmount(app!);
    target.remove();

    serve({ ...readRoutes, 'GET /models': { status: 503, body: { error: { kind: 'Unavailable', message: 'the models read model is rebuilding' } } } });
    open();
    await expect.poll(() => text('[data-testid=models-error]')).toBe('The models API did not answer: 503 Unavailable: the models read model is rebuilding');
    expect(q('[data-testid=models-empty]')).toBeNull();
  });

  it('promotes a challenger only after a confirmation with a reason, and shows a 409 from the API', async () => {
    let champion = 'xgb-btcusdt-5m@2';
    const promoted: ModelFamilyView = { ...family, champion: 'xgb-btcusdt-5m@3', versions: [{ ...family.versions[0]!, status: 'champion' }, { ...family.versions[1]!, status: 'challenger' }, family.versions[2]!] };
    serve({
      ...readRoutes,
      'GET /models': () => ok([champion === 'xgb-btcusdt-5m@2' ? family : promoted]),
      'POST /models/xgb-btcusdt-5m%403/promote': () => { champion = 'xgb-btcusdt-5m@3'; return ok({ version: 'xgb-btcusdt-5m@3', family: 'xgb-btcusdt-5m', event: 'ModelPromoted', eventId: 'e1' }); },
      'POST /models/xgb-btcusdt-5m%402/retire': { status: 409, body: { error: { kind: 'Conflict', message: 'xgb-btcusdt-5m@2 is already retired' } } },
    });
    open();
    await expect.poll(() => qa('tr[data-version]').length).toBe(3);
    click(q('tr[data-version="xgb-btcusdt-5m@3"] [data-testid=promote]'));
    expect(text('[data-testid=reason-message]')).toContain('Promote xgb-btcusdt-5m@3 to champion of xgb-btcusdt-5m?');
    expect(q<HTMLButtonElement>('[data-testid=reason-ok]')!.disabled).toBe(true);
    click(q('.modal button[type=button]'));
    expect(q('[data-testid=reason-form]')).toBeNull();
    expect(calls.filter((c) => c.method === 'POST')).toEqual([]);

    click(q('tr[data-version="xgb-btcusdt-5m@3"] [data-testid=promote]'));
    type(q<HTMLInputElement>('[data-testid=reason-input]'), 'won exp-2 (p 0.012)');
    click(q('[data-testid=reason-ok]'));
    await expect.poll(() => text('[data-testid=family-champion]')).toBe('xgb-btcusdt-5m@3');
    expect(calls.filter((c) => c.method === 'POST')).toEqual([{ method: 'POST', url: '/api/v1/models/xgb-btcusdt-5m%403/promote', body: { reason: 'won exp-2 (p 0.012)' } }]);
    expect(text('[data-testid=models-message]')).toBe('xgb-btcusdt-5m@3: champion');
    expect(text('tr[data-version="xgb-btcusdt-5m@2"] [data-testid=model-status]')).toBe('challenger');

    click(q('tr[data-version="xgb-btcusdt-5m@2"] [data-testid=retire]'));
    type(q<HTMLInputElement>('[data-testid=reason-input]'), 'stale');
    click(q('[data-testid=reason-ok]'));
    await expect.poll(() => text('[data-testid=models-message]')).toBe('xgb-btcusdt-5m@2: 409 Conflict: xgb-btcusdt-5m@2 is already retired');
    expect(q('[data-testid=models-message]')!.classList.contains('error-text')).toBe(true);
  });

  it('trains from the form: a progress bar over epochs with the loss while it runs, then the new version, and the list reloads', async () => {
    const running = (epoch: number, loss: number): TrainJobView => ({
      jobId: 'job-1', status: 'running', model: 'lstm', instrument: 'BTC/USDT', timeframe: '5m', epoch, epochs: 20, loss,
      version: null, metrics: null, error: null, submittedAt: T0, finishedAt: null,
    });
    // Running at epoch 3 until the test has looked; then done.
    let looked = false;
    let finished = false;
    serve({
      ...readRoutes,
      'GET /models': () => ok(finished ? [{ ...family, versions: [version(4, 'challenger', { accuracy: 0.6 }), ...family.versions] }] : [family]),
      'POST /models/train': { status: 202, body: { jobId: 'job-1' } },
      'GET /models/train/job-1': () => ok(!looked ? running(3, 0.69312) : (finished = true, { ...running(20, 0.61), status: 'succeeded', version: 'xgb-btcusdt-5m@4', metrics: { accuracy: 0.6, logLoss: 0.66, rocAuc: 0.63 }, finishedAt: T0 + 1 })),
    });
    open();
    await expect.poll(() => qa('tr[data-version]').length).toBe(3);
    const form = q<HTMLFormElement>('[data-testid=train-form]')!;
    const select = form.querySelector<HTMLSelectElement>('select[name=model]')!;
    select.value = 'lstm';
    select.dispatchEvent(new Event('change', { bubbles: true }));
    type(form.querySelector<HTMLInputElement>('input[name=epochs]'), '20');
    type(form.querySelector<HTMLInputElement>('input[name=from]'), '2023-01-01');
    const promote = form.querySelector<HTMLInputElement>('input[name=promote]')!;
    promote.click();
    flushSync();
    form.requestSubmit();
    await expect.poll(() => q<HTMLProgressElement>('[data-job=job-1] [data-testid=train-progress]')?.value ?? null).toBe(3);
    expect(q<HTMLProgressElement>('[data-testid=train-progress]')!.max).toBe(20);
    expect(text('[data-testid=train-epoch]')).toBe('Epoch 3/20 · Loss 0.6931');
    expect(text('[data-testid=train-status]')).toBe('running');
    expect(calls.find((c) => c.method === 'POST')!.body).toEqual({ model: 'lstm', instrument: 'BTC/USDT', timeframe: '5m', epochs: 20, horizon: 4, seed: 1, promote: true, from: Date.UTC(2023, 0, 1) });
    looked = true;

    await expect.poll(() => text('[data-testid=train-version]')).toBe('xgb-btcusdt-5m@4');
    expect(text('[data-testid=train-status]')).toBe('succeeded');
    expect(text('.train-run')).toContain('Accuracy 60.00%');
    expect(q('[data-testid=train-progress]')).toBeNull();
    await expect.poll(() => qa('tr[data-version]').length).toBe(4);
  });

  it('names the field of a 400 under it, and says plainly when this API process cannot train (503)', async () => {
    let answer: Answer = { status: 400, body: { error: { kind: 'ValidationError', message: 'no bars recorded', issues: [{ path: 'body.instrument', message: 'no bars recorded for DOGE/USDT 5m' }] } } };
    serve({ ...readRoutes, 'POST /models/train': () => answer });
    open();
    const form = q<HTMLFormElement>('[data-testid=train-form]')!;
    type(form.querySelector<HTMLInputElement>('input[name=horizon]'), '900');
    expect(text('.error[data-field=horizon]')).toBe('must be a whole number between 1 and 500');
    i18n.lang = 'ko';
    flushSync();
    expect(text('.error[data-field=horizon]')).toBe('1에서 500 사이의 정수여야 합니다');
    i18n.lang = 'en';
    flushSync();
    form.requestSubmit();
    flushSync();
    expect(calls.filter((c) => c.method === 'POST')).toEqual([]);

    type(form.querySelector<HTMLInputElement>('input[name=horizon]'), '4');
    // A data range that ends before it starts is caught here too.
    type(form.querySelector<HTMLInputElement>('input[name=from]'), '2024-03-02');
    type(form.querySelector<HTMLInputElement>('input[name=to]'), '2024-03-01');
    expect(text('.error[data-field=to]')).toBe('must be after from');
    form.requestSubmit();
    flushSync();
    expect(calls.filter((c) => c.method === 'POST')).toEqual([]);
    type(form.querySelector<HTMLInputElement>('input[name=to]'), '');
    type(form.querySelector<HTMLInputElement>('input[name=instrument]'), 'DOGE/USDT');
    form.requestSubmit();
    await expect.poll(() => text('.error[data-field=instrument]')).toBe('no bars recorded for DOGE/USDT 5m');
    expect(text('[data-testid=train-message]')).toBe('400 ValidationError: no bars recorded');

    type(form.querySelector<HTMLInputElement>('input[name=instrument]'), 'BTC/USDT');
    expect(q('.error[data-field=instrument]')).toBeNull();

    answer = { status: 503, body: { error: { kind: 'Unavailable', message: 'this API process runs no training jobs' } } };
    form.requestSubmit();
    await expect.poll(() => text('[data-testid=train-message]')).toBe('Training is not available in this API process: run `npm run qts -- train` instead. 503 Unavailable: this API process runs no training jobs');
    expect(q('[data-testid=train-message]')!.classList.contains('error-text')).toBe(true);
    expect(q('.error[data-field=instrument]')).toBeNull();
    expect(qa('.train-run')).toEqual([]);
  });
});
