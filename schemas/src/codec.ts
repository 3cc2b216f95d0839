// The trust boundary for events: bytes in, a validated latest-version event or a typed reason out.
import { EventEnvelope } from './envelope.ts';
import { catalog, isEventType, type EventType } from './catalog.ts';
import type { DomainEvent } from './event.ts';

export type DecodeFailure =
  | { kind: 'Oversized'; bytes: number; limit: number }
  | { kind: 'MalformedJson'; message: string }
  | { kind: 'InvalidEnvelope'; issues: string[] }
  | { kind: 'UnknownType'; type: string }
  | { kind: 'UnknownVersion'; type: string; version: number; latest: number }
  | { kind: 'InvalidData'; type: string; version: number; issues: string[] };

export type DecodeResult = { ok: true; event: DomainEvent } | { ok: false; error: DecodeFailure };

/** 1 MiB: far above any real event; a bigger payload is a bug or an attack, never a fact. */
export const MAX_EVENT_BYTES = 1024 * 1024;

const decoder = new TextDecoder('utf-8', { fatal: true });

export function describeFailure(f: DecodeFailure): string {
  switch (f.kind) {
    case 'Oversized': return `payload of ${f.bytes} bytes exceeds the limit of ${f.limit}`;
    case 'MalformedJson': return `not valid JSON: ${f.message}`;
    case 'InvalidEnvelope': return `invalid envelope: ${f.issues.join('; ')}`;
    case 'UnknownType': return `unknown event type '${f.type}'`;
    case 'UnknownVersion': return `unknown version ${f.version} of ${f.type} (latest is ${f.latest})`;
    case 'InvalidData': return `invalid ${f.type} v${f.version} data: ${f.issues.join('; ')}`;
    default: {
      const never: never = f;
      return String(never);
    }
  }
}

function issuesOf(error: { issues: readonly { path: PropertyKey[]; message: string }[] }): string[] {
  return error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
}

/** Validates an already-parsed object and upcasts it to the latest version of its type. */
export function validateEvent(raw: unknown): DecodeResult {
  const env = EventEnvelope.safeParse(raw);
  if (!env.success) return { ok: false, error: { kind: 'InvalidEnvelope', issues: issuesOf(env.error) } };
  const { type, version } = env.data;
  if (!isEventType(type)) return { ok: false, error: { kind: 'UnknownType', type } };
  const def = catalog[type as EventType];
  const schema = def.versions[version];
  if (!schema) return { ok: false, error: { kind: 'UnknownVersion', type, version, latest: def.latest } };
  const parsed = schema.safeParse(env.data.data);
  if (!parsed.success) return { ok: false, error: { kind: 'InvalidData', type, version, issues: issuesOf(parsed.error) } };
  let data: unknown = parsed.data;
  for (let v = version; v < def.latest; v++) {
    const up = (def.upcasters as Record<number, (d: unknown) => unknown>)[v];
    if (!up) return { ok: false, error: { kind: 'UnknownVersion', type, version, latest: def.latest } };
    data = up(data);
  }
  return { ok: true, event: { ...env.data, version: def.latest, data } as DomainEvent };
}

/** Decodes bytes (or a string) from a wire or a store. Never throws. */
export function decodeEvent(bytes: Uint8Array | string, maxBytes = MAX_EVENT_BYTES): DecodeResult {
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.byteLength;
  if (size > maxBytes) return { ok: false, error: { kind: 'Oversized', bytes: size, limit: maxBytes } };
  let raw: unknown;
  try {
    raw = JSON.parse(typeof bytes === 'string' ? bytes : decoder.decode(bytes));
  } catch (e) {
    return { ok: false, error: { kind: 'MalformedJson', message: (e as Error).message } };
  }
  return validateEvent(raw);
}

export function encodeEvent(event: DomainEvent): Buffer {
  return Buffer.from(JSON.stringify(event));
}
