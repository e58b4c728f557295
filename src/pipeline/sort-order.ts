/**
 * `np.argsort(values)[::-1]` made deterministic: a stable ascending sort, then reversed. NumPy's argsort is
 * only stable for small inputs, so exact ties (e.g. saturated scores of 1.0) are otherwise implementation-defined;
 * this rule matches NumPy whenever its sort happens to behave stably (spec §10).
 *
 * NaN follows NumPy too: it sorts after every number in the ascending pass, so after the reversal NaN rows come
 * first (in descending index order). NMS never sees a NaN score (the threshold test drops it), but a max_num value
 * can be NaN when a box is (e.g. an infinite box distance), and InsightFace then picks that face first.
 */
export function argsortDescending(values: ArrayLike<number>): number[] {
  const idx = Array.from({ length: values.length }, (_, i) => i);
  // Array.prototype.sort is stable (ES2019); the comparator must be consistent, so NaN cannot go through `a - b`.
  idx.sort((a, b) => ascendingNaNLast(values[a]!, values[b]!));
  return idx.reverse();
}

function ascendingNaNLast(a: number, b: number): number {
  const aNaN = Number.isNaN(a), bNaN = Number.isNaN(b);
  if (aNaN || bNaN) return aNaN === bNaN ? 0 : aNaN ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}
