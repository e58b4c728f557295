/**
 * Exact search through the GPU: the device picks candidate rows by its float32 (or f16) scores, the CPU rescores
 * them with the CPU path's own formula, and a bound on the GPU's rounding (rowScoreError) proves that no row left
 * out could reach the top k. A query whose proof fails is asked again for more candidates, and at MAX_GPU_K goes to
 * the CPU path. So ids and scores equal the CPU path's bit for bit, ties included (score, then id).
 */
import { bestPerIdentity, rankIdentities, sumSquares } from './search-cpu.js';
import { GpuRowSearch, MAX_GPU_K, rowScoreError } from './search-gpu.js';
import { EMPTY_ROW, type RowPrecision } from './search-gpu-wgsl.js';

/** Most queries per GPU submission (well under the 65535 workgroups a dispatch dimension allows); fewer when their
 * candidate lists would pass the device's binding limit. */
const QUERY_BATCH = 256;

/** The index's rows as the searcher reads them (views of FaceIndex's arrays; valid for one call). */
export interface IndexRows {
  rows: Float32Array;
  rowSq: Float64Array;
  owner: Int32Array;
  count: number;
  dim: number;
  ids: readonly string[];
}

/** Per query, the ranked identity numbers and their scores. */
export interface RankedIdentities {
  identities: number[];
  scores: number[];
}

/** How many GPU calls a search took and how many queries fell back to the CPU (for tests and benchmarks). */
export interface GpuSearchStats {
  rounds: number;
  cpuFallbacks: number;
}

/** A GPU mirror of an index's rows that tracks which rows changed since they were uploaded. */
export class ExactGpuSearch {
  readonly mirror: GpuRowSearch;
  private synced = 0;
  private readonly dirty = new Set<number>();
  /** Counters of the last search. */
  lastStats: GpuSearchStats = { rounds: 0, cpuFallbacks: 0 };
  private running = 0;
  private disposed = false;
  private afterDispose: (() => void) | undefined;

  constructor(device: GPUDevice, dim: number, precision: RowPrecision, maxBytes: number) {
    this.mirror = new GpuRowSearch(device, dim, precision, maxBytes);
  }

  /** Row r's content changed in place (a remove moved another row into it). */
  rowChanged(r: number): void {
    if (r < this.synced) this.dirty.add(r);
  }

  /** The index now holds `count` rows (after a remove); rows from count on are gone. */
  truncated(count: number): void {
    this.synced = Math.min(this.synced, count);
    for (const r of this.dirty) if (r >= count) this.dirty.delete(r);
    this.mirror.truncate(count);
  }

  /** Uploads the changed rows and the rows added since the last search, nothing else. */
  sync(index: IndexRows): void {
    const runs = [...this.dirty].sort((a, b) => a - b);
    for (let i = 0; i < runs.length;) {
      let j = i;
      while (j + 1 < runs.length && runs[j + 1] === runs[j]! + 1) j++;
      this.mirror.write(index.rows, runs[i]!, runs[j]! + 1);
      i = j + 1;
    }
    this.dirty.clear();
    if (index.count > this.synced) this.mirror.write(index.rows, this.synced, index.count);
    this.mirror.truncate(index.count);
    this.synced = index.count;
  }

  /** Searches under way (each keeps the mirror's buffers and the device alive until it answers). */
  get inFlight(): number {
    return this.running;
  }

  /**
   * Frees the mirror's buffers, then runs `release` (the device's, when the index acquired it): at once when no search
   * is under way, otherwise when the last one answers, so a search that has started still answers exactly.
   */
  dispose(release?: () => void): void {
    if (this.disposed) return;
    this.disposed = true;
    this.afterDispose = release;
    if (this.running === 0) this.free();
  }

  /**
   * The top k identities of each query (normed, packed in `queries`), equal to the CPU path's; undefined once this
   * searcher is disposed (the caller answers on the CPU).
   */
  async rank(index: IndexRows, queries: Float32Array, n: number, k: number, threshold: number): Promise<RankedIdentities[] | undefined> {
    if (this.disposed) return undefined;
    this.running++;
    try {
      return await this.rankNow(index, queries, n, k, threshold);
    } finally {
      this.running--;
      if (this.disposed && this.running === 0) this.free();
    }
  }

  private free(): void {
    this.mirror.destroy();
    const release = this.afterDispose;
    this.afterDispose = undefined;
    release?.();
  }

  private async rankNow(index: IndexRows, queries: Float32Array, n: number, k: number, threshold: number): Promise<RankedIdentities[]> {
    this.sync(index);
    const { dim } = index;
    const out: (RankedIdentities | undefined)[] = new Array(n);
    const queryNorm = new Float64Array(n);
    for (let q = 0; q < n; q++) queryNorm[q] = Math.sqrt(sumSquares(queries, q * dim, dim));
    const bound = rowScoreError(dim, this.mirror.precision);
    let pending = [...Array(n).keys()];
    let ask = Math.min(MAX_GPU_K, Math.max(2 * k, k + 16));
    const stats: GpuSearchStats = { rounds: 0, cpuFallbacks: 0 };
    while (pending.length > 0 && k <= MAX_GPU_K) {
      const failed: number[] = [];
      // Batches keep the dispatch's query dimension and the candidate buffers small.
      const perCall = Math.min(QUERY_BATCH, this.mirror.queriesPerCall(ask));
      if (perCall < 1) break; // too many rows for one query's candidates in a binding: the CPU path answers
      for (let b0 = 0; b0 < pending.length; b0 += perCall) {
        const batch = pending.slice(b0, b0 + perCall);
        const q32 = new Float32Array(batch.length * dim);
        batch.forEach((q, i) => q32.set(queries.subarray(q * dim, (q + 1) * dim), i * dim));
        const top = await this.mirror.topRows(q32, batch.length, ask);
        stats.rounds++;
        batch.forEach((q, i) => {
          const r = this.verify(index, queries, q, queryNorm[q]!, top.rows.subarray(i * ask, (i + 1) * ask), top.scores[(i + 1) * ask - 1]!, k, threshold, bound);
          if (r) out[q] = r; else failed.push(q);
        });
      }
      pending = failed;
      if (ask === MAX_GPU_K) break;
      ask = Math.min(MAX_GPU_K, ask * 4);
    }
    if (pending.length > 0) {
      stats.cpuFallbacks = pending.length;
      const identities = index.ids.length;
      const q32 = new Float32Array(pending.length * dim);
      pending.forEach((q, i) => q32.set(queries.subarray(q * dim, (q + 1) * dim), i * dim));
      const best = new Float64Array(pending.length * identities).fill(-Infinity);
      bestPerIdentity(q32, pending.length, index.rows, index.rowSq, index.owner, index.count, dim, identities, best);
      pending.forEach((q, i) => { out[q] = rankIdentities(best.subarray(i * identities, (i + 1) * identities), index.ids, k, threshold); });
    }
    this.lastStats = stats;
    return out as RankedIdentities[];
  }

  /**
   * The exact ranking from the candidate rows, or undefined when a row outside them could still belong in it: every
   * such row has a GPU score ≤ lastScore, so an exact score ≤ lastScore + bound, which must stay below the cut.
   */
  private verify(index: IndexRows, queries: Float32Array, q: number, nq: number, rows: Uint32Array, lastScore: number,
    k: number, threshold: number, bound: number): RankedIdentities | undefined {
    const { dim } = index;
    const best = new Map<number, number>();
    let complete = false;
    const qo = q * dim;
    for (const r of rows) {
      if (r === EMPTY_ROW) { complete = true; break; } // fewer rows than candidates: every row is here
      const ro = r * dim;
      let dot = 0;
      for (let i = 0; i < dim; i++) dot += queries[qo + i]! * index.rows[ro + i]!;
      const score = Math.fround(dot / (nq * Math.sqrt(index.rowSq[r]!)));
      const o = index.owner[r]!;
      if (!(best.get(o)! >= score)) best.set(o, score);
    }
    const ranked = rankMap(best, index.ids, k, threshold);
    if (complete) return ranked;
    const cut = ranked.identities.length === k ? ranked.scores[k - 1]! : threshold;
    return lastScore + bound < cut ? ranked : undefined;
  }
}

function rankMap(best: Map<number, number>, ids: readonly string[], k: number, threshold: number): RankedIdentities {
  const entries = [...best].filter(([, s]) => s >= threshold);
  entries.sort((a, b) => b[1] - a[1] || (ids[a[0]]! < ids[b[0]]! ? -1 : 1));
  const top = entries.slice(0, k);
  return { identities: top.map((e) => e[0]), scores: top.map((e) => e[1]) };
}

/**
 * A searcher on `device`, or on a device acquired for the purpose ('webgpu' accepts a software adapter such as
 * SwiftShader; 'auto' only hardware, and gives undefined when there is none). `release` frees an acquired device.
 */
export async function openExactGpuSearch(backend: 'webgpu' | 'auto', device: GPUDevice | undefined, dim: number, precision: RowPrecision,
  maxBytes: number): Promise<{ search: ExactGpuSearch; device: GPUDevice; release?: () => void } | undefined> {
  if (device) return { search: new ExactGpuSearch(device, dim, precision, maxBytes), device };
  const { acquireDevice } = await import('../../backends/webgpu/device.js');
  let acquired;
  try {
    acquired = await acquireDevice({ allowSoftwareAdapter: backend === 'webgpu' });
  } catch (error) {
    if (backend === 'auto') return undefined;
    throw error;
  }
  return { search: new ExactGpuSearch(acquired.device, dim, precision, maxBytes), device: acquired.device, release: () => acquired.release() };
}
