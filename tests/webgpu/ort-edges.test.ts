/**
 * The WebGPU lowerings of pools, Gemm/MatMul, Resize, Concat/Slice/Transpose/Pad/Gather, reductions and element-wise
 * ops on edge attributes, against onnxruntime-node: ceil_mode, count_include_pad, transposes, K = 1 and N = 1,
 * batched broadcast, every Resize mode the lowering claims, ranks 1–6, negative axes, keepdims 0. Each model runs on
 * the cpu backend, both WebGPU kernel tiers and the hardware kernel variants (ort-edge-check); float results agree
 * within 1e-4 of the oracle's largest magnitude, copies, max pools and nearest resizes exactly. Attributes a lowering
 * cannot do are refused when the session is created, with a typed error.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { InferenceSession, UnsupportedOpError } from '../../src/index.js';
import { edgeDevice, oneNode, releaseEdgeDevice, seeded } from './ort-edge-check.js';
import { expectOrt, f32, i64, ints, pads, single, weights, type Attrs, type Case, type Init } from './ort-edge-cases.js';

after(releaseEdgeDevice);

const POOL: Case[] = [];
for (const op of ['MaxPool', 'AveragePool']) {
  for (const include of op === 'MaxPool' ? [0] : [0, 1]) {
    const a = (attrs: Attrs): Attrs => (op === 'AveragePool' ? { ...attrs, count_include_pad: { i: include } } : attrs);
    const p = (name: string, dims: number[], attrs: Attrs, opset = 17) => POOL.push(single(`${op}${op === 'AveragePool' ? ` count_include_pad ${include}` : ''}: ${name}`, op, [dims], a(attrs), [], [], opset, op === 'MaxPool'));
    p('ceil, the last window starting in the padding', [1, 1, 5, 5], { kernel_shape: ints(2, 2), strides: ints(2, 2), ...pads(1, 1, 1, 1), ceil_mode: { i: 1 } });
    p('ceil, 3x3 stride 2 pad 1 on 6x6', [1, 1, 6, 6], { kernel_shape: ints(3, 3), strides: ints(2, 2), ...pads(1, 1, 1, 1), ceil_mode: { i: 1 } });
    p('ceil, asymmetric pads, stride 3', [1, 1, 7, 8], { kernel_shape: ints(3, 3), strides: ints(3, 3), ...pads(0, 2, 1, 0), ceil_mode: { i: 1 } });
    p('ceil, dilated (opset 19)', [1, 1, 9, 8], { kernel_shape: ints(2, 2), strides: ints(2, 2), dilations: ints(2, 2), ceil_mode: { i: 1 }, ...pads(1, 0, 0, 1) }, 19);
    p('stride larger than the kernel, ceil', [1, 2, 9, 10], { kernel_shape: ints(2, 2), strides: ints(3, 4), ceil_mode: { i: 1 } });
    p('pads of 2 around a 3x3 window', [1, 1, 4, 4], { kernel_shape: ints(3, 3), ...pads(2, 2, 2, 2) });
    p('SAME_UPPER with ceil', [1, 1, 7, 6], { kernel_shape: ints(3, 2), strides: ints(2, 2), auto_pad: { s: 'SAME_UPPER' }, ceil_mode: { i: 1 } });
    p('SAME_LOWER', [1, 2, 5, 6], { kernel_shape: ints(2, 2), auto_pad: { s: 'SAME_LOWER' } });
    p('1-D with ceil', [1, 2, 10], { kernel_shape: ints(3), strides: ints(2), ...pads(1, 1), ceil_mode: { i: 1 } });
    p('3x3 stride 2 on 16 channels of 33x31', [1, 16, 33, 31], { kernel_shape: ints(3, 3), strides: ints(2, 2), ...pads(1, 1, 1, 1) });
  }
}
POOL.push(
  single('GlobalAveragePool 1-D', 'GlobalAveragePool', [[1, 3, 7]]),
  single('GlobalAveragePool 40x41 (workgroup reduction)', 'GlobalAveragePool', [[1, 3, 40, 41]]),
  single('GlobalMaxPool 33x33', 'GlobalMaxPool', [[2, 3, 33, 33]], {}, [], [], 17, true),
);

const MATRIX: Case[] = [
  single('Gemm transA transB', 'Gemm', [[5, 3], [4, 5]], { transA: { i: 1 }, transB: { i: 1 } }),
  single('Gemm K = 1', 'Gemm', [[3, 1], [1, 5]]),
  single('Gemm N = 1, scalar C, beta 0.5', 'Gemm', [[3, 7], [7, 1]], { beta: { f: 0.5 } }, [weights('C', [], 9)], ['C']),
  single('Gemm C [M, N], alpha -1.5', 'Gemm', [[4, 6], [6, 5]], { alpha: { f: -1.5 } }, [weights('C', [4, 5], 9)], ['C']),
  single('Gemm C [M, 1]', 'Gemm', [[4, 6], [6, 5]], {}, [weights('C', [4, 1], 9)], ['C']),
  single('Gemm transA transB, 70x90x45, alpha', 'Gemm', [[90, 70], [45, 90]], { transA: { i: 1 }, transB: { i: 1 }, alpha: { f: 0.7 } }),
  single('Gemm one row, K 2048 (split K), C [N]', 'Gemm', [[1, 2048]], { transB: { i: 1 } }, [weights('B', [129, 2048], 9), weights('C', [129], 8)], ['B', 'C']),
  single('MatMul K = 1', 'MatMul', [[3, 1], [1, 4]]),
  single('MatMul N = 1, batched', 'MatMul', [[2, 3, 5], [5, 1]]),
  single('MatMul vector · vector', 'MatMul', [[7], [7]]),
  single('MatMul batched matrix · vector', 'MatMul', [[2, 3, 7], [7]]),
  single('MatMul both sides broadcast', 'MatMul', [[2, 1, 3, 4], [1, 3, 4, 5]]),
  single('MatMul rank 5 · rank 4', 'MatMul', [[2, 1, 2, 3, 4], [3, 1, 4, 2]]),
  single('MatMul 65x300x70', 'MatMul', [[65, 300], [300, 70]]),
  single('MatMul batched 3x33x129 · 129x17', 'MatMul', [[3, 33, 129], [129, 17]]),
  single('MatMul N = 1, K 900', 'MatMul', [[70, 900], [900, 1]]),
  single('MatMul M = 1, K 800', 'MatMul', [[1, 800], [800, 130]]),
];

const resizeInits = (scales: number[], sizes?: number[]): { inits: Init[]; extra: string[] } => ({
  inits: [f32('roi', []), f32('sc', scales), ...(sizes ? [i64('sz', sizes)] : [])], extra: ['roi', 'sc', ...(sizes ? ['sz'] : [])],
});
const RESIZE: Case[] = [];
for (const mode of ['nearest', 'linear']) {
  for (const ct of ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric']) {
    for (const [scales, sizes] of [[[1, 1, 1.7, 0.6], undefined], [[], [1, 2, 1, 7]], [[1, 1, 2, 3], undefined]] as const) {
      // onnxruntime's linear align_corners divides by the output length, ours by input × scale (sourceCoordinate):
      // they differ for a scale that is not the sizes' ratio, as 1.7 on 4 rows is not.
      if (mode === 'linear' && ct === 'align_corners' && scales[2] === 1.7) continue;
      const r = resizeInits([...scales], sizes && [...sizes]);
      RESIZE.push(single(`${mode} ${ct} ${sizes ? `to ${sizes.join('×')}` : `scales ${scales.join(' ')}`}`, 'Resize', [[1, 2, 4, 5]],
        { mode: { s: mode }, coordinate_transformation_mode: { s: ct }, nearest_mode: { s: 'floor' } }, r.inits, r.extra, 13, mode === 'nearest'));
    }
  }
}
RESIZE.push(
  single('Upsample (opset 9) nearest 2×1.5', 'Upsample', [[1, 2, 3, 4]], { mode: { s: 'nearest' } }, [f32('sc', [1, 1, 2, 1.5])], ['sc'], 9, true),
  single('Upsample (opset 9) linear', 'Upsample', [[1, 2, 3, 4]], { mode: { s: 'linear' } }, [f32('sc', [1, 1, 2, 2])], ['sc'], 9),
  single('linear on a rank-3 input', 'Resize', [[2, 3, 5]], { mode: { s: 'linear' } }, [f32('roi', []), f32('sc', [1, 1, 1.6])], ['roi', 'sc'], 13),
  single('nearest on a rank-5 input', 'Resize', [[1, 2, 2, 3, 2]], { mode: { s: 'nearest' } }, [f32('roi', []), f32('sc', [1, 1, 2, 1, 2])], ['roi', 'sc'], 13, true),
  single('linear ×2 on 16 channels', 'Resize', [[1, 16, 20, 21]], { mode: { s: 'linear' } }, [f32('roi', []), f32('sc', [1, 1, 2, 2])], ['roi', 'sc'], 13),
);

const SHAPE: Case[] = [
  single('Concat rank 1, axis -1', 'Concat', [[3], [5]], { axis: { i: -1 } }, [], [], 17, true),
  single('Concat rank 5, axis 2', 'Concat', [[2, 1, 3, 2, 2], [2, 1, 1, 2, 2], [2, 1, 2, 2, 2]], { axis: { i: 2 } }, [], [], 17, true),
  single('Concat rank 4, axis -3', 'Concat', [[1, 3, 5, 3], [1, 1, 5, 3]], { axis: { i: -3 } }, [], [], 17, true),
  single('Slice with negative steps', 'Slice', [[5, 7]], {}, [i64('s', [-1, 5]), i64('e', [-100, 0]), i64('a', [0, 1]), i64('st', [-2, -1])], ['s', 'e', 'a', 'st'], 17, true),
  single('Slice rank 5, steps 2 and 3', 'Slice', [[2, 3, 4, 5, 6]], {}, [i64('s', [1, 1]), i64('e', [100, 6]), i64('a', [-1, 2]), i64('st', [2, 3])], ['s', 'e', 'a', 'st'], 17, true),
  single('Slice rank 1, clamped start', 'Slice', [[9]], {}, [i64('s', [-20]), i64('e', [7])], ['s', 'e'], 17, true),
  single('Transpose rank 5', 'Transpose', [[2, 3, 1, 4, 5]], { perm: ints(4, 0, 3, 2, 1) }, [], [], 17, true),
  single('Transpose rank 3, default perm', 'Transpose', [[2, 3, 5]], {}, [], [], 17, true),
  single('Transpose rank 1', 'Transpose', [[7]], {}, [], [], 17, true),
  single('Transpose 2x37x19x23 to NHWC', 'Transpose', [[2, 37, 19, 23]], { perm: ints(0, 2, 3, 1) }, [], [], 17, true),
  single('Pad constant, negative pads', 'Pad', [[3, 5, 4]], { mode: { s: 'constant' } }, [i64('p', [1, -1, 2, 0, 2, -1]), weights('v', [], 3)], ['p', 'v'], 17, true),
  single('Pad reflect', 'Pad', [[1, 2, 4, 5]], { mode: { s: 'reflect' } }, [i64('p', [0, 0, 3, 2, 0, 0, 1, 4])], ['p'], 17, true),
  single('Pad edge, rank 1', 'Pad', [[5]], { mode: { s: 'edge' } }, [i64('p', [3, 2])], ['p'], 17, true),
  single('Pad edge, rank 5', 'Pad', [[1, 2, 2, 3, 2]], { mode: { s: 'edge' } }, [i64('p', [0, 1, 0, 2, 1, 0, 0, 1, 0, 2])], ['p'], 17, true),
  single('Pad with axes (opset 18)', 'Pad', [[2, 3, 4]], { mode: { s: 'constant' } }, [i64('p', [1, 2, 0, 3]), weights('v', [], 3), i64('ax', [-1, 0])], ['p', 'v', 'ax'], 18, true),
  single('Pad wrap (opset 19)', 'Pad', [[2, 3, 4]], { mode: { s: 'wrap' } }, [i64('p', [0, 1, 2, 0, 2, 1])], ['p'], 19, true),
  single('Gather axis 1, negative indices', 'Gather', [[3, 5, 2]], { axis: { i: 1 } }, [i64('idx', [-1, 0, 3, -5])], ['idx'], 17, true),
  single('Gather a scalar index', 'Gather', [[3, 4]], { axis: { i: 0 } }, [i64('idx', [-2], [])], ['idx'], 17, true),
];

const REDUCE: Case[] = [
  single('ReduceSum keepdims 0, negative axes', 'ReduceSum', [[2, 3, 4, 5]], { keepdims: { i: 0 } }, [i64('a', [-1, -3])], ['a']),
  single('ReduceMean keepdims 0, axes attribute (opset 13)', 'ReduceMean', [[2, 3, 4, 5]], { keepdims: { i: 0 }, axes: ints(-2, 0) }, [], [], 13),
  single('ReduceMax over all axes, keepdims 0', 'ReduceMax', [[3, 4, 5]], { keepdims: { i: 0 } }, [], [], 17, true),
  single('ReduceMin axis -1', 'ReduceMin', [[3, 4, 5]], { axes: ints(-1) }, [], [], 13, true),
  single('ReduceProd', 'ReduceProd', [[3, 4, 2]], { axes: ints(1) }, [], [], 13),
  single('ReduceL1 keepdims 0 (opset 18)', 'ReduceL1', [[3, 4, 5]], { keepdims: { i: 0 } }, [i64('a', [1])], ['a'], 18),
  single('ReduceL2 two axes', 'ReduceL2', [[3, 4, 5]], {}, [i64('a', [0, 2])], ['a'], 18),
  single('ReduceSumSquare', 'ReduceSumSquare', [[3, 4, 5]], {}, [i64('a', [0])], ['a'], 18),
  single('ReduceSum with empty axes and noop_with_empty_axes', 'ReduceSum', [[3, 4]], { noop_with_empty_axes: { i: 1 } }, [i64('a', [], [0])], ['a'], 17, true),
  single('ReduceSum rank 1, keepdims 0', 'ReduceSum', [[7]], { keepdims: { i: 0 } }),
  single('ReduceMean rank 5, axes 1 and 3', 'ReduceMean', [[2, 3, 2, 3, 2]], { axes: ints(1, 3) }, [], [], 13),
  single('ReduceMean over 3000 (workgroup reduction)', 'ReduceMean', [[4, 3000]], { axes: ints(-1) }, [], [], 13),
  single('ReduceSum over 700 on a middle axis, keepdims 0', 'ReduceSum', [[2, 700, 3]], { keepdims: { i: 0 } }, [i64('a', [-2])], ['a']),
  single('ReduceLogSumExp over 2000', 'ReduceLogSumExp', [[2, 2000]], { axes: ints(1) }, [], [], 13),
];

const ELEMENTWISE: Case[] = [
  single('Add rank 0 + rank 4', 'Add', [[], [2, 3, 4, 5]], {}, [], [], 17, true),
  single('Mul rank 4 · rank 1', 'Mul', [[2, 3, 4, 5], [5]], {}, [], [], 17, true),
  single('Sub, both sides broadcast', 'Sub', [[2, 1, 4, 1], [3, 1, 5]], {}, [], [], 17, true),
  single('Div, equal shapes', 'Div', [[3, 5], [3, 5]]),
  single('Pow broadcast', 'Pow', [[2, 3], [3]]),
  single('Max of three, rank 0 among them', 'Max', [[2, 3], [3], []], {}, [], [], 17, true),
  single('Min of two rank 0', 'Min', [[], []], {}, [], [], 17, true),
  single('Sum of three broadcast', 'Sum', [[2, 1, 3], [4, 1], [3]]),
  single('Mean of two', 'Mean', [[2, 3], [2, 1]]),
  single('PRelu slope [C, 1, 1]', 'PRelu', [[1, 3, 2, 2]], {}, [weights('s', [3, 1, 1], 4)], ['s'], 17, true),
  single('Add rank 6', 'Add', [[2, 1, 2, 1, 2, 3], [2, 1, 2, 1, 1]], {}, [], [], 17, true),
  single('BatchNormalization rank 2', 'BatchNormalization', [[4, 3]], {}, [weights('s', [3], 1), weights('b', [3], 2), weights('m', [3], 3), weights('v', [3], 4, 0.1, 2)], ['s', 'b', 'm', 'v']),
  single('InstanceNormalization rank 3', 'InstanceNormalization', [[2, 3, 7]], {}, [weights('s', [3], 1), weights('b', [3], 2)], ['s', 'b']),
  single('InstanceNormalization, 40x45 planes', 'InstanceNormalization', [[1, 3, 40, 45]], {}, [weights('s', [3], 1), weights('b', [3], 2)], ['s', 'b']),
];
for (const op of ['Sigmoid', 'Exp', 'Tanh', 'Softplus', 'Elu', 'HardSwish']) {
  // Magnitudes up to 200: exp overflows to inf (Exp), 1/(1+inf) = 0 (Sigmoid), never NaN.
  const x = seeded([4, 10], 3);
  (x.data as Float32Array).forEach((v, i, a) => { a[i] = v * 100; });
  ELEMENTWISE.push({ name: `${op} of magnitudes up to 200`, bytes: oneNode(op, [[4, 10]]), feeds: { x0: x } });
}

for (const [group, cases] of [['pools', POOL], ['Gemm and MatMul', MATRIX], ['Resize', RESIZE], ['Concat, Slice, Transpose, Pad, Gather', SHAPE],
  ['reductions', REDUCE], ['element-wise', ELEMENTWISE]] as const) {
  describe(`${group} on WebGPU against onnxruntime`, () => {
    for (const c of cases) it(c.name, () => expectOrt(c));
  });
}

describe('attributes no lowering does are refused when the session is created', () => {
  const refused: [string, Uint8Array][] = [
    ['Resize cubic', oneNode('Resize', [[1, 1, 4, 4], 'roi', 'sc'], { mode: { s: 'cubic' } }, [f32('roi', []), f32('sc', [1, 1, 2, 2])], 13)],
    ['Resize tf_crop_and_resize', oneNode('Resize', [[1, 1, 4, 4], 'roi', 'sc'], { coordinate_transformation_mode: { s: 'tf_crop_and_resize' } }, [f32('roi', [0, 0, 0, 0, 1, 1, 1, 1]), f32('sc', [1, 1, 2, 2])], 13)],
    ['Resize antialias', oneNode('Resize', [[1, 1, 8, 8], 'roi', 'sc'], { mode: { s: 'linear' }, antialias: { i: 1 } }, [f32('roi', []), f32('sc', [1, 1, 0.5, 0.5])], 18)],
    ['Conv 3-D', oneNode('Conv', [[1, 2, 4, 5, 5], 'W'], {}, [weights('W', [3, 2, 3, 3, 3], 1)])],
    ['GlobalMaxPool 3-D', oneNode('GlobalMaxPool', [[1, 2, 3, 4, 5]])],
  ];
  for (const [name, bytes] of refused) {
    it(name, async () => {
      const gpu = await edgeDevice();
      await assert.rejects(InferenceSession.create(bytes, { backend: 'webgpu', webgpu: { device: gpu.device } }), UnsupportedOpError);
    });
  }
});
