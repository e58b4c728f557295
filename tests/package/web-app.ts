/**
 * The browser half of the package check: a vite production build of a fresh app (examples/browser, plus the check
 * page web-checks/checks.html) that installed the tarball, every warning vite or its bundler reports collected, then
 * the built pages served from 127.0.0.1 with the test bed's models and photo, loaded in chromium, and their results
 * read back.
 */
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Rollup } from 'vite';
import { launchBrowser } from '../../web/server/headless.js';

/** One emitted JavaScript file of the build, by name, and its size. */
export interface Chunk { readonly file: string; readonly bytes: number }

/**
 * Builds `dir`'s pages (`pages`: HTML files at its root; index.html + main.js, …) with vite's defaults otherwise,
 * by the vite the app installed itself (as its own `vite build` would), so the app's install is what is tested;
 * writes them to `outDir` (default `dir`/dist) and returns every warning and the emitted JavaScript files.
 */
export async function buildWebApp(dir: string, pages: readonly string[] = ['index.html'], outDir = path.join(dir, 'dist')): Promise<{ warnings: string[]; chunks: Chunk[] }> {
  const vitePath = createRequire(path.join(dir, 'package.json')).resolve('vite');
  const { build, createLogger } = (await import(pathToFileURL(vitePath).href)) as typeof import('vite');
  const warnings: string[] = [];
  const logger = createLogger('info');
  logger.warn = (msg) => { warnings.push(msg); };
  logger.warnOnce = (msg) => { warnings.push(msg); };
  logger.error = (msg) => { warnings.push(`error: ${msg}`); };
  await build({
    root: dir,
    configFile: false,
    logLevel: 'info',
    customLogger: logger,
    build: {
      outDir,
      emptyOutDir: true,
      rollupOptions: {
        input: Object.fromEntries(pages.map((p) => [path.basename(p, '.html'), path.join(dir, p)])),
        onwarn: (warning: Rollup.RollupLog) => { warnings.push(`bundler: ${warning.message}`); },
      },
    },
  });
  const assets = path.join(outDir, 'assets');
  const chunks = readdirSync(assets).filter((f) => f.endsWith('.js')).map((file) => ({ file, bytes: statSync(path.join(assets, file)).size }));
  return { warnings, chunks };
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.onnx': 'application/octet-stream', '.jpg': 'image/jpeg' };

/** The test bed's pack A as the pages' `files` parameter (every model but the second detector). */
function packFiles(modelsDir: string): string {
  return readdirSync(modelsDir).filter((f) => f.endsWith('.onnx') && f !== 'scrfd_500m_bnkps.onnx').join(',');
}

/**
 * Serves the built app, `/models/<file>` from `modelsDir` and `/photo.jpg`; loads `page` in chromium with the models
 * and photo as its parameters, waits until #status matches `settled`, and returns the text of #status and `#<read>`
 * and the page's console.
 */
async function runPage(distDir: string, modelsDir: string, image: string, page: string, settled: RegExp, read: string): Promise<{ status: string; text: string; logs: string[] }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const file = url.pathname === '/photo.jpg' ? image
      : url.pathname.startsWith('/models/') ? path.join(modelsDir, path.basename(url.pathname))
        : path.join(distDir, url.pathname === '/' ? 'index.html' : path.normalize(url.pathname));
    if (!existsSync(file) || !statSync(file).isFile()) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const browser = await launchBrowser();
  try {
    const tab = await browser.context.newPage();
    const logs: string[] = [];
    tab.on('console', (m) => logs.push(m.text()));
    tab.on('pageerror', (e) => logs.push(`uncaught: ${e.message}`));
    // localhost: WebGPU and the Cache API need a secure context.
    await tab.goto(`http://localhost:${port}/${page}?models=/models&files=${packFiles(modelsDir)}&image=/photo.jpg`);
    await tab.waitForFunction((re) => new RegExp(re).test(document.querySelector('#status')?.textContent ?? ''), settled.source, { timeout: 240_000 });
    return { status: (await tab.textContent('#status')) ?? '', text: (await tab.textContent(`#${read}`)) ?? '', logs };
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Loads the built examples/browser page in chromium and reads its face count. */
export async function pageFaceCount(distDir: string, modelsDir: string, image: string): Promise<{ faces: number; status: string; backend: string }> {
  const { status, text, logs } = await runPage(distDir, modelsDir, image, '', /faces|error/, 'faces');
  const faces = JSON.parse(text || '[]') as unknown[];
  const backend = logs.find((l) => l.startsWith('backend: '))?.slice('backend: '.length) ?? '(not logged)';
  return { faces: faces.length, status: logs.length > 0 && /error/.test(status) ? `${status}; ${logs.join('; ')}` : status, backend };
}

/** One refusal the check page saw: the thrown error's name, whether it is an instance of the class expected, its code. */
export interface PageRefusal { readonly thrown: boolean; readonly name?: string; readonly instance?: boolean; readonly code?: string; readonly message?: string }

/** Loads the built check page (web-checks/checks.html) in chromium and reads what it found. */
export async function pageChecks(distDir: string, modelsDir: string, image: string): Promise<{ status: string; results: Record<string, unknown> }> {
  const { status, text, logs } = await runPage(distDir, modelsDir, image, 'checks.html', /checks done|error/, 'checks');
  return { status: /error/.test(status) ? `${status}; ${logs.join('; ')}` : status, results: JSON.parse(text || '{}') as Record<string, unknown> };
}
