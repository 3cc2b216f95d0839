// Shared vitest settings: tests next to the code, tiers by suffix (*.unit|int|e2e.test.ts).
import { basename, resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

const pkg = basename(process.cwd());

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The JSON report feeds infra/scripts/test-summary.mjs, which prints one total for the whole repo.
    reporters: ['default', ['json', { outputFile: resolve(import.meta.dirname, 'var/test-results', `${pkg}.json`) }]],
  },
});
