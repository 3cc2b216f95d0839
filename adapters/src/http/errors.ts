// The one place errors become HTTP: each QtsError kind has a status, and every error body has the same typed shape.
import { QtsError, ValidationError } from '@qts/core';
import type { z } from 'zod';

/** The thing addressed does not exist (an order, a strategy, a job). */
export class NotFound extends QtsError {
  readonly kind = 'NotFound';
  readonly retryable = false;
  constructor(readonly what: string, readonly id: string) {
    super(`${what} '${id}' not found`, { what, id });
  }
}

/** The request is well-formed but the thing is in a state that forbids it (stopping a stopped strategy). */
export class Conflict extends QtsError {
  readonly kind = 'Conflict';
  readonly retryable = false;
}

export class Unauthorized extends QtsError {
  readonly kind = 'Unauthorized';
  readonly retryable = false;
}

export class Forbidden extends QtsError {
  readonly kind = 'Forbidden';
  readonly retryable = false;
}

const statusByKind: Readonly<Record<string, number>> = {
  ValidationError: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  WrongExpectedRevision: 409,
  IdempotencyConflict: 409,
  IllegalOrderTransition: 409,
  FillRefused: 409,
  Conflict: 409,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  RateLimited: 429,
  CorruptEvent: 500,
  InfrastructureError: 503,
  Unavailable: 503,
};

export interface ErrorBody {
  error: { kind: string; message: string; issues?: { path: string; message: string }[] };
}

/** Zod issues as `{path, message}` with dotted paths, prefixed by where they came from (params, query, body). */
export function issuesOf(where: string, error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message }));
}

/** Maps anything thrown to a status and a body; unknown errors become a 500 that leaks no detail. */
export function toHttpError(e: unknown): { status: number; body: ErrorBody; internal: boolean } {
  if (e instanceof QtsError) {
    const status = statusByKind[e.kind] ?? (e.retryable ? 503 : 500);
    const body: ErrorBody = { error: { kind: e.kind, message: e.message } };
    if (e instanceof ValidationError) body.error.issues = [...e.issues];
    return { status, body, internal: status >= 500 };
  }
  // Errors from express's body parser carry a 4xx status and a type.
  const bp = e as { status?: number; statusCode?: number; type?: string; expose?: boolean; message?: string };
  const status = bp?.status ?? bp?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const kind = status === 413 ? 'PayloadTooLarge' : status === 415 ? 'UnsupportedMediaType' : 'ValidationError';
    const message = bp.type === 'entity.parse.failed' ? 'request body is not valid JSON' : (bp.expose && bp.message) || 'bad request';
    const body: ErrorBody = { error: { kind, message } };
    if (kind === 'ValidationError') body.error.issues = [{ path: 'body', message }];
    return { status, body, internal: false };
  }
  return { status: 500, body: { error: { kind: 'InternalError', message: 'internal error' } }, internal: true };
}
