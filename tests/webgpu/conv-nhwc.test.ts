/**
 * The layout benchmark's NHWC conv (bench/node/conv-nhwc.ts) against the CPU conv reference, so the kernel the
 * NCHW/NHWC comparison times is itself known to compute the convolution: both GEMM orientations, both GEMM variants
 * (direct and workgroup-tiled; 'pixel-rows' is tiled only), a depthwise conv, and a fused bias + residual + PRelu
 * epilogue. About 10 s on SwiftShader.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { conv } from '../../src/ops/conv/cpu.js';
import { type ConvParams } from '../../src/ops/conv/params.js';
import type { TensorData } from '../../src/core/ir.js';
import { ConvDispatchRunner, lowerConvNhwc, nchwToNhwc, nhwcToNchw, repackWeightsNhwc, type NhwcGemm } from '../../bench/node/conv-nhwc.js';
import { releaseTestDevice, seededValues, testDevice } from './gpu-op-check.js';

type Dims4 = readonly [number, number, number, number];

interface NhwcCase {
  readonly params: ConvParams;
  readonly bias: boolean;
}

function convParams(inDims: Dims4, m: number, kernel: number, stride: number, pad: number, group: number, epilogue: ConvParams['epilogue']): ConvParams {
  const [n, , h, w] = inDims;
  const out = (size: number): number => Math.floor((size + 2 * pad - kernel) / stride) + 1;
  return {
    group, kernel: [kernel, kernel], strides: [stride, stride], dilations: [1, 1], pads: [pad, pad, pad, pad],
    inDims, outDims: [n, m, out(h), out(w)], rank: 4, epilogue,
  };
}

const CASES: Record<string, NhwcCase> = {
  // Odd sizes: rows and columns that do not fill a tile, windows that hit the padding on every side.
  '3x3 stride 2 pad 1, bias + residual + PRelu': {
    params: convParams([1, 5, 9, 11], 12, 3, 2, 1, 1, { kind: 'prelu', slope: Float32Array.from(seededValues(12, 5), (v) => v * 0.25), residual: true }),
    bias: true,
  },
  '1x1 (16 output channels: vec4 weight loads)': { params: convParams([1, 12, 4, 6], 16, 1, 1, 0, 1, { kind: 'none' }), bias: true },
  'depthwise 3x3 pad 1': { params: convParams([1, 8, 7, 5], 8, 3, 1, 1, 8, { kind: 'none' }), bias: true },
};

/** max|a−b| / max|b|, the project's fp32 parity measure. */
function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let ref = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    ref = Math.max(ref, Math.abs(b[i]!));
  }
  return diff / ref;
}

async function nhwcVersusCpu(c: NhwcCase, gemm: NhwcGemm, software: boolean): Promise<number> {
  const { gpu, cache } = await testDevice();
  const p = c.params;
  const [, m, ho, wo] = p.outDims;
  const outDims: Dims4 = p.outDims;
  const tensor = (dims: readonly number[], data: Float32Array): TensorData => ({ type: 'float32', dims, data });
  const x = seededValues(p.inDims.reduce((a, b) => a * b), 11);
  const w = seededValues(m * (p.inDims[1] / p.group) * p.kernel[0] * p.kernel[1], 12);
  const bias = c.bias ? seededValues(m, 13) : undefined;
  const residual = p.epilogue.residual ? seededValues(outDims.reduce((a, b) => a * b), 14) : undefined;
  const wDims = [m, p.inDims[1] / p.group, p.kernel[0], p.kernel[1]];
  const expected = conv.cpu(p, [tensor(p.inDims, x), tensor(wDims, w), bias && tensor([m], bias), residual && tensor(outDims, residual)],
    [{ type: 'float32', dims: [...outDims] }])[0]!.data as Float32Array;
  const dispatches = lowerConvNhwc(p, c.bias, { software, gemm, maxWorkgroupsPerDimension: gpu.device.limits.maxComputeWorkgroupsPerDimension });
  const runner = await ConvDispatchRunner.create(gpu, cache, dispatches,
    [nchwToNhwc(x, p.inDims), repackWeightsNhwc(p, w, gemm), bias, residual && nchwToNhwc(residual, outDims)], expected.length, 'nhwc test');
  try {
    const got = nhwcToNchw(await runner.runAndRead(), [outDims[0], m, ho, wo]);
    return relativeError(got, expected);
  } finally {
    runner.dispose();
  }
}

// The project's fp32 bound against the reference: the GPU sums K products in another order than the CPU.
const BOUND = 1e-4;

describe('NHWC conv of the layout benchmark matches the CPU reference', () => {
  after(releaseTestDevice);
  for (const [name, c] of Object.entries(CASES)) {
    for (const gemm of ['weights-rows', 'pixel-rows'] as const) {
      for (const software of [true, false]) {
        // Depthwise has one kernel: the GEMM orientation and variant do not apply. 'pixel-rows' has no direct variant.
        if (name.startsWith('depthwise') && (gemm !== 'weights-rows' || !software)) continue;
        if (gemm === 'pixel-rows' && software) continue;
        test(`${name}, ${gemm}, ${software ? 'direct' : 'tiled'} GEMM`, async () => {
          const err = await nhwcVersusCpu(c, gemm, software);
          assert.ok(err <= BOUND, `relative error ${err}`);
        });
      }
    }
  }
});
