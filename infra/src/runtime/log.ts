// Structured JSON logs (pino): one logger per worker, carrying its name; correlation ids go on each line.
import { pino, type Logger } from 'pino';
import { observedLoggerOptions } from '../observability/logging.ts';

export type { Logger };

export function createLogger(worker: string, level = process.env.QTS_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { service: worker }, timestamp: pino.stdTimeFunctions.isoTime, redact: { paths: ['*.apiKey', '*.secret', '*.token', '*.password', 'secrets'], censor: '[redacted]' }, ...observedLoggerOptions() });
}
