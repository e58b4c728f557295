/** FaceIndex's options and result types. */
import type { JsonValue } from './index-file.js';
import type { RowPrecision } from './search-gpu-wgsl.js';

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
   * AUTO_THREAD_ROWS rows on, where they pay; a number n > 1: n threads (the caller's and n − 1 workers) at any
   * size; 1: one thread. Results are the same bits either way. Threads keep the rows in a shared WebAssembly memory,
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
