// @vitest-environment happy-dom
// A training run's progress at each job status: epochs and loss for a network, an open bar for xgboost, the version, the failure.
import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { i18n } from '../lib/i18n.svelte.ts';
import type { TrainJobView } from '../lib/models-api.ts';
import type { TrainingRun } from '../lib/models.svelte.ts';
import TrainProgress from './TrainProgress.svelte';

const job = (patch: Partial<TrainJobView>): TrainJobView => ({
  jobId: 'j1', status: 'running', model: 'transformer', instrument: 'ETH/USDT', timeframe: '1h', epoch: null, epochs: null, loss: null,
  version: null, metrics: null, error: null, submittedAt: 1, finishedAt: null, ...patch,
});
const run = (j: TrainJobView | null, error: string | null = null, losses: number[] = []): TrainingRun => ({ jobId: 'j1', request: { model: 'transformer', instrument: 'ETH/USDT', timeframe: '1h', epochs: 50 }, job: j, error, losses });

let apps: ReturnType<typeof mount>[] = [];
function render(r: TrainingRun): HTMLElement {
  const target = document.createElement('div');
  apps.push(mount(TrainProgress, { target, props: { run: r } }));
  flushSync();
  return target;
}
afterEach(() => { for (const a of apps) unmount(a); apps = []; i18n.lang = 'en'; });

describe('TrainProgress', () => {
  it('fills the bar to epoch/epochs and shows the loss in the locale', () => {
    i18n.lang = 'ko';
    const el = render(run(job({ epoch: 37, epochs: 50, loss: 1234.56789 })));
    const bar = el.querySelector<HTMLProgressElement>('[data-testid=train-progress]')!;
    expect([bar.value, bar.max]).toEqual([37, 50]);
    expect(el.querySelector('[data-testid=train-epoch]')!.textContent!.replace(/\s+/g, ' ')).toBe('에포크 37/50 · 손실 1,234.5679');
    expect(el.querySelector('[data-testid=train-status]')!.textContent).toBe('실행 중');
    expect(el.querySelector('[data-testid=loss-curve]')).toBeNull();
  });

  it('draws the losses seen so far as a curve scaled to their range, highest loss at the top', () => {
    const el = render(run(job({ epoch: 3, epochs: 50, loss: 0.5 }), null, [0.7, 0.6, 0.5]));
    expect(el.querySelector('[data-testid=loss-curve] polyline')!.getAttribute('points')).toBe('0.0,2.0 60.0,12.0 120.0,22.0');
  });

  it('shows an open bar while queued or when the model reports no epochs (xgboost)', () => {
    for (const r of [run(null), run(job({ status: 'running', model: 'xgboost' }))]) {
      const el = render(r);
      expect(el.querySelector('[data-testid=train-progress]')!.hasAttribute('value')).toBe(false);
      expect(el.querySelector('[data-testid=train-epoch]')).toBeNull();
    }
    expect(render(run(null)).querySelector('[data-testid=train-status]')!.textContent).toBe('queued');
  });

  it('shows the new version and its headline metrics, or why it failed', () => {
    const done = render(run(job({ status: 'succeeded', epoch: 50, epochs: 50, loss: 0.6, version: 'tf-ethusdt-1h@7', metrics: { accuracy: 0.5432, logLoss: 0.6789, rocAuc: 0.58, baseRate: 0.5, trainSamples: 9000 } })));
    expect(done.querySelector('[data-testid=train-version]')!.textContent).toBe('tf-ethusdt-1h@7');
    expect(done.querySelector('[data-testid=train-metrics]')!.textContent).toBe('Accuracy 54.32% · Log loss 0.6789 · ROC AUC 0.5800 · Base rate 50.00%');
    expect(done.querySelector('[data-testid=train-progress]')).toBeNull();

    const failed = render(run(job({ status: 'failed', error: 'not enough bars: 120 recorded, 400 needed' })));
    expect(failed.querySelector('[data-testid=train-status]')!.textContent).toBe('failed');
    expect(failed.querySelector('[data-testid=train-error]')!.textContent).toBe('not enough bars: 120 recorded, 400 needed');
    // The API forgot the job (restarted): the run says so instead of polling forever.
    expect(render(run(null, 'no training job j1')).querySelector('[data-testid=train-error]')!.textContent).toBe('no training job j1');
  });
});
