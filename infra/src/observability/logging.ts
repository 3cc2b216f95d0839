// pino options every qts logger shares: correlation ids of the event in hand on each line, and error lines counted and reported.
import { pino, type Logger, type LoggerOptions } from 'pino';
import { correlationMixin } from './correlation.ts';

export interface Incident {
  /** The logger's worker or component binding (or the consumer group), else its name. */
  readonly component: string;
  readonly message: string;
  /** The error's own message, when one was logged as `err`. */
  readonly error?: string;
}

const sinks = new Set<(e: Incident) => void>();

/**
 * Calls `sink` for each incident of this process: every error (and fatal) line a qts logger writes,
 * each handler failure and dead letter the metered bus sees. Returns its removal.
 */
export function onIncident(sink: (e: Incident) => void): () => void {
  sinks.add(sink);
  return () => { sinks.delete(sink); };
}

export function reportIncident(e: Incident): void {
  if (e.component === 'notify' || sinks.size === 0) return;
  for (const sink of sinks) {
    try { sink(e); } catch { /* a sink never breaks its reporter */ }
  }
}

function report(bindings: Record<string, unknown>, args: unknown[]): void {
  const [first, second] = args;
  const fields = first && typeof first === 'object' && !(first instanceof Error) ? first as Record<string, unknown> : {};
  const err = first instanceof Error ? first : fields.err instanceof Error ? fields.err : undefined;
  const message = typeof first === 'string' ? first : typeof second === 'string' ? second : err?.message ?? 'error';
  const component = String(fields.worker ?? fields.component ?? bindings.worker ?? bindings.component ?? bindings.name ?? bindings.service ?? 'qts');
  // The notifier's own delivery failures are not reported back to it (reportIncident drops them): that would loop.
  reportIncident({ component, message, ...(err ? { error: err.message } : {}) });
}

/** The options to spread into pino(...) for any long-running qts logger. */
export function observedLoggerOptions(): Pick<LoggerOptions, 'mixin' | 'hooks'> {
  return {
    mixin: correlationMixin,
    hooks: {
      logMethod(this: Logger, args: unknown[], method: (...a: unknown[]) => void, level: number) {
        if (level >= 50 && sinks.size > 0) report(this.bindings(), args);
        return method.apply(this, args);
      },
    },
  };
}

/** The worker logger of `qts worker`: JSON lines on stderr (stdout stays free for tools), with the shared options. */
export function workerLogger(name: string): Logger {
  return pino({ name, level: process.env.QTS_LOG_LEVEL ?? 'info', ...observedLoggerOptions() }, pino.destination(2));
}
