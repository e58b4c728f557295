/**
 * A vite plugin that serves what the pages need from outside the site root, read-only and by plain file name:
 *   /models/index.json, /models/NAME   the test-bed models (INSIGHTGPU_MODELS or ../shared/models)
 *   /images/index.json, /images/NAME   the test-bed photos (the demo's sample photos)
 *   /golden/NAME                       InsightFace goldens
 *   /ort/NAME                          onnxruntime-web's own .mjs/.wasm files, from node_modules (never a CDN)
 * On `vite build` the onnxruntime-web files are copied into the output's ort/ folder; models stay outside the build.
 */
import { createReadStream, existsSync, mkdirSync, copyFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Plugin, ResolvedConfig } from 'vite';

export interface AssetDirs {
  readonly models: string;
  readonly images: string;
  readonly golden: string;
  readonly ort: string;
}

/** Where each served folder lives; the shared test bed sits beside the repository (CI: ../shared). */
export function resolveAssetDirs(repoRoot: string, env: NodeJS.ProcessEnv = process.env): AssetDirs {
  const shared = env.INSIGHTGPU_SHARED ?? resolve(repoRoot, '../shared');
  return {
    models: env.INSIGHTGPU_MODELS ?? join(shared, 'models'),
    images: join(shared, 'images'),
    golden: join(shared, 'golden'),
    ort: resolve(repoRoot, 'node_modules/onnxruntime-web/dist'),
  };
}

/** One entry of /models/index.json. */
export interface ServedModel {
  readonly name: string;
  readonly bytes: number;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.onnx': 'application/octet-stream',
  '.wasm': 'application/wasm',
  '.mjs': 'text/javascript',
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
};

// A plain file name: no separators and no dot-dot, so a request can never leave its folder.
const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.@-]*$/;

export function listModels(dir: string): ServedModel[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.onnx'))
    .sort()
    .map((name) => ({ name, bytes: statSync(join(dir, name)).size }));
}

const IMAGE_FILE = /\.(jpe?g|png)$/i;

/** The photos the demo offers as samples, by name. */
export function listImages(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((name) => IMAGE_FILE.test(name) && SAFE_NAME.test(name)).sort();
}

function sendFile(res: ServerResponse, path: string): void {
  const size = statSync(path).size;
  res.statusCode = 200;
  res.setHeader('Content-Type', CONTENT_TYPES[extname(path)] ?? 'application/octet-stream');
  // Content-Length lets the pages show a real progress bar while a model downloads.
  res.setHeader('Content-Length', String(size));
  res.setHeader('Cache-Control', 'no-cache');
  createReadStream(path).pipe(res);
}

function sendNotFound(res: ServerResponse, why: string): void {
  res.statusCode = 404;
  res.setHeader('Content-Type', 'text/plain');
  res.end(why);
}

/** Answers the request when its path belongs to one of the served folders; returns false otherwise. */
export function serveAsset(dirs: AssetDirs, req: IncomingMessage, res: ServerResponse): boolean {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const match = /^\/(models|images|golden|ort)\/([^/]*)$/.exec(url.pathname);
  if (!match) return false;
  const folder = match[1] as keyof AssetDirs;
  const name = decodeURIComponent(match[2]!);
  if (folder === 'models' && name === 'index.json') {
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('Cache-Control', 'no-cache');
    res.end(JSON.stringify({ dir: dirs.models, models: listModels(dirs.models) }));
    return true;
  }
  if (folder === 'images' && name === 'index.json') {
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('Cache-Control', 'no-cache');
    res.end(JSON.stringify({ images: listImages(dirs.images) }));
    return true;
  }
  const path = join(dirs[folder], name);
  if (!SAFE_NAME.test(name) || !existsSync(path) || !statSync(path).isFile()) {
    sendNotFound(res, `${folder}/${name} is not served (folder ${dirs[folder]})`);
    return true;
  }
  sendFile(res, path);
  return true;
}

/** The onnxruntime-web files a page may load: the ESM entry points and the wasm binaries they fetch. */
function ortRuntimeFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => /^ort-wasm.*\.(mjs|wasm)$/.test(f) || /^ort(\.webgpu|\.wasm)?\.min\.mjs$/.test(f));
}

/** The plugin's name in vite's config. */
export const ASSETS_PLUGIN = 'insightgpu-local-assets';

export function localAssets(dirs: AssetDirs): Plugin {
  let config: ResolvedConfig | undefined;
  const middleware = (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    if (!serveAsset(dirs, req, res)) next();
  };
  return {
    name: ASSETS_PLUGIN,
    configResolved(resolved) {
      config = resolved;
    },
    configureServer(server) {
      server.middlewares.use(middleware);
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware);
    },
    closeBundle() {
      if (!config || config.command !== 'build') return;
      const out = join(config.build.outDir, 'ort');
      mkdirSync(out, { recursive: true });
      for (const f of ortRuntimeFiles(dirs.ort)) copyFileSync(join(dirs.ort, f), join(out, f));
    },
  };
}
