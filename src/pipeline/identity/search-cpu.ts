/**
 * Exact brute-force scoring over a contiguous Float32Array of rows (row r at [r*dim, (r+1)*dim)). No per-entry
 * objects: rows are visited in blocks so a block stays in cache while every query of a batch is scored against it.
 * Rows kept in a WasmRowDots memory are scored by its SIMD kernel (eight rows a step, two per float64 vector);
 * others by a JS loop scoring four rows at once so the independent sums hide each other's latency. Both give each
 * dot as one float64 sum in index order, so their scores are the same bits.
 */
import { DOT_BLOCK, type WasmRowDots } from '../../ops/wasm/row-dots.js';

/** Rows per block; 256 rows × 512 floats = 512 KiB, about an L2's worth. */
export const ROW_BLOCK = 256;

/** Sum of squares of one row, accumulated in the order computeSim accumulates it (double). */
export function sumSquares(data: Float32Array, offset: number, dim: number): number {
  let s = 0;
  for (let i = 0; i < dim; i++) {
    const v = data[offset + i]!;
    s += v * v;
  }
  return s;
}

/**
 * For each query q and each identity, the best score over that identity's rows, written to best[q * identities + id].
 * Scores are `Math.fround(dot / (Math.sqrt(nq) * Math.sqrt(nr)))`, bit for bit what computeSim(query, row) returns:
 * each dot is one double sum in index order, whichever rows share the loop. `dots`, when `rows` is its view, scores
 * with its SIMD kernel. `best` must be filled with -Infinity by the caller.
 */
export function bestPerIdentity(
  queries: Float32Array, queryCount: number, rows: Float32Array, rowSq: Float64Array, owner: Int32Array,
  rowCount: number, dim: number, identities: number, best: Float64Array, dots?: WasmRowDots,
): void {
  const qSq = new Float64Array(queryCount);
  for (let q = 0; q < queryCount; q++) qSq[q] = Math.sqrt(sumSquares(queries, q * dim, dim));
  const keep = (q: number, r: number, dot: number): void => {
    const score = Math.fround(dot / (qSq[q]! * Math.sqrt(rowSq[r]!)));
    const slot = q * identities + owner[r]!;
    if (score > best[slot]!) best[slot] = score;
  };
  if (dots && dots.dim === dim && dots.rows.buffer === rows.buffer && dots.rows.byteOffset === rows.byteOffset) {
    for (let start = 0; start < rowCount; start += DOT_BLOCK) {
      const count = Math.min(DOT_BLOCK, rowCount - start);
      for (let q = 0; q < queryCount; q++) {
        const d = dots.dotsWith(queries, q * dim, start, count);
        for (let i = 0; i < count; i++) keep(q, start + i, d[i]!);
      }
    }
    return;
  }
  for (let start = 0; start < rowCount; start += ROW_BLOCK) {
    const end = Math.min(rowCount, start + ROW_BLOCK);
    for (let q = 0; q < queryCount; q++) {
      const qo = q * dim;
      let r = start;
      for (; r + 4 <= end; r += 4) {
        const r0 = r * dim, r1 = r0 + dim, r2 = r1 + dim, r3 = r2 + dim;
        let d0 = 0, d1 = 0, d2 = 0, d3 = 0;
        for (let i = 0; i < dim; i++) {
          const x = queries[qo + i]!;
          d0 += x * rows[r0 + i]!;
          d1 += x * rows[r1 + i]!;
          d2 += x * rows[r2 + i]!;
          d3 += x * rows[r3 + i]!;
        }
        keep(q, r, d0);
        keep(q, r + 1, d1);
        keep(q, r + 2, d2);
        keep(q, r + 3, d3);
      }
      for (; r < end; r++) {
        const ro = r * dim;
        let dot = 0;
        for (let i = 0; i < dim; i++) dot += queries[qo + i]! * rows[ro + i]!;
        keep(q, r, dot);
      }
    }
  }
}

/**
 * The k best identities of one query's per-identity scores (`best[o]`, -Infinity for none), best first: score
 * descending, then id ascending; only scores ≥ threshold. An identity without a scored row (one enrolled while an
 * async search awaited its rows) is never ranked.
 */
export function rankIdentities(best: Float64Array, ids: readonly string[], k: number, threshold: number): { identities: number[]; scores: number[] } {
  // A sorted list of at most k identity numbers, kept by insertion (k is small).
  const top: number[] = [];
  const better = (a: number, b: number): boolean => {
    const sa = best[a]!, sb = best[b]!;
    return sa > sb || (sa === sb && ids[a]! < ids[b]!);
  };
  if (k > 0) {
    for (let o = 0; o < best.length; o++) {
      const s = best[o]!;
      if (!(s >= threshold) || s === -Infinity) continue;
      if (top.length === k && !better(o, top[k - 1]!)) continue;
      let p = top.length === k ? k - 1 : top.length;
      if (top.length < k) top.push(o);
      while (p > 0 && better(o, top[p - 1]!)) {
        top[p] = top[p - 1]!;
        p--;
      }
      top[p] = o;
    }
  }
  return { identities: top, scores: top.map((o) => best[o]!) };
}
