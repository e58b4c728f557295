/**
 * The f16 kernels of every op family and tier the test-bed models use, checked without shader-f16 (SwiftShader has
 * none, and Dawn compiles `enable f16;` only on a device with it): each is generated from the same template as its
 * f32 twin — its text with the type names renamed to f32 is exactly the f32 kernel's, which the f32 WebGPU tests
 * compile and run against onnxruntime — and its text obeys the f16 rules of f16-wgsl-check.ts (the directive, f16
 * storage bindings, f32 locals and accumulators, every load converted, every store converted back).
 * What this cannot check without the feature: that the driver accepts the text and that it computes the same
 * numbers; fp16-session.test.ts does that on an adapter with shader-f16, against the CPU emulation's bound.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { lowerGraph } from '../../src/backends/webgpu/lowering.js';
import { webGpuPlanStats } from '../../src/backends/webgpu/plan-stats.js';
import { Storage } from '../../src/ops/kernel/storage.js';
import { optimizeGraph } from '../../src/graph/optimize.js';
import { specializeGraph } from '../../src/graph/specialize.js';
import { parseModel } from '../../src/parser/decode-model.js';
import { sharedPath } from '../pipeline/helpers.js';
import { asF32Text, bindingRoles, f16ShaderProblems } from './f16-wgsl-check.js';
import { loweredWithStorage, type OpCase } from './gpu-op-check.js';
import type { Attribute } from '../../src/core/ir.js';

/** The test-bed models at small input sizes (the kernels' text depends on the shapes, not their logic). */
const MODELS: readonly { file: string; dims: Record<string, number[]> }[] = [
  { file: 'models/scrfd_2.5g_bnkps.onnx', dims: { 'input.1': [1, 3, 160, 160] } },
  { file: 'models/scrfd_500m_bnkps.onnx', dims: { 'input.1': [1, 3, 640, 640] } },
  { file: 'models/mobilefacenet.onnx', dims: { input: [1, 3, 112, 112] } },
  { file: 'models/tiny_2d106.onnx', dims: { data: [1, 3, 192, 192] } },
  { file: 'models/tiny_3d68.onnx', dims: { data: [1, 3, 192, 192] } },
  { file: 'models/tiny_genderage.onnx', dims: { data: [1, 3, 96, 96] } },
  { file: 'swap/inswapper_w128_seed1.onnx', dims: { target: [1, 3, 128, 128], source: [1, 512] } },
];

describe('f16 kernels come from the f32 templates and follow the f16 rules', () => {
  for (const model of MODELS) {
    it(model.file, () => {
      const parsed = parseModel(new Uint8Array(readFileSync(sharedPath(model.file))));
      const types = new Map(Object.entries(model.dims).map(([name, dims]) => [name, { type: 'float32' as const, dims }]));
      const graph = optimizeGraph(specializeGraph(parsed, types));
      const families = new Set<string>();
      let checked = 0;
      // Both adapter kinds (the GPU's tiled and vec4 kernels, SwiftShader's direct ones) and both tiers.
      for (const software of [false, true]) {
        const wide = lowerGraph(graph, 'tiered', software, 65535, Storage.f32);
        const half = lowerGraph(graph, 'tiered', software, 65535, Storage.f16);
        assert.deepEqual(half.placement, wide.placement, 'the same steps run on the GPU at both precisions');
        graph.steps.forEach((step, i) => {
          for (const tier of ['specialized', 'generic'] as const) {
            const h = half.dispatches[i]?.[tier] ?? [];
            const w = wide.dispatches[i]?.[tier] ?? [];
            assert.equal(h.length, w.length, `${step.node.name}: dispatch count`);
            h.forEach((d, k) => {
              const label = `${step.node.opType} '${step.node.name}' (${tier}, ${software ? 'software' : 'gpu'} variants, dispatch ${k})`;
              assert.equal(asF32Text(d.shader), w[k]!.shader, `${label}: the f16 text renamed to f32 differs from the f32 kernel`);
              const roles = bindingRoles(d.bindings, (b) => {
                const t = b.kind === 'input' ? half.types.get(step.inputs[b.index]!) : b.kind === 'output' ? step.outputTypes[b.index] : undefined;
                return t?.type === 'float32';
              });
              assert.deepEqual(f16ShaderProblems(d.shader, roles), [], label);
              families.add(step.node.opType);
              checked++;
            });
          }
        });
      }
      assert.ok(checked > 0, 'the model lowers to GPU dispatches');
      // Every float weight is uploaded as halves; what does not halve (integer tables such as the im2col offsets,
      // uniforms) is under 4% of these models' uploads, hence the 0.52.
      const wideStats = webGpuPlanStats(graph, { software: false });
      const halfStats = webGpuPlanStats(graph, { software: false, precision: 'fp16' });
      if (wideStats.uploadedBytes >= 2 ** 20) assert.ok(halfStats.uploadedBytes <= 0.52 * wideStats.uploadedBytes, `upload ${halfStats.uploadedBytes} of ${wideStats.uploadedBytes}`);
      // Which families this model covered, for the record of the run.
      console.log(`${model.file}: ${checked} f16 dispatches checked over ${[...families].sort().join(', ')}`);
    });
  }
});

describe('the f16 rules catch what they are for', () => {
  const header = 'enable f16;\n@group(0) @binding(0) var<storage, read> x: array<f16>;\n@group(0) @binding(1) var<storage, read_write> y: array<f16>;\n';
  const roles = ['stored-float', 'stored-float'] as const;
  it('accepts converted loads, converted stores and plain copies', () => {
    assert.deepEqual(f16ShaderProblems(`${header}fn main() { let v = f32(x[0]) * 2.0f; y[1] = f16(v); y[2] = x[3]; }`, roles), []);
  });
  it('flags an unconverted load, f16 arithmetic, an f16 local and a float32 declaration', () => {
    assert.equal(f16ShaderProblems(`${header}fn main() { y[0] = f16(x[1] * 2.0f); }`, roles).length, 1);
    assert.equal(f16ShaderProblems(`${header}fn main() { var a: f16 = x[0]; y[0] = a; }`, roles).length >= 2, true);
    const wide = header.replace('array<f16>;\n@group(0) @binding(1)', 'array<f32>;\n@group(0) @binding(1)');
    assert.equal(f16ShaderProblems(`${wide}fn main() { y[0] = f16(x[0]); }`, roles).length, 1);
    assert.equal(f16ShaderProblems(header.replace('enable f16;\n', '') + 'fn main() { y[0] = x[0]; }', roles).length, 1);
  });
});

// The op families the test-bed models do not reach (and variants they do not: MatMul, split-K, Pad's modes, Cast),
// lowered alone: the same two checks as above.
const ints = (...value: number[]): Attribute => ({ kind: 'ints', value });
const int = (value: number): Attribute => ({ kind: 'int', value });
const str = (value: string): Attribute => ({ kind: 'string', value });
const x = (...dims: number[]) => ({ dims });
const c = (...dims: number[]) => ({ dims, constant: true });
const i64 = (...values: number[]) => ({ dims: [values.length], type: 'int64' as const, data: BigInt64Array.from(values.map(BigInt)), constant: true });
const OTHER_FAMILIES: Record<string, OpCase> = {
  'MatMul batched broadcast': { op: 'MatMul', inputs: [x(2, 1, 3, 4), x(3, 4, 5)] },
  'MatMul split-K': { op: 'MatMul', inputs: [x(2, 3, 700), x(700, 5)] },
  'Gemm split-K': { op: 'Gemm', attributes: { transB: int(1) }, inputs: [x(1, 3000), c(8, 3000), c(8)] },
  'Conv split-K to a 7x7 plane': { op: 'Conv', attributes: { pads: ints(1, 1, 1, 1), strides: ints(2, 2) }, inputs: [x(1, 128, 14, 14), c(64, 128, 3, 3), c(64)] },
  'Conv depthwise': { op: 'Conv', attributes: { group: int(8), pads: ints(1, 1, 1, 1) }, inputs: [x(1, 8, 9, 10), c(8, 1, 3, 3), c(8)] },
  'AveragePool': { op: 'AveragePool', attributes: { kernel_shape: ints(3, 3), pads: ints(1, 1, 1, 1) }, inputs: [x(1, 2, 5, 6)] },
  'GlobalMaxPool large plane': { op: 'GlobalMaxPool', inputs: [x(1, 3, 20, 20)] },
  'BatchNormalization': { op: 'BatchNormalization', inputs: [x(1, 3, 4, 5), c(3), c(3), c(3), { dims: [3], data: Float32Array.of(0.5, 1, 2), constant: true }] },
  'BatchNormalization run-time statistics': { op: 'BatchNormalization', inputs: [x(1, 3, 4, 5), x(3), x(3), x(3), x(3)] },
  'Concat': { op: 'Concat', attributes: { axis: int(1) }, inputs: [x(1, 2, 3), x(1, 4, 3)] },
  'Slice': { op: 'Slice', inputs: [x(4, 6), i64(3, 1), i64(0, 6), i64(0, 1), i64(-1, 2)] },
  'Gather': { op: 'Gather', attributes: { axis: int(1) }, inputs: [x(2, 5, 3), i64(4, -1, 0)] },
  'Cast float32→int32': { op: 'Cast', attributes: { to: int(6) }, inputs: [x(3, 7)] },
  'Cast int32→float32': { op: 'Cast', attributes: { to: int(1) }, inputs: [{ dims: [3, 7], type: 'int32' }] },
  'Pad constant': { op: 'Pad', inputs: [x(2, 3, 5), i64(0, 1, 1, 1, 0, 2), { dims: [1], data: Float32Array.of(1.5), constant: true }] },
  'Pad constant beyond f16': { op: 'Pad', inputs: [x(2, 3), i64(1, 1, 1, 1), { dims: [1], data: Float32Array.of(-3.4e38), constant: true }] },
  'Pad reflect': { op: 'Pad', attributes: { mode: str('reflect') }, inputs: [x(1, 3, 9, 8), i64(0, 0, 3, 3, 0, 0, 3, 3)], opset: 11 },
  'ReduceMean': { op: 'ReduceMean', attributes: { axes: ints(2, 3), keepdims: int(1) }, inputs: [x(1, 6, 20, 21)], opset: 11 },
  'ReduceLogSumExp': { op: 'ReduceLogSumExp', attributes: { axes: ints(1) }, inputs: [x(3, 400)], opset: 11 },
  'Sigmoid': { op: 'Sigmoid', inputs: [x(3, 5)] },
  'Softplus': { op: 'Softplus', inputs: [x(3, 5)] },
  'Pow broadcast': { op: 'Pow', inputs: [x(3, 4), { dims: [1], data: Float32Array.of(2) }] },
  'Mean variadic': { op: 'Mean', inputs: [x(2, 3), x(2, 3), x(3)] },
  'Transpose': { op: 'Transpose', attributes: { perm: ints(0, 2, 1) }, inputs: [x(2, 3, 4)] },
};

describe('f16 kernels of the other op families', () => {
  for (const [name, opCase] of Object.entries(OTHER_FAMILIES)) {
    it(name, () => {
      let checked = 0;
      for (const software of [false, true]) {
        for (const tier of ['specialized', 'generic'] as const) {
          const half = loweredWithStorage(opCase, software, tier, Storage.f16);
          const wide = loweredWithStorage(opCase, software, tier, Storage.f32);
          assert.equal(half.dispatches.length, wide.dispatches.length);
          half.dispatches.forEach((d, k) => {
            // The lowering adds the directive in the plan (backends/webgpu/lowering.ts); here the kernel's own text.
            const shader = Storage.f16.directive + d.shader;
            const label = `${name} (${tier}, ${software ? 'software' : 'gpu'}, dispatch ${k})`;
            // The one intended difference: a fill beyond f16's range rounds to −∞ there, which an f16 literal cannot
            // say (a const-expression overflow), so the specialised f16 text reads the infinity from a run-time value
            // (the generic one reads every fill from its uniforms).
            if (name === 'Pad constant beyond f16' && tier === 'specialized') assert.match(shader, /= f16\(bitcast<f32>\(NEG_INF_BITS\)\)/, label);
            else assert.equal(asF32Text(shader), wide.dispatches[k]!.shader, label);
            const roles = bindingRoles(d.bindings, (b) => (b.kind === 'input' ? half.inputs[b.index] : b.kind === 'output' ? half.outputs[b.index] : undefined)?.type === 'float32');
            assert.deepEqual(f16ShaderProblems(shader, roles), [], label);
            checked++;
          });
        }
      }
      assert.ok(checked > 0, `${name} lowers to dispatches`);
    });
  }
});
