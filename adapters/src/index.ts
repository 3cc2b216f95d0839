// @qts/adapters: the edges of the system (buses, event stores, venues, market data, servers).
export { createPostgresDb, createPgliteDb } from './postgres/database.ts';
export type { PgDatabase, PostgresDbOptions, PgliteDbOptions, Unlisten } from './postgres/database.ts';
export { PostgresEventStore } from './event-store/postgres-event-store.ts';
export type { PostgresEventStoreOptions } from './event-store/postgres-event-store.ts';
export { EsdbEventStore } from './event-store/esdb-event-store.ts';
export { InProcessBus } from './bus/in-process-bus.ts';
export type { InProcessBusOptions } from './bus/in-process-bus.ts';
export { KafkaBus, kafkaBrokersFromEnv } from './bus/kafka-bus.ts';
export type { KafkaBusOptions } from './bus/kafka-bus.ts';
export { readTopics } from './bus/tail.ts';
export type { Tail, TailOptions, TailingBus } from './bus/tail.ts';
export { deadLetterHeader, eventHeader } from './bus/headers.ts';
export { decodeMessage } from './bus/delivery.ts';
export { partitionFor } from './bus/partitioner.ts';
export type { RetryPolicy } from './bus/retry.ts';
export { busLogger } from './bus/log.ts';
export { startRecorder, RECORDER_GROUP } from './recorder/recorder.ts';
export type { RecorderOptions } from './recorder/recorder.ts';
