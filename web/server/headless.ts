/**
 * Starts the pages' server and a headless chromium with WebGPU, for the Playwright tests and `npm run bench:browser`.
 * SwiftShader gives chromium a software WebGPU adapter on machines without a GPU (../shared/docs/TESTBED.md).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { ASSETS_PLUGIN, localAssets, type AssetDirs } from './local-assets.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export class HeadlessSetupError extends Error {
  override readonly name = 'HeadlessSetupError';
}

export interface WebServer {
  readonly url: string;
  close(): Promise<void>;
}

export interface WebServerOptions {
  /** Serve these folders instead of the configured ones (e.g. a models folder holding a swapper). */
  readonly assets?: AssetDirs;
}

/** vite's dev server on an ephemeral 127.0.0.1 port (a secure context, as WebGPU needs), with no file watching. */
export async function startWebServer(options: WebServerOptions = {}): Promise<WebServer> {
  // The config is imported here rather than named as a configFile: vite would bundle it first, which is slow and noisy.
  const { default: config } = await import('../vite.config.js');
  const server: ViteDevServer = await createServer({
    ...config,
    // The configured asset server is swapped for one over the given folders; any other plugin stays.
    ...(options.assets ? { plugins: [...(config.plugins ?? []).filter((p) => !(p && typeof p === 'object' && 'name' in p && p.name === ASSETS_PLUGIN)), localAssets(options.assets)] } : {}),
    configFile: false,
    logLevel: 'error',
    // Colleagues edit src/ while tests run: watching would reload pages mid-test.
    server: { ...config.server, host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
  });
  await server.listen();
  const url = server.resolvedUrls?.local[0];
  if (!url) {
    await server.close();
    throw new HeadlessSetupError('vite started but reported no local URL');
  }
  return { url: url.replace(/\/$/, ''), close: () => server.close() };
}

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags that give headless chromium a WebGPU adapter here and keep it off the network. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--no-sandbox', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
  // A synthetic camera, granted without a prompt, so the demo's webcam path runs headless.
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
];

export interface HeadlessBrowser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** Extra chromium flags, e.g. `--use-file-for-fake-video-capture=clip.y4m` for a fake camera showing a clip. */
  readonly extraArgs?: readonly string[];
}

/** A fresh profile each time, so Cache API contents and permissions never leak between runs. */
export async function launchBrowser(options: LaunchOptions = {}): Promise<HeadlessBrowser> {
  if (!existsSync(CHROMIUM_PATH)) throw new HeadlessSetupError(`chromium not found at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`);
  const profile = mkdtempSync(join(tmpdir(), 'insightgpu-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS, ...(options.extraArgs ?? [])], viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Console errors and uncaught page errors seen on a page, as text. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg: ConsoleMessage) => {
    if (msg.type() === 'error') errors.push(`console.error: ${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.name}: ${err.message}`));
  page.on('requestfailed', (req) => errors.push(`request failed: ${req.url()} (${req.failure()?.errorText ?? '?'})`));
  return errors;
}

/** What the page's navigator.gpu offers; the message says exactly what is missing when there is no adapter. */
export async function probeWebGpu(page: Page): Promise<{ ok: true; adapter: string } | { ok: false; why: string }> {
  return page.evaluate(async () => {
    if (!isSecureContext) return { ok: false as const, why: `page ${location.href} is not a secure context` };
    if (!navigator.gpu) return { ok: false as const, why: 'navigator.gpu is undefined (WebGPU disabled in this chromium?)' };
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) return { ok: false as const, why: 'navigator.gpu.requestAdapter() returned null (no Vulkan/SwiftShader adapter)' };
    const i = adapter.info;
    return { ok: true as const, adapter: [i.vendor, i.architecture, i.device, i.description].filter((s) => s).join(' / ') };
  });
}

export type { Browser, Page };
