/** Checks of the conformance harness itself: it must be able to fail. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TensorData } from '../../src/core/ir.js';
import { ABSOLUTE_FLOOR, compareTensors, RELATIVE_TOLERANCE } from './compare.js';
import { listConformanceCases, runConformanceCase, TestDataMissingError } from './conformance.js';
import { DIVERGENCES } from './exclusions.js';

const f32 = (values: number[], dims = [values.length]): TensorData => ({ type: 'float32', dims, data: Float32Array.from(values) });

test('compareTensors accepts differences inside the stated bound and rejects ones outside it', () => {
  const expected = f32([10, -2, 0.5]);
  const inside = 10 * RELATIVE_TOLERANCE * 0.5;
  assert.equal(compareTensors(f32([10 + inside, -2, 0.5]), expected), undefined);
  assert.match(compareTensors(f32([10, -2 + 10 * RELATIVE_TOLERANCE * 2, 0.5]), expected) ?? '', /max \|diff\|/);
  // The absolute floor covers all-zero outputs, and only up to its size.
  assert.equal(compareTensors(f32([ABSOLUTE_FLOOR / 2, 0]), f32([0, 0])), undefined);
  assert.notEqual(compareTensors(f32([ABSOLUTE_FLOOR * 4, 0]), f32([0, 0])), undefined);
});

test('compareTensors requires equal dtype, dims, exact integers and matching non-finite values', () => {
  assert.match(compareTensors(f32([1, 2], [2]), f32([1, 2], [1, 2])) ?? '', /dims/);
  assert.match(compareTensors({ type: 'int64', dims: [1], data: BigInt64Array.of(1n) }, f32([1])) ?? '', /dtype/);
  assert.match(compareTensors({ type: 'int32', dims: [2], data: Int32Array.of(1, 3) }, { type: 'int32', dims: [2], data: Int32Array.of(1, 2) }) ?? '', /exact/);
  assert.match(compareTensors(f32([Infinity]), f32([-Infinity])) ?? '', /non-finite/);
  assert.equal(compareTensors(f32([NaN, 1]), f32([NaN, 1])), undefined);
  assert.notEqual(compareTensors(f32([NaN, 1]), f32([0, 1])), undefined);
});

test('a missing test-data directory is an error that says how to install it, not a skip', () => {
  assert.throws(() => listConformanceCases('/nonexistent/onnx-node-tests'), (e: unknown) => e instanceof TestDataMissingError && /libonnx-testdata/.test(e.message));
});

test('a case listed as diverging to onnxruntime fails once it matches the expected data again', async () => {
  const c = listConformanceCases().find((k) => k.name === 'test_resize_upsample_scales_linear');
  assert.ok(c, 'test_resize_upsample_scales_linear is in the test data');
  assert.equal(c.divergence, undefined);
  const stale = await runConformanceCase({ ...c, divergence: { reason: 'test entry', divergesTo: 'onnxruntime' } }, { backend: 'cpu' });
  assert.equal(stale.status, 'failed');
  assert.match(stale.detail, /remove it from DIVERGENCES/);
});

test('every DIVERGENCES entry names a case in the test data', () => {
  const names = new Set(listConformanceCases().map((c) => c.name));
  assert.deepEqual(Object.keys(DIVERGENCES).filter((n) => !names.has(n)), []);
});
