// Backtest runs of this session: submitted through the API, polled until done, their results kept for comparison.
import { ApiError, get, send, type BacktestJob, type BacktestResult } from './api.ts';
import type { ApiToken } from './token.svelte.ts';

export interface Run { readonly jobId: string; readonly label: string; job: BacktestJob | null; result: BacktestResult | null; readonly startedAt: number }

export class BacktestRuns {
  #runs = $state.raw<Run[]>([]);
  #selected = $state.raw<string[]>([]);
  #now = $state(0);

  constructor(private readonly token: ApiToken, private readonly pollMs = 250) {}

  get runs(): Run[] { return this.#runs; }
  /** Up to two runs shown side by side; the first one's trades are listed. */
  get selected(): Run[] { return this.#selected.map((id) => this.#runs.find((r) => r.jobId === id)).filter((r): r is Run => !!r); }
  get now(): number { return this.#now; }

  toggle(jobId: string): void {
    this.#selected = this.#selected.includes(jobId) ? this.#selected.filter((j) => j !== jobId) : [...this.#selected, jobId].slice(-2);
  }

  /** Submits; throws ApiError (400 names the field) before anything is queued. */
  async submit(request: Record<string, unknown>, label: string): Promise<string> {
    const { jobId } = await send<{ jobId: string }>(this.token, 'POST', '/backtests', request);
    this.#runs = [{ jobId, label, job: null, result: null, startedAt: performance.now() }, ...this.#runs];
    void this.#poll(jobId);
    return jobId;
  }

  async #poll(jobId: string): Promise<void> {
    for (;;) {
      this.#now = performance.now();
      let job: BacktestJob;
      try { job = await get<BacktestJob>(`/backtests/${jobId}`); } catch (e) { if (e instanceof ApiError && e.status === 404) return; await sleep(this.pollMs); continue; }
      this.#update(jobId, { job });
      if (job.status === 'succeeded') {
        const { result } = await get<{ result: BacktestResult }>(`/backtests/${jobId}/results`);
        this.#update(jobId, { result });
        if (this.#selected.length < 2) this.toggle(jobId);
        return;
      }
      if (job.status === 'failed') return;
      await sleep(this.pollMs);
    }
  }

  #update(jobId: string, patch: Partial<Run>): void {
    this.#runs = this.#runs.map((r) => (r.jobId === jobId ? { ...r, ...patch } : r));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
