/**
 * Browser loader for model files: streams each file with progress, checks its size and digest, and keeps it
 * in the Cache API so the next page load reads it locally. A file enters the cache only after it was fully
 * received and verified, so an interrupted download leaves nothing behind. Browsers do not unzip packs: the
 * page serves the pack's .onnx files individually (e.g. copied from ~/.insightface/models/<pack>/).
 *
 * The transfer and digest logic is shared with the Node fetcher and tested there (tests/fetch/); the Cache
 * API path itself is exercised in Node through the `cache` option with an in-memory stand-in. Still to do by
 * the browser engineer: run loadModelFiles in Playwright against a localhost server and reload the page to
 * see the second load come from `caches` (no request reaches the server).
 */
// Types only: the dev server (web/server/local-assets.ts) answers /models/<name> with test-bed files, so a
// runtime import of /models/manifest.ts would not reach the code.
import type { PackFile, SingleModelSpec } from '../manifest.js';
import { expectAnnouncedSize, expectDigest, sha256Hex } from './digest.js';
import { fileUnderBase } from './file-url.js';
import { checkStallTimeout, streamDownload, type TransferProgress } from './stream-download.js';
import { FetchError } from './errors.js';
import { PipelineOptionError } from '../../src/pipeline/errors.js';
import { describeValue } from '../../src/core/option-shape.js';

/** The subset of the Cache API the loader uses; a window's `Cache` satisfies it. */
export interface CacheLike {
  /** The stored response for `url`, if any. */
  match(url: string): Promise<Response | undefined>;
  /** Stores `response` under `url`. */
  put(url: string, response: Response): Promise<void>;
  /** Removes the entry for `url`; true when there was one. */
  delete(url: string): Promise<boolean>;
}

/** Bytes received so far for one file, and whether they come from the cache. */
export interface LoadProgress extends TransferProgress {
  /** True when the file is read from the Cache API instead of the network. */
  readonly fromCache: boolean;
}

/** How loadPackFile fetches, checks and caches one file. */
export interface LoadPackFileOptions {
  /** Told as bytes arrive. */
  readonly onProgress?: (progress: LoadProgress) => void;
  /** Cache API bucket; default 'insightgpu-models'. */
  readonly cacheName?: string;
  /** Storage to use instead of `caches.open(cacheName)`; null disables caching. */
  readonly cache?: CacheLike | null;
  /** Expected digest (lower-case hex); verified on download and on every cache hit. */
  readonly sha256?: string;
  /** Expected size; checked against what arrives. */
  readonly bytes?: number;
  /** Aborts the download. */
  readonly signal?: AbortSignal;
  /** Longest silence tolerated from the server, in ms (default 30 s; 0: none); not a finite number ≥ 0: PipelineOptionError. */
  readonly stallTimeoutMs?: number;
  /** The fetch to use (default the global one). */
  readonly fetch?: typeof globalThis.fetch;
  /**
   * Told when the cache cannot be used: a verified download could not be stored (e.g. storage quota), or the
   * cache could not be opened or read (Firefox's private windows reject `caches.open` with a SecurityError).
   * The file is still loaded, from the network; only the next load will download again. Default: console.warn.
   */
  readonly onCacheError?: (error: unknown, url: string) => void;
}

/** The Cache API bucket the loader uses unless told otherwise. */
export const DEFAULT_CACHE_NAME = 'insightgpu-models';
const DIGEST_HEADER = 'x-insightgpu-sha256';

async function openCache(options: LoadPackFileOptions): Promise<CacheLike | undefined> {
  if (options.cache !== undefined) return options.cache ?? undefined;
  // No Cache API outside secure contexts (and in Node): load without caching rather than fail.
  if (typeof globalThis.caches === 'undefined') return undefined;
  try {
    return await globalThis.caches.open(options.cacheName ?? DEFAULT_CACHE_NAME);
  } catch (error) {
    // A Cache API that refuses (private browsing, storage blocked): the same as none, said once per load.
    cacheError(options)(error, options.cacheName ?? DEFAULT_CACHE_NAME);
    return undefined;
  }
}

function cacheError(options: LoadPackFileOptions): (error: unknown, url: string) => void {
  return options.onCacheError ?? ((e, u) => console.warn(`insightgpu: could not use the model cache for ${u}:`, e));
}

/** A cached copy, if present and intact; a damaged one is evicted so the caller downloads afresh. */
async function readCached(cache: CacheLike, url: string, options: LoadPackFileOptions): Promise<Uint8Array | undefined> {
  let hit: Response | undefined;
  try {
    hit = await cache.match(url);
  } catch (error) {
    cacheError(options)(error, url); // a cache that cannot be read is a miss: the file is downloaded
    return undefined;
  }
  if (hit === undefined) return undefined;
  const bytes = new Uint8Array(await hit.arrayBuffer());
  const sha256 = await sha256Hex(bytes);
  // Checked against the caller's digest when given, else against the one stored with the entry.
  const expected = options.sha256?.toLowerCase() ?? hit.headers.get(DIGEST_HEADER) ?? undefined;
  const sizeOk = options.bytes === undefined || options.bytes === bytes.byteLength;
  if (!sizeOk || (expected !== undefined && expected !== sha256)) {
    await cache.delete(url);
    return undefined;
  }
  options.onProgress?.({ url, receivedBytes: bytes.byteLength, totalBytes: bytes.byteLength, fromCache: true });
  return bytes;
}

/** Collects a body into one buffer, preallocated when the size is known in advance. */
class ByteCollector {
  private chunks: Uint8Array[] = [];
  private buffer: Uint8Array<ArrayBuffer> | undefined;
  private length = 0;

  start(totalBytes: number | undefined): void {
    if (totalBytes !== undefined) this.buffer = new Uint8Array(totalBytes);
  }

  push(chunk: Uint8Array): void {
    if (this.buffer !== undefined) this.buffer.set(chunk, this.length);
    else this.chunks.push(chunk);
    this.length += chunk.byteLength;
  }

  result(): Uint8Array<ArrayBuffer> {
    if (this.buffer !== undefined) return this.buffer.subarray(0, this.length);
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.byteLength;
    }
    return out;
  }
}

/** Fetches one model file (from the cache when it holds a verified copy) and returns its bytes. */
export async function loadPackFile(url: string, options: LoadPackFileOptions = {}): Promise<Uint8Array> {
  checkStallTimeout(options.stallTimeoutMs); // before a cache hit too: a bad option fails every time, not on a miss
  // An aborted signal fails the load wherever it stands, as the download's own abort does: a cache hit is no
  // exception, or a caller who aborted would still get bytes (and the next files of loadModelFiles loaded).
  checkAborted(url, options.signal);
  const cache = await openCache(options);
  const cached = cache === undefined ? undefined : await readCached(cache, url, options);
  checkAborted(url, options.signal);
  if (cached !== undefined) return cached;

  const collector = new ByteCollector();
  await streamDownload(url, {
    expectedBytes: options.bytes,
    signal: options.signal,
    stallTimeoutMs: options.stallTimeoutMs,
    fetch: options.fetch,
    onStart: ({ announcedBytes, totalBytes }) => {
      expectAnnouncedSize(url, announcedBytes, options.bytes, 'manifest');
      collector.start(totalBytes);
    },
    onChunk: (chunk) => collector.push(chunk),
    onProgress: (progress) => options.onProgress?.({ ...progress, fromCache: false }),
  });
  const bytes = collector.result();
  const sha256 = await sha256Hex(bytes);
  expectDigest(url, { bytes: bytes.byteLength, sha256 }, { bytes: options.bytes, sha256: options.sha256 }, 'manifest');
  if (cache !== undefined) {
    const headers = { 'content-type': 'application/octet-stream', 'content-length': String(bytes.byteLength), [DIGEST_HEADER]: sha256 };
    try {
      await cache.put(url, new Response(bytes, { status: 200, headers }));
    } catch (error) {
      cacheError(options)(error, url);
    }
  }
  return bytes;
}

/** FetchError 'aborted' once `signal` is aborted (the same as an abort during the download gives). */
function checkAborted(url: string, signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new FetchError(url, 'aborted', 'aborted by the caller', undefined, { cause: signal.reason });
}

/** LoadProgress for one file of several, with which one it is. */
export interface LoadModelFilesProgress extends LoadProgress {
  /** The file's name. */
  readonly file: string;
  /** Its position in the list (from 0). */
  readonly fileIndex: number;
  /** How many files are loaded. */
  readonly fileCount: number;
}

/** How loadModelFiles fetches, checks and caches a pack's files. */
export interface LoadModelFilesOptions extends Omit<LoadPackFileOptions, 'onProgress' | 'sha256' | 'bytes'> {
  /** Told as bytes arrive, per file. */
  readonly onProgress?: (progress: LoadModelFilesProgress) => void;
}

/**
 * Loads `files` from `baseUrl` one after another (one progress stream, no competing for bandwidth) and
 * returns name → bytes. Manifest entries carry their size and digest, which are then verified.
 */
export async function loadModelFiles(
  baseUrl: string,
  files: readonly (string | PackFile)[],
  options: LoadModelFilesOptions = {},
): Promise<Map<string, Uint8Array>> {
  checkStallTimeout(options.stallTimeoutMs);
  // Checked before anything is fetched: a wrong list is a PipelineOptionError, not a TypeError halfway through.
  if (!Array.isArray(files)) throw new PipelineOptionError('files', `loadModelFiles takes an array of file names or manifest entries, got ${describeValue(files)}`);
  files.forEach((file: unknown, i) => {
    const name = typeof file === 'string' ? file : file !== null && typeof file === 'object' ? (file as { name?: unknown }).name : undefined;
    if (typeof name !== 'string' || name.length === 0) throw new PipelineOptionError('files', `files[${i}] is ${describeValue(file)}, not a file name or a { name } entry`);
  });
  const loaded = new Map<string, Uint8Array>();
  for (const [fileIndex, file] of files.entries()) {
    const entry = typeof file === 'string' ? { name: file } : file;
    const url = fileUnderBase(baseUrl, entry.name);
    const bytes = await loadPackFile(url, {
      ...options,
      sha256: 'sha256' in entry ? entry.sha256 : undefined,
      bytes: 'bytes' in entry ? entry.bytes : undefined,
      onProgress: (progress) => options.onProgress?.({ ...progress, file: entry.name, fileIndex, fileCount: files.length }),
    });
    loaded.set(entry.name, bytes);
  }
  return loaded;
}

/** How loadSingleModel fetches, checks and caches a single-file model. */
export interface LoadSingleModelOptions extends Omit<LoadPackFileOptions, 'bytes'> {
  /**
   * Folder URL serving `<file>` (e.g. `/models/` holding inswapper_128.onnx). Default: the manifest's release
   * URL, which pages usually cannot fetch (GitHub release assets send no CORS headers), so pass your own.
   */
  readonly baseUrl?: string;
}

/**
 * Loads a single-file model (inswapper_128) held to the manifest's size, and to its digest when the manifest
 * has one (else to `options.sha256`, e.g. the one the Node fetcher recorded in digests.json). The whole file
 * is held in memory (554 MB for inswapper_128) and cached like a pack file.
 */
export async function loadSingleModel(model: SingleModelSpec, options: LoadSingleModelOptions = {}): Promise<Uint8Array> {
  const { baseUrl, ...rest } = options;
  // As modelFileUrl in models/manifest.ts (not imported at runtime, see above).
  const url = baseUrl === undefined ? model.url : fileUnderBase(baseUrl, model.file.name);
  return loadPackFile(url, {
    ...rest,
    bytes: model.file.bytes,
    sha256: model.file.sha256 ?? options.sha256,
  });
}
