/**
 * One row range's part of a threaded exact search, and the merge of the parts. A range keeps every identity whose
 * best score in the range is at least the range's k-th best (ties at the k-th score all kept) and the threshold.
 * That is enough for an exact merge: an identity of the global top-k is kept by the range holding its best row
 * (else k identities beat it there, so they beat it overall), and an identity's kept score never passes its true one.
 */
import type { RowKernel } from '../../ops/wasm/row-dots.js';

/** What a range search scores rows with: WasmRowDots on the calling thread, a RowKernel on a worker. */
export type RowScorer = Pick<RowKernel, 'dim' | 'dotsWith'>;

/** The rows a range search reads (shared by every thread; rows live in `dots`). */
export interface RangeRows {
  rowSq: Float64Array;
  owner: Int32Array;
  identities: number;
}

/** One range's candidates for each query: query q's are entries [start[q], start[q + 1]) of `identity` / `score`. */
export interface RangeTop {
  start: Int32Array;
  identity: Int32Array;
  score: Float64Array;
}

/**
 * Scores rows [first, end) against each query (`norms[q]` = sqrt of the query's float64 sum of squares, as
 * bestPerIdentity computes it), `block` rows (≤ DOT_BLOCK) per kernel call, and keeps each query's candidates.
 * Scores are bestPerIdentity's, bit for bit. Self-contained (it names nothing outside itself): search threads run
 * this function's source text.
 */
export function topOfRange(
  dots: RowScorer, queries: Float32Array, norms: Float64Array, rows: RangeRows, first: number, end: number, k: number, threshold: number, block: number,
): RangeTop {
  const { dim } = dots;
  const { rowSq, owner } = rows;
  const n = norms.length;
  const best = new Float64Array(rows.identities).fill(-Infinity);
  const touched = new Int32Array(Math.min(rows.identities, Math.max(0, end - first)));
  const top = new Float64Array(k);
  const start = new Int32Array(n + 1);
  const identity: number[] = [];
  const score: number[] = [];
  for (let q = 0; q < n; q++) {
    let t = 0;
    const qNorm = norms[q]!;
    for (let b = first; b < end; b += block) {
      const count = Math.min(block, end - b);
      const d = dots.dotsWith(queries, q * dim, b, count);
      for (let i = 0; i < count; i++) {
        const r = b + i;
        const s = Math.fround(d[i]! / (qNorm * Math.sqrt(rowSq[r]!)));
        const o = owner[r]!;
        const was = best[o]!;
        if (was === -Infinity) touched[t++] = o;
        if (s > was) best[o] = s;
      }
    }
    // The k best scores, descending, by insertion (k is small); the k-th is the bar a candidate must reach.
    let have = 0;
    for (let i = 0; i < t; i++) {
      const s = best[touched[i]!]!;
      if (!(s >= threshold) || (have === k && !(s > top[k - 1]!))) continue;
      let p = have < k ? have++ : k - 1;
      while (p > 0 && top[p - 1]! < s) {
        top[p] = top[p - 1]!;
        p--;
      }
      top[p] = s;
    }
    const bar = have === k ? Math.max(top[k - 1]!, threshold) : threshold;
    for (let i = 0; i < t; i++) {
      const o = touched[i]!;
      const s = best[o]!;
      if (have > 0 && s >= bar) {
        identity.push(o);
        score.push(s);
      }
      best[o] = -Infinity;
    }
    start[q + 1] = identity.length;
  }
  return { start, identity: Int32Array.from(identity), score: Float64Array.from(score) };
}

/**
 * The k best identities of each query over the ranges' candidates, best first (score descending, then id
 * ascending): what rankIdentities gives on the whole index's per-identity scores.
 */
export function mergeRanges(parts: readonly RangeTop[], queries: number, ids: readonly string[], k: number): { identities: number[]; scores: number[] }[] {
  const out: { identities: number[]; scores: number[] }[] = [];
  for (let q = 0; q < queries; q++) {
    const best = new Map<number, number>();
    for (const p of parts) {
      for (let i = p.start[q]!; i < p.start[q + 1]!; i++) {
        const o = p.identity[i]!, s = p.score[i]!;
        const was = best.get(o);
        if (was === undefined || s > was) best.set(o, s);
      }
    }
    const ranked = [...best].sort(([a, sa], [b, sb]) => sb - sa || (ids[a]! < ids[b]! ? -1 : ids[a]! > ids[b]! ? 1 : 0)).slice(0, k);
    out.push({ identities: ranked.map(([o]) => o), scores: ranked.map(([, s]) => s) });
  }
  return out;
}
