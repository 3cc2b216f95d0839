// Message headers: what an event carries beside its bytes, and what a dead letter says about its failure.
import type { DomainEvent } from '@qts/schemas';

/** Copies of envelope fields, so tools can route or filter without parsing the value. */
export const eventHeader = { type: 'type', version: 'version', correlationId: 'correlation-id' } as const;

/** Set on every dead letter; the value is the original bytes, untouched. */
export const deadLetterHeader = {
  reason: 'dlq-reason',
  kind: 'dlq-kind',
  sourceTopic: 'dlq-source-topic',
  sourcePartition: 'dlq-source-partition',
  sourceOffset: 'dlq-source-offset',
} as const;

export function eventHeaders(event: DomainEvent): Record<string, string> {
  return {
    [eventHeader.type]: event.type,
    [eventHeader.version]: String(event.version),
    [eventHeader.correlationId]: event.correlationId,
  };
}
