/**
 * Issue 14 item 3's graph passes: a constant scale after a conv, an activation behind layout-only ops, and an
 * average pool before a 1×1 conv go into the conv. Each on a small graph, and on the real SCRFD-2.5G export
 * (scrfd_2.5g_bnkps, det_10g's export style), against onnxruntime-node on the unfused model within the fp32 bound
 * (1e-4 of max |value|, PARITY_BOUND): the folded weights round differently from scaling or averaging first. The
 * WebGPU run (SwiftShader, 64×64, seconds) checks the same plan's kernels.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseModel } from '../../src/parser/decode-model.js';
import { DT, buildModel, node, tensor, valueInfo } from '../parser/onnx-builder.js';
import { PARITY_BOUND, seededUniform } from '../parity/parity.js';
import { sharedPath } from '../pipeline/helpers.js';
import { errorAgainstOrt, plan } from './pass-check.js';

process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

const arr = (n: number, seed: number, lo = -0.5, hi = 0.5): number[] => [...seededUniform(n, seed, lo, hi)];

const X = [1, 4, 6, 8];

function convThen(tail: 'scale' | 'channel-scale' | 'sigmoid-after-layout'): Uint8Array {
  const nodes = [node('Conv', ['x', 'w', 'b'], ['c'], { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } })];
  const initializers = [tensor('w', 'float32', [6, 4, 3, 3], arr(6 * 4 * 9, 1)), tensor('b', 'float32', [6], arr(6, 2))];
  if (tail === 'scale') {
    initializers.push(tensor('s', 'float32', [], [3]));
    nodes.push(node('Mul', ['c', 's'], ['y']));
  } else if (tail === 'channel-scale') {
    initializers.push(tensor('s', 'float32', [1, 6, 1, 1], arr(6, 3, 0.5, 2)));
    nodes.push(node('Mul', ['s', 'c'], ['y']));
  } else {
    initializers.push(tensor('shape', 'int64', [2], [-1, 6]));
    nodes.push(node('Transpose', ['c'], ['t'], { perm: { ints: [2, 3, 0, 1] } }), node('Reshape', ['t', 'shape'], ['r']), node('Sigmoid', ['r'], ['y']));
  }
  return buildModel({ inputs: [valueInfo('x', DT.FLOAT, X)], outputs: [valueInfo('y', DT.FLOAT, undefined)], initializers, nodes });
}

function poolThenConv(pool: { kernel: number; ceil?: number }, x: readonly number[]): Uint8Array {
  return buildModel({
    inputs: [valueInfo('x', DT.FLOAT, [...x])],
    outputs: [valueInfo('y', DT.FLOAT, undefined)],
    initializers: [tensor('w', 'float32', [5, 4, 1, 1], arr(20, 4)), tensor('b', 'float32', [5], arr(5, 5))],
    nodes: [
      node('AveragePool', ['x'], ['p'], { kernel_shape: { ints: [pool.kernel, pool.kernel] }, strides: { ints: [pool.kernel, pool.kernel] }, ceil_mode: { i: pool.ceil ?? 0 } }),
      node('Conv', ['p', 'w', 'b'], ['y'], { kernel_shape: { ints: [1, 1] } }),
    ],
  });
}

describe('passes that absorb ops into a conv', () => {
  for (const tail of ['scale', 'channel-scale'] as const) {
    it(`Conv → Mul by a ${tail === 'scale' ? 'scalar' : 'per-channel'} constant: one Conv, within 1e-4 of onnxruntime`, async () => {
      const bytes = convThen(tail);
      assert.deepEqual(plan(bytes, X).opTypes, ['Conv']);
      const err = await errorAgainstOrt(bytes, X);
      assert.ok(err <= PARITY_BOUND, `relative error ${err}`);
    });
  }

  it('Conv → Transpose → Reshape → Sigmoid: the Sigmoid joins the conv, within 1e-4 of onnxruntime', async () => {
    const bytes = convThen('sigmoid-after-layout');
    const { opTypes, convs } = plan(bytes, X);
    assert.deepEqual(opTypes, ['Conv', 'Reshape'], 'the Transpose joins too (fuse-conv-store-residual.test.ts)');
    assert.equal(convs[0]!.epilogue.kind, 'unary');
    const err = await errorAgainstOrt(bytes, X);
    assert.ok(err <= PARITY_BOUND, `relative error ${err}`);
  });

  it('AveragePool(2, 2) → Conv 1×1: one 2×2 Conv of stride 2, within 1e-4 of onnxruntime', async () => {
    const bytes = poolThenConv({ kernel: 2 }, [1, 4, 6, 8]);
    const { opTypes, convs } = plan(bytes, [1, 4, 6, 8]);
    assert.deepEqual(opTypes, ['Conv']);
    assert.deepEqual([convs[0]!.kernel, convs[0]!.strides], [[2, 2], [2, 2]]);
    const err = await errorAgainstOrt(bytes, [1, 4, 6, 8]);
    assert.ok(err <= PARITY_BOUND, `relative error ${err}`);
  });

  it('keeps an AveragePool whose windows do not tile the input (a partial window under ceil_mode)', async () => {
    const bytes = poolThenConv({ kernel: 2, ceil: 1 }, [1, 4, 7, 8]);
    assert.deepEqual(plan(bytes, [1, 4, 7, 8]).opTypes, ['AveragePool', 'Conv']);
    const err = await errorAgainstOrt(bytes, [1, 4, 7, 8]);
    assert.ok(err <= PARITY_BOUND, `relative error ${err}`);
  });

  const scrfd = new Uint8Array(readFileSync(sharedPath('models', 'scrfd_2.5g_bnkps.onnx')));
  it('SCRFD-2.5G: its 3 box scales, 3 score Sigmoids and 3 shortcut AveragePools fold away; cpu within 1e-4 of onnxruntime', async () => {
    const before = parseModel(scrfd).graph.nodes;
    const count = (ops: readonly string[], op: string): number => ops.filter((o) => o === op).length;
    assert.deepEqual(['Mul', 'Sigmoid', 'AveragePool'].map((op) => count(before.map((n) => n.opType), op)), [3, 3, 3]);
    const { opTypes } = plan(scrfd, [1, 3, 640, 640]);
    assert.deepEqual(['Mul', 'Sigmoid', 'AveragePool'].map((op) => count(opTypes, op)), [0, 0, 0]);
    const err = await errorAgainstOrt(scrfd, [1, 3, 160, 160]);
    assert.ok(err <= PARITY_BOUND, `relative error ${err}`);
  });

  it('SCRFD-2.5G on WebGPU (SwiftShader, 64×64) within 1e-4 of onnxruntime', async () => {
    const err = await errorAgainstOrt(scrfd, [1, 3, 64, 64], 'webgpu');
    assert.ok(err <= PARITY_BOUND, `relative error ${err}`);
  });
});
