import { isFace, normed32, type EmbeddingInput } from './embedding.js';
import { FaceIndexError, IndexFormatError } from './errors.js';
import { WasmRowDots } from '../../ops/wasm/row-dots.js';
import { bestPerIdentity, rankIdentities, sumSquares } from './search-cpu.js';
import { mergeRanges } from './search-range.js';
import { autoThreadCount, SearchThreads, threadsAvailable } from './search-threads.js';
import { decodeIndex, encodeIndex, type JsonValue } from './index-file.js';
import type { ExactGpuSearch, GpuSearchStats, IndexRows } from './search-exact-gpu.js';
import type { RowPrecision } from './search-gpu-wgsl.js';
import type { FaceIndexOptions, IndexBackend, SearchHit, SearchOptions } from './face-index-options.js';

export type { EmbeddingInput } from './embedding.js';
export { normed32 } from './embedding.js';
export type { FaceIndexOptions, IndexBackend, SearchHit, SearchOptions } from './face-index-options.js';

const DEFAULT_MAX_ENTRIES = 1_000_000;

/**
 * Rows from which `threads: 'auto'` searches on several threads; below it handing ranges to workers cost more than
 * it saved. Measured by `npm run bench -- --index --sizes 2000,5000,20000,50000,1000000` (512-d, one query, 2 cores
 * shared with other jobs, load ~12): 2 threads took 38 ms against one thread's 21 ms at 20k rows, 60 against 66 ms
 * at 50k.
 */
export const AUTO_THREAD_ROWS = 50_000;

/**
 * A 1:N face index: exact brute force over normed embeddings, on the CPU (`search`) or, when configured, on WebGPU
 * with the same results (`searchAsync`). An identity may hold several embeddings;
 * its score is its best match. A score is bit for bit `computeSim(normed(query), normed(entry))` (float32), where
 * normed divides by the float32 L2 norm as `Face.normed_embedding` does; ties are ordered by id.
 */
export class FaceIndex {
  private dimValue: number | undefined;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private rows: Float32Array = new Float32Array(0);
  /** The WebAssembly memory `rows` lives in, where its SIMD kernel serves (else rows is a plain array). */
  private dots: WasmRowDots | undefined;
  private rowSq: Float64Array = new Float64Array(0);
  private owner: Int32Array = new Int32Array(0);
  private count = 0;
  private ids: string[] = [];
  private meta: (JsonValue | undefined)[] = [];
  private readonly byId = new Map<string, number>();
  private readonly backend: IndexBackend;
  private readonly gpuPrecision: RowPrecision;
  private device: GPUDevice | undefined;
  private releaseDevice: (() => void) | undefined;
  private gpu: Promise<ExactGpuSearch | undefined> | undefined;
  private gpuReady: ExactGpuSearch | undefined;
  /** Threads the CPU search may use (1 = the one-thread path), and from how many rows on. */
  private readonly threadCount: number;
  private readonly threadRows: number;
  private pool: SearchThreads | undefined;

  /** An empty index; FaceIndexError for a non-positive dim or bound, or an unknown backend or precision. */
  constructor(options: FaceIndexOptions = {}) {
    const { dim, maxEntries = DEFAULT_MAX_ENTRIES, maxBytes = Infinity, backend = 'cpu', device, gpuPrecision = 'f32', threads = 'auto' } = options;
    if (threads !== 'auto' && !(Number.isInteger(threads) && threads >= 1)) throw new FaceIndexError(`threads must be 'auto' or a positive integer, got ${String(threads)}`);
    this.threadCount = threads === 'auto' ? autoThreadCount() : threadsAvailable() ? threads : 1;
    this.threadRows = threads === 'auto' ? AUTO_THREAD_ROWS : 0;
    if (!['cpu', 'webgpu', 'auto'].includes(backend)) throw new FaceIndexError(`backend must be 'cpu', 'webgpu' or 'auto', got '${String(backend)}'`);
    if (gpuPrecision !== 'f32' && gpuPrecision !== 'f16') throw new FaceIndexError(`gpuPrecision must be 'f32' or 'f16', got '${String(gpuPrecision)}'`);
    this.backend = backend;
    this.device = device;
    this.gpuPrecision = gpuPrecision;
    if (!(maxBytes > 0)) throw new FaceIndexError(`maxBytes must be positive, got ${maxBytes}`);
    this.maxBytes = maxBytes;
    if (dim !== undefined && !(Number.isInteger(dim) && dim > 0)) throw new FaceIndexError(`dim must be a positive integer, got ${dim}`);
    if (!(Number.isInteger(maxEntries) && maxEntries > 0)) throw new FaceIndexError(`maxEntries must be a positive integer, got ${maxEntries}`);
    this.dimValue = dim;
    this.maxEntries = maxEntries;
  }

  /** Embedding length, undefined until set by the options or the first add. */
  get dim(): number | undefined {
    return this.dimValue;
  }

  /** Number of identities. */
  get size(): number {
    return this.ids.length;
  }

  /** Number of embeddings over all identities. */
  get entries(): number {
    return this.count;
  }

  /** The enrolled ids, in enrolment order. */
  identities(): string[] {
    return [...this.ids];
  }

  /** Whether the identity is enrolled. */
  has(id: string): boolean {
    return this.byId.has(id);
  }

  /**
   * Enrol one embedding for an identity (a new one, or one more for an existing one). `meta`, when given, replaces
   * the identity's metadata. FaceIndexError on a dimension mismatch, a NaN/infinite or zero embedding, a full index.
   */
  add(id: string, embeddingOrFace: EmbeddingInput, meta?: JsonValue): void {
    if (typeof id !== 'string') throw new FaceIndexError('id must be a string');
    const e = this.vector(embeddingOrFace, `embedding for '${id}'`);
    const dim = this.dimValue ?? e.length;
    if (this.count >= this.maxEntries) throw new FaceIndexError(`full: maxEntries is ${this.maxEntries}`);
    if (this.count >= this.rowLimit(dim)) {
      throw new FaceIndexError(`full: maxBytes ${this.maxBytes} holds ${this.rowLimit(dim)} entries of ${dim * 4 + 12} bytes`);
    }
    const normed = normed32(e, `embedding for '${id}'`);
    this.dimValue = dim;
    this.reserve(this.count + 1);
    this.rows.set(normed, this.count * dim);
    this.rowSq[this.count] = sumSquares(this.rows, this.count * dim, dim);
    let o = this.byId.get(id);
    if (o === undefined) {
      o = this.ids.length;
      this.ids.push(id);
      this.meta.push(meta);
      this.byId.set(id, o);
    } else if (meta !== undefined) {
      this.meta[o] = meta;
    }
    this.owner[this.count] = o;
    this.count++;
  }

  /**
   * Remove an identity and all its embeddings; whether it was enrolled. The last rows move into the holes, so a GPU
   * mirror re-uploads only those rows. O(entries) over the owner numbers, O(removed × dim) copying.
   */
  remove(id: string): boolean {
    const gone = this.byId.get(id);
    if (gone === undefined) return false;
    const dim = this.dimValue!;
    let end = this.count;
    for (let r = 0; r < end; r++) {
      if (this.owner[r] !== gone) continue;
      while (end > r + 1 && this.owner[end - 1] === gone) end--;
      end--;
      if (end > r) {
        this.rows.copyWithin(r * dim, end * dim, (end + 1) * dim);
        this.rowSq[r] = this.rowSq[end]!;
        this.owner[r] = this.owner[end]!;
        this.gpuReady?.rowChanged(r);
      }
    }
    this.count = end;
    for (let r = 0; r < end; r++) if (this.owner[r]! > gone) this.owner[r]!--;
    this.gpuReady?.truncated(end);
    this.ids.splice(gone, 1);
    this.meta.splice(gone, 1);
    this.byId.clear();
    this.ids.forEach((v, i) => this.byId.set(v, i));
    return true;
  }

  /** The k best identities for a query, best first (score descending, then id ascending). */
  search(embeddingOrFace: EmbeddingInput, options: SearchOptions = {}): SearchHit[] {
    return this.searchMany([embeddingOrFace], options)[0]!;
  }

  /** `search` for each query (scored together, one pass over the rows per batch). */
  searchMany(queries: readonly EmbeddingInput[], options: SearchOptions = {}): SearchHit[][] {
    const { k = 5, threshold = -Infinity } = options;
    if (!(Number.isInteger(k) && k >= 0)) throw new FaceIndexError(`k must be a non-negative integer, got ${k}`);
    if (Number.isNaN(threshold)) throw new FaceIndexError('threshold is NaN');
    if (queries.length === 0) return [];
    const dim = this.dimValue;
    const vectors = queries.map((q, i) => normed32(this.vector(q, `query ${i}`), `query ${i}`));
    if (dim === undefined || this.count === 0) return queries.map(() => []);
    const identities = this.ids.length;
    const out: SearchHit[][] = [];
    // Batches bound the per-identity score table to about 64 MiB.
    const batch = Math.max(1, Math.min(vectors.length, Math.floor(8_388_608 / identities)));
    for (let b0 = 0; b0 < vectors.length; b0 += batch) {
      const n = Math.min(batch, vectors.length - b0);
      const q = new Float32Array(n * dim);
      for (let i = 0; i < n; i++) q.set(vectors[b0 + i]!, i * dim);
      const pool = this.threadsFor(k);
      if (pool) {
        const norms = Float64Array.from({ length: n }, (_, i) => Math.sqrt(sumSquares(q, i * dim, dim)));
        const parts = pool.search(q, norms, { rowSq: this.rowSq, owner: this.owner, identities }, this.count, k, threshold);
        for (const r of mergeRanges(parts, n, this.ids, k)) out.push(this.hits(r));
        continue;
      }
      const best = new Float64Array(n * identities).fill(-Infinity);
      bestPerIdentity(q, n, this.rows, this.rowSq, this.owner, this.count, dim, identities, best, this.dots);
      for (let i = 0; i < n; i++) out.push(this.hits(rankIdentities(best.subarray(i * identities, (i + 1) * identities), this.ids, k, threshold)));
    }
    return out;
  }

  /** `search` on the configured backend (GPU or CPU); the same ids and scores as `search`, bit for bit. */
  async searchAsync(embeddingOrFace: EmbeddingInput, options: SearchOptions = {}): Promise<SearchHit[]> {
    return (await this.searchManyAsync([embeddingOrFace], options))[0]!;
  }

  /**
   * `searchMany` on the configured backend. On the GPU the rows added or moved since the last search upload first;
   * the GPU proposes candidates and the CPU confirms them exactly (README: GPU search), so the result equals
   * `searchMany`'s. IndexMemoryError when the GPU buffers would pass maxBytes.
   */
  async searchManyAsync(queries: readonly EmbeddingInput[], options: SearchOptions = {}): Promise<SearchHit[][]> {
    const { k = 5, threshold = -Infinity } = options;
    const gpu = this.dimValue !== undefined && this.count > 0 && k > 0 && queries.length > 0 ? await this.gpuSearch() : undefined;
    if (!gpu) return this.searchMany(queries, options);
    if (!(Number.isInteger(k) && k >= 0)) throw new FaceIndexError(`k must be a non-negative integer, got ${k}`);
    if (Number.isNaN(threshold)) throw new FaceIndexError('threshold is NaN');
    const dim = this.dimValue!;
    const q = new Float32Array(queries.length * dim);
    queries.forEach((x, i) => q.set(normed32(this.vector(x, `query ${i}`), `query ${i}`), i * dim));
    const ranked = await gpu.rank(this.view(), q, queries.length, k, threshold);
    return ranked.map((r) => this.hits(r));
  }

  /** The backend the async searches use now ('webgpu' once a device is in use). */
  async activeBackend(): Promise<'cpu' | 'webgpu'> {
    return this.dimValue !== undefined && (await this.gpuSearch()) ? 'webgpu' : 'cpu';
  }

  /** GPU rounds and CPU fallbacks of the last GPU search (undefined before one). */
  get lastGpuStats(): GpuSearchStats | undefined {
    return this.gpuReady?.lastStats;
  }

  /** Bytes held now: `cpu` the row arrays (their capacity), `gpu` the GPU mirror's row buffers. */
  get memoryBytes(): { cpu: number; gpu: number } {
    return { cpu: this.rows.byteLength + this.rowSq.byteLength + this.owner.byteLength, gpu: this.gpuReady?.mirror.rowBufferBytes ?? 0 };
  }

  /**
   * The CPU search's threads: `count` used from `fromRows` rows on (1: the one-thread path, also where the rows could
   * not be shared; see FaceIndexOptions.threads), and `workers` started now (count − 1 at most, 0 after dispose).
   */
  get threads(): { count: number; fromRows: number; workers: number } {
    const count = this.dots === undefined && this.count === 0 ? this.threadCount : this.dots?.shared ? this.threadCount : 1;
    return { count, fromRows: this.threadRows, workers: this.pool?.started ?? 0 };
  }

  /**
   * Frees the GPU mirror and the device when the index acquired it, and ends the search threads (a later search
   * starts either again). Threads never keep the process alive, so an index that is simply dropped is fine too.
   */
  dispose(): void {
    this.pool?.close();
    this.pool = undefined;
    this.gpuReady?.mirror.destroy();
    this.gpuReady = undefined;
    this.gpu = undefined;
    if (this.releaseDevice) {
      this.releaseDevice();
      this.releaseDevice = undefined;
      this.device = undefined;
    }
  }

  /** The index in the documented single-file format (README.md in this folder). */
  toBytes(): Uint8Array {
    if (this.dimValue === undefined) throw new FaceIndexError('an index without a dim cannot be written (add an embedding or pass dim)');
    return encodeIndex({
      dim: this.dimValue, ids: this.ids, meta: this.meta, owner: this.owner.subarray(0, this.count),
      rows: this.rows.subarray(0, this.count * this.dimValue),
    });
  }

  /** An index from `toBytes()` output; IndexFormatError when truncated or corrupted. */
  static fromBytes(bytes: Uint8Array, options: Omit<FaceIndexOptions, 'dim'> = {}): FaceIndex {
    const s = decodeIndex(bytes);
    const index = new FaceIndex({ ...options, dim: s.dim });
    if (s.owner.length > index.rowLimit(s.dim)) {
      throw new FaceIndexError(`the file holds ${s.owner.length} entries, above this index's bound of ${index.rowLimit(s.dim)}`);
    }
    index.reserve(s.owner.length);
    index.rows.set(s.rows);
    index.owner.set(s.owner);
    index.count = s.owner.length;
    for (let r = 0; r < index.count; r++) {
      index.rowSq[r] = sumSquares(index.rows, r * s.dim, s.dim);
      if (!(index.rowSq[r]! > 0)) throw new IndexFormatError(`row ${r} is a zero embedding`);
    }
    index.ids = [...s.ids];
    index.meta = [...s.meta];
    index.ids.forEach((v, i) => index.byId.set(v, i));
    return index;
  }

  /** Node only: write the index to path atomically (temp file + rename). */
  async save(path: string): Promise<void> {
    const bytes = this.toBytes();
    const { writeFileAtomic } = await indexFileNode();
    await writeFileAtomic(path, bytes);
  }

  /** Node only: read an index written by `save`; IndexFormatError when truncated or corrupted. */
  static async load(path: string, options: Omit<FaceIndexOptions, 'dim'> = {}): Promise<FaceIndex> {
    const { readFileBytes } = await indexFileNode();
    return FaceIndex.fromBytes(await readFileBytes(path), options);
  }

  private vector(input: EmbeddingInput, what: string): ArrayLike<number> {
    const e = isFace(input) ? input.embedding : input;
    if (e === undefined) throw new FaceIndexError(`${what}: the face has no embedding (no recognition model ran)`);
    if (typeof e.length !== 'number' || e.length === 0) throw new FaceIndexError(`${what}: empty embedding`);
    if (this.dimValue !== undefined && e.length !== this.dimValue) {
      throw new FaceIndexError(`${what}: dimension mismatch, a ${e.length}-d embedding for a ${this.dimValue}-d index`);
    }
    return e;
  }

  /** Most rows the bounds allow at this dim. */
  private rowLimit(dim: number): number {
    return Math.min(this.maxEntries, Math.floor(this.maxBytes / (dim * 4 + 12)));
  }

  private reserve(rows: number): void {
    if (rows <= this.owner.length) return;
    const dim = this.dimValue!;
    const capacity = Math.min(this.rowLimit(dim), Math.max(rows, 16, Math.ceil(this.owner.length * 1.5)));
    const grow = <T extends Float32Array | Float64Array | Int32Array>(old: T, make: (n: number) => T, per: number): T => {
      const next = make(capacity * per);
      next.set(old.subarray(0, this.count * per) as never);
      return next;
    };
    // Rows grow in place in their WebAssembly memory; where it cannot be made or grown they move to a plain array.
    if (this.owner.length === 0) {
      // Threads need the rows on a SharedArrayBuffer; where that memory is refused, the rows stay one thread's.
      const shared = this.threadCount > 1 ? { maxFloats: this.rowLimit(dim) * dim, slots: this.threadCount } : undefined;
      this.dots = (shared && WasmRowDots.create(dim, capacity * dim, shared)) || WasmRowDots.create(dim, capacity * dim);
    }
    if (this.dots?.grow(capacity * dim)) this.rows = this.dots.rows;
    else {
      this.dots = undefined;
      this.rows = grow(this.rows, (n) => new Float32Array(n), dim);
    }
    // Shared too when threads read them (a worker gets them by reference, not by copy).
    const onShared = this.dots?.shared !== undefined;
    this.rowSq = grow(this.rowSq, (n) => (onShared ? new Float64Array(new SharedArrayBuffer(n * 8)) : new Float64Array(n)), 1);
    this.owner = grow(this.owner, (n) => (onShared ? new Int32Array(new SharedArrayBuffer(n * 4)) : new Int32Array(n)), 1);
  }

  /** The search threads when this search should use them (k > 0, rows shared, enough rows), started lazily. */
  private threadsFor(k: number): SearchThreads | undefined {
    if (k === 0 || this.threadCount < 2 || this.count < this.threadRows || !this.dots?.shared || this.dots.rows !== this.rows) return undefined;
    this.pool ??= new SearchThreads(this.dots, this.threadCount);
    return this.pool;
  }

  private view(): IndexRows {
    return { rows: this.rows, rowSq: this.rowSq, owner: this.owner, count: this.count, dim: this.dimValue!, ids: this.ids };
  }

  private hits(r: { identities: number[]; scores: number[] }): SearchHit[] {
    return r.identities.map((o, i) => ({ id: this.ids[o]!, score: r.scores[i]!, meta: this.meta[o] }));
  }

  /** The GPU searcher for the configured backend, made on first use; undefined for the CPU. */
  private gpuSearch(): Promise<ExactGpuSearch | undefined> {
    if (this.backend === 'cpu') return Promise.resolve(undefined);
    this.gpu ??= import('./search-exact-gpu.js').then(async ({ openExactGpuSearch }) => {
      const opened = await openExactGpuSearch(this.backend as 'webgpu' | 'auto', this.device, this.dimValue!, this.gpuPrecision, this.maxBytes);
      if (!opened) return undefined;
      this.device = opened.device;
      this.releaseDevice = opened.release;
      this.gpuReady = opened.search;
      return opened.search;
    }).catch((error: unknown) => {
      this.gpu = undefined; // a later search may try again
      throw error;
    });
    return this.gpu;
  }
}

/** The Node file helpers, behind a computed specifier so browser bundles hold no Node modules (save/load are Node-only). */
async function indexFileNode(): Promise<typeof import('./index-file-node.js')> {
  const moduleName = './index-file-node.js';
  return (await import(/* @vite-ignore */ moduleName)) as typeof import('./index-file-node.js');
}
