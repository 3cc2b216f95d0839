// Logging for the bus: pino JSON lines on stderr (stdout stays free for tools such as `qts tap`), and kafkajs routed into it.
import { pino, type Logger } from 'pino';
import { logLevel as KafkaLogLevel, type logCreator } from 'kafkajs';

export type { Logger } from 'pino';

/** A JSON-lines logger on stderr; QTS_LOG_LEVEL overrides the level (default 'info'). */
export function busLogger(name = 'bus'): Logger {
  return pino({ name, level: process.env.QTS_LOG_LEVEL ?? 'info' }, pino.destination(2));
}

/** kafkajs's level for a pino level, one step quieter: kafkajs INFO is chatty (every join, every connect), so ours 'info' is its WARN. */
export function kafkaLogLevel(level: string | undefined): KafkaLogLevel {
  switch (level) {
    case 'trace': return KafkaLogLevel.DEBUG;
    case 'debug': return KafkaLogLevel.INFO;
    case 'error': case 'fatal': return KafkaLogLevel.ERROR;
    case 'silent': return KafkaLogLevel.NOTHING;
    default: return KafkaLogLevel.WARN;
  }
}

/** A kafkajs logCreator that writes each kafkajs entry as one pino line, with its namespace. */
export function kafkaLogCreator(logger: Logger): logCreator {
  return () => ({ namespace, level, log }) => {
    const { message, timestamp: _t, logger: _l, ...extra } = log as { message: string; timestamp?: string; logger?: string } & Record<string, unknown>;
    const fields = { kafkajs: namespace, ...extra };
    // kafkajs's Connection logs every error response (a rebalance in progress, a coordinator still loading) at
    // ERROR although the layers above retry them; their real failures surface as consumer crashes or thrown errors.
    if (namespace === 'Connection') logger.debug(fields, message);
    else if (level === KafkaLogLevel.ERROR) logger.error(fields, message);
    else if (level === KafkaLogLevel.WARN) logger.warn(fields, message);
    else if (level === KafkaLogLevel.INFO) logger.info(fields, message);
    else logger.debug(fields, message);
  };
}
