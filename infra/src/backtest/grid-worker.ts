// A grid worker thread: runs the backtests for the grid points it is sent and posts the rows back.
import { parentPort } from 'node:worker_threads';
import { evaluatePoints, strategyFromSpec } from '@qts/core';
import type { GridJob, GridJobResult } from './grid-pool.ts';

if (parentPort === null) throw new Error('grid-worker.ts runs as a worker thread');
const port = parentPort;
port.on('message', (job: GridJob) => {
  try {
    const strategy = strategyFromSpec(job.strategy);
    const out = evaluatePoints(strategy, job.series, job.points, job.base);
    port.postMessage({ id: job.id, ok: true, ...out } satisfies GridJobResult);
  } catch (e) {
    port.postMessage({ id: job.id, ok: false, error: e instanceof Error ? e.message : String(e) } satisfies GridJobResult);
  }
});
