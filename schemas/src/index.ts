// @qts/schemas: the event catalog, the envelope, the codec at the trust boundary, and event ids.
export { EventEnvelope } from './envelope.ts';
export type { Envelope, RawEnvelope } from './envelope.ts';
export * from './events/common.ts';
export * from './events/market.ts';
export * from './events/signals.ts';
export * from './events/orders.ts';
export * from './events/risk.ts';
export * from './events/strategy.ts';
export * from './events/models.ts';
export { catalog, topics, allTopics, deadLetterTopic, eventTypes, isEventType, definitionOf } from './catalog.ts';
export type { Catalog, EventDefinition, EventData, EventType, Topic } from './catalog.ts';
export { makeEvent, causedBy } from './event.ts';
export type { DomainEvent, EventContext } from './event.ts';
export { decodeEvent, validateEvent, encodeEvent, describeFailure, MAX_EVENT_BYTES } from './codec.ts';
export type { DecodeFailure, DecodeResult } from './codec.ts';
export { uuidv7Ids, seededIds, derivedId } from './ids.ts';
export type { IdGenerator } from './ids.ts';
export { jsonSchemas } from './json-schema.ts';
