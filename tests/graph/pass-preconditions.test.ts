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

const bnStats = (n: number) => [
  tensor('s', 'float32', [n], arr(n, 11, 0.5, 1.5)), tensor('bb', 'float32', [n], arr(n, 12)),
  tensor('mu', 'float32', [n], arr(n, 13)), tensor('v', 'float32', [n], arr(n, 14, 0.5, 2)),
];

/**
 * x [1, 3, 4, 4] → a foldable pattern with output y, plus z = Conv(x) whose weight or bias is an initializer (or whose
 * input is a run-time value) the file names exactly as the fold would name its new constant: ONNX names are free
 * text, so the fold must pick another name instead of replacing that value for z.
 */
function collidingName(fold: 'bn-after' | 'bn-before' | 'scale' | 'avgpool' | 'runtime'): Uint8Array {
  const x = [1, 3, 4, 4];
  const conv = (inputs: string[], out: string, k = 3, pads = 1) => node('Conv', inputs, [out], { kernel_shape: { ints: [k, k] }, pads: { ints: [pads, pads, pads, pads] } });
  const w = (name: string, k = 3, seed = 1) => tensor(name, 'float32', [3, 3, k, k], arr(9 * k * k, seed));
  const cases = {
    'bn-after': { nodes: [conv(['x', 'w'], 'c'), node('BatchNormalization', ['c', 's', 'bb', 'mu', 'v'], ['y']), conv(['x', 'y::bn_folded_weight'], 'z')], extra: [w('y::bn_folded_weight', 3, 2)] },
    'bn-before': { nodes: [node('BatchNormalization', ['x', 's', 'bb', 'mu', 'v'], ['n']), conv(['n', 'w'], 'y'), conv(['x', 'w', 'y::bn_before_folded_bias'], 'z')], extra: [tensor('y::bn_before_folded_bias', 'float32', [3], [10, 20, 30])] },
    scale: { nodes: [conv(['x', 'w', 'cb'], 'c'), node('Mul', ['c', 'k'], ['y']), conv(['x', 'y::scale_folded_weight'], 'z')], extra: [tensor('cb', 'float32', [3], arr(3, 3)), tensor('k', 'float32', [], [2]), w('y::scale_folded_weight', 3, 2)] },
    avgpool: {
      nodes: [node('AveragePool', ['x'], ['p'], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } }), conv(['p', 'w1'], 'y', 1, 0), conv(['x', 'y::avgpool_folded_weight'], 'z', 2, 0)],
      extra: [w('w1', 1, 3), w('y::avgpool_folded_weight', 2, 4)],
    },
    // A run-time value under the name: the new constant would shadow the Relu's output for the Sigmoid.
    runtime: { nodes: [node('Relu', ['x'], ['y::bn_folded_bias']), conv(['x', 'w'], 'c'), node('BatchNormalization', ['c', 's', 'bb', 'mu', 'v'], ['y']), node('Sigmoid', ['y::bn_folded_bias'], ['z'])], extra: [] },
  };
  const { nodes, extra } = cases[fold];
  return buildModel({
    inputs: [valueInfo('x', DT.FLOAT, x)],
    outputs: [valueInfo('y', DT.FLOAT, undefined), valueInfo('z', DT.FLOAT, undefined)],
    initializers: [w('w'), ...bnStats(3), ...extra],
    nodes,
  });
}

describe('values a fold adds take names no value of the file has', () => {
  for (const fold of ['bn-after', 'bn-before', 'scale', 'avgpool', 'runtime'] as const) {
    it(`${fold}: the file's own value under the fold's name keeps its readers, within 1e-4 of onnxruntime`, async () => {
      const bytes = collidingName(fold);
      assert.ok(!plan(bytes, [1, 3, 4, 4]).opTypes.some((t) => ['BatchNormalization', 'Mul', 'AveragePool'].includes(t)), 'the fold still fires');
      await assertMatchesOrt(bytes, [1, 3, 4, 4]);
    });
  }
});

describe('a nearest Resize into a conv\'s residual', () => {
  it('is kept when the conv also reads the upsampled map as its input (y = Conv(up) + up)', async () => {
    const bytes = buildModel({
      inputs: [valueInfo('x', DT.FLOAT, [1, 4, 3, 4])],
      outputs: [valueInfo('y', DT.FLOAT, undefined)],
      initializers: [tensor('w', 'float32', [4, 4, 1, 1], arr(16, 1)), tensor('b', 'float32', [4], arr(4, 2)), tensor('scales', 'float32', [4], [1, 1, 2, 2])],
      nodes: [
        node('Resize', ['x', '', 'scales'], ['up'], { mode: { s: 'nearest' }, coordinate_transformation_mode: { s: 'asymmetric' }, nearest_mode: { s: 'floor' } }),
        node('Conv', ['up', 'w', 'b'], ['c'], { kernel_shape: { ints: [1, 1] } }),
        node('Add', ['c', 'up'], ['y']),
      ],
    });
    assert.deepEqual(plan(bytes, [1, 4, 3, 4]).opTypes, ['Resize', 'Conv']);
    await assertMatchesOrt(bytes, [1, 4, 3, 4]);
  });
});

/**
 * x + 10⁴ → BN with mean 10⁴ and variance 1 (the statistics of its input) → a padded 3×3 Conv, or Flatten → Gemm.
 * Folded, the layer would sum terms near 10⁴ that cancel to results near 1, and float32 keeps ~7 digits of them
 * (9.7e-4 off onnxruntime for the conv, 2.6e-4 for the Gemm); normalising first keeps the precision, so the BN stays.
 */
function offsetBeforeLayer(layer: 'conv' | 'gemm'): Uint8Array {
  const c = 4;
  const stats = [
    tensor('s', 'float32', [c], new Array<number>(c).fill(1)), tensor('bb', 'float32', [c], new Array<number>(c).fill(0)),
    tensor('mu', 'float32', [c], new Array<number>(c).fill(1e4)), tensor('v', 'float32', [c], new Array<number>(c).fill(1)),
  ];
  // α = 1 and β = −10⁴ exactly (ε 0), so the unfused BN is exact in float32 on either side.
  const nodes = [node('Add', ['x', 'offset'], ['raw']), node('BatchNormalization', ['raw', 's', 'bb', 'mu', 'v'], ['n'], { epsilon: { f: 0 } })];
  const initializers = [tensor('offset', 'float32', [], [1e4]), ...stats];
  if (layer === 'conv') {
    initializers.push(tensor('w', 'float32', [6, c, 3, 3], arr(6 * c * 9, 1)));
    nodes.push(node('Conv', ['n', 'w'], ['y'], { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } }));
  } else {
    initializers.push(tensor('w', 'float32', [5, c * 42], arr(5 * c * 42, 1)));
    nodes.push(node('Flatten', ['n'], ['f']), node('Gemm', ['f', 'w'], ['y'], { transB: { i: 1 } }));
  }
  return buildModel({ inputs: [valueInfo('x', DT.FLOAT, [1, c, 7, 6])], outputs: [valueInfo('y', DT.FLOAT, undefined)], initializers, nodes });
}

describe('BatchNormalization before a Conv or Gemm whose raw input is far from 0 for its spread', () => {
  for (const layer of ['conv', 'gemm'] as const) {
    it(`stays a step before the ${layer} (|mean| / sd = 10⁴): within 1e-4 of onnxruntime`, async () => {
      const bytes = offsetBeforeLayer(layer);
      await assertMatchesOrt(bytes, [1, 4, 7, 6]);
      assert.ok(plan(bytes, [1, 4, 7, 6]).opTypes.includes('BatchNormalization'), 'the BN keeps its step');
    });
  }
});
