// `qts train` as a user runs it: progress on stderr, out-of-sample metrics and a backtest against buy-and-hold, a registered version whose artifact is on disk; clear errors for bad input.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedDataDir } from '@qts/core/testing';
import { runQts } from './spawn-qts.ts';

const data = join(sharedDataDir(), 'EURUSD-1h.csv');
const env = (dir: string): Record<string, string> => ({ QTS_DATA_DIR: dir, PG_URL: '', ESDB_URL: '', QTS_CONFIG: '' });

describe('qts train', () => {
  it('trains an LSTM, reports out-of-sample metrics and the backtest vs buy-and-hold, and registers lstm-eurusd-1h@1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qts-train-'));
    const args = ['train', '--model', 'lstm', '--data', data, '--instrument', 'EUR/USD', '--from', '2017-06-01', '--to', '2017-09-01',
      '--horizon', '4', '--window', '8', '--epochs', '2', '--seed', '5', '--json'];
    const r = await runQts(args, env(dir), 120_000);
    expect(r.stderr).toMatch(/tfjs [\d.]+: backend (wasm|cpu|tensorflow)/);
    expect(r.stderr).toMatch(/lstm \[#+\] epoch 2\/2 loss 0\.\d{4}/);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as {
      version: string; timeframe: string; bars: number; split: { train: { to: number }; test: { from: number } };
      outOfSample: { samples: number; accuracy: number; logLoss: number; rocAuc: number };
      backtest: { totalReturn: unknown; buyAndHoldReturn: unknown };
    };
    expect(report.version).toBe('lstm-eurusd-1h@1');
    expect(report.timeframe).toBe('1h');
    expect(report.bars).toBeGreaterThan(1000);
    const oos = report.outOfSample;
    expect(oos.samples).toBeGreaterThan(100);
    expect(oos.accuracy).toBeGreaterThan(0.3);
    expect(oos.logLoss).toBeGreaterThan(0.3);
    expect(oos.rocAuc).toBeGreaterThan(0.2);
    expect(typeof report.backtest.totalReturn).toBe('number');
    expect(typeof report.backtest.buyAndHoldReturn).toBe('number');
    expect(report.split.train.to).toBeLessThan(report.split.test.from);
    expect(existsSync(join(dir, 'models', 'lstm-eurusd-1h', '1.json'))).toBe(true);
  }, 150_000);

  it('--progress json prints one JSON line per epoch and --export writes the artifact, for a program that runs it (the API\'s training jobs)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qts-train-'));
    const file = join(dir, 'out', 'artifact.json');
    const r = await runQts(['train', '--model', 'lstm', '--data', data, '--instrument', 'EUR/USD', '--from', '2017-06-01', '--to', '2017-07-15',
      '--window', '8', '--epochs', '2', '--no-register', '--json', '--progress', 'json', '--export', file], env(dir), 120_000);
    expect(r.code).toBe(0);
    const progress = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => (JSON.parse(l) as { progress: unknown }).progress);
    expect(progress).toEqual([
      { model: 'lstm', epoch: 1, epochs: 2, loss: expect.any(Number) as number },
      { model: 'lstm', epoch: 2, epochs: 2, loss: expect.any(Number) as number },
    ]);
    expect(r.stderr).not.toMatch(/\[#+/);
    const report = JSON.parse(r.stdout) as { version: unknown; metrics: Record<string, number>; dataRange: { bars: number } };
    expect(report.version).toBeNull();
    expect(report.metrics).toMatchObject({ accuracy: expect.any(Number) as number, logLoss: expect.any(Number) as number, backtestTrades: expect.any(Number) as number });
    expect(report.dataRange.bars).toBeGreaterThan(500);
    const artifact = JSON.parse(readFileSync(file, 'utf8')) as { format: string; kind: string };
    expect(artifact).toMatchObject({ format: 'qts-model', kind: 'lstm' });
    expect(existsSync(join(dir, 'models'))).toBe(false);
  }, 150_000);

  it('refuses an empty date range and too little history with a clear message and exit code 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qts-train-'));
    const empty = await runQts(['train', '--model', 'xgboost', '--data', data, '--instrument', 'EUR/USD', '--from', '2030-01-01'], env(dir));
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/no bars between --from and --to/);
    const short = await runQts(['train', '--model', 'xgboost', '--data', data, '--instrument', 'EUR/USD', '--from', '2017-06-01', '--to', '2017-06-05', '--no-register'], env(dir), 90_000);
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/too little history/);
  }, 150_000);
});
