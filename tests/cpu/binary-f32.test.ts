/**
 * The float32 binary fast path against a direct per-element evaluation of numpy broadcasting, over seeded random
 * shapes that exercise scalar, per-channel, inner, outer and two-sided broadcasts. Exact equality: both sides do the
 * same single fp32 operation per element. Rows of 16 or more (the WebAssembly SIMD rows) are checked with SIMD on
 * and off, including rows whose length is not a multiple of 4 and an output that aliases x.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { binaryF32, type F32BinaryKind } from '../../src/ops/binary/cpu-f32.js';
import { Prng } from '../../models/forge/prng.js';
import { setSimdEnabled } from '../../src/ops/wasm/runtime.js';

function rng(seed: number): () => number {
  const prng = new Prng(seed);
  return () => prng.uniform();
}

function naive(kind: F32BinaryKind, x: Float32Array, xd: number[], y: Float32Array, yd: number[], od: number[]): Float32Array {
  const out = new Float32Array(od.reduce((a, b) => a * b, 1));
  const pick = (data: Float32Array, dims: number[], coord: number[]): number => {
    let off = 0;
    for (let i = 0; i < dims.length; i++) off = off * dims[i]! + (dims[i] === 1 ? 0 : coord[od.length - dims.length + i]!);
    return data[off]!;
  };
  const coord = new Array<number>(od.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    let r = i;
    for (let a = od.length - 1; a >= 0; a--) { coord[a] = r % od[a]!; r = Math.floor(r / od[a]!); }
    const u = Math.fround(pick(x, xd, coord));
    const v = Math.fround(pick(y, yd, coord));
    let z: number;
    switch (kind) {
      case 'Add': z = u + v; break;
      case 'Sub': z = u - v; break;
      case 'Mul': z = u * v; break;
      case 'Div': z = u / v; break;
      case 'PRelu': z = u < 0 ? u * v : u; break;
      case 'Max': z = Math.max(u, v); break;
      case 'Min': z = Math.min(u, v); break;
    }
    out[i] = z;
  }
  return out;
}

test('binaryF32 equals per-element numpy broadcasting on random shapes', () => {
  const random = rng(7);
  const kinds: F32BinaryKind[] = ['Add', 'Sub', 'Mul', 'Div', 'PRelu', 'Max', 'Min'];
  for (let trial = 0; trial < 300; trial++) {
    const rank = 1 + Math.floor(random() * 4);
    const od = Array.from({ length: rank }, () => 1 + Math.floor(random() * 5));
    const sub = (): number[] => {
      const keep = Math.floor(random() * (rank + 1));
      return od.slice(rank - keep).map((d) => (random() < 0.4 ? 1 : d));
    };
    let xd = sub();
    const yd = sub();
    // The output shape is the broadcast of both; make x carry any axis neither has, so od stays exact.
    xd = od.map((d, i) => (i < rank - xd.length ? d : xd[i - (rank - xd.length)] === 1 && (yd[i - (rank - yd.length)] ?? 1) === 1 ? d : xd[i - (rank - xd.length)]!));
    const fill = (dims: number[]): Float32Array => Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => random() * 4 - 2);
    const x = fill(xd);
    const y = fill(yd);
    const kind = kinds[trial % kinds.length]!;
    const out = new Float32Array(od.reduce((a, b) => a * b, 1));
    binaryF32(kind, x, xd, y, yd, od, out);
    assert.deepEqual(out, naive(kind, x, xd, y, yd, od), `${kind} ${JSON.stringify(xd)} ∘ ${JSON.stringify(yd)} → ${JSON.stringify(od)}`);
  }
});

test('binaryF32 rows on WebAssembly SIMD equal per-element numpy broadcasting', () => {
  const random = rng(11);
  const shapes: [number[], number[], number[]][] = [
    [[2, 3, 17, 19], [1, 3, 1, 1], [2, 3, 17, 19]],
    [[1, 3, 16, 16], [3, 16, 16], [1, 3, 16, 16]],
    [[1], [2, 5, 33], [2, 5, 33]],
    [[4, 21], [4, 1], [4, 21]],
    [[3, 1, 18], [1, 5, 18], [3, 5, 18]],
    [[1, 1, 1, 1], [1, 4, 7, 9], [1, 4, 7, 9]],
  ];
  const fill = (dims: number[]): Float32Array => Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => random() * 4 - 2);
  for (const simd of [true, false]) {
    setSimdEnabled(simd);
    try {
      for (const [xd, yd, od] of shapes) {
        for (const kind of ['Add', 'Sub', 'Mul', 'Div'] as const) {
          const x = fill(xd);
          const y = fill(yd);
          const expected = naive(kind, x, xd, y, yd, od);
          const out = new Float32Array(expected.length);
          binaryF32(kind, x, xd, y, yd, od, out);
          assert.deepEqual(out, expected, `${simd ? 'SIMD' : 'JS'} ${kind} ${JSON.stringify(xd)} ∘ ${JSON.stringify(yd)}`);
          if (x.length === out.length) {
            binaryF32(kind, x, xd, y, yd, od, x);
            assert.deepEqual(x, expected, `${simd ? 'SIMD' : 'JS'} ${kind} in place`);
          }
        }
      }
    } finally {
      setSimdEnabled(true);
    }
  }
});
