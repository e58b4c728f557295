import { checkOptionShape, type OptionShape } from '../../core/option-shape.js';
/** FaceIndex's options and result types, and their checks. */
import { describeValue } from '../call-options.js';
import { FaceIndexError } from './errors.js';
import type { JsonValue } from './index-file.js';
import type { RowPrecision } from './search-gpu-wgsl.js';
import { autoThreadCount, threadsAvailable } from './search-threads.js';

/**
 * Rows from which `threads: 'auto'` searches on several threads; below it handing ranges to workers cost more than
 * it saved. Measured by `npm run bench -- --index --sizes 2000,5000,20000,50000,1000000` (512-d, one query, 2 cores
 * shared with other jobs, load ~12): 2 threads took 38 ms against one thread's 21 ms at 20k rows, 60 against 66 ms
 * at 50k.
 */
export const AUTO_THREAD_ROWS = 50_000;

/** FaceIndexOptions.maxEntries when not given. */
export const DEFAULT_MAX_ENTRIES = 1_000_000;

/** Where `searchAsync` / `searchManyAsync` run: 'auto' takes a given device or a hardware adapter, else the CPU. */
export type IndexBackend = 'cpu' | 'webgpu' | 'auto';

/** Options of a FaceIndex. */
export interface FaceIndexOptions {
  /** Embedding length; when omitted, fixed by the first add. */
  dim?: number;
  /**
   * Most embeddings (rows) the index holds; an add beyond it throws FaceIndexError. Default 1,000,000.
   * The rows are one Float32Array of maxEntries × dim × 4 bytes at most (1M × 512 = 2 GiB), plus 20 bytes per row
   * of bookkeeping; while it grows, the old and new arrays coexist for one copy (peak ≤ 1.5 × the final size).
   */
  maxEntries?: number;
  /**
   * Most bytes the rows may take, counted as entries × (dim × 4 + 20); an add beyond it throws FaceIndexError.
   * Default: no byte bound beyond maxEntries. The GPU mirror's buffers (rows, and one search's work buffers) are
   * held to the same bound, separately.
   */
  maxBytes?: number;
  /** Where the async searches run (default 'cpu'; the sync `search` / `searchMany` always run on the CPU). */
  backend?: IndexBackend;
  /** The GPU device to search on ('webgpu' / 'auto'); without one, 'webgpu' acquires its own (SwiftShader allowed). */
  device?: GPUDevice;
  /**
   * Threads for the CPU search (Node only; elsewhere, and in browsers, whose SharedArrayBuffer needs cross-origin
   * isolation, the one-thread path). 'auto' (default): the cores Node reports (at most 8), used from
   * AUTO_THREAD_ROWS rows on, where they pay; a number n > 1: n threads at any size (`search`: the caller's and
   * n − 1 workers; the async searches: n workers, the caller free); 1: one thread. Results are the same bits either way. Threads keep the rows in a shared WebAssembly memory,
   * which needs maxEntries × dim × 4 bytes ≤ 4 GiB (else one thread).
   */
  threads?: number | 'auto';
  /** How rows are stored on the GPU: 'f32' (default) or 'f16' (half the bytes; results stay exact, see README). */
  gpuPrecision?: RowPrecision;
}

/** Options of a search. */
export interface SearchOptions {
  /** Most results (default 5). */
  k?: number;
  /** Only identities scoring at least this (cosine similarity). */
  threshold?: number;
}

/** One search result: the identity, its best cosine similarity to the query, its metadata. */
export interface SearchHit {
  id: string;
  score: number;
  meta: JsonValue | undefined;
}

/** FaceIndexOptions with their defaults, and the thread count they give here. */
export interface CheckedIndexOptions {
  dim: number | undefined;
  maxEntries: number;
  maxBytes: number;
  backend: IndexBackend;
  device: GPUDevice | undefined;
  gpuPrecision: RowPrecision;
  /** Threads the CPU search may use (1 = the one-thread path), and from how many rows on. */
  threadCount: number;
  threadRows: number;
}

/** The options with their defaults; FaceIndexError for a non-positive dim or bound, or an unknown backend, precision or thread count. */
export function checkIndexOptions(options: FaceIndexOptions): CheckedIndexOptions {
  const { dim, maxEntries = DEFAULT_MAX_ENTRIES, maxBytes = Infinity, backend = 'cpu', device, gpuPrecision = 'f32', threads = 'auto' } = optionsBag(options, 'FaceIndex', {
    dim: 'number', maxEntries: 'number', maxBytes: 'number', backend: 'string', device: 'object', threads: ['number', 'string'], gpuPrecision: 'string',
  });
  if (threads !== 'auto' && !(Number.isInteger(threads) && threads >= 1)) throw new FaceIndexError(`threads must be 'auto' or a positive integer, got ${String(threads)}`);
  if (!['cpu', 'webgpu', 'auto'].includes(backend)) throw new FaceIndexError(`backend must be 'cpu', 'webgpu' or 'auto', got '${String(backend)}'`);
  if (gpuPrecision !== 'f32' && gpuPrecision !== 'f16') throw new FaceIndexError(`gpuPrecision must be 'f32' or 'f16', got '${String(gpuPrecision)}'`);
  if (!(maxBytes > 0)) throw new FaceIndexError(`maxBytes must be positive, got ${maxBytes}`);
  if (dim !== undefined && !(Number.isInteger(dim) && dim > 0)) throw new FaceIndexError(`dim must be a positive integer, got ${dim}`);
  if (!(Number.isInteger(maxEntries) && maxEntries > 0)) throw new FaceIndexError(`maxEntries must be a positive integer, got ${maxEntries}`);
  const threadCount = threads === 'auto' ? autoThreadCount() : threadsAvailable() ? threads : 1;
  return { dim, maxEntries, maxBytes, backend, device, gpuPrecision, threadCount, threadRows: threads === 'auto' ? AUTO_THREAD_ROWS : 0 };
}

/** Options of `FaceIndex.save`. */
export interface SaveOptions {
  /**
   * Replace the file even when it changed since this index loaded or last saved it, or was never read by this index
   * (a new index saved over an existing file); default false: a FaceIndexConflictError, nothing written.
   */
  readonly overwrite?: boolean;
}

/** save's options, checked (a FaceIndexError for an unknown name or a non-boolean overwrite). */
export function checkSaveOptions(options: SaveOptions | undefined): { overwrite: boolean } {
  const { overwrite = false } = optionsBag(options, 'save', { overwrite: 'boolean' });
  return { overwrite };
}

/** An options argument as a plain-JS caller may pass it: undefined is the defaults, anything but an object a FaceIndexError. */
function optionsBag<T extends object>(options: T | undefined, call: string, shape: OptionShape<T>): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new FaceIndexError(`${call} takes an options object, got ${describeValue(options)}`);
  checkOptionShape(options, shape, call, (option, why) => new FaceIndexError(`${option}: ${why}`));
  return options;
}

/**
 * The metadata of an add, checked to be a JSON value that the file keeps as it is: null, booleans, finite numbers,
 * strings, arrays and plain objects of them. Anything else (undefined inside, NaN, a bigint, a function, a Date, a
 * cycle) would fail `save` / `toBytes` long after the add, or come back changed from a file, so the add refuses it.
 */
export function checkMeta(meta: unknown, what: string): void {
  const seen = new Set<object>();
  const visit = (v: unknown, where: string): void => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new FaceIndexError(`${what}: meta${where} is ${v}, which JSON cannot hold (it would be saved as null)`);
      return;
    }
    if (typeof v !== 'object') throw new FaceIndexError(`${what}: meta${where} is ${v === undefined ? 'undefined' : `a ${typeof v}`}, not a JSON value`);
    const proto = Object.getPrototypeOf(v) as unknown;
    if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) {
      throw new FaceIndexError(`${what}: meta${where} is a ${(v as object).constructor?.name ?? 'non-plain object'}, not a JSON value (a plain object, an array, a string, a number, a boolean or null)`);
    }
    if (seen.has(v)) throw new FaceIndexError(`${what}: meta${where} refers back to itself, which JSON cannot hold`);
    seen.add(v);
    if (Array.isArray(v)) for (let i = 0; i < v.length; i++) visit(v[i], `${where}[${i}]`);
    else for (const [key, value] of Object.entries(v)) visit(value, `${where}.${key}`);
    seen.delete(v);
  };
  visit(meta, '');
}

/** k and threshold with their defaults; FaceIndexError for a bad k or a NaN threshold. */
export function checkSearchOptions(options: SearchOptions): { k: number; threshold: number } {
  const { k = 5, threshold = -Infinity } = optionsBag(options, 'search', { k: 'any', threshold: 'any' });
  if (!(Number.isInteger(k) && k >= 0)) throw new FaceIndexError(`k must be a non-negative integer, got ${describeValue(k)}`);
  // A string would compare by coercion ('abc' matches nothing, silently), so only a number is a threshold.
  if (typeof threshold !== 'number' || Number.isNaN(threshold)) throw new FaceIndexError(`threshold must be a number, got ${describeValue(threshold)}`);
  return { k, threshold };
}
