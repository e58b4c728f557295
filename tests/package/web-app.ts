/**
 * The browser half of the package check: a vite production build of a fresh app (examples/browser) that
 * installed the tarball, every warning vite or its bundler reports collected, then the built page served from
 * 127.0.0.1 with the test bed's models and photo, loaded in chromium, and its face count read back.
 */
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { build, createLogger, type Rollup } from 'vite';
import { launchBrowser } from '../../web/server/headless.js';

/** Builds `dir` (index.html + main.js) with vite's defaults; returns every warning and the JavaScript's size. */
export async function buildWebApp(dir: string): Promise<{ warnings: string[]; bundleBytes: number }> {
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
      outDir: path.join(dir, 'dist'),
      emptyOutDir: true,
      rollupOptions: { onwarn: (warning: Rollup.RollupLog) => { warnings.push(`bundler: ${warning.message}`); } },
    },
  });
  const assets = path.join(dir, 'dist', 'assets');
  const bundleBytes = readdirSync(assets).filter((f) => f.endsWith('.js')).reduce((sum, f) => sum + statSync(path.join(assets, f)).size, 0);
  return { warnings, bundleBytes };
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.onnx': 'application/octet-stream', '.jpg': 'image/jpeg' };

/** Serves the built app, `/models/<file>` from `modelsDir` and `/photo.jpg`; loads the page in chromium and reads its result. */
export async function pageFaceCount(distDir: string, modelsDir: string, image: string): Promise<{ faces: number; status: string; backend: string }> {
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
    const page = await browser.context.newPage();
    const logs: string[] = [];
    page.on('console', (m) => logs.push(m.text()));
    page.on('pageerror', (e) => logs.push(`uncaught: ${e.message}`));
    const files = readdirSync(modelsDir).filter((f) => f.endsWith('.onnx') && f !== 'scrfd_500m_bnkps.onnx').join(',');
    // localhost: WebGPU and the Cache API need a secure context.
    await page.goto(`http://localhost:${port}/?models=/models&files=${files}&image=/photo.jpg`);
    await page.waitForFunction(() => /faces|error/.test(document.querySelector('#status')?.textContent ?? ''), undefined, { timeout: 240_000 });
    const status = (await page.textContent('#status')) ?? '';
    const faces = JSON.parse((await page.textContent('#faces')) || '[]') as unknown[];
    const backend = logs.find((l) => l.startsWith('backend: '))?.slice('backend: '.length) ?? '(not logged)';
    return { faces: faces.length, status: logs.length > 0 && /error/.test(status) ? `${status}; ${logs.join('; ')}` : status, backend };
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
