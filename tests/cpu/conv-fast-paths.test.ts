/**
 * The CPU conv/GEMM fast paths (WebAssembly SIMD GEMM, SIMD 3×3 depthwise, and the JS fallbacks) against
 * straightforward reference loops on random shapes, including sizes that are not multiples of the 4×8 tile.
 * Tolerance: max|a−b| / max|b| ≤ 1e-5 (float32 sums in a different order; the model-level bound is 1e-4).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { convCpu } from '../../src/ops/conv/cpu.js';
import { type ConvParams } from '../../src/ops/conv/params.js';
import type { SimdEpilogue } from '../../src/ops/epilogue/cpu-simd.js';
import { gemmAccumulate } from '../../src/ops/tiled-gemm/cpu.js';
import { setSimdEnabled, simdKernels } from '../../src/ops/wasm/runtime.js';
import { pointwiseBlockedFits } from '../../src/ops/conv/cpu-simd-pointwise.js';
import type { TensorData } from '../../src/core/ir.js';
import { Prng } from '../../models/forge/prng.js';
import { maxRelativeError } from '../parity/parity.js';

const TOLERANCE = 1e-5;

/** Seeded values uniform in [−1, 1). */
function rng(seed: number): () => number {
  const prng = new Prng(seed);
  return () => prng.range(-1, 1);
}

function randomArray(n: number, next: () => number): Float32Array {
  return Float32Array.from({ length: n }, next);
}

/** Direct 7-loop convolution in float64. */
function referenceConv(p: ConvParams, x: Float32Array, w: Float32Array, bias: Float32Array | undefined): Float32Array {
  const [n, c, h, wd] = p.inDims;
  const [, m, ho, wo] = p.outDims;
  const [kh, kw] = p.kernel;
  const cg = c / p.group;
  const mg = m / p.group;
  const y = new Float32Array(n * m * ho * wo);
  for (let b = 0; b < n; b++) for (let o = 0; o < m; o++) {
    const g = Math.floor(o / mg);
    for (let oy = 0; oy < ho; oy++) for (let ox = 0; ox < wo; ox++) {
      let sum = bias ? bias[o]! : 0;
      for (let ci = 0; ci < cg; ci++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
        const iy = oy * p.strides[0] + ky * p.dilations[0] - p.pads[0];
        const ix = ox * p.strides[1] + kx * p.dilations[1] - p.pads[1];
        if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
        sum += x[((b * c + g * cg + ci) * h + iy) * wd + ix]! * w[((o * cg + ci) * kh + ky) * kw + kx]!;
      }
      y[((b * m + o) * ho + oy) * wo + ox] = sum;
    }
  }
  return y;
}

interface ConvCase {
  readonly n?: number; readonly c: number; readonly m: number; readonly h: number; readonly w: number;
  readonly k: number; readonly s?: number; readonly d?: number; readonly group?: number;
  readonly pads?: readonly [number, number, number, number]; readonly bias?: boolean;
}

function convParams(t: ConvCase): ConvParams {
  const s = t.s ?? 1;
  const d = t.d ?? 1;
  const pads = t.pads ?? [0, 0, 0, 0];
  const out = (size: number, a: number): number => Math.floor((size + pads[a]! + pads[a + 2]! - ((t.k - 1) * d + 1)) / s) + 1;
  return {
    group: t.group ?? 1, kernel: [t.k, t.k], strides: [s, s], dilations: [d, d], pads,
    inDims: [t.n ?? 1, t.c, t.h, t.w], outDims: [t.n ?? 1, t.m, out(t.h, 0), out(t.w, 1)], rank: 4, epilogue: { kind: 'none' },
  };
}

const tensor = (data: Float32Array, dims: number[]): TensorData => ({ type: 'float32', dims, data });

const CASES: readonly ConvCase[] = [
  { c: 3, m: 16, h: 33, w: 31, k: 3, s: 2, pads: [1, 1, 1, 1], bias: true },
  { c: 13, m: 7, h: 9, w: 11, k: 1, bias: true },
  { c: 64, m: 33, h: 10, w: 10, k: 1 },
  { c: 300, m: 5, h: 6, w: 7, k: 1, bias: true },
  { c: 24, m: 24, h: 17, w: 13, k: 3, pads: [1, 1, 1, 1], bias: true },
  { c: 8, m: 12, h: 15, w: 14, k: 3, d: 2, pads: [2, 1, 0, 2] },
  { n: 2, c: 6, m: 9, h: 8, w: 9, k: 3, group: 3, pads: [1, 1, 1, 1], bias: true },
  { c: 5, m: 3, h: 12, w: 12, k: 5, s: 3, pads: [2, 2, 2, 2] },
  { c: 5, m: 6, h: 10, w: 9, k: 3, s: 2, pads: [0, 1, 1, 0], bias: true },
  { n: 2, c: 2, m: 3, h: 4, w: 3, k: 3 },
  { c: 7, m: 10, h: 9, w: 19, k: 3, pads: [2, 0, 1, 2] },
  { c: 3, m: 2, h: 41, w: 37, k: 3, s: 2, pads: [1, 1, 1, 1], bias: true },
  { c: 40, m: 40, h: 19, w: 21, k: 3, group: 40, pads: [1, 1, 1, 1], bias: true },
  { c: 16, m: 16, h: 20, w: 20, k: 3, s: 2, group: 16, pads: [1, 1, 1, 1], bias: true },
  { n: 2, c: 7, m: 7, h: 11, w: 9, k: 3, s: 2, group: 7, pads: [0, 1, 1, 0] },
  { c: 9, m: 9, h: 5, w: 6, k: 3, group: 9 },
  { n: 2, c: 6, m: 6, h: 8, w: 10, k: 3, group: 6, pads: [1, 1, 1, 1], bias: true },
  { c: 5, m: 5, h: 4, w: 7, k: 3, group: 5 },
  { c: 12, m: 12, h: 7, w: 7, k: 7, group: 12, bias: true },
  { c: 4, m: 4, h: 9, w: 9, k: 3, s: 2, group: 4, pads: [1, 1, 1, 1], d: 2 },
  { c: 6, m: 10, h: 10, w: 14, k: 2, s: 2, bias: true },
  { n: 2, c: 5, m: 3, h: 9, w: 11, k: 2, s: 2 },
  { c: 4, m: 6, h: 8, w: 8, k: 2, s: 2, group: 2, bias: true },
  // The pixel-blocked 1×1 path (pointwiseBlockedFits): several blocks and a partial last one, batch 2, a reduction
  // past one GEMM call (300 input channels), and a plane just past the threshold.
  { n: 2, c: 13, m: 7, h: 161, w: 163, k: 1, bias: true },
  { c: 300, m: 5, h: 43, w: 41, k: 1, bias: true },
  { c: 16, m: 16, h: 128, w: 130, k: 1 },
  // The banded 3×3 GEMM: many bands (3 input channels), a reduction past one GEMM call (40 channels: K = 360), planes
  // whole KiB apart (16×16 outputs: skewed), pads 0.
  { c: 3, m: 16, h: 161, w: 159, k: 3, s: 2, pads: [1, 1, 1, 1], bias: true },
  { c: 40, m: 9, h: 23, w: 19, k: 3, s: 2, pads: [1, 1, 1, 1], bias: true },
  { n: 2, c: 5, m: 6, h: 32, w: 32, k: 3, s: 2, pads: [1, 1, 1, 1] },
  { n: 2, c: 4, m: 5, h: 17, w: 15, k: 3, s: 2 },
  { c: 1, m: 8, h: 20, w: 21, k: 3, pads: [1, 1, 1, 1], bias: true },
  // Its border zeroing around the interior at asymmetric pads, stride 1 (Cin 2: not Winograd) and 2, odd widths.
  { c: 2, m: 5, h: 13, w: 18, k: 3, pads: [2, 0, 1, 2], bias: true },
  { c: 4, m: 7, h: 15, w: 21, k: 3, s: 2, pads: [1, 2, 0, 1] },
  { n: 2, c: 3, m: 4, h: 9, w: 10, k: 3, s: 2, pads: [0, 0, 2, 2], bias: true },
  // Depthwise planes of at least 2048 floats, staged channel by channel.
  { n: 2, c: 5, m: 5, h: 47, w: 45, k: 3, s: 2, group: 5, pads: [1, 1, 1, 1], bias: true },
  { c: 3, m: 3, h: 64, w: 33, k: 3, group: 3, pads: [0, 1, 1, 0] },
];

function label(t: ConvCase): string {
  return `n${t.n ?? 1} c${t.c}→${t.m} ${t.h}×${t.w} k${t.k} s${t.s ?? 1} d${t.d ?? 1} g${t.group ?? 1} pads ${JSON.stringify(t.pads ?? [0, 0, 0, 0])}`;
}

for (const simd of [true, false]) {
  describe(`conv fast paths (${simd ? 'WebAssembly SIMD' : 'JS fallback'})`, () => {
    if (simd) it('emits a module this engine accepts', () => assert.ok(simdKernels(), 'WebAssembly SIMD unavailable'));
    CASES.forEach((t, i) => {
      it(label(t), () => {
        setSimdEnabled(simd);
        try {
          const next = rng(1000 + i);
          const p = convParams(t);
          const [n, c, h, w] = p.inDims;
          const x = randomArray(n * c * h * w, next);
          const wt = randomArray(t.m * (c / p.group) * t.k * t.k, next);
          const bias = t.bias ? randomArray(t.m, next) : undefined;
          const y = new Float32Array(p.outDims.reduce((a, b) => a * b, 1)).fill(Number.NaN);
          // The arena poisoned with NaN first: a pad the fast path fails to zero, or stale data it reads, shows.
          if (simd) simdKernels()!.arena(1 << 21).fill(Number.NaN);
          convCpu(p, tensor(x, [n, c, h, w]), tensor(wt, [t.m, c / p.group, t.k, t.k]), bias && tensor(bias, [t.m]), y);
          const err = maxRelativeError(y, referenceConv(p, x, wt, bias));
          assert.ok(err <= TOLERANCE, `relative error ${err} > ${TOLERANCE}`);
          // A second call reuses the arena and the packed-weight cache.
          const y2 = new Float32Array(y.length);
          convCpu(p, tensor(x, [n, c, h, w]), tensor(wt, [t.m, c / p.group, t.k, t.k]), bias && tensor(bias, [t.m]), y2);
          assert.deepEqual(y2, y);
          // With a fused epilogue (residual, Relu/Clip/PRelu): the SIMD paths apply it, the JS paths leave it to the caller.
          const bounds = [-0.4, 0.6] as const;
          const slope = randomArray(t.m, next);
          const residual = randomArray(y.length, next);
          const clampF = (v: number): number => (v < bounds[0] ? bounds[0] : v > bounds[1] ? bounds[1] : v);
          const preluF = (v: number, o: number): number => (v < 0 ? v * slope[o]! : v);
          const plane = p.outDims[2] * p.outDims[3];
          const activations: [string, SimdEpilogue, (v: number, o: number, i: number) => number][] = [
            ['clamp', { act: { kind: 'clamp', bounds } }, clampF],
            ['prelu', { act: { kind: 'prelu', slope } }, preluF],
            ['residual', { residual }, (v, _o, i) => v + residual[i]!],
            ['residual+clamp', { act: { kind: 'clamp', bounds }, residual }, (v, _o, i) => clampF(Math.fround(v + residual[i]!))],
          ];
          // A PRelu after a residual runs on compact planes, so only on planes of whole v128.
          if (plane % 4 === 0) activations.push(['residual+prelu', { act: { kind: 'prelu', slope }, residual }, (v, o, i) => preluF(Math.fround(v + residual[i]!), o)]);
          for (const [name, act, f] of activations) {
            const y3 = new Float32Array(y.length);
            const fused = convCpu(p, tensor(x, [n, c, h, w]), tensor(wt, [t.m, c / p.group, t.k, t.k]), bias && tensor(bias, [t.m]), y3, act);
            // Depthwise convs other than 3×3 undilated at stride 1 or 2 have no SIMD path.
            const depthwiseJs = p.group === t.c && t.m === t.c && (t.k !== 3 || (t.d ?? 1) !== 1 || (t.s ?? 1) > 2);
            assert.equal(fused, simd && !depthwiseJs, 'which paths fuse');
            const expected = fused ? y.map((v, i) => f(v, Math.floor(i / plane) % t.m, i)) : y;
            const actErr = maxRelativeError(y3, expected);
            assert.ok(actErr <= TOLERANCE, `${name}: relative error ${actErr} > ${TOLERANCE}`);
          }
        } finally {
          setSimdEnabled(true);
        }
      });
    });
  });
}

describe('the pixel-blocked 1×1 rule', () => {
  it('takes the large test planes above and leaves small, strided, padded or grouped 1×1 convs to the whole-plane GEMM', () => {
    assert.equal(pointwiseBlockedFits(convParams({ n: 2, c: 13, m: 7, h: 161, w: 163, k: 1 })), true);
    assert.equal(pointwiseBlockedFits(convParams({ c: 300, m: 5, h: 43, w: 41, k: 1 })), true);
    assert.equal(pointwiseBlockedFits(convParams({ c: 16, m: 16, h: 128, w: 130, k: 1 })), true);
    assert.equal(pointwiseBlockedFits(convParams({ c: 288, m: 288, h: 20, w: 20, k: 1 })), false, 'a plane under 2 MiB');
    assert.equal(pointwiseBlockedFits(convParams({ c: 16, m: 16, h: 320, w: 320, k: 1, s: 2 })), false, 'stride 2');
    assert.equal(pointwiseBlockedFits(convParams({ c: 16, m: 16, h: 320, w: 320, k: 1, pads: [1, 1, 1, 1] })), false, 'padded');
    assert.equal(pointwiseBlockedFits(convParams({ c: 16, m: 16, h: 320, w: 320, k: 1, group: 2 })), false, 'grouped');
  });
});

describe('gemmAccumulate', () => {
  for (const [m, n, k] of [[1, 1, 1], [5, 7, 3], [17, 33, 65], [4, 256, 300], [3, 513, 2]] as const) {
    for (const simd of [true, false]) {
      it(`${m}×${n}×${k} (${simd ? 'SIMD' : 'JS'}) accumulates into C with row strides`, () => {
        setSimdEnabled(simd);
        try {
          const next = rng(m * 1000 + n * 10 + k);
          const [lda, ldb, ldc] = [k + 2, n + 3, n + 1];
          const a = randomArray(m * lda + 1, next);
          const b = randomArray(k * ldb + 2, next);
          const c = randomArray(m * ldc + 3, next);
          const expected = Float32Array.from(c);
          for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
            let sum = 0;
            for (let p = 0; p < k; p++) sum += a[1 + i * lda + p]! * b[2 + p * ldb + j]!;
            expected[3 + i * ldc + j]! += sum;
          }
          gemmAccumulate(a, 1, lda, b, 2, ldb, c, 3, ldc, m, n, k);
          const err = maxRelativeError(c, expected);
          assert.ok(err <= TOLERANCE, `relative error ${err} > ${TOLERANCE}`);
        } finally {
          setSimdEnabled(true);
        }
      });
    }
  }
});
