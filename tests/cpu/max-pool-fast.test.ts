/**
 * The separable MaxPool fast path against the pooling reference window loop on random shapes (odd sizes, strides,
 * asymmetric pads, windows past the edge as ceil_mode makes them, NaN inputs), on the WebAssembly kernel and the JS
 * fallback. Max picks one of its inputs, so they must agree exactly (tolerance 0; the inputs hold no signed zeros).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { poolReference, type PoolParams } from '../../src/ops/pool/cpu.js';
import { maxPoolFast, maxPoolFastFits } from '../../src/ops/pool/cpu-max-fast.js';
import { Prng } from '../../models/forge/prng.js';
import { setSimdEnabled } from '../../src/ops/wasm/runtime.js';

interface PoolCase {
  readonly n: number; readonly c: number; readonly h: number; readonly w: number;
  readonly k: readonly [number, number]; readonly s: readonly [number, number];
  readonly pads: readonly [number, number, number, number];
  /** Extra output rows/columns beyond floor mode (ceil_mode windows reaching past the padded edge). */
  readonly extra?: number;
  readonly nans?: boolean;
}

const CASES: readonly PoolCase[] = [
  { n: 1, c: 3, h: 17, w: 19, k: [3, 3], s: [2, 2], pads: [1, 1, 1, 1] },
  { n: 2, c: 2, h: 8, w: 9, k: [2, 2], s: [2, 2], pads: [0, 0, 0, 0], extra: 1 },
  { n: 1, c: 4, h: 11, w: 7, k: [3, 2], s: [1, 3], pads: [2, 0, 1, 1], nans: true },
  { n: 1, c: 1, h: 1, w: 13, k: [1, 5], s: [1, 2], pads: [0, 2, 0, 2] },
  { n: 1, c: 2, h: 6, w: 6, k: [3, 3], s: [3, 3], pads: [0, 0, 0, 0], extra: 1, nans: true },
  // Unpadded windows inside the plane, read from the input item without a padded copy: scrfd_2.5g's 2×2/s2 (24
  // channels, batch 2, NaN), a 3×3/s2 whose windows end at the last column, and one whose last columns go unread.
  { n: 2, c: 24, h: 32, w: 32, k: [2, 2], s: [2, 2], pads: [0, 0, 0, 0], nans: true },
  { n: 1, c: 3, h: 9, w: 16, k: [3, 3], s: [2, 2], pads: [0, 0, 0, 0] },
  { n: 1, c: 2, h: 11, w: 25, k: [2, 2], s: [2, 2], pads: [0, 0, 0, 0] },
];

function params(t: PoolCase): PoolParams {
  const out = (size: number, a: number): number => Math.floor((size + t.pads[a]! + t.pads[a + 2]! - t.k[a]!) / t.s[a]!) + 1 + (t.extra ?? 0);
  return {
    kind: 'max', global: false, kernel: t.k, strides: t.s, dilations: [1, 1], pads: t.pads, countIncludePad: false,
    inDims: [t.n, t.c, t.h, t.w], outDims: [t.n, t.c, out(t.h, 0), out(t.w, 1)], rank: 4,
  };
}

for (const simd of [true, false]) describe(`MaxPool fast path (${simd ? 'WebAssembly SIMD' : 'JS fallback'})`, () => {
  CASES.forEach((t, i) => {
    it(`${t.n}×${t.c}×${t.h}×${t.w} k${t.k.join('×')} s${t.s.join('×')} pads ${t.pads.join(',')}${t.extra ? ' ceil' : ''}${t.nans ? ' NaN' : ''}`, () => {
      const p = params(t);
      assert.ok(maxPoolFastFits(p));
      const prng = new Prng(40 + i);
      const x = Float32Array.from({ length: t.n * t.c * t.h * t.w }, () => prng.range(-1, 1));
      if (t.nans) for (let j = 0; j < x.length; j += 7) x[j] = Number.NaN;
      const count = p.outDims.reduce((a, b) => a * b, 1);
      const expected = new Float32Array(count);
      const actual = new Float32Array(count).fill(123);
      poolReference(p, x, expected);
      setSimdEnabled(simd);
      try {
        maxPoolFast(p, x, actual);
      } finally {
        setSimdEnabled(true);
      }
      // Element by element: NaN payloads may differ between JS and WebAssembly, so any NaN matches any NaN.
      for (let j = 0; j < count; j++) assert.ok(Object.is(actual[j], expected[j]), `output ${j}: ${actual[j]} ≠ ${expected[j]}`);
    });
  });

  it('leaves dilated windows to the reference', () => {
    assert.equal(maxPoolFastFits({ ...params(CASES[0]!), dilations: [2, 2] }), false);
  });
});
