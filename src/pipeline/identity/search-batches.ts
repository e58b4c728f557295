/**
 * The CPU search of an IdentityRows, in batches of queries that bound the per-identity score table: on the calling
 * thread alone (bestPerIdentity + rankIdentities), or over row ranges on threads (SearchThreads + mergeRanges),
 * synchronously or awaiting the workers. Every way gives the same ids and scores, bit for bit.
 */
import type { IdentityRows } from './identity-rows.js';
import { bestPerIdentity, rankIdentities, sumSquares } from './search-cpu.js';
import type { RankedIdentities } from './search-exact-gpu.js';
import { mergeRanges } from './search-range.js';
import type { SearchThreads } from './search-threads.js';

/** Scores per batch: the table of queries × identities float64 stays under 64 MiB. */
const TABLE_SCORES = 8_388_608;

/** The queries (normed) in batches, each packed in one Float32Array. */
function* batches(store: IdentityRows, vectors: readonly Float32Array[]): Generator<{ q: Float32Array; n: number }> {
  const { dim } = store;
  const batch = Math.max(1, Math.min(vectors.length, Math.floor(TABLE_SCORES / store.ids.length)));
  for (let b0 = 0; b0 < vectors.length; b0 += batch) {
    const n = Math.min(batch, vectors.length - b0);
    const q = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) q.set(vectors[b0 + i]!, i * dim);
    yield { q, n };
  }
}

const queryNorms = (q: Float32Array, n: number, dim: number): Float64Array => Float64Array.from({ length: n }, (_, i) => Math.sqrt(sumSquares(q, i * dim, dim)));

/** The k best identities of each query (normed vectors of the store's dim); `pool` splits the rows over its threads. */
export function searchRows(store: IdentityRows, vectors: readonly Float32Array[], k: number, threshold: number, pool?: SearchThreads): RankedIdentities[] {
  const { dim } = store;
  const identities = store.ids.length;
  const out: RankedIdentities[] = [];
  for (const { q, n } of batches(store, vectors)) {
    if (pool) {
      const parts = pool.search(q, queryNorms(q, n, dim), { rowSq: store.rowSq, owner: store.owner, identities }, store.count, k, threshold);
      out.push(...mergeRanges(parts, n, store.ids, k));
      continue;
    }
    const best = new Float64Array(n * identities).fill(-Infinity);
    bestPerIdentity(q, n, store.rows, store.rowSq, store.owner, store.count, dim, identities, best, store.dots);
    for (let i = 0; i < n; i++) out.push(rankIdentities(best.subarray(i * identities, (i + 1) * identities), store.ids, k, threshold));
  }
  return out;
}

/**
 * `searchRows` over the pool's workers alone, the calling thread awaiting them (it scores nothing, so its event loop
 * runs meanwhile), over the rows present at the call. Adds may run during the wait: the workers read only those rows,
 * which never move on an add. Undefined when the store's layout changed during a wait (a remove, or grown arrays)
 * or the pool was closed: the caller searches again.
 */
export async function searchRowsAsync(store: IdentityRows, vectors: readonly Float32Array[], k: number, threshold: number,
  pool: SearchThreads): Promise<RankedIdentities[] | undefined> {
  const { dim } = store;
  const layout = store.layout;
  const out: RankedIdentities[] = [];
  const rows = { rowSq: store.rowSq, owner: store.owner, identities: store.ids.length };
  const count = store.count;
  for (const { q, n } of batches(store, vectors)) {
    const parts = await pool.searchAsync(q, queryNorms(q, n, dim), rows, count, k, threshold);
    if (!parts || store.layout !== layout) return undefined;
    out.push(...mergeRanges(parts, n, store.ids, k));
  }
  return out;
}
