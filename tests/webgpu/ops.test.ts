import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { ConvParams } from '../../src/ops/conv/params.js';
import type { Epilogue } from '../../src/ops/epilogue/params.js';
import type { GemmParams } from '../../src/ops/gemm/cpu.js';
import type { InstanceNormParams } from '../../src/ops/instance-norm/cpu.js';
import type { Attribute } from '../../src/core/ir.js';
import { ENGINE_DOMAIN } from '../../src/ops/kernel/op-module.js';
import { gpuVersusCpu, loweringKind, releaseTestDevice, seededValues, type OpCase } from './gpu-op-check.js';

const ints = (...value: number[]): Attribute => ({ kind: 'ints', value });
const int = (value: number): Attribute => ({ kind: 'int', value });
const float = (value: number): Attribute => ({ kind: 'float', value });
const str = (value: string): Attribute => ({ kind: 'string', value });
const x = (...dims: number[]) => ({ dims });
const c = (...dims: number[]) => ({ dims, constant: true });
const i64 = (...values: number[]) => ({ dims: [values.length], type: 'int64' as const, data: BigInt64Array.from(values.map(BigInt)), constant: true });
const f32 = (...values: number[]) => ({ dims: [values.length], data: Float32Array.from(values), constant: true });

/** Attaches a fused epilogue (and says whether a residual input follows), as the graph passes would. */
const withEpilogue = (epilogue: Epilogue) => (p: unknown) => ({ ...(p as ConvParams | GemmParams), epilogue });
const slope = (n: number) => Float32Array.from(seededValues(n, 77), (v) => v * 0.25);

// Every op and kernel variant the face models reach, plus the rest of the CPU registry's float ops, on small shapes.
const CASES: Record<string, OpCase> = {
  'Conv 3x3 pad 1': { op: 'Conv', attributes: { pads: ints(1, 1, 1, 1) }, inputs: [x(1, 5, 9, 11), c(7, 5, 3, 3), c(7)] },
  'Conv 3x3 stride 2, no bias': { op: 'Conv', attributes: { pads: ints(1, 1, 1, 1), strides: ints(2, 2) }, inputs: [x(1, 6, 10, 9), c(20, 6, 3, 3)] },
  'Conv 1x1 (vec4 rows)': { op: 'Conv', inputs: [x(1, 12, 4, 6), c(70, 12, 1, 1), c(70)] },
  'Conv 1x1 odd plane': { op: 'Conv', inputs: [x(1, 9, 5, 3), c(10, 9, 1, 1), c(10)] },
  'Conv grouped, dilated': { op: 'Conv', attributes: { group: int(2), dilations: ints(2, 2), pads: ints(2, 1, 2, 1) }, inputs: [x(1, 4, 8, 8), c(6, 2, 3, 3), c(6)] },
  'Conv depthwise stride 2': { op: 'Conv', attributes: { group: int(8), strides: ints(2, 2), pads: ints(1, 1, 1, 1) }, inputs: [x(1, 8, 9, 10), c(8, 1, 3, 3), c(8)] },
  'Conv 1-D': { op: 'Conv', attributes: { pads: ints(1, 1) }, inputs: [x(1, 3, 17), c(4, 3, 3), c(4)] },
  'Conv batch 2': { op: 'Conv', attributes: { pads: ints(1, 1, 1, 1) }, inputs: [x(2, 3, 6, 5), c(4, 3, 3, 3), c(4)] },
  'Conv + Relu': { op: 'Conv', attributes: { pads: ints(1, 1, 1, 1) }, inputs: [x(1, 3, 8, 8), c(16, 3, 3, 3), c(16)], params: withEpilogue({ kind: 'unary', unary: { kind: 'Relu', alpha: 0, beta: 0 } }) },
  'Conv + residual + PRelu': { op: 'Conv', inputs: [x(1, 8, 6, 6), c(8, 8, 1, 1), c(8), x(1, 8, 6, 6)], params: withEpilogue({ kind: 'prelu', slope: slope(8), residual: true }) },
  'Conv depthwise + shared PRelu': { op: 'Conv', attributes: { group: int(6), pads: ints(1, 1, 1, 1) }, inputs: [x(1, 6, 7, 7), c(6, 1, 3, 3), c(6)], params: withEpilogue({ kind: 'prelu', slope: slope(1) }) },
  'Conv + residual + Clip': { op: 'Conv', attributes: { pads: ints(1, 1, 1, 1) }, inputs: [x(1, 4, 5, 5), c(4, 4, 3, 3), undefined, x(1, 4, 5, 5)], params: withEpilogue({ kind: 'unary', unary: { kind: 'Clip', alpha: 0, beta: 6 }, residual: true }) },
  'Conv + Sigmoid': { op: 'Conv', inputs: [x(1, 4, 4, 4), c(2, 4, 1, 1), c(2)], params: withEpilogue({ kind: 'unary', unary: { kind: 'Sigmoid', alpha: 0, beta: 0 } }) },
  'Conv + LeakyRelu': { op: 'Conv', inputs: [x(1, 4, 4, 4), c(3, 4, 1, 1)], params: withEpilogue({ kind: 'unary', unary: { kind: 'LeakyRelu', alpha: 0.1, beta: 0 } }) },
  // The remaining activations graph fusion puts into an epilogue (the generic kernels pick each one at run time).
  'Conv + Tanh': { op: 'Conv', inputs: [x(1, 4, 4, 4), c(3, 4, 1, 1), c(3)], params: withEpilogue({ kind: 'unary', unary: { kind: 'Tanh', alpha: 0, beta: 0 } }) },
  'Conv + HardSigmoid': { op: 'Conv', attributes: { pads: ints(1, 1, 1, 1) }, inputs: [x(1, 3, 5, 5), c(4, 3, 3, 3), c(4)], params: withEpilogue({ kind: 'unary', unary: { kind: 'HardSigmoid', alpha: 0.3, beta: 0.4 } }) },
  'Conv + HardSwish': { op: 'Conv', inputs: [x(1, 4, 4, 4), c(5, 4, 1, 1), c(5)], params: withEpilogue({ kind: 'unary', unary: { kind: 'HardSwish', alpha: 0, beta: 0 } }) },
  'Conv depthwise + residual + Elu': { op: 'Conv', attributes: { group: int(4), pads: ints(1, 1, 1, 1) }, inputs: [x(1, 4, 5, 5), c(4, 1, 3, 3), c(4), x(1, 4, 5, 5)], params: withEpilogue({ kind: 'unary', unary: { kind: 'Elu', alpha: 0.7, beta: 0 }, residual: true }) },
  // INSwapper's reflect Pads folded into the conv (graph/fold-reflect-pad): the pads mirror the input.
  'Conv 3x3 reflect pads': { op: 'Conv', attributes: { pads: ints(1, 1, 1, 1) }, inputs: [x(1, 5, 9, 8), c(6, 5, 3, 3), c(6)], params: (p) => ({ ...(p as ConvParams), padMode: 'reflect' }) },
  'Conv 7x7 reflect pads 3 + Tanh': { op: 'Conv', attributes: { pads: ints(3, 3, 3, 3) }, inputs: [x(1, 3, 10, 9), c(4, 3, 7, 7), c(4)],
    params: (p) => ({ ...(p as ConvParams), padMode: 'reflect', epilogue: { kind: 'unary', unary: { kind: 'Tanh', alpha: 0, beta: 0 } } }) },
  // A BatchNormalization before the conv folded in (graph/fold-batch-norm): each input channel's pads hold a value.
  'Conv 3x3 pad values, grouped': { op: 'Conv', attributes: { pads: ints(1, 1, 1, 1), group: int(2) }, inputs: [x(1, 4, 7, 6), c(6, 2, 3, 3), c(6)],
    params: (p) => ({ ...(p as ConvParams), padValues: Float32Array.of(0.5, -1.25, 2, 0.75) }) },
  'Gemm transB + C[N] + PRelu': { op: 'Gemm', attributes: { transB: int(1) }, inputs: [x(1, 40), c(13, 40), c(13)], params: withEpilogue({ kind: 'prelu', slope: slope(13) }) },
  // Three rows, C as [1, N], a residual: generic kernels run this one as a 1×1 conv of three images.
  'Gemm batch 3, transB + C[1,N] + residual + Relu': { op: 'Gemm', attributes: { transB: int(1) }, inputs: [x(3, 20), c(7, 20), c(1, 7), x(3, 7)], params: withEpilogue({ kind: 'unary', unary: { kind: 'Relu', alpha: 0, beta: 0 }, residual: true }) },
  // Few output tiles and a long K: on a real GPU these split K across workgroups and add the partials in a second dispatch.
  // Stride 2 keeps this 3×3 conv on the GEMM (stride-1 3×3 layers run as Winograd on the specialised tier).
  'Conv split-K (stride 2 to a 7x7 plane, K=1152) + residual + PRelu': { op: 'Conv', attributes: { pads: ints(1, 1, 1, 1), strides: ints(2, 2) }, inputs: [x(1, 128, 13, 13), c(40, 128, 3, 3), c(40), x(1, 40, 7, 7)], params: withEpilogue({ kind: 'prelu', slope: slope(40), residual: true }) },
  'Gemm split-K (one row, K=3000) + C[N]': { op: 'Gemm', attributes: { transB: int(1) }, inputs: [x(1, 3000), c(24, 3000), c(24)] },
  'MatMul split-K batched': { op: 'MatMul', inputs: [x(2, 3, 700), x(700, 5)] },
  // 128-row tiles (8 rows per thread), the second tile part-filled.
  'Conv 1x1 wide (M=160) + Relu': { op: 'Conv', inputs: [x(1, 24, 6, 6), c(160, 24, 1, 1), c(160)], params: withEpilogue({ kind: 'unary', unary: { kind: 'Relu', alpha: 0, beta: 0 } }) },
  'Gemm transA, alpha, beta, C[M,1]': { op: 'Gemm', attributes: { transA: int(1), alpha: float(0.5), beta: float(2) }, inputs: [x(7, 5), x(7, 9), x(5, 1)] },
  'MatMul batched broadcast': { op: 'MatMul', inputs: [x(2, 1, 3, 4), x(3, 4, 5)] },
  'MatMul vector': { op: 'MatMul', inputs: [x(6), x(6, 3)] },
  'MaxPool 3x3 s2 p1': { op: 'MaxPool', attributes: { kernel_shape: ints(3, 3), strides: ints(2, 2), pads: ints(1, 1, 1, 1) }, inputs: [x(1, 3, 9, 8)] },
  'AveragePool ceil, count_include_pad': { op: 'AveragePool', attributes: { kernel_shape: ints(2, 2), strides: ints(2, 2), ceil_mode: int(1), count_include_pad: int(1), pads: ints(0, 0, 1, 1) }, inputs: [x(1, 2, 7, 7)] },
  'AveragePool excluding pad': { op: 'AveragePool', attributes: { kernel_shape: ints(3, 3), pads: ints(1, 1, 1, 1) }, inputs: [x(1, 2, 5, 6)] },
  'GlobalAveragePool small': { op: 'GlobalAveragePool', inputs: [x(1, 5, 3, 4)] },
  'GlobalAveragePool large (reduction)': { op: 'GlobalAveragePool', inputs: [x(1, 3, 20, 21)] },
  // A NaN in a window makes its max NaN, as in the reference, in the windowed and the reduction kernels.
  'MaxPool with NaN': { op: 'MaxPool', attributes: { kernel_shape: ints(2, 2), strides: ints(2, 2) }, inputs: [{ dims: [1, 1, 4, 4], data: Float32Array.from(seededValues(16, 12), (v, i) => (i === 0 || i === 15 ? NaN : v)) }] },
  'GlobalMaxPool large with NaN': { op: 'GlobalMaxPool', inputs: [{ dims: [1, 2, 17, 16], data: Float32Array.from(seededValues(544, 13), (v, i) => (i === 3 || i === 543 ? NaN : v)) }] },
  'GlobalMaxPool large (reduction)': { op: 'GlobalMaxPool', inputs: [x(1, 2, 17, 16)] },
  'Resize nearest x2 (Upsample style)': { op: 'Resize', attributes: { mode: str('nearest'), coordinate_transformation_mode: str('asymmetric'), nearest_mode: str('floor') }, inputs: [x(1, 3, 4, 5), undefined, f32(1, 1, 2, 2)] },
  'Resize nearest half_pixel to sizes': { op: 'Resize', inputs: [x(1, 2, 5, 4), undefined, undefined, i64(1, 2, 7, 9)] },
  'Resize linear half_pixel': { op: 'Resize', attributes: { mode: str('linear') }, inputs: [x(1, 2, 4, 6), undefined, f32(1, 1, 1.5, 2)] },
  'Resize linear align_corners': { op: 'Resize', attributes: { mode: str('linear'), coordinate_transformation_mode: str('align_corners') }, inputs: [x(1, 1, 3, 3), undefined, undefined, i64(1, 1, 5, 8)] },
  // INSwapper's decoder upsampling (opset 11: roi, scales), and a downscale where half_pixel clamps at the edges.
  'Resize linear pytorch_half_pixel x2 (INSwapper)': { op: 'Resize', attributes: { mode: str('linear'), coordinate_transformation_mode: str('pytorch_half_pixel') }, inputs: [x(1, 3, 5, 6), f32(), f32(1, 1, 2, 2)], opset: 11 },
  'Resize linear half_pixel downscale': { op: 'Resize', attributes: { mode: str('linear') }, inputs: [x(1, 2, 9, 7), undefined, f32(1, 1, 0.5, 0.6)] },
  'Add broadcast': { op: 'Add', inputs: [x(2, 3, 4), x(3, 1)] },
  'Sub constant': { op: 'Sub', inputs: [x(1, 3, 4, 4), c(1, 3, 1, 1)] },
  'Mul scalar': { op: 'Mul', inputs: [x(1, 3, 4, 4), c()] },
  'Div': { op: 'Div', inputs: [x(4, 5), { dims: [4, 5], data: Float32Array.from(seededValues(20, 5), (v) => v + 3) }] },
  'Pow': { op: 'Pow', inputs: [x(3, 4), { dims: [1], data: Float32Array.of(2) }] },
  'PRelu standalone': { op: 'PRelu', inputs: [x(1, 4, 3, 3), c(4, 1, 1)] },
  'Min pair': { op: 'Min', inputs: [x(3, 4), x(4)] },
  'Max variadic': { op: 'Max', inputs: [x(3, 4), x(4), x(1, 1)] },
  'Mean variadic': { op: 'Mean', inputs: [x(2, 3), x(2, 3), x(3)] },
  'BatchNormalization': { op: 'BatchNormalization', inputs: [x(1, 3, 4, 5), c(3), c(3), c(3), { dims: [3], data: Float32Array.of(0.5, 1, 2), constant: true }] },
  'Transpose NCHW→NHWC': { op: 'Transpose', attributes: { perm: ints(0, 2, 3, 1) }, inputs: [x(1, 6, 4, 5)] },
  'Concat axis 1': { op: 'Concat', attributes: { axis: int(1) }, inputs: [x(1, 2, 3), x(1, 4, 3), x(1, 1, 3)] },
  'Slice negative step': { op: 'Slice', inputs: [x(4, 6), i64(3, 1), i64(0, 6), i64(0, 1), i64(-1, 2)] },
  // INSwapper's γ/β: channel halves of the [1, 2C, 1, 1] identity projection.
  'Slice channel half': { op: 'Slice', inputs: [x(1, 8, 1, 1), i64(4), i64(8), i64(1)] },
  'Gather constant indices': { op: 'Gather', attributes: { axis: int(1) }, inputs: [x(2, 5, 3), i64(4, -1, 0)] },
  'Cast float32→int32': { op: 'Cast', attributes: { to: int(6) }, inputs: [x(3, 7)] },
  // A float16 file's Cast to FLOAT16 after widenFloat16 (bit-exact edge cases against onnxruntime: tests/graph/widen-float16.test.ts).
  'RoundToFloat16': { op: 'RoundToFloat16', domain: ENGINE_DOMAIN, inputs: [x(3, 7)] },
  'Reshape (buffer alias)': { op: 'Reshape', inputs: [x(2, 3, 4), i64(4, -1)] },
  // INSwapper's reflect pads (opset 11, pads an int64 input), the other modes, crops, axes and an integer fill.
  'Pad reflect 3 (INSwapper)': { op: 'Pad', attributes: { mode: str('reflect') }, inputs: [x(1, 3, 9, 8), i64(0, 0, 3, 3, 0, 0, 3, 3)], opset: 11 },
  'Pad constant value, negative pads crop': { op: 'Pad', inputs: [x(2, 3, 5), i64(0, 1, -1, 1, 0, 2), f32(1.5)] },
  'Pad edge': { op: 'Pad', attributes: { mode: str('edge') }, inputs: [x(1, 2, 4, 5), i64(0, 0, 2, 1, 0, 0, 1, 3)] },
  'Pad wrap over axes [-1, 0]': { op: 'Pad', attributes: { mode: str('wrap') }, inputs: [x(3, 4, 5), i64(2, 3, 1, 4), undefined, i64(-1, 0)], opset: 19 },
  'Pad int32, pads attribute (opset 2)': { op: 'Pad', attributes: { pads: ints(1, 0, 0, 2), value: float(-3) }, inputs: [{ dims: [3, 4], type: 'int32' }], opset: 2 },
  // INSwapper's instance norm: a mean over 32×32 planes (420 elements here: the workgroup variant on a real GPU).
  'ReduceMean axes [2,3] keepdims (INSwapper)': { op: 'ReduceMean', attributes: { axes: ints(2, 3), keepdims: int(1) }, inputs: [x(1, 6, 20, 21)], opset: 11 },
  'ReduceSum axes input [0,2], no keepdims': { op: 'ReduceSum', attributes: { keepdims: int(0) }, inputs: [x(3, 4, 5), i64(0, 2)], opset: 13 },
  'ReduceSum no axes, noop_with_empty_axes': { op: 'ReduceSum', attributes: { noop_with_empty_axes: int(1) }, inputs: [x(3, 4)], opset: 13 },
  'ReduceMax middle axis': { op: 'ReduceMax', attributes: { axes: ints(1) }, inputs: [x(2, 7, 3)], opset: 13 },
  'ReduceMin all axes': { op: 'ReduceMin', inputs: [x(4, 70)], opset: 13 },
  // A NaN anywhere in a row makes its max NaN, as in the reference (rows 0 and 2 have one, early and late).
  'ReduceMax rows with NaN': { op: 'ReduceMax', attributes: { axes: ints(1) }, inputs: [{ dims: [3, 300], data: Float32Array.from(seededValues(900, 11), (v, i) => (i === 5 || i === 899 ? NaN : v)) }], opset: 13 },
  'ReduceProd': { op: 'ReduceProd', attributes: { axes: ints(1) }, inputs: [{ dims: [3, 6], data: Float32Array.from(seededValues(18, 8), (v) => 1 + v / 8) }], opset: 13 },
  'ReduceSumSquare axes input (opset 18)': { op: 'ReduceSumSquare', inputs: [x(5, 3, 2), i64(0)], opset: 18 },
  'ReduceL1': { op: 'ReduceL1', attributes: { axes: ints(0, 1), keepdims: int(0) }, inputs: [x(4, 3, 5)], opset: 13 },
  'ReduceL2': { op: 'ReduceL2', attributes: { axes: ints(-1) }, inputs: [x(3, 2, 9)], opset: 13 },
  'ReduceLogSum': { op: 'ReduceLogSum', attributes: { axes: ints(0) }, inputs: [{ dims: [4, 5], data: Float32Array.from(seededValues(20, 9), (v) => v + 2.5) }], opset: 13 },
  'ReduceLogSumExp long rows': { op: 'ReduceLogSumExp', attributes: { axes: ints(-1), keepdims: int(0) }, inputs: [{ dims: [5, 300], data: Float32Array.from(seededValues(1500, 10), (v) => 20 * v) }], opset: 13 },
  'InstanceNormalization (per channel, batch 2)': { op: 'InstanceNormalization', attributes: { epsilon: float(1e-3) }, inputs: [x(2, 3, 5, 6), c(3), c(3)] },
  // The fused form of INSwapper's written-out instance norm (graph/fuse-instance-norm): γ/β per sample, Relu after.
  'InstanceNormalization fused, per sample + Relu (INSwapper)': { op: 'InstanceNormalization', attributes: { epsilon: float(1e-8) }, inputs: [x(1, 6, 20, 21), x(6), x(6)],
    params: (p) => ({ ...(p as InstanceNormParams), affine: 'sample', relu: true }) },
  'Equal (CPU fallback between GPU steps)': { op: 'Equal', inputs: [{ dims: [5], data: Float32Array.of(1, 2, 3, 4, 5) }, { dims: [5], data: Float32Array.of(1, 0, 3, 0, 5) }] },
};
for (const kind of ['Relu', 'Sigmoid', 'Tanh', 'Exp', 'Abs', 'Neg', 'Floor', 'Ceil', 'Softplus', 'HardSwish', 'Elu', 'HardSigmoid', 'LeakyRelu'] as const) {
  CASES[kind] = { op: kind, inputs: [x(3, 50)] };
}
CASES['Sqrt, Log, Reciprocal'] = { op: 'Sqrt', inputs: [{ dims: [40], data: Float32Array.from(seededValues(40, 3), (v) => v + 2.5) }] };
CASES['Log'] = { op: 'Log', inputs: [{ dims: [40], data: Float32Array.from(seededValues(40, 4), (v) => v + 2.5) }] };
CASES['Reciprocal'] = { op: 'Reciprocal', inputs: [{ dims: [40], data: Float32Array.from(seededValues(40, 6), (v) => v + 2.5) }] };
CASES['Clip'] = { op: 'Clip', inputs: [x(5, 9), f32(-0.5), f32(1)] };

// 1e-4 relative (max|gpu − cpu| / max|cpu|) is the project's fp32 bound; both sides are float32, only the
// summation order and exp/tanh implementations differ.
const BOUND = 1e-4;

describe('WebGPU kernels match their CPU references', () => {
  after(releaseTestDevice);
  for (const [name, opCase] of Object.entries(CASES)) {
    test(name, async () => {
      const { relError } = await gpuVersusCpu(opCase);
      assert.ok(relError <= BOUND, `relative error ${relError}`);
    });
  }
  // The other GEMM variant than the adapter's own (workgroup-tiled on SwiftShader, direct on a real GPU).
  for (const name of ['Conv 3x3 pad 1', 'Conv 3x3 reflect pads', 'Conv 3x3 pad values, grouped', 'Conv 1x1 (vec4 rows)', 'Conv + residual + PRelu', 'Gemm transB + C[N] + PRelu', 'MatMul batched broadcast',
    'Conv split-K (stride 2 to a 7x7 plane, K=1152) + residual + PRelu', 'Gemm split-K (one row, K=3000) + C[N]', 'MatMul split-K batched',
    'Conv 1x1 wide (M=160) + Relu', 'ReduceMean axes [2,3] keepdims (INSwapper)', 'InstanceNormalization fused, per sample + Relu (INSwapper)', 'ReduceMin all axes', 'ReduceMax rows with NaN', 'ReduceLogSumExp long rows']) {
    test(`${name}, other GEMM variant`, async () => {
      const { gpu } = await (await import('./gpu-op-check.js')).testDevice();
      const { relError } = await gpuVersusCpu(CASES[name]!, !gpu.isSoftware);
      assert.ok(relError <= BOUND, `relative error ${relError}`);
    });
  }
  // The generic tier: the same cases through the shape-generic kernels (numbers in a uniform buffer).
  for (const [name, opCase] of Object.entries(CASES)) {
    test(`${name}, generic kernels`, async () => {
      const { relError } = await gpuVersusCpu(opCase, undefined, 'generic');
      assert.ok(relError <= BOUND, `relative error ${relError}`);
    });
  }
  // gpuVersusCpu cannot tell a kernel from the CPU fallback it declined to: the new kernels must lower, both tiers.
  test('Pad and Reduce* lower to WGSL dispatches in every variant and tier', () => {
    for (const [name, opCase] of Object.entries(CASES).filter(([, v]) => v.op === 'Pad' || v.op.startsWith('Reduce'))) {
      for (const [software, kernels] of [[false, 'specialized'], [true, 'specialized'], [true, 'generic']] as const) {
        assert.equal(loweringKind(opCase, software, kernels), 'dispatches', `${name} (software ${software}, ${kernels})`);
      }
    }
  });
  test('Reshape output is the input, relabelled', async () => {
    const { outputs } = await gpuVersusCpu(CASES['Reshape (buffer alias)']!);
    assert.deepEqual(outputs[0]!.dims, [4, 6]);
  });
});
