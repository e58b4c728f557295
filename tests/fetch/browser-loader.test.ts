/**
 * The browser loader's logic in Node, against the real local HTTP server. Node has fetch and Response but no
 * Cache API, so the cache is a Map-backed object with the three methods the loader calls; the real
 * `caches.open` path is left to the Playwright suite (see the note in models/fetch/browser-loader.ts).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadModelFiles, loadPackFile, loadSingleModel, type CacheLike, type LoadProgress } from '../../models/fetch/browser-loader.js';
import { FetchError, IntegrityError, TruncatedDownloadError } from '../../models/fetch/errors.js';
import { buffaloLFiles, sha256 } from './pack-fixtures.js';
import { serveBytes, serveCut, startPackServer, type PackServer } from './pack-server.js';
import { forgedModel, modelSpecFor } from './model-fixtures.js';

/** In-memory stand-in for a window's Cache; stores bodies as bytes so reads are repeatable. */
class MemoryCache implements CacheLike {
  readonly entries = new Map<string, { body: Uint8Array; headers: Headers }>();
  async match(url: string): Promise<Response | undefined> {
    const hit = this.entries.get(url);
    return hit === undefined ? undefined : new Response(hit.body.slice(), { headers: hit.headers });
  }
  async put(url: string, response: Response): Promise<void> {
    this.entries.set(url, { body: new Uint8Array(await response.arrayBuffer()), headers: response.headers });
  }
  async delete(url: string): Promise<boolean> {
    return this.entries.delete(url);
  }
}

const files = buffaloLFiles();
const det = files['det_10g.onnx'];
const swapper = forgedModel(3); // a small stand-in served as inswapper_128.onnx
let server: PackServer;
before(async () => {
  server = await startPackServer();
  for (const [name, bytes] of Object.entries(files)) server.route(`/pack/${name}`, serveBytes(bytes, 3));
  server.route('/cut/det_10g.onnx', serveCut(det, 100));
  server.route('/single/inswapper_128.onnx', serveBytes(swapper, 3));
});
after(() => server.close());

describe('browser loader', () => {
  it('downloads with progress, caches the verified file, then serves it from the cache', async () => {
    const cache = new MemoryCache();
    const url = `${server.baseUrl}/pack/det_10g.onnx`;
    const events: LoadProgress[] = [];
    const bytes = await loadPackFile(url, { cache, sha256: sha256(det), onProgress: (p) => events.push(p) });
    assert.deepEqual(bytes, det);
    assert.ok(events.length >= 3 && events.every((e) => !e.fromCache && e.totalBytes === det.length));
    assert.equal(events.at(-1)?.receivedBytes, det.length);
    assert.equal(cache.entries.get(url)?.headers.get('x-insightgpu-sha256'), sha256(det));

    const requestsBefore = server.requests.length;
    const again: LoadProgress[] = [];
    assert.deepEqual(await loadPackFile(url, { cache, onProgress: (p) => again.push(p) }), det);
    assert.equal(server.requests.length, requestsBefore);
    assert.deepEqual(again.map((e) => e.fromCache), [true]);
  });

  it('a Cache API that refuses (caches.open or match rejects, as in a private window) loads from the network', async () => {
    const url = `${server.baseUrl}/pack/genderage.onnx`;
    const refused = (): Promise<never> => Promise.reject(new DOMException('The operation is insecure.', 'SecurityError'));
    const told: string[] = [];
    const onCacheError = (error: unknown, where: string): void => void told.push(`${(error as Error).name} ${where}`);
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'caches');
    Object.defineProperty(globalThis, 'caches', { value: { open: refused }, configurable: true });
    try {
      assert.deepEqual(await loadPackFile(url, { sha256: sha256(files['genderage.onnx']), onCacheError }), files['genderage.onnx']);
    } finally {
      if (saved === undefined) delete (globalThis as { caches?: unknown }).caches;
      else Object.defineProperty(globalThis, 'caches', saved);
    }
    const unreadable: CacheLike = { match: refused, put: async () => undefined, delete: async () => false };
    assert.deepEqual(await loadPackFile(url, { cache: unreadable, onCacheError }), files['genderage.onnx']);
    assert.deepEqual(told, ['SecurityError insightgpu-models', `SecurityError ${url}`]);
  });

  it('evicts a damaged cache entry and downloads afresh', async () => {
    const cache = new MemoryCache();
    const url = `${server.baseUrl}/pack/genderage.onnx`;
    await loadPackFile(url, { cache });
    const entry = cache.entries.get(url);
    assert.ok(entry !== undefined);
    entry.body[10] ^= 0xff;
    const requestsBefore = server.requests.length;
    assert.deepEqual(await loadPackFile(url, { cache }), files['genderage.onnx']);
    assert.equal(server.requests.length, requestsBefore + 1);
    assert.deepEqual(cache.entries.get(url)?.body, files['genderage.onnx']);
  });

  it('caches nothing when the digest is wrong or the body is cut', async () => {
    const cache = new MemoryCache();
    const wrong = '1'.repeat(64);
    const bad = await loadPackFile(`${server.baseUrl}/pack/det_10g.onnx`, { cache, sha256: wrong }).catch((e: unknown) => e);
    assert.ok(bad instanceof IntegrityError && bad.expected === wrong && bad.actual === sha256(det), String(bad));
    const cut = await loadPackFile(`${server.baseUrl}/cut/det_10g.onnx`, { cache }).catch((e: unknown) => e);
    assert.ok(cut instanceof TruncatedDownloadError && cut.receivedBytes === 100 && cut.expectedBytes === det.length, String(cut));
    const missing = await loadPackFile(`${server.baseUrl}/pack/nope.onnx`, { cache }).catch((e: unknown) => e);
    assert.ok(missing instanceof FetchError && missing.status === 404, String(missing));
    assert.equal(cache.entries.size, 0);
  });

  it('still returns a verified file when the cache refuses to store it', async () => {
    const full: CacheLike = {
      match: async () => undefined,
      put: async () => {
        throw new Error('QuotaExceededError (simulated)');
      },
      delete: async () => false,
    };
    const reported: string[] = [];
    const bytes = await loadPackFile(`${server.baseUrl}/pack/genderage.onnx`, { cache: full, onCacheError: (e, url) => reported.push(`${url}: ${String(e)}`) });
    assert.deepEqual(bytes, files['genderage.onnx']);
    assert.equal(reported.length, 1);
    assert.match(reported[0], /genderage\.onnx: Error: QuotaExceededError/);
  });

  it('loads a list of manifest files with per-file progress', async () => {
    const cache = new MemoryCache();
    const list = Object.entries(files).map(([name, bytes]) => ({ name, task: 'detection' as const, bytes: bytes.length, sha256: sha256(bytes) }));
    const seen = new Set<string>();
    const loaded = await loadModelFiles(`${server.baseUrl}/pack/`, list, {
      cache,
      onProgress: (p) => {
        assert.equal(p.fileCount, 5);
        seen.add(`${p.fileIndex}:${p.file}`);
      },
    });
    assert.deepEqual([...loaded.keys()], Object.keys(files));
    for (const [name, bytes] of Object.entries(files)) assert.deepEqual(loaded.get(name), bytes);
    assert.deepEqual([...seen], Object.keys(files).map((name, i) => `${i}:${name}`));
  });

  it('loads a single-file model (inswapper_128 stand-in) held to the manifest size, then from the cache', async () => {
    const cache = new MemoryCache();
    const spec = modelSpecFor(swapper);
    const baseUrl = `${server.baseUrl}/single/`;
    assert.deepEqual(await loadSingleModel(spec, { baseUrl, cache }), swapper);
    const requestsBefore = server.requests.length;
    const again: LoadProgress[] = [];
    assert.deepEqual(await loadSingleModel(spec, { baseUrl, cache, onProgress: (p) => again.push(p) }), swapper);
    assert.equal(server.requests.length, requestsBefore);
    assert.deepEqual(again.map((e) => e.fromCache), [true]);

    const wrongSize = await loadSingleModel({ ...spec, file: { ...spec.file, bytes: swapper.length - 1 } }, { baseUrl, cache: null }).catch((e: unknown) => e);
    assert.ok(wrongSize instanceof IntegrityError, String(wrongSize));
    assert.equal(wrongSize.property, 'bytes');
    const wrongDigest = await loadSingleModel(spec, { baseUrl, cache: null, sha256: '0'.repeat(64) }).catch((e: unknown) => e);
    assert.ok(wrongDigest instanceof IntegrityError, String(wrongDigest));
    assert.equal(wrongDigest.property, 'sha256');
  });

  it('imports nothing but types from models/manifest.ts (the dev server answers /models/<name> with test-bed files)', () => {
    const source = readFileSync(new URL('../../models/fetch/browser-loader.ts', import.meta.url), 'utf8');
    const fromManifest = source.match(/^import .* from '\.\.\/manifest\.js';$/gm) ?? [];
    assert.ok(fromManifest.length > 0 && fromManifest.every((line) => line.startsWith('import type ')), fromManifest.join('\n'));
  });
});
