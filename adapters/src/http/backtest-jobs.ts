// Backtest jobs run in this process one at a time: submit answers at once with an id; status and results by id.
import { builtInStrategies, parseStrategyParams, runBacktest, type AnyStrategy, type Clock } from '@qts/core';
import type { BarClosed, IdGenerator } from '@qts/schemas';
import type { BacktestJobs } from './ports.ts';
import type { BacktestJobView, BacktestRequest } from './schemas.ts';

type Job = BacktestJobView & { result: Record<string, unknown> | null };

export interface InProcessBacktestOptions {
  /** Runs one backtest (the composition root passes core's runBacktest over recorded bars). */
  readonly run: (request: BacktestRequest) => Promise<Record<string, unknown>>;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** Finished jobs kept in memory; the oldest are forgotten first. */
  readonly keep?: number;
}

export function inProcessBacktestJobs(options: InProcessBacktestOptions): BacktestJobs & { idle(): Promise<void> } {
  const jobs = new Map<string, Job>();
  const keep = options.keep ?? 200;
  let queue: Promise<void> = Promise.resolve();
  const forgetOld = (): void => {
    for (const [id, j] of jobs) {
      if (jobs.size <= keep) break;
      if (j.status === 'succeeded' || j.status === 'failed') jobs.delete(id);
    }
  };
  return {
    async submit(request) {
      const jobId = `bt-${options.ids(options.clock.now())}`;
      const job: Job = { jobId, status: 'queued', submittedAt: options.clock.now(), finishedAt: null, error: null, request: { ...request }, result: null };
      jobs.set(jobId, job);
      forgetOld();
      // One at a time: a backtest saturates a core, and the API must keep answering meanwhile.
      queue = queue.then(async () => {
        job.status = 'running';
        await new Promise((r) => setImmediate(r));
        try {
          job.result = await options.run(request);
          job.status = 'succeeded';
        } catch (e) {
          job.status = 'failed';
          job.error = e instanceof Error ? e.message : String(e);
        }
        job.finishedAt = options.clock.now();
      });
      return { jobId };
    },
    async get(jobId) {
      const j = jobs.get(jobId);
      return j ? { ...j } : null;
    },
    idle: () => queue,
  };
}

/**
 * A backtest runner over bars from any source (read models, recorded files): core's runBacktest with the
 * request's strategy, params, cash and seed; the result is JSON-ready (metrics, trades, equity curve, event hash).
 */
export function barsBacktestRunner(loadBars: (request: BacktestRequest) => Promise<BarClosed[]>, strategies: Readonly<Record<string, AnyStrategy>> = builtInStrategies) {
  return async (request: BacktestRequest): Promise<Record<string, unknown>> => {
    const strategy = strategies[request.kind];
    if (!strategy) throw new Error(`unknown strategy kind '${request.kind}'`);
    const params = parseStrategyParams(strategy, request.params);
    const bars = await loadBars(request);
    if (bars.length === 0) throw new Error(`no ${request.timeframe} bars for ${request.instrument} in the requested range`);
    const r = runBacktest({ bars, strategy, params, cash: request.cash, seed: request.seed });
    return {
      metrics: { ...r.metrics }, trades: r.trades.map((t) => ({ ...t })), eventHash: r.eventHash, eventCount: r.eventCount,
      signals: r.signals, orders: r.orders, fills: r.fills, openPosition: r.openPosition, bars: bars.length,
      equityCurve: { time: Array.from(r.equityCurve.time), equity: Array.from(r.equityCurve.equity) },
    };
  };
}
