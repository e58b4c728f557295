/**
 * Gemm with transB=1 on the cpu backend: a constant B is transposed once and kept, so repeated runs must keep
 * matching onnxruntime-node, and a B fed at run time must never be served from that cache. Tolerance: max|a−b| /
 * max|b| ≤ 1e-5 (float32 sums in another order; the model-level bound is 1e-4).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { InferenceSession, Tensor } from '../../src/index.js';
import { buildModel, DT, node, valueInfo } from '../parser/onnx-builder.js';
import { maxRelativeError, seededUniform } from '../parity/parity.js';
import { model, reference, type SingleNode } from './single-node.js';

const TOLERANCE = 1e-5;

it('a constant transB weight gives onnxruntime-node\'s result on every run of one session', async () => {
  const [m, k, n] = [3, 37, 45];
  const base: SingleNode = {
    op: 'Gemm', dims: [m, k], opset: 13, attributes: { transB: { i: 1 } },
    extra: [{ type: 'float32', values: [...seededUniform(n * k, 9, -1, 1)], dims: [n, k] }, { type: 'float32', values: [...seededUniform(n, 10, -1, 1)], dims: [n] }],
  };
  const session = await InferenceSession.create(model(base), { backend: 'cpu' });
  try {
    for (const seed of [1, 2, 3]) {
      const data = seededUniform(m * k, seed, -1, 1);
      const got = (await session.run({ x: new Tensor('float32', data, [m, k]) }))['y']!.data as Float32Array;
      const want = await reference({ ...base, data });
      const err = maxRelativeError(got, want.data);
      assert.ok(err <= TOLERANCE, `seed ${seed}: relative error ${err} > ${TOLERANCE}`);
    }
  } finally {
    await session.release();
  }
});

it('a transB operand fed at run time is transposed afresh on every run', async () => {
  const [m, k, n] = [2, 19, 33];
  const bytes = buildModel({
    nodes: [node('Gemm', ['a', 'b'], ['y'], { transB: { i: 1 } })],
    inputs: [valueInfo('a', DT.FLOAT, [m, k]), valueInfo('b', DT.FLOAT, [n, k])],
    outputs: [valueInfo('y', DT.FLOAT, undefined)],
    initializers: [],
    opsets: { '': 13 },
  });
  const session = await InferenceSession.create(bytes, { backend: 'cpu' });
  try {
    const a = seededUniform(m * k, 3, -1, 1);
    for (const seed of [4, 5, 6]) {
      const b = seededUniform(n * k, seed, -1, 1);
      const y = (await session.run({ a: new Tensor('float32', a, [m, k]), b: new Tensor('float32', b, [n, k]) }))['y']!.data as Float32Array;
      const expected = new Float32Array(m * n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) sum += a[i * k + p]! * b[j * k + p]!;
        expected[i * n + j] = sum;
      }
      const err = maxRelativeError(y, expected);
      assert.ok(err <= TOLERANCE, `seed ${seed}: relative error ${err} > ${TOLERANCE}`);
    }
  } finally {
    await session.release();
  }
});
