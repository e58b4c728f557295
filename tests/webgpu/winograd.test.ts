/**
 * Winograd F(2×2, 3×3) conv on WebGPU (src/ops/conv/winograd-gpu.ts) against the direct conv's CPU reference, in
 * both kernel variants (one thread per tile and channel; the workgroup-tiled one), on shapes that stress the
 * tiling: odd planes (part-filled output tiles), channel counts that are not multiples of the 16×16×8 tile, every
 * pad mode, a batch, and the fused epilogues.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Attribute } from '../../src/core/ir.js';
import type { ConvParams } from '../../src/ops/conv/params.js';
import type { Epilogue } from '../../src/ops/epilogue/params.js';
import { gpuVersusCpu, loweredShaders, releaseTestDevice, seededValues, type OpCase } from './gpu-op-check.js';

process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

const ints = (...value: number[]): Attribute => ({ kind: 'ints', value });
const x = (...dims: number[]) => ({ dims });
const c = (...dims: number[]) => ({ dims, constant: true });
const pad1 = { pads: ints(1, 1, 1, 1) };
const withEpilogue = (epilogue: Epilogue) => (p: unknown) => ({ ...(p as ConvParams), epilogue });
const slope = (n: number) => Float32Array.from(seededValues(n, 77), (v) => v * 0.25);

const CASES: Record<string, OpCase> = {
  'odd plane 7×9, IC 19, OC 21, bias': { op: 'Conv', attributes: pad1, inputs: [x(1, 19, 7, 9), c(21, 19, 3, 3), c(21)] },
  'no pads (valid), 16 channels, no bias': { op: 'Conv', inputs: [x(1, 16, 8, 7), c(16, 16, 3, 3)] },
  'asymmetric pads 0,1,1,0': { op: 'Conv', attributes: { pads: ints(0, 1, 1, 0) }, inputs: [x(1, 17, 6, 5), c(18, 17, 3, 3), c(18)] },
  'batch 2, OC 40': { op: 'Conv', attributes: pad1, inputs: [x(2, 16, 5, 6), c(40, 16, 3, 3), c(40)] },
  'bias + Relu': { op: 'Conv', attributes: pad1, inputs: [x(1, 24, 9, 9), c(20, 24, 3, 3), c(20)], params: withEpilogue({ kind: 'unary', unary: { kind: 'Relu', alpha: 0, beta: 0 } }) },
  'bias + residual + PRelu': { op: 'Conv', attributes: pad1, inputs: [x(1, 20, 7, 7), c(18, 20, 3, 3), c(18), x(1, 18, 7, 7)], params: withEpilogue({ kind: 'prelu', slope: slope(18), residual: true }) },
  'residual + LeakyRelu, no bias': { op: 'Conv', attributes: pad1, inputs: [x(1, 16, 5, 7), c(16, 16, 3, 3), undefined, x(1, 16, 5, 7)], params: withEpilogue({ kind: 'unary', unary: { kind: 'LeakyRelu', alpha: 0.2, beta: 0 }, residual: true }) },
  'reflect pads (INSwapper)': { op: 'Conv', attributes: pad1, inputs: [x(1, 16, 7, 6), c(17, 16, 3, 3), c(17)], params: (p) => ({ ...(p as ConvParams), padMode: 'reflect' }) },
  'pad values (folded BatchNormalization)': { op: 'Conv', attributes: pad1, inputs: [x(1, 18, 5, 9), c(16, 18, 3, 3), c(16)],
    params: (p) => ({ ...(p as ConvParams), padValues: Float32Array.from(seededValues(18, 5)) }) },
};

// 1e-4 relative (max|gpu − cpu| / max|cpu|), the project's fp32 bound. The F(2×2) transforms' coefficients are
// 0, ±1 and ½, so the rounding differs from the direct sum's by a few ulp of the largest intermediate
// (bench/node/bench-winograd-error.ts measures ≈1e-6 at the models' full layer sizes).
const BOUND = 1e-4;

describe('Winograd F(2×2, 3×3) conv matches the direct CPU conv', () => {
  after(releaseTestDevice);
  // Every case in the workgroup-tiled variant (a GPU's); the per-tile one (SwiftShader's own) shares the transforms,
  // pad reads and epilogue, so it runs on the cases that differ in its indexing: odd planes, a batch, pad modes.
  const perTile = new Set(['odd plane 7×9, IC 19, OC 21, bias', 'batch 2, OC 40', 'reflect pads (INSwapper)', 'bias + residual + PRelu']);
  for (const [name, opCase] of Object.entries(CASES)) {
    for (const software of perTile.has(name) ? [true, false] : [false]) {
      test(`${name} (${software ? 'per-tile' : 'workgroup-tiled'} variant)`, async () => {
        assert.ok(loweredShaders(opCase, software, 'specialized').some((s) => s.includes('fn transformInput')), 'lowers to the Winograd kernel');
        const { relError } = await gpuVersusCpu(opCase, software);
        assert.ok(relError <= BOUND, `relative error ${relError}`);
      });
    }
  }
  test('stride 2, grouped, few channels and the generic tier keep the direct kernel', () => {
    const direct: OpCase[] = [
      { op: 'Conv', attributes: { ...pad1, strides: ints(2, 2) }, inputs: [x(1, 16, 8, 8), c(16, 16, 3, 3)] },
      { op: 'Conv', attributes: { ...pad1, group: { kind: 'int', value: 2 } }, inputs: [x(1, 32, 8, 8), c(32, 16, 3, 3)] },
      { op: 'Conv', attributes: pad1, inputs: [x(1, 3, 8, 8), c(16, 3, 3, 3)] },
    ];
    for (const opCase of direct) assert.ok(!loweredShaders(opCase, false, 'specialized').some((s) => s.includes('fn transformInput')));
    assert.ok(!loweredShaders(CASES['bias + Relu']!, false, 'generic').some((s) => s.includes('fn transformInput')));
  });
});
