// Builds the dashboard into ui/dist, which the API server serves at `/`; dev mode proxies /api to a running `npm start`.
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  plugins: [svelte()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 400 },
  server: { proxy: { '/api': { target: process.env.QTS_API ?? 'http://127.0.0.1:8080', ws: true } } },
});
