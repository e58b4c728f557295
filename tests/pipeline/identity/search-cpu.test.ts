/**
 * The CPU search's WebAssembly SIMD kernel (rows kept in its memory) against the JS loop it replaces: the same
 * float64 dots bit for bit, and FaceIndex's results identical with the kernel on and off.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeSim } from '../../../src/pipeline/face.js';
import { normed32 } from '../../../src/pipeline/identity/embedding.js';
import { FaceIndex } from '../../../src/pipeline/identity/index.js';
import { DOT_BLOCK, setRowDotsEnabled, WasmRowDots } from '../../../src/ops/wasm/row-dots.js';
import { seededRandom } from '../helpers.js';

after(() => setRowDotsEnabled(true));

/** The reference: one float64 sum in index order, as computeSim and the JS path accumulate. */
function jsDot(q: Float32Array, rows: Float32Array, r: number, dim: number): number {
  let d = 0;
  for (let i = 0; i < dim; i++) d += q[i]! * rows[r * dim + i]!;
  return d;
}

for (const dim of [4, 128, 512]) {
  test(`WasmRowDots: ${dim}-d dots equal the JS float64 loop bit for bit (whole groups of 8 and a tail)`, () => {
    const rand = seededRandom(dim);
    const n = 3 * DOT_BLOCK + 13;
    const store = WasmRowDots.create(dim, n * dim);
    assert.ok(store, 'WebAssembly SIMD is available in Node');
    const rows = store.rows;
    for (let i = 0; i < n * dim; i++) rows[i] = rand() * 2 - 1;
    const q = Float32Array.from({ length: dim }, () => rand() * 2 - 1);
    for (let start = 0; start < n; start += DOT_BLOCK) {
      const count = Math.min(DOT_BLOCK, n - start);
      const got: number[] = Array.from(store.dotsWith(q, 0, start, count));
      const want = Array.from({ length: count }, (_, i) => jsDot(q, rows, start + i, dim));
      assert.deepEqual(got, want, `rows ${start}..${start + count}`);
    }
  });
}

test('WasmRowDots: rows survive growth in place; an odd dim gets no kernel', () => {
  const store = WasmRowDots.create(8, 16)!;
  store.rows.set(Float32Array.from({ length: 16 }, (_, i) => i + 1));
  assert.ok(store.grow(1 << 20));
  assert.ok(store.rows.length >= 1 << 20);
  assert.deepEqual(Array.from(store.rows.subarray(0, 16)), Array.from({ length: 16 }, (_, i) => i + 1));
  assert.equal(WasmRowDots.create(6, 60), undefined);
});

test('FaceIndex: the SIMD and JS paths give the same hits, bit for bit, equal to computeSim, through growth and removal', () => {
  const dim = 512;
  const rand = seededRandom(15);
  const vectors = Array.from({ length: 700 }, () => Float32Array.from({ length: dim }, () => rand() * 2 - 1));
  const queries = Array.from({ length: 5 }, (_, i) => (i % 2 === 0 ? vectors[i * 97]!.map((v) => v + 0.1 * (rand() - 0.5)) : Float32Array.from({ length: dim }, () => rand() * 2 - 1)));
  const build = (simd: boolean): FaceIndex => {
    setRowDotsEnabled(simd);
    // Several rows per identity (the best one scores), added one by one so the storage grows many times.
    const index = new FaceIndex();
    vectors.forEach((v, i) => index.add(`id${i % 300}`, v));
    for (let i = 0; i < 300; i += 7) index.remove(`id${i}`);
    return index;
  };
  const simd = build(true);
  const plain = build(false);
  setRowDotsEnabled(true);
  assert.ok(simd.memoryBytes.cpu > 0 && plain.size === simd.size);
  const a = simd.searchMany(queries, { k: 10 });
  const b = plain.searchMany(queries, { k: 10 });
  assert.deepEqual(a, b);
  for (const [qi, hits] of a.entries()) {
    assert.equal(hits.length, 10);
    const nq = normed32(queries[qi]!, 'q');
    // Each hit's score is computeSim's on the normed vectors of its identity's best row, exactly.
    for (const h of hits) {
      const n = Number(h.id.slice(2));
      const best = Math.max(...vectors.filter((_, i) => i % 300 === n).map((v) => computeSim(nq, normed32(v, 'row'))));
      assert.equal(h.score, best, h.id);
    }
  }
});
