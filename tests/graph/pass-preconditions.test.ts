/**
 * Graph passes on graphs onnxruntime accepts that sit at the edge of a pass's precondition: each must either fold
 * exactly or leave the graph alone. Ours with the passes (the default) against onnxruntime-node on the same model,
 * within the fp32 bound (1e-4 of max |value|, PARITY_BOUND).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DT, buildModel, node, tensor, valueInfo } from '../parser/onnx-builder.js';
import { PARITY_BOUND, seededUniform } from '../parity/parity.js';
import { errorAgainstOrt, plan } from './pass-check.js';

const arr = (n: number, seed: number, lo = -0.5, hi = 0.5): number[] => [...seededUniform(n, seed, lo, hi)];

async function assertMatchesOrt(bytes: Uint8Array, dims: number[]): Promise<void> {
  const err = await errorAgainstOrt(bytes, dims);
  assert.ok(err <= PARITY_BOUND, `relative error ${err}`);
}

describe('residual Add fusion', () => {
  it('keeps an Add whose other operand only broadcasts to the conv output (Conv + GlobalAveragePool [1, C, 1, 1])', async () => {
    const bytes = buildModel({
      inputs: [valueInfo('x', DT.FLOAT, [1, 4, 6, 8])],
      outputs: [valueInfo('y', DT.FLOAT, undefined)],
      initializers: [tensor('w', 'float32', [4, 4, 3, 3], arr(144, 1)), tensor('b', 'float32', [4], arr(4, 2))],
      nodes: [
        node('Conv', ['x', 'w', 'b'], ['c'], { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } }),
        node('GlobalAveragePool', ['x'], ['g']),
        node('Add', ['c', 'g'], ['y']),
      ],
    });
    assert.ok(plan(bytes, [1, 4, 6, 8]).opTypes.includes('Add'), 'the broadcasting Add keeps its step');
    await assertMatchesOrt(bytes, [1, 4, 6, 8]);
  });
});

/** Gemm whose C is [M, 1] (one value per sample, broadcast along the row) with M = N = 4, then a BN over N. */
function gemmColumnBias(order: 'gemm-bn' | 'bn-flatten-gemm'): [Uint8Array, number[]] {
  const n = order === 'gemm-bn' ? 4 : 3;
  const stats = [
    tensor('s', 'float32', [n], arr(n, 3, 0.5, 2)), tensor('bb', 'float32', [n], arr(n, 4)),
    tensor('mu', 'float32', [n], arr(n, 5)), tensor('v', 'float32', [n], arr(n, 6, 0.5, 2)),
  ];
  const k = order === 'gemm-bn' ? 5 : n;
  const initializers = [tensor('w', 'float32', [k, n], arr(k * n, 1)), tensor('c', 'float32', [n, 1], arr(n, 2)), ...stats];
  const dims = order === 'gemm-bn' ? [n, k] : [n, n, 1, 1];
  const nodes = order === 'gemm-bn'
    ? [node('Gemm', ['x', 'w', 'c'], ['g']), node('BatchNormalization', ['g', 's', 'bb', 'mu', 'v'], ['y'])]
    : [node('BatchNormalization', ['x', 's', 'bb', 'mu', 'v'], ['b']), node('Flatten', ['b'], ['f']), node('Gemm', ['f', 'w', 'c'], ['y'])];
  return [buildModel({ inputs: [valueInfo('x', DT.FLOAT, dims)], outputs: [valueInfo('y', DT.FLOAT, undefined)], initializers, nodes }), dims];
}

describe('BatchNormalization folds into a Gemm', () => {
  for (const order of ['gemm-bn', 'bn-flatten-gemm'] as const) {
    it(`keeps the BN of ${order === 'gemm-bn' ? 'Gemm → BN' : 'BN → Flatten → Gemm'} whose C is [M, 1] with M = N (per sample, not per feature)`, async () => {
      const [bytes, dims] = gemmColumnBias(order);
      assert.ok(plan(bytes, dims).opTypes.includes('BatchNormalization'), 'the BN keeps its step');
      await assertMatchesOrt(bytes, dims);
    });
  }
});

describe('BatchNormalization before a padded conv', () => {
  it('keeps a BN whose scale is a float32 denormal (−β/α is finite in float64 but ∞ as a float32 pad value)', async () => {
    const bytes = buildModel({
      inputs: [valueInfo('x', DT.FLOAT, [1, 2, 5, 5])],
      outputs: [valueInfo('y', DT.FLOAT, undefined)],
      initializers: [
        tensor('w', 'float32', [3, 2, 3, 3], arr(54, 1)), tensor('s', 'float32', [2], [1e-39, 1]), tensor('bb', 'float32', [2], [1, 0.5]),
        tensor('mu', 'float32', [2], [0, 0]), tensor('v', 'float32', [2], [1, 1]),
      ],
      nodes: [
        node('BatchNormalization', ['x', 's', 'bb', 'mu', 'v'], ['n']),
        node('Conv', ['n', 'w'], ['y'], { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } }),
      ],
    });
    assert.deepEqual(plan(bytes, [1, 2, 5, 5]).opTypes, ['BatchNormalization', 'Conv']);
    await assertMatchesOrt(bytes, [1, 2, 5, 5]);
  });
});
