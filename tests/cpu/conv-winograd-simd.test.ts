/**
 * The CPU backend's WebAssembly SIMD Winograd F(2×2, 3×3) path (src/ops/conv/cpu-simd-winograd.ts) against the
 * float32 JS Winograd reference (src/ops/conv/winograd.ts) plus each fused epilogue computed elementwise here, on
 * random shapes: odd sizes (partial output tiles in both axes), pads 0, 1, 2 and asymmetric, batch 1 and 2, channel
 * counts off the 4-row panel and past the 256-deep reduction block. The banded 3×3 GEMM, which the rule still
 * picks for small layers, is checked on the same shapes against a float64 direct convolution.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conv3x3Winograd, winogradSimdFits } from '../../src/ops/conv/cpu-simd-winograd.js';
import { conv3x3Simd } from '../../src/ops/conv/cpu-simd-3x3.js';
import { convCpu } from '../../src/ops/conv/cpu.js';
import { F2X2_3X3, winogradConvF32, winogradWeights } from '../../src/ops/conv/winograd.js';
import type { ConvParams } from '../../src/ops/conv/params.js';
import type { SimdEpilogue } from '../../src/ops/epilogue/cpu-simd.js';
import { simdKernels } from '../../src/ops/wasm/runtime.js';
import { Prng } from '../../models/forge/prng.js';
import { maxRelativeError } from '../parity/parity.js';

/**
 * SIMD against the JS reference, max|a−b| / max|b|: both run the same input and output transforms in the same
 * order with float32 rounding, and differ in U by at most an ulp (the SIMD path rounds G g Gᵀ once from float64, the
 * reference after every sum) and inside the GEMM (the SIMD kernel rounds each product before adding it, the
 * reference adds the exact product): about an ulp per reduction step of random sign, so ~√cin · 2⁻²⁴ of the sum,
 * under 2e-6 for cin ≤ 300. 1e-5 leaves room without hiding a wrong tap, which costs a whole term (≥ 1e-2 here).
 */
const VS_REFERENCE = 1e-5;

/**
 * Winograd (SIMD) against a float64 direct convolution: F(2×2)'s transforms add up to 4 input values per V element
 * and 9 products per output, so its float32 error is a few times the direct sum's; the models' bound is 1e-4.
 */
const VS_DIRECT = 2e-5;

/** The banded SIMD GEMM against float64 (as in conv-fast-paths.test.ts). */
const BANDED_VS_DIRECT = 1e-5;

interface Case { readonly n: number; readonly c: number; readonly m: number; readonly h: number; readonly w: number; readonly pads: readonly [number, number, number, number] }

const CASES: Case[] = [
  { n: 1, c: 4, m: 4, h: 8, w: 8, pads: [1, 1, 1, 1] },
  { n: 2, c: 5, m: 6, h: 7, w: 9, pads: [1, 1, 1, 1] },
  { n: 1, c: 17, m: 13, h: 11, w: 5, pads: [0, 0, 0, 0] },
  { n: 1, c: 3, m: 9, h: 9, w: 14, pads: [0, 1, 1, 0] },
  { n: 2, c: 8, m: 4, h: 3, w: 21, pads: [1, 0, 0, 1] },
  { n: 1, c: 33, m: 20, h: 10, w: 10, pads: [1, 1, 1, 1] },
  { n: 1, c: 300, m: 8, h: 6, w: 7, pads: [1, 1, 1, 1] },
  { n: 1, c: 6, m: 5, h: 35, w: 37, pads: [1, 1, 1, 1] },
  { n: 1, c: 7, m: 2, h: 9, w: 6, pads: [1, 1, 1, 1] },
  { n: 2, c: 3, m: 1, h: 5, w: 5, pads: [1, 1, 1, 1] },
  { n: 1, c: 5, m: 6, h: 6, w: 7, pads: [2, 0, 1, 3] },
];

function params(t: Case): ConvParams {
  const [pt, pl, pb, pr] = t.pads;
  return {
    group: 1, kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: t.pads, rank: 4,
    inDims: [t.n, t.c, t.h, t.w], outDims: [t.n, t.m, t.h + pt + pb - 2, t.w + pl + pr - 2], epilogue: { kind: 'none' },
  };
}

/** Direct convolution summed in float64. */
function directF64(p: ConvParams, x: Float32Array, w: Float32Array, bias: Float32Array): Float32Array {
  const [n, c, h, wd] = p.inDims;
  const [, m, ho, wo] = p.outDims;
  const [pt, pl] = p.pads;
  const y = new Float32Array(n * m * ho * wo);
  for (let b = 0; b < n; b++) for (let o = 0; o < m; o++) for (let oy = 0; oy < ho; oy++) for (let ox = 0; ox < wo; ox++) {
    let sum = bias[o]!;
    for (let ci = 0; ci < c; ci++) for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) {
      const iy = oy + ky - pt;
      const ix = ox + kx - pl;
      if (iy >= 0 && iy < h && ix >= 0 && ix < wd) sum += x[((b * c + ci) * h + iy) * wd + ix]! * w[((o * c + ci) * 3 + ky) * 3 + kx]!;
    }
    y[((b * m + o) * ho + oy) * wo + ox] = sum;
  }
  return y;
}

describe('WebAssembly SIMD Winograd F(2×2, 3×3)', () => {
  const kernels = simdKernels();
  if (!kernels) throw new Error('WebAssembly SIMD is required by this test (Node ≥ 16 has it)');
  CASES.forEach((t, index) => {
    const p = params(t);
    const [n, m, ho, wo] = p.outDims;
    const label = `${t.n}×${t.c}×${t.h}×${t.w} → ${t.m}, pads ${t.pads.join(',')}`;
    const prng = new Prng(100 + index);
    const x = prng.fill(t.n * t.c * t.h * t.w, 1);
    const w = prng.fill(t.m * t.c * 9, 1);
    const bias = prng.fill(t.m, 1);
    const reference = new Float32Array(n * m * ho * wo);
    winogradConvF32(F2X2_3X3, p, x, winogradWeights(F2X2_3X3, w, t.m, t.c), bias, reference);
    const plane = ho * wo;

    it(`${label}: plain, against the JS reference and float64`, () => {
      const y = new Float32Array(reference.length).fill(NaN);
      conv3x3Winograd(kernels, p, x, w, bias, y);
      const err = maxRelativeError(y, reference);
      assert.ok(err <= VS_REFERENCE, `vs reference ${err} > ${VS_REFERENCE}`);
      const exact = directF64(p, x, w, bias);
      const directErr = maxRelativeError(y, exact);
      assert.ok(directErr <= VS_DIRECT, `vs float64 direct ${directErr} > ${VS_DIRECT}`);
      const yBanded = new Float32Array(reference.length).fill(NaN);
      conv3x3Simd(kernels, p, x, w, bias, yBanded);
      const bandedErr = maxRelativeError(yBanded, exact);
      assert.ok(bandedErr <= BANDED_VS_DIRECT, `banded GEMM vs float64 ${bandedErr} > ${BANDED_VS_DIRECT}`);
    });

    it(`${label}: each fused epilogue`, () => {
      const residual = prng.fill(reference.length, 1);
      const slope = prng.fill(t.m, 0.5);
      // Bounds inside the output's range, so the clamp cuts and the error stays measured against the output's scale.
      const scale = reference.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
      const bounds: [number, number] = [Math.fround(-0.5 * scale), Math.fround(0.75 * scale)];
      const clampF = (v: number): number => (v < bounds[0] ? bounds[0] : v > bounds[1] ? bounds[1] : v);
      const preluF = (v: number, o: number): number => (v < 0 ? Math.fround(v * slope[o]!) : v);
      const epilogues: [string, SimdEpilogue, (v: number, o: number, i: number) => number][] = [
        ['relu', { act: { kind: 'clamp', bounds: [0, Infinity] } }, (v) => (v < 0 ? 0 : v)],
        ['clip', { act: { kind: 'clamp', bounds } }, clampF],
        ['prelu', { act: { kind: 'prelu', slope } }, preluF],
        ['residual', { residual }, (v, _o, i) => Math.fround(v + residual[i]!)],
        ['residual+clip', { act: { kind: 'clamp', bounds }, residual }, (v, _o, i) => clampF(Math.fround(v + residual[i]!))],
      ];
      // A PRelu after a residual runs on compact planes, so only on planes of whole v128 (simdEpilogue's rule).
      if (plane % 4 === 0) epilogues.push(['residual+prelu', { act: { kind: 'prelu', slope }, residual }, (v, o, i) => preluF(Math.fround(v + residual[i]!), o)]);
      for (const [name, epi, f] of epilogues) {
        const expected = reference.map((v, i) => f(v, Math.floor(i / plane) % m, i));
        const y = new Float32Array(reference.length).fill(NaN);
        conv3x3Winograd(kernels, p, x, w, bias, y, epi);
        const err = maxRelativeError(y, expected);
        assert.ok(err <= VS_REFERENCE, `${name}: ${err} > ${VS_REFERENCE}`);
      }
    });
  });

  it('convCpu takes the Winograd path exactly where winogradSimdFits says, with the same result', () => {
    const t = CASES[1]!;
    const p = params(t);
    assert.equal(winogradSimdFits(p), true);
    assert.equal(winogradSimdFits({ ...p, inDims: [p.inDims[0], 2, p.inDims[2], p.inDims[3]] }), false, 'two input channels stay on the banded GEMM');
    assert.equal(winogradSimdFits({ ...p, outDims: [p.outDims[0], p.outDims[1], 2, 2] }), false, 'a 2×2 output stays on the banded GEMM');
    assert.equal(winogradSimdFits({ ...p, strides: [2, 2] }), false);
    const prng = new Prng(7);
    const x = prng.fill(t.n * t.c * t.h * t.w, 1);
    const w = prng.fill(t.m * t.c * 9, 1);
    const bias = prng.fill(t.m, 1);
    const viaConv = new Float32Array(p.outDims.reduce((a, b) => a * b, 1));
    convCpu(p, { type: 'float32', dims: [...p.inDims], data: x }, { type: 'float32', dims: [t.m, t.c, 3, 3], data: w }, { type: 'float32', dims: [t.m], data: bias }, viaConv);
    const direct = new Float32Array(viaConv.length);
    conv3x3Winograd(kernels, p, x, w, bias, direct);
    assert.deepEqual(viaConv, direct);
  });
});
