/**
 * GlobalAveragePool's fast path (one WebAssembly call over the whole input, or the JS running sum) against
 * onnxruntime-node on single-node models, and both against the pooling reference window loop: planes whose size is
 * not a multiple of 4 (the kernel's scalar tail), rank 3, batch 2, 1×1 planes, the tiny heads' 32×24² and 32×12², and
 * NaN and ±Infinity inputs. Tolerance: the project's 1e-4 relative (max-abs over max-abs) against onnxruntime, 1e-6
 * against the reference (the same float64 sum in another order, rounded to float32), 1e-7 on a large same-signed plane.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { globalAverage, globalAverageFits } from '../../src/ops/pool/cpu-global-average.js';
import { poolReference, type PoolParams } from '../../src/ops/pool/cpu.js';
import { setSimdEnabled } from '../../src/ops/wasm/runtime.js';
import { maxRelativeError, PARITY_BOUND, seededUniform } from '../parity/parity.js';
import { ours, reference, type SingleNode } from './single-node.js';

const SHAPES: readonly (readonly number[])[] = [[1, 32, 24, 24], [1, 32, 12, 12], [2, 5, 7, 7], [1, 3, 1, 1], [2, 4, 13], [1, 6, 3, 5]];

function params(dims: readonly number[]): PoolParams {
  const [n, c] = dims as [number, number];
  const h = dims.length === 4 ? dims[2]! : 1;
  const w = dims[dims.length - 1]!;
  return {
    kind: 'average', global: true, kernel: [h, w], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], countIncludePad: false,
    inDims: [n, c, h, w], outDims: [n, c, 1, 1], rank: dims.length,
  };
}

/** Agreement where NaN and ±Infinity must match exactly and finite values within `bound` (max-abs over max-abs). */
function assertClose(actual: Float32Array, expected: Float32Array, bound: number): void {
  assert.equal(actual.length, expected.length);
  const finite: [number[], number[]] = [[], []];
  for (let i = 0; i < expected.length; i++) {
    if (Number.isFinite(expected[i]!)) {
      finite[0].push(actual[i]!);
      finite[1].push(expected[i]!);
    } else assert.ok(Object.is(actual[i], expected[i]) || (Number.isNaN(actual[i]!) && Number.isNaN(expected[i]!)), `output ${i}: ${actual[i]} ≠ ${expected[i]}`);
  }
  const error = maxRelativeError(finite[0], finite[1]);
  assert.ok(error <= bound, `relative error ${error}`);
}

function withSpecials(dims: readonly number[]): Float32Array {
  const x = seededUniform(dims.reduce((a, b) => a * b, 1), 5, -2, 2);
  // One plane with a NaN, one with +Infinity, one with both infinities (NaN), the rest plain.
  const plane = x.length / (dims[0]! * dims[1]!);
  x[3] = Number.NaN;
  x[plane + 1] = Number.POSITIVE_INFINITY;
  x[2 * plane] = Number.POSITIVE_INFINITY;
  x[2 * plane + 2] = Number.NEGATIVE_INFINITY;
  return x;
}

describe('GlobalAveragePool matches onnxruntime-node', () => {
  for (const dims of SHAPES) {
    it(`[${dims.join(', ')}]`, async () => {
      const c: SingleNode = { op: 'GlobalAveragePool', dims, opset: 13 };
      const [a, b] = [await ours(c), await reference(c)];
      assert.deepEqual(a.dims, b.dims);
      assertClose(a.data, b.data, PARITY_BOUND);
    });
  }
  it('NaN and ±Infinity inputs', async () => {
    const dims = [1, 4, 5, 7];
    const c: SingleNode = { op: 'GlobalAveragePool', dims, opset: 13, data: withSpecials(dims) };
    const [a, b] = [await ours(c), await reference(c)];
    assertClose(a.data, b.data, PARITY_BOUND);
  });
});

/** The fast path's means (its output pre-filled with 123, so an unwritten one shows) and the reference loop's. */
function fastAndReference(p: PoolParams, x: Float32Array, simd: boolean): { actual: Float32Array; expected: Float32Array } {
  const expected = new Float32Array(p.outDims[0]! * p.outDims[1]!);
  const actual = new Float32Array(expected.length).fill(123);
  poolReference(p, x, expected);
  setSimdEnabled(simd);
  try {
    globalAverage(p, x, actual);
  } finally {
    setSimdEnabled(true);
  }
  return { actual, expected };
}

for (const simd of [true, false]) describe(`GlobalAveragePool fast path (${simd ? 'WebAssembly SIMD' : 'JS fallback'}) against the reference loop`, () => {
  for (const dims of [...SHAPES, [1, 4, 5, 7]]) {
    it(`[${dims.join(', ')}]`, () => {
      const p = params(dims);
      assert.ok(globalAverageFits(p));
      const x = dims.length === 4 && dims[3] === 7 && dims[1] === 4 ? withSpecials(dims) : seededUniform(dims.reduce((a, b) => a * b, 1), 9, -1, 1);
      const { actual, expected } = fastAndReference(p, x, simd);
      assertClose(actual, expected, 1e-6);
    });
  }
  it('sums a large plane of same-signed values as accurately as the reference (float64 sums)', () => {
    // 1000 + u over 160² floats: float32 partial sums would drift by ~1e-6 of the mean.
    const dims = [1, 3, 160, 160];
    const p = params(dims);
    const x = seededUniform(3 * 160 * 160, 13, 1000, 1001);
    const { actual, expected } = fastAndReference(p, x, simd);
    assertClose(actual, expected, 1e-7);
  });
  it('leaves GlobalMaxPool to the reference', () => {
    assert.equal(globalAverageFits({ ...params([1, 2, 3, 3]), kind: 'max' }), false);
  });
});
