// Builds the dashboard once before the tests (the e2e test loads it from the API server).
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { build } from 'vite';

export default async function setup(): Promise<void> {
  const root = resolve(import.meta.dirname, '..');
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/strategy-catalog.ts'], { cwd: root, stdio: 'inherit' });
  // vitest sets NODE_ENV=test, which would make a development build of Svelte.
  const env = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ root, mode: 'production', logLevel: 'warn', configFile: resolve(root, 'vite.config.ts') });
  } finally {
    process.env.NODE_ENV = env;
  }
}
