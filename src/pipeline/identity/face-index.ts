import { runsOnNode } from '../../core/node-only.js';
import { describeValue } from '../call-options.js';
import { isFace, normed32, type EmbeddingInput } from './embedding.js';
import { FaceIndexError, IndexFormatError } from './errors.js';
import { IdentityRows, ROW_BOOKKEEPING_BYTES } from './identity-rows.js';
import { searchRows, searchRowsAsync } from './search-batches.js';
import { SearchThreads } from './search-threads.js';
import { decodeIndex, encodeIndex, type JsonValue } from './index-file.js';
import type { ExactGpuSearch, GpuSearchStats, IndexRows, RankedIdentities } from './search-exact-gpu.js';
import type { RowPrecision } from './search-gpu-wgsl.js';
import { checkIndexOptions, checkMeta, checkSaveOptions, checkSearchOptions, type FaceIndexOptions, type IndexBackend, type SaveOptions, type SearchHit, type SearchOptions } from './face-index-options.js';

export type { EmbeddingInput } from './embedding.js';
export { normed32 } from './embedding.js';
export type { FaceIndexOptions, IndexBackend, SaveOptions, SearchHit, SearchOptions } from './face-index-options.js';
export { AUTO_THREAD_ROWS } from './face-index-options.js';

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
  /** The rows and identities, made on first use once the dim is known (rowsOf). */
  private store: IdentityRows | undefined;
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
  /**
   * The version of each file (after links) this index loaded or last saved, by path: save replaces a file only at
   * that version (README: lost updates), so rows another writer added since are never dropped unseen.
   */
  private readonly knownFiles = new Map<string, string>();

  /** An empty index; FaceIndexError for a non-positive dim or bound, or an unknown backend or precision. */
  constructor(options: FaceIndexOptions = {}) {
    const o = checkIndexOptions(options);
    ({ maxEntries: this.maxEntries, maxBytes: this.maxBytes, backend: this.backend, device: this.device, gpuPrecision: this.gpuPrecision } = o);
    ({ threadCount: this.threadCount, threadRows: this.threadRows, dim: this.dimValue } = o);
  }

  /** Embedding length, undefined until set by the options or the first add. */
  get dim(): number | undefined {
    return this.dimValue;
  }

  /** Number of identities. */
  get size(): number {
    return this.store?.ids.length ?? 0;
  }

  /** Number of embeddings over all identities. */
  get entries(): number {
    return this.store?.count ?? 0;
  }

  /** The enrolled ids, in enrolment order. */
  identities(): string[] {
    return this.store?.enrolled() ?? [];
  }

  /** Whether the identity is enrolled. */
  has(id: string): boolean {
    return this.store?.numberOf(id) !== undefined;
  }

  /**
   * Enrol one embedding for an identity (a new one, or one more for an existing one). `meta`, when given, replaces
   * the identity's metadata (a copy: changing the object afterwards changes nothing in the index); `null` clears it,
   * as the file holds no meta and a null meta alike. FaceIndexError on a dimension mismatch, a NaN/infinite or zero embedding, a full index,
   * or a meta that is not a JSON value the file can keep (NaN, undefined inside, a bigint, a cycle).
   */
  add(id: string, embeddingOrFace: EmbeddingInput, meta?: JsonValue): void {
    if (typeof id !== 'string') throw new FaceIndexError('id must be a string');
    const e = this.vector(embeddingOrFace, `embedding for '${id}'`);
    if (meta !== undefined) checkMeta(meta, `'${id}'`);
    const dim = this.dimValue ?? e.length;
    const count = this.entries;
    if (count >= this.maxEntries) throw new FaceIndexError(`full: maxEntries is ${this.maxEntries}`);
    if (count >= this.rowLimit(dim)) {
      throw new FaceIndexError(`full: maxBytes ${this.maxBytes} holds ${this.rowLimit(dim)} entries of ${dim * 4 + ROW_BOOKKEEPING_BYTES} bytes`);
    }
    const normed = normed32(e, `embedding for '${id}'`);
    this.dimValue = dim;
    // A copy: the caller's object, changed after the add (a NaN, a cycle), would otherwise change what save writes.
    // A null meta is stored as none: the file writes none as null and reads null back as none, so a hit's meta is
    // the same before and after a save.
    const kept = meta === undefined || meta === null ? undefined : (JSON.parse(JSON.stringify(meta)) as JsonValue);
    this.rowsOf(dim).append(id, normed, kept, meta !== undefined);
  }

  /**
   * Remove an identity and all its embeddings; whether it was enrolled. The last rows move into the holes, so a GPU
   * mirror re-uploads only those rows. Costs that identity's rows, the rows moved into their holes and the rows of
   * the identity renumbered into its place (O(1) each, plus dim floats copied per moved row), whatever the index's size.
   */
  remove(id: string): boolean {
    return this.store?.remove(id, this.gpuReady) ?? false;
  }

  /** The k best identities for a query, best first (score descending, then id ascending). */
  search(embeddingOrFace: EmbeddingInput, options: SearchOptions = {}): SearchHit[] {
    return this.searchMany([embeddingOrFace], options)[0]!;
  }

  /** `search` for each query (scored together, one pass over the rows per batch). */
  searchMany(queries: readonly EmbeddingInput[], options: SearchOptions = {}): SearchHit[][] {
    const { k, threshold } = checkSearchOptions(options);
    if (!Array.isArray(queries)) throw new FaceIndexError(`searchMany takes an array of queries, got ${describeValue(queries)}`);
    if (queries.length === 0) return [];
    const vectors = this.queryVectors(queries);
    const store = this.store;
    if (!store || store.count === 0) return queries.map(() => []);
    return this.hits(searchRows(store, vectors, k, threshold, this.threadsFor(k)));
  }

  /**
   * `search` on the configured backend (GPU or CPU); the same ids and scores as `search`, bit for bit. On the CPU with
   * threads the workers score every row while this thread's event loop runs on.
   */
  async searchAsync(embeddingOrFace: EmbeddingInput, options: SearchOptions = {}): Promise<SearchHit[]> {
    return (await this.searchManyAsync([embeddingOrFace], options))[0]!;
  }

  /**
   * `searchMany` on the configured backend. On the GPU the rows added or moved since the last search upload first;
   * the GPU proposes candidates and the CPU confirms them exactly (README: GPU search), so the result equals
   * `searchMany`'s. On the CPU with threads (from their row count on) the calling thread awaits the workers instead of
   * blocking. Adds and removes may run meanwhile: the answer is exact for the index at one moment between the call
   * and the answer (on the CPU the entries present at the call; a remove meanwhile makes it search again, so a
   * removed identity never appears). IndexMemoryError when the GPU buffers would pass maxBytes.
   */
  async searchManyAsync(queries: readonly EmbeddingInput[], options: SearchOptions = {}): Promise<SearchHit[][]> {
    const { k, threshold } = checkSearchOptions(options);
    if (!Array.isArray(queries)) throw new FaceIndexError(`searchMany takes an array of queries, got ${describeValue(queries)}`);
    if (queries.length === 0) return [];
    const vectors = this.queryVectors(queries);
    const store = this.store;
    if (!store || store.count === 0 || k === 0) return queries.map(() => []);
    const gpu = this.backend === 'cpu' ? undefined : await this.gpuSearch();
    // One more try when a remove (or grown arrays) overlapped the wait, then the synchronous search, which none can overlap.
    for (let attempt = 0; attempt < 2; attempt++) {
      const layout = store.layout;
      let ranked: RankedIdentities[] | undefined;
      if (gpu) {
        const q = new Float32Array(vectors.length * store.dim);
        vectors.forEach((v, i) => q.set(v, i * store.dim));
        ranked = await gpu.rank(this.view(store), q, vectors.length, k, threshold);
        if (!ranked) break; // disposed meanwhile: the synchronous search answers
      } else {
        const pool = this.threadsFor(k, true);
        if (!pool) break;
        ranked = await searchRowsAsync(store, vectors, k, threshold, pool);
      }
      if (ranked && store.layout === layout) return this.hits(ranked);
    }
    return this.hits(searchRows(store, vectors, k, threshold, this.threadsFor(k)));
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
    return { cpu: this.store?.bytes ?? 0, gpu: this.gpuReady?.mirror.rowBufferBytes ?? 0 };
  }

  /**
   * The CPU search's threads: `count` used from `fromRows` rows on (1: the one-thread path, also where the rows could
   * not be shared; see FaceIndexOptions.threads), and `workers` started now (count − 1 after synchronous searches,
   * count once an async one ran; 0 after dispose).
   */
  get threads(): { count: number; fromRows: number; workers: number } {
    const store = this.store;
    const count = !store || store.capacity === 0 ? this.threadCount : store.dots?.shared ? this.threadCount : 1;
    return { count, fromRows: this.threadRows, workers: this.pool?.started ?? 0 };
  }

  /**
   * Frees the GPU mirror and the device when the index acquired it, and ends the search threads (a later search
   * starts either again). A search under way still answers exactly: its GPU buffers and device are freed when it
   * does. Threads never keep the process alive, so an index that is simply dropped is fine too.
   */
  dispose(): void {
    this.pool?.close();
    this.pool = undefined;
    // A GPU search under way keeps its buffers (and an acquired device) until it answers; the next one starts afresh.
    if (this.gpuReady) this.gpuReady.dispose(this.releaseDevice);
    else this.releaseDevice?.();
    this.gpuReady = undefined;
    this.gpu = undefined;
    if (this.releaseDevice) {
      this.releaseDevice = undefined;
      this.device = undefined;
    }
  }

  /** The index in the documented single-file format (README.md in this folder). */
  toBytes(): Uint8Array {
    if (this.dimValue === undefined) throw new FaceIndexError('an index without a dim cannot be written (add an embedding or pass dim)');
    return encodeIndex(this.rowsOf(this.dimValue).snapshot());
  }

  /** An index from `toBytes()` output; IndexFormatError when truncated or corrupted. */
  static fromBytes(bytes: Uint8Array, options: Omit<FaceIndexOptions, 'dim'> = {}): FaceIndex {
    // An array of numbers or an ArrayBuffer would read as a short or empty file; say what was passed instead (the tag,
    // not instanceof, so bytes from another realm pass too).
    if (Object.prototype.toString.call(bytes) !== '[object Uint8Array]') throw new FaceIndexError(`fromBytes takes a Uint8Array (a Buffer will do), got ${describeValue(bytes)}`);
    const s = decodeIndex(bytes);
    const index = new FaceIndex({ ...options, dim: s.dim });
    if (s.owner.length > index.rowLimit(s.dim)) {
      throw new FaceIndexError(`the file holds ${s.owner.length} entries, above this index's bound of ${index.rowLimit(s.dim)}`);
    }
    const zero = index.rowsOf(s.dim).fill(s);
    if (zero >= 0) throw new IndexFormatError(`row ${zero} is a zero embedding`);
    return index;
  }

  /**
   * Node only: write the index to path atomically (temp file + rename); FaceIndexError when it cannot be written
   * (a folder in its place, a missing folder, no permission, a FIFO no process reads), leaving an earlier file there
   * as it was. Under the file's lock, an existing file this index did not load or last save, at the version it did
   * (another save, `insightgpu index add` or `remove` wrote it since; or this index never read it: a new index, or
   * one from `fromBytes`), is a FaceIndexConflictError and nothing is written, unless `{ overwrite: true }`.
   */
  async save(path: string, options?: SaveOptions): Promise<void> {
    if (typeof path !== 'string' || path.length === 0) throw new FaceIndexError(`save takes a file path, got ${describeValue(path)}`);
    const { overwrite } = checkSaveOptions(options);
    const bytes = this.toBytes();
    const { saveIndexFile } = await indexFileNode('save');
    await saveIndexFile(path, bytes, { known: this.knownFiles, overwrite });
  }

  /**
   * Node only: read an index written by `save`; IndexFormatError when truncated or corrupted, FaceIndexError when the
   * file cannot be read or is no regular file after links (a FIFO, socket, device or folder is refused at once).
   */
  static async load(path: string, options: Omit<FaceIndexOptions, 'dim'> = {}): Promise<FaceIndex> {
    // A number would be read as a file descriptor.
    if (typeof path !== 'string' || path.length === 0) throw new FaceIndexError(`load takes a file path, got ${describeValue(path)}`);
    const { readIndexFile } = await indexFileNode('load');
    try {
      let read: Awaited<ReturnType<typeof readIndexFile>>;
      try {
        read = await readIndexFile(path);
      } catch (error) {
        if (error instanceof IndexFormatError || error instanceof FaceIndexError) throw error; // already names the file
        // A missing or unreadable file is the index's error too (the system error stays as its cause).
        const why = error instanceof Error ? error.message.split('\n')[0]! : String(error);
        throw new FaceIndexError(`cannot read '${path}': ${why}`, { cause: error });
      }
      const index = FaceIndex.fromBytes(read.bytes, options);
      if (read.version !== undefined) index.knownFiles.set(read.target, read.version);
      return index;
    } catch (error) {
      // The same error, naming the file it came from.
      if (error instanceof IndexFormatError && error.file === undefined) throw new IndexFormatError(error.why, error.offset, { cause: error.cause, file: path });
      throw error;
    }
  }

  private vector(input: EmbeddingInput, what: string): ArrayLike<number> {
    const face = isFace(input);
    const e = face ? input.embedding : input;
    if (face && e === undefined) throw new FaceIndexError(`${what}: the face has no embedding (no recognition model ran)`);
    // Plain-JS callers: null, a number or a string would fail deep inside (or read as characters) instead.
    if (e === null || typeof e !== 'object' || typeof e.length !== 'number') {
      throw new FaceIndexError(`${what}: expected an embedding (an array of numbers) or a face, got ${describeValue(e)}`);
    }
    if (e.length === 0) throw new FaceIndexError(`${what}: empty embedding`);
    if (this.dimValue !== undefined && e.length !== this.dimValue) {
      throw new FaceIndexError(`${what}: dimension mismatch, a ${e.length}-d embedding for a ${this.dimValue}-d index`);
    }
    return e;
  }

  private queryVectors(queries: readonly EmbeddingInput[]): Float32Array[] {
    // By index, not map: map skips the holes of a sparse array, which then fail deep inside as a TypeError.
    return Array.from({ length: queries.length }, (_, i) => normed32(this.vector(queries[i]!, `query ${i}`), `query ${i}`));
  }

  /** Most rows the bounds allow at this dim. */
  private rowLimit(dim: number): number {
    return Math.min(this.maxEntries, Math.floor(this.maxBytes / (dim * 4 + ROW_BOOKKEEPING_BYTES)));
  }

  /** The store, made on first use at the index's dim (shared memory for the threads, one scratch slot more than threads for async searches). */
  private rowsOf(dim: number): IdentityRows {
    this.store ??= new IdentityRows(dim, { rowLimit: this.rowLimit(dim), sharedSlots: this.threadCount > 1 ? this.threadCount + 1 : 0 });
    return this.store;
  }

  /**
   * The search threads when this search should use them (k > 0, rows shared, enough rows), started lazily; a
   * synchronous search keeps to its own thread while an async one holds them.
   */
  private threadsFor(k: number, async = false): SearchThreads | undefined {
    const store = this.store;
    if (k === 0 || this.threadCount < 2 || !store || store.count < this.threadRows || !store.dots?.shared || store.dots.rows !== store.rows) return undefined;
    this.pool ??= new SearchThreads(store.dots, this.threadCount);
    return async || !this.pool.busy ? this.pool : undefined;
  }

  private view(store: IdentityRows): IndexRows {
    return { rows: store.rows, rowSq: store.rowSq, owner: store.owner, count: store.count, dim: store.dim, ids: store.ids };
  }

  private hits(ranked: readonly RankedIdentities[]): SearchHit[][] {
    const { ids, meta } = this.store!;
    return ranked.map((r) => r.identities.map((o, i) => ({ id: ids[o]!, score: r.scores[i]!, meta: meta[o] })));
  }

  /** The GPU searcher for the configured backend, made on first use; undefined for the CPU. */
  private gpuSearch(): Promise<ExactGpuSearch | undefined> {
    if (this.backend === 'cpu') return Promise.resolve(undefined);
    if (this.gpu) return this.gpu;
    const opening: Promise<ExactGpuSearch | undefined> = import('./search-exact-gpu.js').then(async ({ openExactGpuSearch }) => {
      const opened = await openExactGpuSearch(this.backend as 'webgpu' | 'auto', this.device, this.dimValue!, this.gpuPrecision, this.maxBytes);
      if (!opened) return undefined;
      // Disposed while the device was being acquired: that search answers on the CPU, and nothing is kept.
      if (this.gpu !== opening) { opened.search.dispose(opened.release); return undefined; }
      this.device = opened.device;
      this.releaseDevice = opened.release;
      this.gpuReady = opened.search;
      return opened.search;
    }).catch((error: unknown) => {
      if (this.gpu === opening) this.gpu = undefined; // a later search may try again
      throw error;
    });
    this.gpu = opening;
    return opening;
  }
}

/** The Node file helpers, behind a computed specifier so browser bundles hold no Node modules (save/load are Node-only). */
async function indexFileNode(call: 'save' | 'load'): Promise<typeof import('./index-file-node.js')> {
  if (!runsOnNode()) {
    throw new FaceIndexError(`${call} reads and writes files, which needs Node; in a browser use IndexedDbIndexStore, or toBytes() and FaceIndex.fromBytes()`);
  }
  const moduleName = './index-file-node.js';
  return (await import(/* @vite-ignore */ moduleName)) as typeof import('./index-file-node.js');
}
