// The event envelope: the one shape every fact in the system travels and is stored in.
import { z } from 'zod';

export const EventEnvelope = z.object({
  id: z.uuidv7(),
  type: z.string().min(1).max(128),
  version: z.number().int().positive(),
  stream: z.string().min(1).max(512),
  key: z.string().min(1).max(256),
  /** When the fact happened at its source (exchange time, bar close, decision time). */
  occurredAt: z.iso.datetime({ offset: false }),
  /** When this system recorded it; differs from occurredAt by the feed's and our latency. */
  recordedAt: z.iso.datetime({ offset: false }),
  causationId: z.string().max(128).nullable(),
  correlationId: z.string().max(128),
  data: z.unknown(),
  meta: z.record(z.string(), z.unknown()),
});

/** An envelope whose data is still unchecked: what arrives from a wire or a store. */
export type RawEnvelope = z.infer<typeof EventEnvelope>;

export interface Envelope<TType extends string = string, TData = unknown> {
  readonly id: string;
  readonly type: TType;
  readonly version: number;
  readonly stream: string;
  readonly key: string;
  readonly occurredAt: string;
  readonly recordedAt: string;
  readonly causationId: string | null;
  readonly correlationId: string;
  readonly data: TData;
  readonly meta: Readonly<Record<string, unknown>>;
}
