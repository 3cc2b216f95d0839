// JSON Schemas of the envelope and of every event type and version, for taps and other languages.
import { z } from 'zod';
import { catalog } from './catalog.ts';
import { EventEnvelope } from './envelope.ts';

export function jsonSchemas(): Record<string, unknown> {
  const out: Record<string, unknown> = { 'Envelope.schema.json': z.toJSONSchema(EventEnvelope, { unrepresentable: 'any' }) };
  for (const [type, def] of Object.entries(catalog)) {
    for (const [version, schema] of Object.entries(def.versions)) {
      out[`${type}.v${version}.schema.json`] = {
        ...z.toJSONSchema(schema, { unrepresentable: 'any' }),
        title: `${type} v${version}`,
        'x-topic': def.topic,
        'x-latest': Number(version) === def.latest,
      };
    }
  }
  return out;
}
