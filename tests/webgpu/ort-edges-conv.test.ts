/**
 * The WebGPU convolution lowerings on edge attributes, against onnxruntime-node: auto_pad, asymmetric pads,
 * dilations, groups, depthwise multipliers, 1×N kernels, strides past the kernel, M/N/K off the tile sizes, split K,
 * the Winograd-shaped stride-1 3×3 layers and fused epilogues (bias, activation, broadcast residual). Each model runs
 * on the cpu backend, both WebGPU kernel tiers and the hardware kernel variants (ort-edge-check); results agree
 * within 1e-4 of the oracle's largest magnitude.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { parseModel } from '../../src/parser/decode-model.js';
import { specializeGraph } from '../../src/graph/specialize.js';
import { optimizeGraph } from '../../src/graph/optimize.js';
import { lowerGraph } from '../../src/backends/webgpu/lowering.js';
import { isWinogradDispatch } from '../../src/ops/conv/winograd-gpu.js';
import { releaseEdgeDevice } from './ort-edge-check.js';
import { node } from '../parser/onnx-builder.js';
import { conv, expectOrt, f32, graph, i64, ints, pads, weights, type Case } from './ort-edge-cases.js';

after(releaseEdgeDevice);

const CONV: Case[] = [
  conv('SAME_UPPER 3x3 stride 2, even input', [1, 3, 8, 8], [4, 3, 3, 3], { auto_pad: { s: 'SAME_UPPER' }, strides: ints(2, 2) }),
  conv('SAME_LOWER 3x3 stride 2, even input', [1, 3, 8, 8], [4, 3, 3, 3], { auto_pad: { s: 'SAME_LOWER' }, strides: ints(2, 2) }),
  conv('SAME_LOWER 2x2 stride 1 (odd total pad)', [1, 3, 7, 6], [4, 3, 2, 2], { auto_pad: { s: 'SAME_LOWER' } }, false),
  conv('SAME_UPPER 2x2 stride 1 (odd total pad)', [1, 3, 7, 6], [4, 3, 2, 2], { auto_pad: { s: 'SAME_UPPER' } }, false),
  conv('VALID 3x3', [1, 3, 7, 6], [4, 3, 3, 3], { auto_pad: { s: 'VALID' } }, false),
  conv('asymmetric pads, stride 2', [1, 3, 7, 6], [5, 3, 3, 3], { ...pads(0, 2, 1, 0), strides: ints(2, 2) }),
  conv('dilations 2×3 with asymmetric pads', [1, 3, 11, 12], [4, 3, 3, 3], { dilations: ints(2, 3), ...pads(1, 2, 2, 1) }, false),
  conv('group 2, not depthwise', [1, 6, 7, 7], [4, 3, 3, 3], { group: { i: 2 }, ...pads(1, 1, 1, 1) }),
  conv('group 3, 1x1', [1, 6, 5, 5], [9, 2, 1, 1], { group: { i: 3 } }),
  conv('depthwise, channel multiplier 2', [1, 3, 7, 7], [6, 1, 3, 3], { group: { i: 3 }, ...pads(1, 1, 1, 1) }),
  conv('depthwise, multiplier 3, stride 2', [1, 2, 8, 7], [6, 1, 3, 3], { group: { i: 2 }, strides: ints(2, 2), ...pads(1, 1, 1, 1) }, false),
  conv('depthwise 5x5, asymmetric pads', [1, 4, 9, 9], [4, 1, 5, 5], { group: { i: 4 }, ...pads(2, 1, 0, 2) }, false),
  conv('1x5 kernel', [1, 3, 6, 9], [4, 3, 1, 5], pads(0, 2, 0, 2), false),
  conv('5x1 kernel', [1, 3, 9, 6], [4, 3, 5, 1], pads(2, 0, 2, 0), false),
  conv('stride 3×4 over a 2x2 kernel', [1, 3, 11, 10], [4, 3, 2, 2], { strides: ints(3, 4) }, false),
  conv('1x1 stride 3', [1, 5, 10, 11], [7, 5, 1, 1], { strides: ints(3, 3) }),
  conv('kernel wider than the input, padded', [1, 2, 2, 2], [3, 2, 5, 5], pads(2, 2, 2, 2), false),
  conv('7x7 stride 2 pad 3', [1, 3, 15, 13], [8, 3, 7, 7], { ...pads(3, 3, 3, 3), strides: ints(2, 2) }),
  conv('group 2, dilated, stride 2', [1, 4, 11, 11], [6, 2, 3, 3], { group: { i: 2 }, strides: ints(2, 2), dilations: ints(2, 2), ...pads(2, 2, 2, 2) }, false),
  conv('1-D SAME_UPPER stride 2', [1, 3, 10], [4, 3, 3], { auto_pad: { s: 'SAME_UPPER' }, strides: ints(2) }, false),
  conv('1-D dilated 3', [1, 3, 13], [4, 3, 3], { dilations: ints(3), ...pads(2, 1) }, false),
  // M, N, K off every tile size; split K; 128-row tiles.
  conv('M 37, N 90, K 117 (stride 2)', [1, 13, 17, 19], [37, 13, 3, 3], { ...pads(1, 1, 1, 1), strides: ints(2, 2) }),
  conv('1x1 M 65, K 33, odd plane', [1, 33, 7, 9], [65, 33, 1, 1]),
  conv('1x1 M 160 (128-row tiles)', [1, 24, 37, 1], [160, 24, 1, 1]),
  conv('split K: 3x3 stride 2, K 1152, 7x7 out', [1, 128, 13, 13], [40, 128, 3, 3], { ...pads(1, 1, 1, 1), strides: ints(2, 2) }),
  conv('split K: 1x1, K 1000, N 9', [1, 1000, 3, 3], [7, 1000, 1, 1]),
  conv('batch 3, 1x1', [3, 5, 3, 3], [6, 5, 1, 1]),
  conv('depthwise 3x3, 64 channels', [1, 64, 15, 15], [64, 1, 3, 3], { group: { i: 64 }, ...pads(1, 1, 1, 1) }),
  conv('1x7, 16 channels', [1, 16, 9, 20], [16, 16, 1, 7], pads(0, 3, 0, 3)),
];

// Stride-1 3×3 convs of 16 channels and more (winogradFits) run as Winograd F(2×2, 3×3) on the specialised tier and
// as a GEMM on the generic one: every pad from 0 to 2 on each side, planes from 1×2 to 7×5, outputs from 1×1.
const WINOGRAD: Case[] = [
  ...([[2, 2, [2, 1, 2, 0]], [2, 2, [1, 2, 1, 0]], [1, 2, [2, 2, 2, 2]], [1, 2, [1, 2, 1, 2]], [2, 1, [1, 2, 2, 2]], [3, 3, [0, 0, 0, 0]],
    [3, 3, [1, 2, 1, 1]], [2, 5, [2, 0, 1, 0]], [2, 5, [1, 2, 0, 1]], [5, 2, [1, 1, 2, 2]], [4, 4, [2, 0, 0, 1]], [5, 7, [0, 0, 2, 0]],
    [7, 5, [1, 1, 1, 0]], [9, 1, [0, 2, 1, 0]], [3, 8, [1, 1, 0, 2]]] as const).map(([h, w, p]) => {
    const [ho, wo] = [h + p[0] + p[2] - 2, w + p[1] + p[3] - 2];
    return conv(`16→17 channels, ${h}x${w} input, pads ${p.join(' ')}: ${ho}x${wo}${ho < 2 || wo < 2 ? ' (one row or column: GEMM)' : ''}`, [1, 16, h, w], [17, 16, 3, 3], pads(...p));
  }),
  conv('13→37 channels, 9x11 (below the Winograd minimum: GEMM)', [1, 13, 9, 11], [37, 13, 3, 3], pads(1, 1, 1, 1)),
  conv('16→33 channels, 9x7, pads 0 1 2 0', [1, 16, 9, 7], [33, 16, 3, 3], pads(0, 1, 2, 0)),
  conv('batch 3 of 2x2 planes', [3, 16, 2, 2], [16, 16, 3, 3], pads(1, 1, 1, 1)),
  graph('with residual + PRelu', [['x', [1, 16, 5, 7]], ['r', [1, 16, 5, 7]]],
    [node('Conv', ['x', 'W', 'B'], ['c'], pads(1, 1, 1, 1)), node('Add', ['c', 'r'], ['a']), node('PRelu', ['a', 'S'], ['y0'])],
    [weights('W', [16, 16, 3, 3], 2), weights('B', [16], 3), weights('S', [16, 1, 1], 5)]),
  graph('with a folded asymmetric reflect Pad', [['x', [1, 16, 5, 6]]],
    [node('Pad', ['x', 'p'], ['q'], { mode: { s: 'reflect' } }), node('Conv', ['q', 'W', 'B'], ['y0'])], [weights('W', [16, 16, 3, 3], 2), weights('B', [16], 3), i64('p', [0, 0, 2, 0, 0, 0, 1, 2])]),
  graph('with BatchNormalization folded in (pad values)', [['x', [1, 16, 5, 4]]],
    [node('BatchNormalization', ['x', 's', 'b', 'm', 'v'], ['n']), node('Conv', ['n', 'W', 'B'], ['y0'], pads(1, 2, 0, 1))],
    [weights('W', [16, 16, 3, 3], 2), weights('B', [16], 3), weights('s', [16], 1), weights('b', [16], 2), weights('m', [16], 3), weights('v', [16], 4, 0.1, 2)]),
  graph('with a nearest-upsampled residual', [['x', [1, 16, 6, 6]], ['r', [1, 16, 3, 3]]],
    [node('Conv', ['x', 'W', 'B'], ['c'], pads(1, 1, 1, 1)), node('Resize', ['r', '', 'sc'], ['u'], { mode: { s: 'nearest' } }), node('Add', ['c', 'u'], ['y0'])],
    [weights('W', [16, 16, 3, 3], 2), weights('B', [16], 3), f32('sc', [1, 1, 2, 2])]),
  graph('followed by a Transpose to NHWC', [['x', [1, 16, 5, 4]]],
    [node('Conv', ['x', 'W', 'B'], ['c'], pads(1, 1, 1, 1)), node('Transpose', ['c'], ['y0'], { perm: ints(0, 2, 3, 1) })], [weights('W', [20, 16, 3, 3], 2), weights('B', [20], 3)]),
];

/** Whether the specialised tier lowers the model's conv to the Winograd kernel (else these cases test a GEMM). */
function lowersToWinograd(c: Case): boolean {
  const model = parseModel(c.bytes);
  const g = optimizeGraph(specializeGraph(model, new Map(Object.entries(c.feeds).map(([k, f]) => [k, { type: f.type, dims: [...f.dims] }]))));
  return lowerGraph(g, 'specialized', false, 65535).dispatches.some((t) => t?.specialized?.some(isWinogradDispatch) === true);
}

const EPILOGUES: Case[] = [
  graph('Conv + Add [1,C,1,W] + Relu', [['x', [1, 3, 5, 5]], ['r', [1, 4, 1, 5]]],
    [node('Conv', ['x', 'W', 'B'], ['c'], pads(1, 1, 1, 1)), node('Add', ['c', 'r'], ['a']), node('Relu', ['a'], ['y0'])], [weights('W', [4, 3, 3, 3], 2), weights('B', [4], 3)]),
  graph('Conv + Add [C,1,1] + Relu', [['x', [1, 3, 5, 5]], ['r', [4, 1, 1]]],
    [node('Conv', ['x', 'W', 'B'], ['c'], pads(1, 1, 1, 1)), node('Add', ['c', 'r'], ['a']), node('Relu', ['a'], ['y0'])], [weights('W', [4, 3, 3, 3], 2), weights('B', [4], 3)]),
  graph('scalar + Conv, then Sigmoid', [['x', [1, 3, 5, 5]], ['r', []]],
    [node('Conv', ['x', 'W'], ['c'], pads(1, 1, 1, 1)), node('Add', ['r', 'c'], ['a']), node('Sigmoid', ['a'], ['y0'])], [weights('W', [4, 3, 3, 3], 2)]),
  graph('residual first + Conv, then Clip', [['x', [1, 3, 5, 5]], ['r', [1, 4, 5, 5]]],
    [node('Conv', ['x', 'W', 'B'], ['c'], pads(1, 1, 1, 1)), node('Add', ['r', 'c'], ['a']), node('Clip', ['a', 'lo', 'hi'], ['y0'])],
    [weights('W', [4, 3, 3, 3], 2), weights('B', [4], 3), f32('lo', [0], []), f32('hi', [0.5], [])]),
  graph('batch 2 Conv + residual broadcast over the batch', [['x', [2, 3, 5, 5]], ['r', [1, 4, 5, 5]]],
    [node('Conv', ['x', 'W', 'B'], ['c'], pads(1, 1, 1, 1)), node('Add', ['c', 'r'], ['y0'])], [weights('W', [4, 3, 3, 3], 2), weights('B', [4], 3)]),
  graph('stride-2 Conv + Add [1,1,H,1] + LeakyRelu', [['x', [1, 3, 9, 9]], ['r', [1, 1, 5, 1]]],
    [node('Conv', ['x', 'W', 'B'], ['c'], { ...pads(1, 1, 1, 1), strides: ints(2, 2) }), node('Add', ['c', 'r'], ['a']), node('LeakyRelu', ['a'], ['y0'], { alpha: { f: 0.2 } })],
    [weights('W', [4, 3, 3, 3], 2), weights('B', [4], 3)]),
  graph('depthwise Conv + residual + PRelu', [['x', [1, 4, 6, 6]], ['r', [1, 4, 6, 6]]],
    [node('Conv', ['x', 'W', 'B'], ['c'], { ...pads(1, 1, 1, 1), group: { i: 4 } }), node('Add', ['c', 'r'], ['a']), node('PRelu', ['a', 'S'], ['y0'])],
    [weights('W', [4, 1, 3, 3], 2), weights('B', [4], 3), weights('S', [4, 1, 1], 5)]),
  graph('Winograd Conv + Add [1,C,1,W] + Relu', [['x', [1, 16, 9, 11]], ['r', [1, 24, 1, 11]]],
    [node('Conv', ['x', 'W', 'B'], ['c'], pads(1, 1, 1, 1)), node('Add', ['c', 'r'], ['a']), node('Relu', ['a'], ['y0'])], [weights('W', [24, 16, 3, 3], 2), weights('B', [24], 3)]),
  graph('split-K Conv + residual + Clip', [['x', [1, 128, 7, 7]], ['r', [1, 24, 4, 4]]],
    [node('Conv', ['x', 'W', 'B'], ['c'], { ...pads(1, 1, 1, 1), strides: ints(2, 2) }), node('Add', ['c', 'r'], ['a']), node('Clip', ['a', 'lo', 'hi'], ['y0'])],
    [weights('W', [24, 128, 3, 3], 2), weights('B', [24], 3), f32('lo', [0], []), f32('hi', [0.5], [])]),
  graph('Conv + nearest-upsampled residual', [['x', [1, 3, 6, 6]], ['r', [1, 4, 3, 3]]],
    [node('Conv', ['x', 'W', 'B'], ['c'], pads(1, 1, 1, 1)), node('Resize', ['r', '', 'sc'], ['u'], { mode: { s: 'nearest' } }), node('Add', ['c', 'u'], ['y0'])],
    [weights('W', [4, 3, 3, 3], 2), weights('B', [4], 3), f32('sc', [1, 1, 2, 2])]),
  graph('Conv + BatchNormalization + Relu', [['x', [1, 3, 5, 5]]],
    [node('Conv', ['x', 'W'], ['c'], pads(1, 1, 1, 1)), node('BatchNormalization', ['c', 's', 'b', 'm', 'v'], ['n']), node('Relu', ['n'], ['y0'])],
    [weights('W', [4, 3, 3, 3], 2), weights('s', [4], 1), weights('b', [4], 2), weights('m', [4], 3), weights('v', [4], 4, 0.1, 2)]),
  graph('BatchNormalization before a padded Conv (pad values)', [['x', [1, 3, 5, 4]]],
    [node('BatchNormalization', ['x', 's', 'b', 'm', 'v'], ['n']), node('Conv', ['n', 'W', 'B'], ['y0'], pads(1, 1, 1, 1))],
    [weights('W', [4, 3, 3, 3], 2), weights('B', [4], 3), weights('s', [3], 1), weights('b', [3], 2), weights('m', [3], 3), weights('v', [3], 4, 0.1, 2)]),
  graph('reflect Pad folded into a Conv', [['x', [1, 3, 5, 4]]],
    [node('Pad', ['x', 'p'], ['q'], { mode: { s: 'reflect' } }), node('Conv', ['q', 'W', 'B'], ['y0'])], [weights('W', [4, 3, 3, 3], 2), weights('B', [4], 3), i64('p', [0, 0, 1, 2, 0, 0, 2, 1])]),
  graph('constant 0.5 Pad before a Conv', [['x', [1, 3, 5, 4]]],
    [node('Pad', ['x', 'p', 'v'], ['q'], { mode: { s: 'constant' } }), node('Conv', ['q', 'W', 'B'], ['y0'])],
    [weights('W', [4, 3, 3, 3], 2), weights('B', [4], 3), i64('p', [0, 0, 1, 1, 0, 0, 1, 1]), f32('v', [0.5], [])]),
  graph('Conv + Transpose to NHWC + Reshape', [['x', [1, 3, 5, 4]]],
    [node('Conv', ['x', 'W', 'B'], ['c'], pads(1, 1, 1, 1)), node('Transpose', ['c'], ['t'], { perm: ints(0, 2, 3, 1) }), node('Reshape', ['t', 'sh'], ['y0'])],
    [weights('W', [4, 3, 3, 3], 2), weights('B', [4], 3), i64('sh', [1, -1, 2])]),
  graph('Gemm + residual + Relu', [['x', [3, 6]], ['r', [3, 5]]],
    [node('Gemm', ['x', 'W', 'B'], ['c'], { transB: { i: 1 } }), node('Add', ['c', 'r'], ['a']), node('Relu', ['a'], ['y0'])], [weights('W', [5, 6], 2), weights('B', [5], 3)]),
  graph('MatMul + bias + Relu', [['x', [2, 3, 6]]],
    [node('MatMul', ['x', 'W'], ['c']), node('Add', ['c', 'B'], ['a']), node('Relu', ['a'], ['y0'])], [weights('W', [6, 5], 2), weights('B', [5], 3)]),
];

describe('Winograd-shaped Conv on WebGPU against onnxruntime', () => {
  for (const c of WINOGRAD) {
    it(c.name, async () => {
      assert.equal(lowersToWinograd(c), !c.name.endsWith(': GEMM)'), 'the specialised tier lowers to Winograd (or, as named, a GEMM)');
      await expectOrt(c);
    });
  }
});

for (const [group, cases] of [['Conv', CONV], ['fused epilogues', EPILOGUES]] as const) {
  describe(`${group} on WebGPU against onnxruntime`, () => {
    for (const c of cases) it(c.name, () => expectOrt(c));
  });
}
