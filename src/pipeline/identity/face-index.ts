import type { Face } from '../face.js';
import { FaceIndexError, IndexFormatError } from './errors.js';
import { bestPerIdentity, sumSquares } from './search-cpu.js';
import { decodeIndex, encodeIndex, type JsonValue } from './index-file.js';

/** An embedding, or a Face whose `embedding` is set. */
export type EmbeddingInput = ArrayLike<number> | Face;

/** Options of a FaceIndex. */
export interface FaceIndexOptions {
  /** Embedding length; when omitted, fixed by the first add. */
  dim?: number;
  /**
   * Most embeddings (rows) the index holds; an add beyond it throws FaceIndexError. Default 1,000,000.
   * The rows are one Float32Array of maxEntries × dim × 4 bytes at most (1M × 512 = 2 GiB), plus 12 bytes per row
   * of bookkeeping; while it grows, the old and new arrays coexist for one copy (peak ≤ 1.5 × the final size).
   */
  maxEntries?: number;
  /**
   * Most bytes the rows may take, counted as entries × (dim × 4 + 12); an add beyond it throws FaceIndexError.
   * Default: no byte bound beyond maxEntries.
   */
  maxBytes?: number;
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
  /** The identity. */
  id: string;
  /** Its best cosine similarity to the query. */
  score: number;
  /** The metadata stored with it, if any. */
  meta: JsonValue | undefined;
}

const DEFAULT_MAX_ENTRIES = 1_000_000;

/**
 * A 1:N face index on the CPU: exact brute force over normed embeddings. An identity may hold several embeddings;
 * its score is its best match. A score is bit for bit `computeSim(normed(query), normed(entry))` (float32), where
 * normed divides by the float32 L2 norm as `Face.normed_embedding` does; ties are ordered by id.
 */
export class FaceIndex {
  private dimValue: number | undefined;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private rows = new Float32Array(0);
  private rowSq = new Float64Array(0);
  private owner = new Int32Array(0);
  private count = 0;
  private ids: string[] = [];
  private meta: (JsonValue | undefined)[] = [];
  private readonly byId = new Map<string, number>();

  /** An empty index; FaceIndexError for a non-positive dim or bound. */
  constructor(options: FaceIndexOptions = {}) {
    const { dim, maxEntries = DEFAULT_MAX_ENTRIES, maxBytes = Infinity } = options;
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

  /** Remove an identity and all its embeddings; whether it was enrolled. O(entries × dim). */
  remove(id: string): boolean {
    const gone = this.byId.get(id);
    if (gone === undefined) return false;
    const dim = this.dimValue!;
    let w = 0;
    for (let r = 0; r < this.count; r++) {
      const o = this.owner[r]!;
      if (o === gone) continue;
      if (w !== r) {
        this.rows.copyWithin(w * dim, r * dim, (r + 1) * dim);
        this.rowSq[w] = this.rowSq[r]!;
      }
      this.owner[w] = o > gone ? o - 1 : o;
      w++;
    }
    this.count = w;
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
      const best = new Float64Array(n * identities).fill(-Infinity);
      bestPerIdentity(q, n, this.rows, this.rowSq, this.owner, this.count, dim, identities, best);
      for (let i = 0; i < n; i++) out.push(this.topK(best, i * identities, k, threshold));
    }
    return out;
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
    this.rows = grow(this.rows, (n) => new Float32Array(n), dim);
    this.rowSq = grow(this.rowSq, (n) => new Float64Array(n), 1);
    this.owner = grow(this.owner, (n) => new Int32Array(n), 1);
  }

  private topK(best: Float64Array, base: number, k: number, threshold: number): SearchHit[] {
    // A sorted list of at most k identity numbers, kept by insertion (k is small).
    const top: number[] = [];
    const better = (a: number, b: number): boolean => {
      const sa = best[base + a]!, sb = best[base + b]!;
      return sa > sb || (sa === sb && this.ids[a]! < this.ids[b]!);
    };
    if (k === 0) return [];
    for (let o = 0; o < this.ids.length; o++) {
      const s = best[base + o]!;
      if (!(s >= threshold)) continue;
      if (top.length === k && !better(o, top[k - 1]!)) continue;
      let p = top.length === k ? k - 1 : top.length;
      if (top.length < k) top.push(o);
      while (p > 0 && better(o, top[p - 1]!)) {
        top[p] = top[p - 1]!;
        p--;
      }
      top[p] = o;
    }
    return top.map((o) => ({ id: this.ids[o]!, score: best[base + o]!, meta: this.meta[o] }));
  }
}

function isFace(x: EmbeddingInput): x is Face {
  return typeof x === 'object' && x !== null && 'det_score' in x && 'bbox' in x;
}

/**
 * The embedding divided by its float32 L2 norm, as float32 (Face.normed_embedding's rule); FaceIndexError for
 * non-finite values or a zero vector.
 */
export function normed32(e: ArrayLike<number>, what: string): Float32Array {
  const f = Float32Array.from(e as ArrayLike<number>);
  let s = 0;
  for (let i = 0; i < f.length; i++) {
    const v = f[i]!;
    if (!Number.isFinite(v)) throw new FaceIndexError(`${what}: value ${i} is ${v}`);
    s += v * v;
  }
  const n = Math.fround(Math.sqrt(s));
  if (!(n > 0) || !Number.isFinite(n)) throw new FaceIndexError(`${what}: zero (or overflowing) embedding, it has no direction`);
  for (let i = 0; i < f.length; i++) f[i] = f[i]! / n;
  return f;
}

/** The Node file helpers, behind a computed specifier so browser bundles hold no Node modules (save/load are Node-only). */
async function indexFileNode(): Promise<typeof import('./index-file-node.js')> {
  const moduleName = './index-file-node.js';
  return (await import(/* @vite-ignore */ moduleName)) as typeof import('./index-file-node.js');
}
