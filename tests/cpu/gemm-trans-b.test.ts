/**
 * Gemm with transB=1 on the cpu backend: a constant B is transposed once and kept, so repeated runs must keep
 * matching onnxruntime-node, and a B fed at run time must never be served from that cache. Tolerance: max|a−b| /
 * max|b| ≤ 1e-5 (float32 sums in another order; the model-level bound is 1e-4).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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

// Every form of C the CPU Gemm copies into its output before the product (n values, [1, n], the whole m×n, [m, 1]
// with n = 1, a scalar with n = 1, batch 1 and 4) and the forms left to the broadcast loop (a column [m, 1], a
// scalar, alpha or beta other than 1), each twice in one session: the result must not carry over between runs.
describe('Gemm with a C input matches onnxruntime-node', () => {
  const f32 = (values: Float32Array, dims: number[]) => ({ type: 'float32' as const, values: [...values], dims });
  const cases: { name: string; m: number; k: number; n: number; c: number[]; alpha?: number; beta?: number }[] = [
    { name: 'C [n], the heads\' bias (1×32 · 32×3309)', m: 1, k: 32, n: 3309, c: [3309] },
    { name: 'C [n], 4 rows', m: 4, k: 37, n: 45, c: [45] },
    { name: 'C [1, n]', m: 3, k: 20, n: 17, c: [1, 17] },
    { name: 'C [m, n]', m: 5, k: 11, n: 9, c: [5, 9] },
    { name: 'C [m, 1] with n = 1', m: 6, k: 13, n: 1, c: [6, 1] },
    { name: 'C scalar with n = 1', m: 2, k: 8, n: 1, c: [] },
    { name: 'C [m, 1] broadcast over columns', m: 4, k: 9, n: 10, c: [4, 1] },
    { name: 'C scalar broadcast', m: 3, k: 6, n: 7, c: [1] },
    { name: 'alpha 0.5, C [n]', m: 2, k: 15, n: 12, c: [12], alpha: 0.5 },
    { name: 'beta 2, C [n]', m: 2, k: 15, n: 12, c: [12], beta: 2 },
  ];
  for (const t of cases) {
    it(t.name, async () => {
      const size = t.c.reduce((a, d) => a * d, 1);
      const attributes: SingleNode['attributes'] = { transB: { i: 1 }, ...(t.alpha !== undefined ? { alpha: { f: t.alpha } } : {}), ...(t.beta !== undefined ? { beta: { f: t.beta } } : {}) };
      const base: SingleNode = {
        op: 'Gemm', dims: [t.m, t.k], opset: 13, attributes,
        extra: [f32(seededUniform(t.n * t.k, 21, -1, 1), [t.n, t.k]), f32(seededUniform(size, 22, -1, 1), t.c)],
      };
      const session = await InferenceSession.create(model(base), { backend: 'cpu' });
      try {
        for (const seed of [1, 2]) {
          const data = seededUniform(t.m * t.k, seed, -1, 1);
          const got = (await session.run({ x: new Tensor('float32', data, [t.m, t.k]) }))['y']!;
          const want = await reference({ ...base, data });
          assert.deepEqual(got.dims, want.dims);
          const err = maxRelativeError(got.data as Float32Array, want.data);
          assert.ok(err <= TOLERANCE, `seed ${seed}: relative error ${err} > ${TOLERANCE}`);
        }
      } finally {
        await session.release();
      }
    });
  }
});
