/**
 * The CPU fast paths re-lay out a conv's weights for their kernels (GEMM panels, 3×3 panels, Winograd's U, the
 * depthwise bias slots). For a constant weight (an initializer, or a graph pass's folded copy) that layout is made
 * once and kept. A weight computed at run time is laid out afresh on every call: its pooled buffer is refilled between
 * runs, so a layout kept for the array would serve the previous run's values.
 */

/** Weight arrays of plan constants (isConstantTensor), as the conv kernels read them. */
const constantWeights = new WeakSet<object>();

/** Marks a conv's weight data as a plan constant's (convCpu does, for a weight tensor isConstantTensor names). */
export function markConstantWeight(data: unknown): void {
  if (data instanceof Float32Array) constantWeights.add(data);
}

/**
 * The kernel layout of `weights`: the one kept in `cache` when the weight is a constant and `fits` the kept copy,
 * else `make()`'s, kept only for a constant.
 */
export function weightLayout<T>(cache: WeakMap<Float32Array, T>, weights: Float32Array, fits: (kept: T) => boolean, make: () => T): T {
  const constant = constantWeights.has(weights);
  const kept = constant ? cache.get(weights) : undefined;
  if (kept !== undefined && fits(kept)) return kept;
  const made = make();
  if (constant) cache.set(weights, made);
  return made;
}
