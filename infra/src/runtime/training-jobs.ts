// Model training for the API: each job runs `qts train` in a child process (the API's event loop keeps serving), one at a time, with per-epoch progress; bars come from and versions go to the API's own event store.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { setPriority, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { z } from 'zod';
import { ValidationError, type Clock, type EventStore } from '@qts/core';
import { apiSchemas, Conflict, type ModelTrainingJobs, type TrainJobView } from '@qts/adapters';
import type { ModelRegistry } from '@qts/adapters/ml';
import { catalog, type BarClosed, type IdGenerator } from '@qts/schemas';
import type { RuntimeConfig } from './config.ts';
import type { Logger } from './log.ts';

/** What a caller may send: the API's TrainRequest, or a looser one that submit() checks itself. */
export interface TrainInput {
  readonly model: string;
  readonly instrument: string;
  readonly timeframe: string;
  readonly from?: number | undefined;
  readonly to?: number | undefined;
  readonly horizon?: number | undefined;
  readonly epochs?: number | undefined;
  readonly window?: number | undefined;
  readonly batchSize?: number | undefined;
  readonly seed?: number | undefined;
  readonly promote?: boolean | undefined;
}

/** What a job can run: the API's TrainRequest schema, checked again here for callers that are not the API. */
const Runnable = apiSchemas.TrainBody;
type Runnable = z.infer<typeof Runnable>;

export interface TrainingJobsOptions {
  /** Bars are read from it and versions appended to it (the API's store, publishing to the bus). */
  readonly store: EventStore;
  /** Model artifact directory, the one the ml workers load from. */
  readonly modelDir: string;
  /** Venues whose bar streams may hold the instrument's recorded bars, preferred first; the first with bars in range is used. */
  readonly venuesOf: (instrument: string) => Promise<readonly string[]>;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly log: Logger;
  /** Jobs allowed to wait behind the running one; more are refused (409). Default 8. */
  readonly maxQueued?: number;
  /** Finished jobs remembered; the oldest are forgotten first. Default 100. */
  readonly keep?: number;
  /** A training process running longer is killed and its job failed. Default one hour. */
  readonly timeoutMs?: number;
  readonly codeVersion?: string;
}

export interface TrainingJobs extends ModelTrainingJobs {
  /** Validates and queues a run; ValidationError naming the field for a request it cannot run, Conflict when the queue is full. */
  submit(request: TrainInput, by: string): Promise<{ jobId: string }>;
  /** Resolves when no job runs or waits (tests, shutdown). */
  idle(): Promise<void>;
  /** Fails the waiting jobs, kills the running process, and waits for it. */
  close(): Promise<void>;
}

interface Job {
  readonly view: TrainJobView;
  readonly request: Runnable;
  readonly by: string;
}

const root = resolve(import.meta.dirname, '../../..');
const cli = resolve(import.meta.dirname, '../cli/main.ts');
const members = ['lstm', 'transformer', 'xgboost'] as const;

/**
 * @example
 * const training = childProcessTrainingJobs({ store, modelDir, venuesOf: async () => ['binance'], clock, ids: uuidv7Ids, log });
 * const { jobId } = await training.submit({ model: 'lstm', instrument: 'BTC/USDT', timeframe: '1h', epochs: 5 }, 'alice');
 * (await training.get(jobId))?.epoch; // 3 of 5 while it trains
 */
export function childProcessTrainingJobs(o: TrainingJobsOptions): TrainingJobs {
  const jobs = new Map<string, Job>();
  const waiting: Job[] = [];
  const maxQueued = o.maxQueued ?? 8;
  const keep = o.keep ?? 100;
  let running: { job: Job; child: ChildProcess | null; done: Promise<void> } | null = null;
  let registry: ModelRegistry | null = null;
  let closed = false;
  let idleWaiters: (() => void)[] = [];

  const forgetOld = (): void => {
    for (const [id, j] of jobs) {
      if (jobs.size <= keep) break;
      if (j.view.status === 'succeeded' || j.view.status === 'failed') jobs.delete(id);
    }
  };

  const finish = (job: Job, outcome: { version: string; metrics: Record<string, number | null> } | { error: string }): void => {
    if ('error' in outcome) {
      job.view.status = 'failed';
      job.view.error = outcome.error;
      o.log.warn({ jobId: job.view.jobId, error: outcome.error }, 'training job failed');
    } else {
      job.view.status = 'succeeded';
      job.view.version = outcome.version;
      job.view.metrics = outcome.metrics;
      o.log.info({ jobId: job.view.jobId, version: outcome.version }, 'training job registered its version');
    }
    job.view.finishedAt = o.clock.now();
  };

  const next = (): void => {
    if (running || closed) return;
    const job = waiting.shift();
    if (!job) {
      const w = idleWaiters;
      idleWaiters = [];
      for (const r of w) r();
      return;
    }
    job.view.status = 'running';
    o.log.info({ jobId: job.view.jobId, model: job.request.model, instrument: job.request.instrument, timeframe: job.request.timeframe, by: job.by }, 'training job started');
    const slot: { job: Job; child: ChildProcess | null; done: Promise<void> } = { job, child: null, done: Promise.resolve() };
    running = slot;
    slot.done = run(job, (c) => { slot.child = c; })
      .then((outcome) => finish(job, outcome), (e: unknown) => finish(job, { error: e instanceof Error ? e.message : String(e) }))
      .finally(() => {
        running = null;
        forgetOld();
        next();
      });
  };

  async function run(job: Job, started: (c: ChildProcess) => void): Promise<{ version: string; metrics: Record<string, number | null> } | { error: string }> {
    const r = job.request;
    const dir = await mkdtemp(join(tmpdir(), 'qts-train-job-'));
    try {
      const bars = await readBars(o.store, await o.venuesOf(r.instrument), r);
      if ('error' in bars) return bars;
      await writeFile(join(dir, 'bars.csv'), bars.csv);
      if (closed) return { error: 'the API stopped before the job ran' };
      const trained = await trainInChild(job, dir, started, o.timeoutMs ?? 3_600_000);
      if ('error' in trained) return closed ? { error: 'the API stopped while the model trained' } : trained;
      if (closed) return { error: 'the API stopped before the version was registered' };
      registry ??= await openRegistry(o);
      const version = await registry.registerArtifact({
        artifact: await readFile(join(dir, 'artifact.json')), instrument: r.instrument, timeframe: r.timeframe,
        metrics: trained.metrics, dataRange: trained.dataRange, codeVersion: o.codeVersion ?? process.env['QTS_CODE_VERSION'] ?? 'dev', seed: r.seed,
      });
      if (r.promote) await registry.promote(version, `promoted on training through the API (job ${job.view.jobId})`, job.by);
      return { version, metrics: trained.metrics };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  return {
    async submit(request, by) {
      if (closed) throw new Conflict('training is shutting down');
      const parsed = Runnable.safeParse(request);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || 'body', message: i.message }));
        throw new ValidationError(`cannot train: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, issues);
      }
      if (waiting.length >= maxQueued) throw new Conflict(`the training queue is full (${waiting.length} jobs wait behind the running one); submit again when one has finished`);
      const now = o.clock.now();
      const r = parsed.data;
      const view: TrainJobView = {
        jobId: `train-${o.ids(now)}`, status: 'queued', model: r.model, instrument: r.instrument, timeframe: r.timeframe,
        epoch: null, epochs: null, loss: null, version: null, metrics: null, error: null, submittedAt: now, finishedAt: null,
      };
      const job: Job = { view, request: r, by };
      jobs.set(view.jobId, job);
      waiting.push(job);
      forgetOld();
      next();
      return { jobId: view.jobId };
    },
    async get(jobId) {
      const j = jobs.get(jobId);
      return j ? { ...j.view, metrics: j.view.metrics ? { ...j.view.metrics } : null } : null;
    },
    idle() {
      if (!running && waiting.length === 0) return Promise.resolve();
      return new Promise<void>((r) => idleWaiters.push(r));
    },
    async close() {
      closed = true;
      for (const job of waiting.splice(0)) finish(job, { error: 'the API stopped before the job ran' });
      const r = running;
      if (r) {
        r.child?.kill('SIGTERM');
        await r.done;
      }
      for (const w of idleWaiters.splice(0)) w();
    },
  };
}

/** The registry over the API's store and the model directory (no tfjs backend needed: nothing is trained or run here). */
async function openRegistry(o: TrainingJobsOptions): Promise<ModelRegistry> {
  const { FileModelStorage, ModelRegistry: Registry } = await import('@qts/adapters/ml');
  return new Registry({ store: o.store, storage: new FileModelStorage(o.modelDir), ids: o.ids, now: () => o.clock.now() });
}

/** The instrument's recorded bars in [from, to) of the first venue that has any, as CSV for `qts train --data`; duplicates and out-of-order bars are dropped. */
async function readBars(store: EventStore, venues: readonly string[], r: Runnable): Promise<{ csv: string } | { error: string }> {
  const streams = venues.map((venue) => catalog.BarClosed.stream({ venue, instrument: r.instrument, timeframe: r.timeframe } as BarClosed));
  for (const stream of streams) {
    const rows = ['time,open,high,low,close,volume'];
    let last = -Infinity;
    for await (const stored of store.readStream(stream)) {
      if (stored.event.type !== 'BarClosed') continue;
      const b = stored.event.data as BarClosed;
      if (b.openTime <= last || (r.from !== undefined && b.openTime < r.from)) continue;
      if (r.to !== undefined && b.openTime >= r.to) break;
      last = b.openTime;
      rows.push(`${b.openTime},${b.open},${b.high},${b.low},${b.close},${b.volume}`);
    }
    if (rows.length > 1) return { csv: `${rows.join('\n')}\n` };
  }
  const range = r.from !== undefined || r.to !== undefined ? ` between ${r.from === undefined ? 'the start' : new Date(r.from).toISOString()} and ${r.to === undefined ? 'now' : new Date(r.to).toISOString()}` : '';
  return { error: `no ${r.timeframe} bars of ${r.instrument} in the event store${range} (${streams.length === 1 ? 'stream' : 'streams'} ${streams.join(', ')})` };
}

interface Trained {
  readonly metrics: Record<string, number | null>;
  readonly dataRange: { from: number; to: number; bars: number };
}

/** Runs `qts train` on the job's CSV, following its JSON progress lines; its artifact lands in `dir`. */
function trainInChild(job: Job, dir: string, started: (c: ChildProcess) => void, timeoutMs: number): Promise<Trained | { error: string }> {
  const r = job.request;
  const args = [
    '--import', 'tsx', cli, 'train', '--model', r.model, '--data', join(dir, 'bars.csv'), '--instrument', r.instrument, '--timeframe', r.timeframe,
    '--horizon', String(r.horizon), '--epochs', String(r.epochs), '--window', String(r.window), '--batch-size', String(r.batchSize), '--seed', String(r.seed),
    '--no-register', '--json', '--progress', 'json', '--export', join(dir, 'artifact.json'),
  ];
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, QTS_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  started(child);
  // The IPC channel carries nothing: it closes when this process dies, and the child then stops (see qts train).
  // Training yields the CPU to the API and the workers when they need it.
  try {
    if (child.pid !== undefined) setPriority(child.pid, 10);
  } catch { /* not permitted here: it runs at normal priority */ }
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
  const tail: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    const p = progressOf(line);
    if (p) Object.assign(job.view, jobProgress(r, p));
    else if (line.trim() !== '') {
      tail.push(line);
      if (tail.length > 40) tail.shift();
    }
  });
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
  return new Promise((done) => {
    child.on('error', (e) => done({ error: `could not start the training process: ${e.message}` }));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) return done({ error: `training took longer than ${Math.round(timeoutMs / 60_000)} min and was stopped` });
      if (code !== 0) return done({ error: failureOf(tail, code, signal) });
      try {
        const report = JSON.parse(stdout) as Partial<Trained>;
        if (!report.metrics || !report.dataRange) return done({ error: 'the training process printed no metrics' });
        done({ metrics: report.metrics, dataRange: report.dataRange });
      } catch (e) {
        done({ error: `the training process printed an unreadable report (${(e as Error).message})` });
      }
    });
  });
}

export interface EpochProgress { readonly model: string; readonly epoch: number; readonly epochs: number; readonly loss: number | null }

/** A `qts train --progress json` line, or null for any other line it prints. */
export function progressOf(line: string): EpochProgress | null {
  if (!line.startsWith('{"progress":')) return null;
  try {
    const p = (JSON.parse(line) as { progress: EpochProgress }).progress;
    return typeof p.epoch === 'number' && typeof p.epochs === 'number' ? p : null;
  } catch {
    return null;
  }
}

/**
 * The job's progress after a reported epoch: a network's own epochs; an ensemble's members as one run
 * (LSTM epochs, then Transformer epochs, then the trees as one step); none for trees alone (null).
 */
export function jobProgress(request: { readonly model: Runnable['model']; readonly epochs: number }, p: EpochProgress): Pick<TrainJobView, 'epoch' | 'epochs' | 'loss'> | null {
  if (request.model === 'xgboost') return null;
  if (request.model !== 'ensemble') return { epoch: p.epoch, epochs: p.epochs, loss: p.loss };
  const e = request.epochs;
  const member = members.indexOf(p.model as (typeof members)[number]);
  const epochs = 2 * e + 1;
  return { epoch: member === 2 ? epochs : member * e + p.epoch, epochs, loss: p.loss };
}

/** The CLI's own message (`qts train: ...` and what follows it), else the last lines it printed. */
function failureOf(tail: readonly string[], code: number | null, signal: NodeJS.Signals | null): string {
  const at = tail.findLastIndex((l) => l.startsWith('qts train: '));
  if (at >= 0) return tail.slice(at).join('\n').slice('qts train: '.length, 2000);
  const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
  return `the training process ${how}${tail.length > 0 ? `: ${tail.slice(-5).join('\n').slice(0, 2000)}` : ''}`;
}

/**
 * Training jobs over the running system's store and config: the model directory the workers load from; an
 * instrument's bars from the venue its feed records, else from any venue the read models know it on
 * (bars backfilled from an exchange, say).
 */
export function trainingJobsFor(
  config: RuntimeConfig, store: EventStore, clock: Clock, ids: IdGenerator, log: Logger,
  knownVenues: (instrument: string) => Promise<readonly string[]> = async () => [],
): TrainingJobs {
  const market = config.market;
  const fed = (instrument: string): string => (market.kind === 'replay' ? market.files.find((f) => f.instrument === instrument)?.venue ?? 'replay' : market.exchange);
  return childProcessTrainingJobs({
    store, clock, ids, log,
    modelDir: config.modelDir ?? process.env['QTS_MODEL_DIR'] ?? resolve(config.dataDir, 'models'),
    venuesOf: async (instrument) => {
      const known = await knownVenues(instrument).catch((e: unknown) => {
        log.warn({ err: e }, 'read models did not answer which venues have bars; trying the feed venue only');
        return [] as readonly string[];
      });
      return [...new Set([fed(instrument), ...known])];
    },
  });
}
