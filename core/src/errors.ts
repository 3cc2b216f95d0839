// One error taxonomy: every error has a kind, its context, whether a retry can help, and its cause.
export abstract class QtsError extends Error {
  abstract readonly kind: string;
  abstract readonly retryable: boolean;
  constructor(message: string, readonly context: Readonly<Record<string, unknown>> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Optimistic concurrency: the stream moved since it was read. Nothing was written. */
export class WrongExpectedRevision extends QtsError {
  readonly kind = 'WrongExpectedRevision';
  readonly retryable = true;
  constructor(readonly stream: string, readonly expected: string, readonly actual: string, options?: { cause?: unknown }) {
    super(`stream '${stream}' expected revision ${expected} but is at ${actual}`, { stream, expected, actual }, options);
  }
}

/** A re-append that shares some but not all event ids with what is stored: a bug, never retried. */
export class IdempotencyConflict extends QtsError {
  readonly kind = 'IdempotencyConflict';
  readonly retryable = false;
  constructor(readonly stream: string, detail: string) {
    super(`stream '${stream}': ${detail}`, { stream });
  }
}

/** A stored or received event that no longer decodes. */
export class CorruptEvent extends QtsError {
  readonly kind = 'CorruptEvent';
  readonly retryable = false;
}

/** The infrastructure is unreachable or failed; a retry may help. */
export class InfrastructureError extends QtsError {
  readonly kind = 'InfrastructureError';
  readonly retryable = true;
}

/** Input that fails validation at a trust boundary (config, API, CSV, parameters). */
export class ValidationError extends QtsError {
  readonly kind = 'ValidationError';
  readonly retryable = false;
  constructor(message: string, readonly issues: readonly { path: string; message: string }[]) {
    super(message, { issues });
  }
}
