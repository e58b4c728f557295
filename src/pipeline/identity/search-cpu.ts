/**
 * Exact brute-force scoring over a contiguous Float32Array of rows (row r at [r*dim, (r+1)*dim)). No per-entry
 * objects: rows are visited in blocks so a block stays in cache while every query of a batch is scored against it.
 */

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
 * Scores are `Math.fround(dot / (Math.sqrt(nq) * Math.sqrt(nr)))`, bit for bit what computeSim(query, row) returns.
 * `best` must be filled with -Infinity by the caller.
 */
export function bestPerIdentity(
  queries: Float32Array, queryCount: number, rows: Float32Array, rowSq: Float64Array, owner: Int32Array,
  rowCount: number, dim: number, identities: number, best: Float64Array,
): void {
  const qSq = new Float64Array(queryCount);
  for (let q = 0; q < queryCount; q++) qSq[q] = Math.sqrt(sumSquares(queries, q * dim, dim));
  for (let start = 0; start < rowCount; start += ROW_BLOCK) {
    const end = Math.min(rowCount, start + ROW_BLOCK);
    for (let q = 0; q < queryCount; q++) {
      const qo = q * dim;
      const nq = qSq[q]!;
      const bo = q * identities;
      for (let r = start; r < end; r++) {
        const ro = r * dim;
        let dot = 0;
        for (let i = 0; i < dim; i++) dot += queries[qo + i]! * rows[ro + i]!;
        const score = Math.fround(dot / (nq * Math.sqrt(rowSq[r]!)));
        const slot = bo + owner[r]!;
        if (score > best[slot]!) best[slot] = score;
      }
    }
  }
}
