// Backoff for redelivering a message whose handler failed: exponential, capped, and cut short by a stop.
export interface RetryPolicy {
  /** First wait after a failure. */
  readonly initialMs: number;
  /** Longest wait between two attempts; the message is retried until it succeeds or the consumer stops. */
  readonly maxMs: number;
  readonly factor: number;
}

export const defaultRetryPolicy: RetryPolicy = { initialMs: 100, maxMs: 10_000, factor: 2 };

export function backoffMs(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, attempt - 1));
}

/** Sleeps up to `ms`, waking early (within 50 ms) once `alive()` turns false, so a stop never waits out a backoff. */
export async function sleepWhile(ms: number, alive: () => boolean): Promise<void> {
  const until = Date.now() + ms;
  while (alive()) {
    const left = until - Date.now();
    if (left <= 0) return;
    await new Promise((r) => setTimeout(r, Math.min(left, 50)));
  }
}
