/**
 * The conv's fused store order (a Transpose joined as ConvParams.storeStrides) and fused upsampled residual (a
 * nearest Resize joined as Epilogue.residualUpsample) through every conv kernel that writes them: the direct kernel
 * of software adapters, the tiled GEMM (pointwise vec4 loads, masked gather, split-K), Winograd, depthwise, and the
 * generic tier, each against the CPU reference on small layers with odd sizes. tests/graph/fuse-conv-store-residual
 * checks the CPU reference itself against onnxruntime on the unfused graphs.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Attribute } from '../../src/core/ir.js';
import type { ConvParams, StoreStrides } from '../../src/ops/conv/params.js';
import type { ResidualUpsample } from '../../src/ops/epilogue/params.js';
import type { ValueType } from '../../src/ops/kernel/op-module.js';
import { gpuVersusCpu, loweredShaders, releaseTestDevice, type OpCase } from './gpu-op-check.js';

process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

const ints = (...value: number[]): Attribute => ({ kind: 'ints', value });
const int = (value: number): Attribute => ({ kind: 'int', value });
const x = (...dims: number[]) => ({ dims });
const c = (...dims: number[]) => ({ dims, constant: true });

/**
 * Transpose(2, 3, 0, 1) of an [n, m, h, w] output, SCRFD's head permutation: [h, w, n, m], so a channel step is 1,
 * an image step m and a pixel step n·m (written out here, not derived by the pass under test).
 */
function headOrder(n: number, m: number, h: number, w: number): Pick<OpCase, 'params' | 'outputTypes'> {
  const storeStrides: StoreStrides = { batch: m, channel: 1, pixel: n * m };
  return {
    params: (p) => ({ ...(p as ConvParams), storeStrides }),
    outputTypes: (t: readonly ValueType[]) => [{ type: t[0]!.type, dims: [h, w, n, m] }],
  };
}

/** The residual (input 3) read at (⌊y/fy⌋, ⌊x/fx⌋) of an inH×inW plane, for an outH×outW output. */
function upsampled(up: ResidualUpsample, activation = false): OpCase['params'] {
  return (p) => {
    const q = p as ConvParams;
    return { ...q, epilogue: activation ? { kind: 'unary', unary: { kind: 'Relu', alpha: 0, beta: 0 }, residual: true, residualUpsample: up } : { kind: 'none', residual: true, residualUpsample: up } };
  };
}

const CASES: Readonly<Record<string, OpCase>> = {
  // n = 1 with whole vec4 of pixels: the pointwise vec4 loads, whose vec4 stores the strides turn off.
  'Conv 1x1, transposed store': { op: 'Conv', inputs: [x(1, 12, 4, 6), c(6, 12, 1, 1), c(6)], ...headOrder(1, 6, 4, 6) },
  // Two images, odd plane, 5 input channels (the masked gather), Sigmoid fused as SCRFD's score heads have it.
  'Conv 3x3 pad 1, batch 2, odd plane, transposed store + Sigmoid': {
    op: 'Conv', attributes: { pads: ints(1, 1, 1, 1) }, inputs: [x(2, 5, 5, 7), c(3, 5, 3, 3), c(3)],
    ...headOrder(2, 3, 5, 7),
    params: (p) => ({ ...(p as ConvParams), storeStrides: { batch: 3, channel: 1, pixel: 6 }, epilogue: { kind: 'unary', unary: { kind: 'Sigmoid', alpha: 0, beta: 0 } } }),
  },
  // Stride 1, 16 channels in and out: Winograd on the specialised tier, odd plane so edge tiles are partial.
  'Conv 3x3 16→16 (Winograd), transposed store': { op: 'Conv', attributes: { pads: ints(1, 1, 1, 1) }, inputs: [x(1, 16, 5, 7), c(16, 16, 3, 3), c(16)], ...headOrder(1, 16, 5, 7) },
  'Conv depthwise 3x3, transposed store': { op: 'Conv', attributes: { group: int(8), pads: ints(1, 1, 1, 1) }, inputs: [x(1, 8, 5, 6), c(8, 1, 3, 3), c(8)], ...headOrder(1, 8, 5, 6) },
  // The FPN lateral: 1×1 conv + a coarser level upsampled ×2, the fine plane odd (7×9 from 4×5).
  'Conv 1x1 + residual upsampled 2×2, odd plane': {
    op: 'Conv', inputs: [x(1, 12, 7, 9), c(6, 12, 1, 1), c(6), x(1, 6, 4, 5)],
    params: upsampled({ factorY: 2, factorX: 2, inH: 4, inW: 5, outH: 7, outW: 9 }),
  },
  'Conv 3x3 16→16 (Winograd) + residual upsampled 3×2 + Relu': {
    op: 'Conv', attributes: { pads: ints(1, 1, 1, 1) }, inputs: [x(1, 16, 6, 6), c(16, 16, 3, 3), c(16), x(1, 16, 2, 3)],
    params: upsampled({ factorY: 3, factorX: 2, inH: 2, inW: 3, outH: 6, outW: 6 }, true),
  },
  // 7×7 pixels and K = 128·9: too few tiles for the GPU, so K splits and the reduce dispatch stores (dilated, so
  // not Winograd).
  'Conv 3x3 dilated, split K, transposed store': {
    op: 'Conv', attributes: { pads: ints(2, 2, 2, 2), dilations: ints(2, 2) }, inputs: [x(1, 128, 7, 7), c(40, 128, 3, 3), c(40)], ...headOrder(1, 40, 7, 7),
  },
};

// 1e-4 relative (max|gpu − cpu| / max|cpu|) is the project's fp32 bound: both sides sum float32 products, in
// different orders; the store order and the residual's read add no arithmetic.
const BOUND = 1e-4;

describe('fused conv stores and upsampled residuals match the CPU reference in every conv kernel', () => {
  after(releaseTestDevice);
  test('the lowering takes the paths these cases name', () => {
    const shaders = (name: string, software: boolean): string => loweredShaders(CASES[name]!, software, 'specialized').join('\n');
    assert.match(shaders('Conv 3x3 16→16 (Winograd), transposed store', false), /^\/\/ winograd/);
    assert.equal(loweredShaders(CASES['Conv 3x3 dilated, split K, transposed store']!, false, 'specialized').length, 2, 'split K and its reduce');
    assert.match(shaders('Conv 1x1, transposed store', false), /xv\[/);
    assert.match(shaders('Conv 1x1, transposed store', false), /var<storage, read_write> y: array<f32>/, 'no vec4 stores at permuted positions');
  });
  for (const [name, opCase] of Object.entries(CASES)) {
    for (const [variant, software, kernels] of [['direct (software adapter)', true, 'specialized'], ['tiled', false, 'specialized'], ['generic', false, 'generic']] as const) {
      test(`${variant}: ${name}`, async () => {
        const { relError } = await gpuVersusCpu(opCase, software, kernels);
        assert.ok(relError <= BOUND, `relative error ${relError}`);
      });
    }
  }
});
