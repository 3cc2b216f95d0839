// Writes the built-in strategies' parameter forms (core's paramSpace) to src/lib/catalog.gen.json for the UI build.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { strategyCatalog } from '@qts/core';

const out = resolve(import.meta.dirname, '../src/lib/catalog.gen.json');
writeFileSync(out, `${JSON.stringify(strategyCatalog(), null, 1)}\n`);
