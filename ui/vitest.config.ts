// ui tests: component tests (happy-dom, per-file) and the end-to-end test in real Chromium; the JSON report joins the repo's summary.
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../vitest.shared.ts';

export default mergeConfig(shared, defineConfig({
  plugins: [svelte({ hot: false })],
  resolve: process.env.VITEST ? { conditions: ['browser'] } : {},
  test: {
    include: ['src/**/*.test.ts', 'e2e/**/*.test.ts'],
    // The e2e test serves ui/dist from the API server: build it first.
    globalSetup: ['e2e/build.global.ts'],
  },
}));
