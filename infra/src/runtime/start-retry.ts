// A worker that meets an unreachable broker or database at start waits for it, as a 24/7 service must; a wrong config still fails at once.
import { QtsError } from '@qts/core';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EPIPE']);
// Postgres: connection exceptions (class 08), the server is starting or shutting down, too many connections.
const PG_TRANSIENT = new Set(['57P01', '57P02', '57P03', '53300']);

/** True when a later attempt may succeed: the cause is the infrastructure (down, starting, still creating a topic), not the input. */
export function isTransient(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; e !== null && e !== undefined && depth < 10; depth++) {
    if (e instanceof QtsError) { if (e.retryable) return true; }
    else {
      const name = (e as { name?: unknown }).name;
      if (typeof name === 'string' && name.startsWith('KafkaJS')) return true;
      const code = (e as { code?: unknown }).code;
      if (typeof code === 'string' && (NETWORK_CODES.has(code) || PG_TRANSIENT.has(code) || code.startsWith('08'))) return true;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

export interface StartRetryOptions {
  /** Told before each wait: the failed attempt's error, its number and the delay before the next one. */
  readonly onRetry: (error: unknown, attempt: number, delayMs: number) => void;
  /** Aborted by SIGTERM/SIGINT: stops waiting, and the start gives up with the last error. */
  readonly signal: AbortSignal;
  readonly firstDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs `start` until it succeeds, retrying transient failures with exponential backoff (1 s doubling
 * to 30 s) for as long as the process is wanted; any other error, or a stop request, ends it with that error.
 */
export async function startWithRetry<T>(start: (attempt: number) => Promise<T>, options: StartRetryOptions): Promise<T> {
  const first = options.firstDelayMs ?? 1_000;
  const max = options.maxDelayMs ?? 30_000;
  const sleep = options.sleep ?? abortableSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(attempt);
    } catch (error) {
      if (!isTransient(error) || options.signal.aborted) throw error;
      const delayMs = Math.min(max, first * 2 ** (attempt - 1));
      options.onRetry(error, attempt, delayMs);
      await sleep(delayMs, options.signal);
      if (options.signal.aborted) throw error;
    }
  }
}
