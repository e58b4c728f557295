/**
 * `np.argsort(values)[::-1]` made deterministic: a stable ascending sort, then reversed. NumPy's argsort is
 * only stable for small inputs, so exact ties (e.g. saturated scores of 1.0) are otherwise implementation-defined;
 * this rule matches NumPy whenever its sort happens to behave stably (spec §10).
 */
export function argsortDescending(values: ArrayLike<number>): number[] {
  const idx = Array.from({ length: values.length }, (_, i) => i);
  // Array.prototype.sort is stable (ES2019).
  idx.sort((a, b) => values[a]! - values[b]!);
  return idx.reverse();
}
