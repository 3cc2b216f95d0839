// `npm run schemas:export`: writes one JSON Schema file per event type and version, plus the envelope.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { jsonSchemas } from '../src/json-schema.ts';

const dir = resolve(process.argv[2] ?? join(import.meta.dirname, '../json'));
mkdirSync(dir, { recursive: true });
const schemas = jsonSchemas();
for (const [file, schema] of Object.entries(schemas)) writeFileSync(join(dir, file), JSON.stringify(schema, null, 2) + '\n');
console.log(`wrote ${Object.keys(schemas).length} JSON Schemas to ${dir}`);
