/**
 * The k×k conv's vec4 B loads (src/ops/conv/gpu-gather4.ts): four output pixels per loader thread, each with its own
 * window corner and tap mask. Layers with odd planes (groups of four pixels straddle output rows and, in batch 2,
 * images), pads 0/1/2 (groups partly inside the padding), strides 1/2, dilation 2, groups and pad values, through
 * both gathers that take the path (tap-aligned K tiles and the masked table), against the CPU reference on the tiled
 * kernel (SwiftShader's own variant is the direct kernel, so the tiled one is forced as gemm-variants does).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { lowerGraph } from '../../src/backends/webgpu/lowering.js';
import { WebGpuPlan } from '../../src/backends/webgpu/plan.js';
import { optimizeGraph } from '../../src/graph/optimize.js';
import { specializeGraph } from '../../src/graph/specialize.js';
import { parseModel } from '../../src/parser/decode-model.js';
import { maxRelativeError, PARITY_BOUND, seededUniform } from '../parity/parity.js';
import { sharedPath } from '../pipeline/helpers.js';
import type { Attribute } from '../../src/core/ir.js';
import type { ConvParams } from '../../src/ops/conv/params.js';
import { Storage } from '../../src/ops/kernel/storage.js';
import { asF32Text } from './f16-wgsl-check.js';
import { gpuVersusCpu, loweredShaders, loweredWithStorage, releaseTestDevice, seededValues, testDevice, type OpCase } from './gpu-op-check.js';

process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

const ints = (...value: number[]): Attribute => ({ kind: 'ints', value });
const int = (value: number): Attribute => ({ kind: 'int', value });
const x = (...dims: number[]) => ({ dims });
const c = (...dims: number[]) => ({ dims, constant: true });

/** Conv cases; each comment gives the output plane, which with the batch makes N = batch·Ho·Wo a multiple of 4. */
const CASES: Record<string, OpCase> = {
  // 16 input channels (tap-aligned K tiles), 15 outputs (below Winograd's 16), 7×6 → 5×4 plane: Wo = 4, so each
  // group of four pixels is one output row, all inside the input.
  'tap-aligned, pad 0, stride 1, each group one row': {
    op: 'Conv', inputs: [x(1, 16, 7, 6), c(15, 16, 3, 3), c(15)],
  },
  // 5×6 → 5×6 plane at pad 1: Wo = 6 and 30 pixels per image, so groups straddle rows and images; both edges padded.
  'tap-aligned, pad 1, stride 1, batch 2 (groups straddle rows and images)': {
    op: 'Conv', attributes: { pads: ints(1, 1, 1, 1) }, inputs: [x(2, 16, 5, 6), c(12, 16, 3, 3), c(12)],
  },
  // 9×11 input, pad 2, stride 2 → 5×6 plane, batch 2 → N = 60.
  'tap-aligned, pad 2, stride 2, 2 groups of 16, pad values': {
    op: 'Conv', attributes: { group: int(2), strides: ints(2, 2), pads: ints(2, 2, 2, 2) }, inputs: [x(2, 32, 9, 11), c(10, 16, 3, 3), c(10)],
    params: (p) => ({ ...(p as ConvParams), padValues: Float32Array.from(seededValues(32, 9)) }),
  },
  // Dilation 2 with pads 2: 6×10 → 6×10 plane.
  'tap-aligned, dilation 2, pad 2, stride 1': {
    op: 'Conv', attributes: { pads: ints(2, 2, 2, 2), dilations: ints(2, 2) }, inputs: [x(1, 16, 6, 10), c(20, 16, 3, 3), c(20)],
  },
  // 3 input channels (the masked table), stride 2 pad 1: 11×13 → 6×7 plane, batch 2 → N = 84.
  'masked, pad 1, stride 2, 3 channels, batch 2': {
    op: 'Conv', attributes: { strides: ints(2, 2), pads: ints(1, 1, 1, 1) }, inputs: [x(2, 3, 11, 13), c(8, 3, 3, 3), c(8)],
  },
  // 5×5 kernel, asymmetric pads (top 2, left 1, bottom 1, right 2), 5 channels: 9×7 → 8×6 plane.
  'masked, 5x5 kernel, asymmetric pads, pad values': {
    op: 'Conv', attributes: { pads: ints(2, 1, 1, 2) }, inputs: [x(1, 5, 9, 7), c(7, 5, 5, 5), c(7)],
    params: (p) => ({ ...(p as ConvParams), padValues: Float32Array.from(seededValues(5, 3)) }),
  },
};

// 1e-4 relative (max|gpu − cpu| / max|cpu|) is the project's fp32 bound: both sides sum float32 products, in
// different orders.
const BOUND = 1e-4;

describe('k×k convs load B four pixels at a time on the tiled kernel', () => {
  after(releaseTestDevice);
  for (const [name, opCase] of Object.entries(CASES)) {
    test(name, async () => {
      const shaders = loweredShaders(opCase, false, 'specialized').join('\n');
      assert.match(shaders, /fn sampleTap4|fn sampleInput4/, 'the case takes the vec4 gather');
      assert.ok(!/fn sampleTap\(|fn sampleInput\(/.test(shaders), 'and not the scalar one');
      const { relError } = await gpuVersusCpu(opCase, false);
      assert.ok(relError <= BOUND, `relative error ${relError}`);
    });
  }
});

describe('where the vec4 gather does not apply', () => {
  test('N not a multiple of 4 keeps the scalar gather; the generic tier keeps division', () => {
    const odd: OpCase = { op: 'Conv', attributes: { pads: ints(1, 1, 1, 1) }, inputs: [x(1, 16, 5, 7), c(12, 16, 3, 3), c(12)] };
    assert.match(loweredShaders(odd, false, 'specialized').join('\n'), /fn sampleTap\(/);
    const generic = loweredShaders(CASES['masked, pad 1, stride 2, 3 channels, batch 2']!, false, 'generic').join('\n');
    assert.ok(!/sampleInput4|sampleTap4/.test(generic) && /fn sampleInput\(/.test(generic));
  });
  test('the f16 text of a vec4-gather conv is its f32 text with the type names changed', () => {
    for (const opCase of Object.values(CASES)) {
      const f32 = loweredWithStorage(opCase, false, 'specialized', Storage.f32).dispatches.map((d) => d.shader);
      const f16 = loweredWithStorage(opCase, false, 'specialized', Storage.f16).dispatches.map((d) => asF32Text(d.shader));
      assert.ok(f32.length > 0);
      assert.deepEqual(f16, f32);
    }
  });
});

/**
 * A whole model whose k×k convs take both vec4 gathers, on the tiled kernels a hardware adapter runs (a session on
 * SwiftShader would pick the direct kernel), against onnxruntime-node: a tiny head (one tap-aligned layer, two
 * masked). SCRFD-2.5G passes too (checked at 96×64) but compiles ~60 specialised pipelines, near a minute on
 * SwiftShader, so its layer shapes are left to the cases above.
 */
describe('a model with the vec4 gathers matches onnxruntime-node', () => {
  after(releaseTestDevice);
  const models: [string, string, number[]][] = [['tiny_2d106.onnx', 'data', [1, 3, 192, 192]]];
  for (const [file, input, dims] of models) {
    test(`${file} at ${dims.join('×')}`, async () => {
      const bytes = readFileSync(sharedPath('models', file));
      const graph = optimizeGraph(specializeGraph(parseModel(bytes), new Map([[input, { type: 'float32' as const, dims }]])));
      const texts = lowerGraph(graph, 'specialized', false, 65535).dispatches.flatMap((d) => d?.specialized ?? []).map((d) => d.shader).join('\n');
      assert.ok(/fn sampleTap4/.test(texts) && /fn sampleInput4/.test(texts), 'both vec4 gathers run');
      const { gpu, cache } = await testDevice();
      const plan = await WebGpuPlan.compile(gpu, cache, graph, { profiling: false, kernels: 'specialized', software: false });
      const reference = await ort.InferenceSession.create(bytes);
      try {
        const count = dims.reduce((a, b) => a * b, 1);
        const data = seededUniform(count, 0x5eed + count, -1, 1);
        const ours = await plan.run(new Map([[input, { type: 'float32', dims, data }]]), graph.outputs);
        const theirs = await reference.run({ [input]: new ort.Tensor('float32', data, dims) });
        for (const name of graph.outputs) {
          // The project's fp32 bound against onnxruntime (max-abs difference over max-abs reference).
          const rel = maxRelativeError(ours.get(name)!.data as Float32Array, theirs[name]!.data as Float32Array);
          assert.ok(rel <= PARITY_BOUND, `${name}: relative error ${rel}`);
        }
      } finally {
        plan.dispose();
        await reference.release();
      }
    });
  }
});
