/**
 * The Winograd transforms and float32 CPU reference (src/ops/conv/winograd.ts), which the error bench relies on,
 * against the direct conv of the CPU backend; and the selection rule with its multiply count.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Prng } from '../../models/forge/prng.js';
import { convCpu } from '../../src/ops/conv/cpu.js';
import type { ConvParams } from '../../src/ops/conv/params.js';
import { F2X2_3X3, F4X4_3X3, winogradConvF32, winogradFits, winogradMacs, winogradWeights } from '../../src/ops/conv/winograd.js';

function params(ic: number, oc: number, h: number, w: number, pads: [number, number, number, number]): ConvParams {
  const ho = h + pads[0] + pads[2] - 2;
  const wo = w + pads[1] + pads[3] - 2;
  return { group: 1, kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads, rank: 4, inDims: [2, ic, h, w], outDims: [2, oc, ho, wo], epilogue: { kind: 'none' } };
}

function relError(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) { d = Math.max(d, Math.abs(a[i]! - b[i]!)); m = Math.max(m, Math.abs(b[i]!)); }
  return d / m;
}

describe('Winograd F(m×m, 3×3) reference', () => {
  for (const [name, tr] of [['F(2×2)', F2X2_3X3], ['F(4×4)', F4X4_3X3]] as const) {
    for (const pads of [[1, 1, 1, 1], [0, 1, 1, 0], [0, 0, 0, 0]] as [number, number, number, number][]) {
      test(`${name} equals the direct conv (batch 2, odd plane 9×7, pads ${pads.join(',')})`, () => {
        const p = params(5, 6, 9, 7, pads);
        const prng = new Prng(9);
        const x = prng.fill(2 * 5 * 9 * 7, 1);
        const w = prng.fill(6 * 5 * 9, 0.3);
        const bias = prng.fill(6, 0.5);
        const want = new Float32Array(2 * 6 * p.outDims[2] * p.outDims[3]);
        convCpu(p, { type: 'float32', dims: [2, 5, 9, 7], data: x }, { type: 'float32', dims: [6, 5, 3, 3], data: w }, { type: 'float32', dims: [6], data: bias }, want);
        const got = new Float32Array(want.length);
        winogradConvF32(tr, p, x, winogradWeights(tr, w, 6, 5), bias, got);
        // Both are float32 sums of 45 terms; F(4×4)'s coefficients (up to 8 and 1/24) scale the rounding by ~10.
        assert.ok(relError(got, want) <= 2e-6, `relative error ${relError(got, want)}`);
      });
    }
  }
  test('selection takes stride-1 3×3 single-group convs of ≥ 16 channels; F(2×2) cuts the multiplies 2.25×', () => {
    const p = params(16, 32, 8, 8, [1, 1, 1, 1]);
    assert.equal(winogradFits(p), true);
    assert.equal(winogradFits({ ...p, strides: [2, 2] }), false);
    assert.equal(winogradFits({ ...p, group: 2 }), false);
    assert.equal(winogradFits({ ...p, dilations: [2, 2] }), false);
    assert.equal(winogradFits({ ...p, inDims: [2, 8, 8, 8] }), false);
    assert.equal(winogradFits({ ...p, kernel: [1, 1] }), false);
    const macs = winogradMacs(p);
    assert.equal(macs.direct / macs.winograd, 2.25);
    const f4 = winogradMacs(p, F4X4_3X3);
    assert.equal(f4.direct / f4.winograd, 4);
  });
});
