// The one Bus contract, run against the in-process bus and a real Kafka broker (KAFKA_BROKERS, default 127.0.0.1:19092).
import { pino } from 'pino';
import { busContract } from '../testing/bus-contract.ts';
import { InProcessBus } from './in-process-bus.ts';
import { KafkaBus } from './kafka-bus.ts';

const logger = pino({ level: process.env.QTS_LOG_LEVEL ?? 'error' }, pino.destination(2));
const retry = { initialMs: 20, maxMs: 200 };

busContract({
  name: 'InProcessBus',
  make: async (o = {}) => new InProcessBus({ ...o, retry, logger }),
});

busContract({
  name: 'KafkaBus',
  make: async (o = {}) => new KafkaBus({ ...o, retry, logger, consumer: { maxWaitTimeInMs: 100 } }),
});
