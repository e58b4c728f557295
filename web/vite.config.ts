/**
 * One vite site for the browser pages: the demo (/web/demo/) and the benchmark (/bench/web/). The site root is the
 * repository root so the pages import the engine straight from src/ (no build step, no published package).
 *
 *   npx vite --config web/vite.config.ts          (npm run dev:web)
 *   npx vite build --config web/vite.config.ts    (npm run build:web → dist/web/)
 *
 * The test-bed files (models, images, goldens) and onnxruntime-web's runtime are served by `localAssets`.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { localAssets, resolveAssetDirs } from './server/local-assets.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export default defineConfig({
  root: REPO_ROOT,
  // The pages are static files plus module scripts; no SPA fallback, so a wrong URL is a plain 404.
  appType: 'mpa',
  clearScreen: false,
  plugins: [localAssets(resolveAssetDirs(REPO_ROOT))],
  optimizeDeps: {
    // Only the pages' own entries: the repo root holds tests and tools that must not be scanned for deps.
    entries: ['web/demo/index.html', 'web/demo/live.html', 'bench/web/index.html', 'web/index.html'],
    // onnxruntime-web locates its .wasm next to its own module; it is loaded from /ort/ untouched instead.
    exclude: ['onnxruntime-web'],
  },
  server: { host: '127.0.0.1' },
  build: {
    outDir: resolve(REPO_ROOT, 'dist/web'),
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      input: {
        index: resolve(REPO_ROOT, 'web/index.html'),
        demo: resolve(REPO_ROOT, 'web/demo/index.html'),
        live: resolve(REPO_ROOT, 'web/demo/live.html'),
        bench: resolve(REPO_ROOT, 'bench/web/index.html'),
      },
    },
  },
});
