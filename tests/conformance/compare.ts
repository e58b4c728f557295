import type { TensorData } from '../../src/core/ir.js';

/**
 * Float outputs pass when max|actual − expected| ≤ RELATIVE_TOLERANCE · max|expected| + ABSOLUTE_FLOOR.
 *
 * RELATIVE_TOLERANCE 1e-4: the expectations were computed by numpy, mostly in float64 then rounded to float32, while
 * the engine accumulates in float32 (GEMM/conv sums over up to a few hundred products, exp/log/tanh through Math.* then
 * rounded). That leaves a few float32 ulps (1 ulp = 1.2e-7 relative) per op, with accumulation far below 1e-4 of the
 * output's range; 1e-4 is also the bar `npm run parity` holds whole models to.
 *
 * ABSOLUTE_FLOOR 1e-6: for outputs that are all (nearly) zero — e.g. sin-like results, a Sub of equal values — a
 * range-relative bound degenerates to 0 and would demand bit-exactness of rounding noise; 1e-6 is ~8 ulps at 1.0 and
 * far below any meaningful value in these tests (inputs are O(1)).
 *
 * Non-finite expectations (±Inf from log(0) or x/0, NaN from 0/0 or sqrt(−1)) must be matched exactly and are left
 * out of the range. Integer and bool outputs must match exactly.
 */
export const RELATIVE_TOLERANCE = 1e-4;
export const ABSOLUTE_FLOOR = 1e-6;

const FLOAT_TYPES = new Set(['float32', 'float64']);

/** Returns undefined when `actual` matches `expected`, else a one-line description of the first problem. */
export function compareTensors(actual: TensorData, expected: TensorData): string | undefined {
  if (actual.type !== expected.type) return `dtype ${actual.type}, expected ${expected.type}`;
  const sameDims = actual.dims.length === expected.dims.length && actual.dims.every((d, i) => d === expected.dims[i]);
  if (!sameDims) return `dims ${JSON.stringify(actual.dims)}, expected ${JSON.stringify(expected.dims)}`;
  if (actual.data.length !== expected.data.length) return `${actual.data.length} elements, expected ${expected.data.length}`;
  const n = expected.data.length;
  if (!FLOAT_TYPES.has(expected.type)) {
    for (let i = 0; i < n; i++) {
      if (actual.data[i] !== expected.data[i]) return `element ${i} is ${String(actual.data[i])}, expected ${String(expected.data[i])} (exact match required)`;
    }
    return undefined;
  }
  const a = actual.data as Float32Array | Float64Array;
  const e = expected.data as Float32Array | Float64Array;
  let range = 0;
  for (let i = 0; i < n; i++) {
    const v = e[i]!;
    if (Number.isFinite(v)) range = Math.max(range, Math.abs(v));
    else if (!Object.is(a[i], v) && !(Number.isNaN(a[i]!) && Number.isNaN(v))) {
      return `element ${i} is ${a[i]}, expected ${v} (non-finite values must match exactly)`;
    }
  }
  const bound = RELATIVE_TOLERANCE * range + ABSOLUTE_FLOOR;
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < n; i++) {
    const v = e[i]!;
    if (!Number.isFinite(v)) continue;
    const diff = Math.abs(a[i]! - v);
    // `!(diff <= worst)` also catches a NaN where a finite value was expected.
    if (!(diff <= worst)) { worst = Number.isNaN(diff) ? Infinity : diff; worstAt = i; }
  }
  if (worst > bound) {
    return `max |diff| ${worst.toExponential(3)} at element ${worstAt} (got ${a[worstAt]}, expected ${e[worstAt]}) > bound ${bound.toExponential(3)} = ${RELATIVE_TOLERANCE}·${range.toExponential(3)} + ${ABSOLUTE_FLOOR}`;
  }
  return undefined;
}
