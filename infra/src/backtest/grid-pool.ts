// Runs grid points on worker threads (one per core by default, two on these machines) and merges the rows in grid order.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BarSeries, GridPoint, GridRow, PointsEvaluator, StrategySpec, SweepBase } from '@qts/core';

export interface GridJob {
  readonly id: number;
  /** A kind or a hybrid spec (functions cannot cross threads; the worker rebuilds the strategy). */
  readonly strategy: StrategySpec;
  readonly series: BarSeries;
  readonly points: readonly GridPoint[];
  readonly base: SweepBase;
}

export type GridJobResult =
  | { readonly id: number; readonly ok: true; readonly rows: GridRow[]; readonly refused: { params: GridPoint; reason: string }[] }
  | { readonly id: number; readonly ok: false; readonly error: string };

type Pending = { resolve: (r: GridJobResult) => void; reject: (e: Error) => void };

/** Copies a series into its own buffers: a subarray view would clone its whole parent buffer. */
function compact(s: BarSeries): BarSeries {
  return { ...s, openTime: s.openTime.slice(), open: s.open.slice(), high: s.high.slice(), low: s.low.slice(), close: s.close.slice(), volume: s.volume.slice() };
}

export class GridPool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(readonly size = Math.max(1, Math.min(2, availableParallelism()))) {
    this.workers = Array.from({ length: size }, () => {
      const w = tsWorker(new URL('./grid-worker.ts', import.meta.url));
      w.on('message', (r: GridJobResult) => {
        const p = this.pending.get(r.id);
        this.pending.delete(r.id);
        p?.resolve(r);
      });
      w.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
      return w;
    });
  }

  private run(worker: Worker, job: Omit<GridJob, 'id'>): Promise<GridJobResult> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...job, id });
    });
  }

  /** An evaluator for `walkForward` and sweeps: points dealt round-robin to the workers, rows back in grid order. */
  evaluator(strategy: StrategySpec, base: SweepBase): PointsEvaluator {
    return async (series, points) => {
      const data = compact(series);
      const shares = this.workers.map((_, w) => points.filter((_, i) => i % this.workers.length === w));
      const results = await Promise.all(this.workers.map((worker, w) => this.run(worker, { strategy, series: data, points: shares[w]!, base })));
      const rows: GridRow[] = [];
      const refused: { params: GridPoint; reason: string }[] = [];
      const byPoint = new Map<GridPoint, GridRow>();
      for (const [w, r] of results.entries()) {
        if (!r.ok) throw new Error(`grid worker failed: ${r.error}`);
        refused.push(...r.refused);
        // Rows come back in the order of that worker's share; map them back to the original points.
        const accepted = shares[w]!.filter((p) => !r.refused.some((x) => sameParams(x.params, p)));
        accepted.forEach((p, k) => byPoint.set(p, r.rows[k]!));
      }
      for (const p of points) {
        const row = byPoint.get(p);
        if (row !== undefined) rows.push(row);
      }
      return { rows, refused };
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * A worker running a TypeScript module. On Node 20 a worker does not inherit the parent's
 * `--import tsx` hooks, so the worker registers tsx itself before importing the module.
 */
export function tsWorker(module: URL): Worker {
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(module.href)}); })`;
  return new Worker(boot, { eval: true });
}

function sameParams(a: GridPoint, b: GridPoint): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
