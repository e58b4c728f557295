/**
 * A BatchNormalization before a Conv, and one after a Gemm, fold into the weights exactly: border outputs of a
 * padded conv included (the pads hold −β/α, which the normalisation maps to the 0 the original padded with).
 * Each fused graph matches onnxruntime-node on the unfused model; a BN that cannot fold (a zero scale in front of
 * a padded conv) stays a step.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { InferenceSession, Tensor } from '../../src/index.js';
import { parseModel } from '../../src/parser/decode-model.js';
import { specializeGraph } from '../../src/graph/specialize.js';
import { optimizeGraph } from '../../src/graph/optimize.js';
import type { ConvParams } from '../../src/ops/conv/params.js';
import { DT, buildModel, node, tensor, valueInfo } from '../parser/onnx-builder.js';
import { PARITY_BOUND, seededUniform } from '../parity/parity.js';

const C = 4;
const DIMS = [1, C, 7, 6];
const arr = (n: number, seed: number, lo: number, hi: number): number[] => [...seededUniform(n, seed, lo, hi)];

function bnThenConv(options: { group: number; pads: number; zeroScale?: boolean }): Uint8Array {
  const scale = arr(C, 1, 0.5, 1.5).map((v, k) => (options.zeroScale && k === 2 ? 0 : k === 1 ? -v : v));
  return buildModel({
    inputs: [valueInfo('x', DT.FLOAT, DIMS)],
    outputs: [valueInfo('y', DT.FLOAT, undefined)],
    initializers: [
      tensor('s', 'float32', [C], scale), tensor('b', 'float32', [C], arr(C, 2, -1, 1)),
      tensor('mu', 'float32', [C], arr(C, 3, -0.5, 0.5)), tensor('var', 'float32', [C], arr(C, 4, 0.5, 2)),
      tensor('w', 'float32', [6, C / options.group, 3, 3], arr(6 * (C / options.group) * 9, 5, -0.5, 0.5)),
      tensor('cb', 'float32', [6], arr(6, 6, -0.2, 0.2)),
    ],
    nodes: [
      node('BatchNormalization', ['x', 's', 'b', 'mu', 'var'], ['n'], { epsilon: { f: 1e-3 } }),
      node('Conv', ['n', 'w', 'cb'], ['y'], { kernel_shape: { ints: [3, 3] }, pads: { ints: new Array<number>(4).fill(options.pads) }, group: { i: options.group } }),
    ],
  });
}

function gemmThenBn(): Uint8Array {
  return buildModel({
    inputs: [valueInfo('x', DT.FLOAT, [2, 10])],
    outputs: [valueInfo('y', DT.FLOAT, undefined)],
    initializers: [
      tensor('w', 'float32', [5, 10], arr(50, 7, -0.5, 0.5)), tensor('c', 'float32', [5], arr(5, 8, -0.2, 0.2)),
      tensor('s', 'float32', [5], arr(5, 9, 0.5, 1.5)), tensor('b', 'float32', [5], arr(5, 10, -1, 1)),
      tensor('mu', 'float32', [5], arr(5, 11, -0.5, 0.5)), tensor('var', 'float32', [5], arr(5, 12, 0.5, 2)),
    ],
    nodes: [
      node('Gemm', ['x', 'w', 'c'], ['g'], { transB: { i: 1 } }),
      node('BatchNormalization', ['g', 's', 'b', 'mu', 'var'], ['y']),
    ],
  });
}

function bnFlattenGemm(): Uint8Array {
  return buildModel({
    inputs: [valueInfo('x', DT.FLOAT, [1, 3, 2, 2])],
    outputs: [valueInfo('y', DT.FLOAT, undefined)],
    initializers: [
      tensor('s', 'float32', [3], arr(3, 14, 0.5, 1.5)), tensor('b', 'float32', [3], arr(3, 15, -1, 1)),
      tensor('mu', 'float32', [3], arr(3, 16, -0.5, 0.5)), tensor('var', 'float32', [3], arr(3, 17, 0.5, 2)),
      tensor('w', 'float32', [5, 12], arr(60, 18, -0.5, 0.5)), tensor('c', 'float32', [5], arr(5, 19, -0.2, 0.2)),
    ],
    nodes: [
      node('BatchNormalization', ['x', 's', 'b', 'mu', 'var'], ['n']),
      node('Flatten', ['n'], ['f']),
      node('Gemm', ['f', 'w', 'c'], ['y'], { transB: { i: 1 } }),
    ],
  });
}

function plan(bytes: Uint8Array, dims: readonly number[]): { opTypes: string[]; convs: ConvParams[] } {
  const g = optimizeGraph(specializeGraph(parseModel(bytes), new Map([['x', { type: 'float32' as const, dims }]])));
  return { opTypes: g.steps.map((s) => s.node.opType), convs: g.steps.filter((s) => s.node.opType === 'Conv').map((s) => s.params as ConvParams) };
}

async function relativeErrorAgainstOrt(bytes: Uint8Array, dims: readonly number[]): Promise<number> {
  const x = seededUniform(dims.reduce((a, b) => a * b, 1), 13, -2, 2);
  const got = (await (await InferenceSession.create(bytes, { backend: 'cpu' })).run({ x: new Tensor('float32', x, dims) })).y!.data as Float32Array;
  const want = (await (await ort.InferenceSession.create(bytes)).run({ x: new ort.Tensor('float32', x, [...dims]) })).y!.data as Float32Array;
  let diff = 0;
  let scale = 0;
  want.forEach((v, i) => { diff = Math.max(diff, Math.abs(got[i]! - v)); scale = Math.max(scale, Math.abs(v)); });
  return diff / scale;
}

describe('BatchNormalization folding', () => {
  for (const [group, pads] of [[1, 1], [2, 1], [1, 0]] as const) {
    it(`BN before a conv (group ${group}, pads ${pads}) folds into it, borders exact, within 1e-4 of onnxruntime`, async () => {
      const bytes = bnThenConv({ group, pads });
      const { opTypes, convs } = plan(bytes, DIMS);
      assert.deepEqual(opTypes, ['Conv']);
      assert.equal(convs[0]!.padValues !== undefined, pads > 0, 'pad values only where the conv pads');
      // The project's fp32 bound; the folded weights round differently from normalising first.
      const err = await relativeErrorAgainstOrt(bytes, DIMS);
      assert.ok(err <= PARITY_BOUND, `relative error ${err}`);
    });
  }

  it('keeps a BN with a zero scale in front of a padded conv (its pad value would be infinite)', async () => {
    const bytes = bnThenConv({ group: 1, pads: 1, zeroScale: true });
    assert.deepEqual(plan(bytes, DIMS).opTypes, ['BatchNormalization', 'Conv']);
    const err = await relativeErrorAgainstOrt(bytes, DIMS);
    assert.ok(err <= PARITY_BOUND, `relative error ${err}`);
  });

  it('BN after a Gemm (BN1d) folds into its weights and bias', async () => {
    const bytes = gemmThenBn();
    assert.deepEqual(plan(bytes, [2, 10]).opTypes, ['Gemm']);
    const err = await relativeErrorAgainstOrt(bytes, [2, 10]);
    assert.ok(err <= PARITY_BOUND, `relative error ${err}`);
  });

  it('BN before Flatten → Gemm (w600k_r50 before its FC layer) folds into the Gemm', async () => {
    const bytes = bnFlattenGemm();
    assert.deepEqual(plan(bytes, [1, 3, 2, 2]).opTypes, ['Flatten', 'Gemm']);
    const err = await relativeErrorAgainstOrt(bytes, [1, 3, 2, 2]);
    assert.ok(err <= PARITY_BOUND, `relative error ${err}`);
  });
});
