// Polls an assertion until it passes or a deadline expires: tests wait for asynchronous effects without sleeping.

export interface EventuallyOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
}

/**
 * Retries `assertion` until it stops throwing; rethrows its last error after `timeoutMs`.
 * @example await eventually(() => expect(received).toHaveLength(3));
 */
export async function eventually<T>(assertion: () => T | Promise<T>, options: EventuallyOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 10;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (e) {
      if (performance.now() >= deadline) throw e;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
