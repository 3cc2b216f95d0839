// The Models page's state: model families and experiments from the API, and training runs polled until they finish.
import { ApiError } from './api.ts';
import {
  getTrainingJob, listExperiments, listModelFamilies, submitTraining,
  type ExperimentView, type ModelFamilyView, type TrainJobView, type TrainRequest,
} from './models-api.ts';
import { apiToken, type ApiToken } from './token.svelte.ts';

/** Families with their versions and the experiments over them; `error` keeps why the last load failed. */
export class ModelsView {
  #families = $state.raw<ModelFamilyView[]>([]);
  #experiments = $state.raw<ExperimentView[]>([]);
  #loaded = $state(false);
  #error = $state.raw<ApiError | Error | null>(null);
  #experimentsError = $state.raw<ApiError | Error | null>(null);

  get families(): ModelFamilyView[] { return this.#families; }
  get experiments(): ExperimentView[] { return this.#experiments; }
  /** True once a load answered (with data or an error): before that the page shows nothing rather than "empty". */
  get loaded(): boolean { return this.#loaded; }
  get error(): ApiError | Error | null { return this.#error; }
  get experimentsError(): ApiError | Error | null { return this.#experimentsError; }

  experimentsOf(family: string): ExperimentView[] { return this.#experiments.filter((e) => e.family === family); }

  #asked = 0;
  #shown = 0;

  /** Reloads both lists; one failing does not hide the other; an answer older than one already shown is dropped. */
  async refresh(): Promise<void> {
    const ask = ++this.#asked;
    const [families, experiments] = await Promise.allSettled([listModelFamilies(), listExperiments()]);
    // The timer's reload may answer after the one that followed a promote: never show the older state.
    if (ask < this.#shown) return;
    this.#shown = ask;
    if (families.status === 'fulfilled') { this.#families = families.value; this.#error = null; } else this.#error = asError(families.reason);
    if (experiments.status === 'fulfilled') { this.#experiments = experiments.value; this.#experimentsError = null; } else this.#experimentsError = asError(experiments.reason);
    this.#loaded = true;
  }
}

export interface TrainingRun {
  readonly jobId: string; readonly request: TrainRequest; job: TrainJobView | null; error: string | null;
  /** The loss at each epoch this tab saw, for the run's loss curve (an ensemble restarts its epochs per member). */
  losses: readonly number[];
}

/** Training runs of this tab, newest first: submitted through the API and polled until succeeded or failed. */
export class TrainingJobs {
  #runs = $state.raw<TrainingRun[]>([]);

  constructor(
    private readonly token: ApiToken,
    /** Called once a run finishes, so the page reloads the families (a new version, maybe a new champion). */
    private readonly onFinished: (run: TrainingRun) => void = () => undefined,
    private readonly pollMs = 500,
  ) {}

  get runs(): TrainingRun[] { return this.#runs; }
  get active(): boolean { return this.#runs.some((r) => !r.error && r.job?.status !== 'succeeded' && r.job?.status !== 'failed'); }

  /** Submits; throws ApiError (400 names the field, 503 when training is unavailable) before anything is queued. */
  async submit(request: TrainRequest): Promise<string> {
    const { jobId } = await submitTraining(this.token, request);
    this.#runs = [{ jobId, request, job: null, error: null, losses: [] }, ...this.#runs];
    void this.#poll(jobId);
    return jobId;
  }

  async #poll(jobId: string): Promise<void> {
    for (let failures = 0; ;) {
      try {
        const job = await getTrainingJob(jobId);
        failures = 0;
        this.#observe(jobId, job);
        if (job.status === 'succeeded' || job.status === 'failed') { this.#finished(jobId); return; }
      } catch (e) {
        // A restarted API forgets its jobs (404); other errors are retried a while, as a dropped connection would be.
        if ((e instanceof ApiError && e.status === 404) || ++failures >= 20) { this.#update(jobId, { error: asError(e).message }); this.#finished(jobId); return; }
      }
      await new Promise((r) => setTimeout(r, this.pollMs));
    }
  }

  #observe(jobId: string, job: TrainJobView): void {
    const run = this.#runs.find((r) => r.jobId === jobId);
    const prev = run?.job;
    const advanced = job.loss !== null && Number.isFinite(job.loss) && job.epoch !== null && (job.epoch !== prev?.epoch || job.model !== prev?.model);
    this.#update(jobId, { job, ...(advanced && run ? { losses: [...run.losses, job.loss!] } : {}) });
  }

  #finished(jobId: string): void {
    const run = this.#runs.find((r) => r.jobId === jobId);
    if (run) this.onFinished(run);
  }

  #update(jobId: string, patch: Partial<TrainingRun>): void {
    this.#runs = this.#runs.map((r) => (r.jobId === jobId ? { ...r, ...patch } : r));
  }
}

const asError = (e: unknown): ApiError | Error => (e instanceof Error ? e : new Error(String(e)));

export const modelsView = new ModelsView();
// Module-level so a run keeps its progress while the user looks at another page.
export const trainingJobs = new TrainingJobs(apiToken, () => void modelsView.refresh());
