// A training job's progress bar from `qts train --progress json` lines: a network's epochs, an ensemble as one run, nothing for trees.
import { describe, expect, it } from 'vitest';
import { jobProgress, progressOf } from './training-jobs.ts';

const line = (model: string, epoch: number, epochs: number, loss: number | null) => JSON.stringify({ progress: { model, epoch, epochs, loss } });

describe('training job progress', () => {
  it('reads only progress lines: the backend line, warnings and broken JSON are not progress', () => {
    expect(progressOf(line('lstm', 3, 10, 0.69))).toEqual({ model: 'lstm', epoch: 3, epochs: 10, loss: 0.69 });
    expect(progressOf('tfjs 4.22.0: backend wasm')).toBeNull();
    expect(progressOf('{"progress":{"epoch":')).toBeNull();
    expect(progressOf('{"progress":{"model":"lstm"}}')).toBeNull();
  });

  it('a network shows its own epochs and loss; an ensemble counts LSTM, Transformer and the trees as one run that only moves forward; trees alone show none', () => {
    expect(jobProgress({ model: 'transformer', epochs: 5 }, { model: 'transformer', epoch: 2, epochs: 5, loss: 0.7 })).toEqual({ epoch: 2, epochs: 5, loss: 0.7 });
    expect(jobProgress({ model: 'xgboost', epochs: 5 }, { model: 'xgboost', epoch: 1, epochs: 1, loss: null })).toBeNull();
    const ensemble = { model: 'ensemble' as const, epochs: 3 };
    const steps = [
      ...[1, 2, 3].map((epoch) => ({ model: 'lstm', epoch, epochs: 3, loss: 0.6 })),
      ...[1, 2, 3].map((epoch) => ({ model: 'transformer', epoch, epochs: 3, loss: 0.5 })),
      { model: 'xgboost', epoch: 1, epochs: 1, loss: null },
    ].map((p) => jobProgress(ensemble, p)!);
    expect(steps.map((s) => s.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(new Set(steps.map((s) => s.epochs))).toEqual(new Set([7]));
    expect(steps.at(-1)!.loss).toBeNull();
  });
});
