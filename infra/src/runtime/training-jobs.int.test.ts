// Training jobs as the API runs them: `qts train` in a child process over the store's recorded bars, one at a time, a bounded queue, clear refusals and failures, a clean stop.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseBarsCsv, ValidationError } from '@qts/core';
import { Conflict, InMemoryEventStore } from '@qts/adapters';
import { eventually } from '@qts/adapters/testing';
import { makeEvent, seededIds, uuidv7Ids, type DomainEvent } from '@qts/schemas';
import { createLogger } from './log.ts';
import { childProcessTrainingJobs, type TrainingJobs } from './training-jobs.ts';

const series = parseBarsCsv(readFileSync(resolve(import.meta.dirname, '../../data/sample/BTCUSDT-5m.csv'), 'utf8'), { instrument: 'BTC/USDT', timeframe: '5m', venue: 'replay' }).series;
const log = createLogger('test', 'silent');
const clock = { now: () => Date.now() };

function recordedBars(n: number): DomainEvent[] {
  const ids = seededIds(7);
  return Array.from({ length: n }, (_, i) => makeEvent('BarClosed', {
    venue: 'replay', instrument: 'BTC/USDT', timeframe: '5m', openTime: series.openTime[i]!, closeTime: series.openTime[i]! + 300_000,
    open: series.open[i]!, high: series.high[i]!, low: series.low[i]!, close: series.close[i]!, volume: series.volume[i]!,
  }, { id: ids(series.openTime[i]!), occurredAt: series.openTime[i]! + 300_000, recordedAt: series.openTime[i]! + 300_000 }));
}

let jobs: TrainingJobs | null = null;
afterEach(async () => {
  await jobs?.close();
  jobs = null;
});

async function open(options: { maxQueued?: number; bars?: number } = {}) {
  const store = new InMemoryEventStore();
  if (options.bars) await store.append('bars-replay.BTC_USDT.5m', recordedBars(options.bars), 'no_stream');
  jobs = childProcessTrainingJobs({
    store, modelDir: await mkdtemp(join(tmpdir(), 'qts-train-jobs-')), venuesOf: async () => ['replay'], clock, ids: uuidv7Ids, log,
    ...(options.maxQueued !== undefined ? { maxQueued: options.maxQueued } : {}),
  });
  return { store, jobs };
}

describe('childProcessTrainingJobs', () => {
  it('refuses a request it cannot run naming the field, and a full queue with a Conflict; a job without recorded bars fails naming the stream', async () => {
    const { jobs } = await open({ maxQueued: 1 });
    const bad = jobs.submit({ model: 'lstm', instrument: 'BTC/USDT', timeframe: 'tick' }, 'test');
    await expect(bad).rejects.toThrow(ValidationError);
    await expect(bad).rejects.toMatchObject({ issues: [{ path: 'timeframe' }] });
    await expect(jobs.submit({ model: 'lstm', instrument: 'BTC/USDT', timeframe: '1h', from: 2000, to: 1000 }, 'test')).rejects.toMatchObject({ issues: [{ path: 'to', message: 'must be after from' }] });
    await expect(jobs.submit({ model: 'lstm', instrument: 'BTC/USDT', timeframe: '1h', epochs: 0 }, 'test')).rejects.toMatchObject({ issues: [{ path: 'epochs' }] });
    // One runs, one waits, the third finds the queue full.
    const a = await jobs.submit({ model: 'xgboost', instrument: 'ETH/USDT', timeframe: '1h' }, 'test');
    const b = await jobs.submit({ model: 'xgboost', instrument: 'ETH/USDT', timeframe: '4h' }, 'test');
    await expect(jobs.submit({ model: 'xgboost', instrument: 'ETH/USDT', timeframe: '1d' }, 'test')).rejects.toThrow(Conflict);
    expect((await jobs.get(b.jobId))?.status).toBe('queued');
    await jobs.idle();
    expect(await jobs.get(a.jobId)).toMatchObject({
      status: 'failed', model: 'xgboost', instrument: 'ETH/USDT', timeframe: '1h', version: null, metrics: null,
      error: 'no 1h bars of ETH/USDT in the event store (stream bars-replay.ETH_USDT.1h)', finishedAt: expect.any(Number) as number,
    });
    expect((await jobs.get(b.jobId))?.error).toMatch(/no 4h bars of ETH\/USDT/);
    expect(await jobs.get('train-nope')).toBeNull();
  });

  it('close() stops the training process of the running job and fails the waiting ones, each with its reason', async () => {
    const { jobs } = await open({ bars: 600 });
    const long = await jobs.submit({ model: 'lstm', instrument: 'BTC/USDT', timeframe: '5m', epochs: 1000 }, 'test');
    const next = await jobs.submit({ model: 'xgboost', instrument: 'BTC/USDT', timeframe: '5m' }, 'test');
    await eventually(async () => expect((await jobs.get(long.jobId))?.epoch).toBeGreaterThanOrEqual(1), { timeoutMs: 45_000 });
    const running = await jobs.get(long.jobId);
    expect(running).toMatchObject({ status: 'running', epochs: 1000, loss: expect.any(Number) as number });
    await jobs.close();
    expect(await jobs.get(long.jobId)).toMatchObject({ status: 'failed', error: 'the API stopped while the model trained' });
    expect(await jobs.get(next.jobId)).toMatchObject({ status: 'failed', error: 'the API stopped before the job ran' });
    await expect(jobs.submit({ model: 'xgboost', instrument: 'BTC/USDT', timeframe: '5m' }, 'test')).rejects.toThrow(Conflict);
  }, 60_000);
});

describe('a training process', () => {
  it('stops when the process that started it dies without stopping it (no training for nobody)', async () => {
    const csv = resolve(import.meta.dirname, '../../data/sample/BTCUSDT-5m.csv');
    const cli = resolve(import.meta.dirname, '../cli/main.ts');
    const args = ['--import', 'tsx', cli, 'train', '--model', 'lstm', '--data', csv, '--instrument', 'BTC/USDT', '--epochs', '1000', '--no-register', '--progress', 'json'];
    // A stand-in for the API process: starts `qts train` as the training jobs do (an IPC channel) and reports its pid. The child's
    // stderr goes to a file, so that only the IPC channel tells it its parent died (a closed pipe would break its next write anyway).
    const log = join(await mkdtemp(join(tmpdir(), 'qts-train-orphan-')), 'stderr.txt');
    const parent = spawn(process.execPath, ['-e', `
      const fd = require('node:fs').openSync(${JSON.stringify(log)}, 'w');
      const c = require('node:child_process').spawn(process.execPath, ${JSON.stringify(args)}, { cwd: ${JSON.stringify(resolve(import.meta.dirname, '../../..'))}, stdio: ['ignore', 'ignore', fd, 'ipc'] });
      console.log(c.pid);
      setInterval(() => {}, 1000);
    `], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    parent.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    const alive = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const pid = await eventually(() => {
      expect(out).toMatch(/^\d+\n/);
      return Number(out.trim());
    });
    try {
      await eventually(() => expect(readFileSync(log, 'utf8')).toContain('{"progress":'), { timeoutMs: 45_000, intervalMs: 100 });
      parent.kill('SIGKILL');
      await eventually(() => expect(alive(pid)).toBe(false), { timeoutMs: 10_000 });
    } finally {
      parent.kill('SIGKILL');
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  }, 60_000);
});
