/**
 * The subgroup-matrix tile's schedule, run on the CPU with plain matrices: the A and B K tiles staged as the
 * kernel stages them, each subgroup's fragments loaded through leftAccess/rightAccess with their majorness and
 * stride, multiplied and stored through resultAccess, each thread's vec4 groups (threadGroup) summed and written
 * out with the edge masks. Integer-valued inputs keep every product and sum exact in float64, so the result must
 * equal A·B exactly, and every output element must be written exactly once. No adapter here has the feature, so
 * this (with the WGSL text checks in subgroup-matrix-wgsl.test.ts) is what CI checks of the variant's logic.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  fragmentsOf, leftAccess, matrixTilePlan, resultAccess, rightAccess, threadGroup,
  type MatrixAccess, type MatrixTilePlan, type SubgroupMatrixChoice,
} from '../../src/ops/tiled-gemm/matrix-tile.js';
import { TILE_K } from '../../src/ops/tiled-gemm/tile-menu.js';

/** The configurations adapters report: NVIDIA (Vulkan, f16 results), Apple (8×8, f32 results), 64-wide subgroups. */
const CHOICES: readonly SubgroupMatrixChoice[] = [
  { config: { componentType: 'f16', resultComponentType: 'f16', M: 16, N: 16, K: 16 }, subgroupMaxSize: 32 },
  { config: { componentType: 'f16', resultComponentType: 'f32', M: 16, N: 16, K: 16 }, subgroupMaxSize: 32 },
  { config: { componentType: 'f16', resultComponentType: 'f32', M: 8, N: 8, K: 8 }, subgroupMaxSize: 32 },
  { config: { componentType: 'f16', resultComponentType: 'f16', M: 16, N: 8, K: 16 }, subgroupMaxSize: 64 },
];

/** GEMM shapes of the models' convs (M = output channels, N = output pixels, K = C·kh·kw) and odd ones. */
const SHAPES: readonly { m: number; n: number; k: number; name: string }[] = [
  { name: 'w600k_r50 stage 1 3×3', m: 64, n: 56 * 56, k: 576 },
  { name: 'w600k_r50 stage 4 3×3', m: 512, n: 7 * 7, k: 4608 },
  { name: 'det_10g 3×3 at M = 56', m: 56, n: 80 * 80, k: 504 },
  { name: 'det_10g 1×1 at M = 88', m: 88, n: 40 * 40, k: 88 },
  { name: 'det_10g stem', m: 28, n: 320 * 320, k: 27 },
  { name: 'fully connected', m: 1, n: 512, k: 25088 },
  { name: 'odd small', m: 5, n: 7, k: 3 },
  { name: 'odd', m: 37, n: 101, k: 53 },
  { name: 'one K tile and a bit', m: 17, n: 33, k: 17 },
];

const seeded = (seed: number): (() => number) => {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return (s >>> 24) % 7 - 3; };
};

/** A rows×cols matrix read from workgroup memory as subgroupMatrixLoad reads it. */
function load(mem: Float64Array, a: MatrixAccess, rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => mem[a.offset + (a.colMajor ? c * a.stride + r : r * a.stride + c)]!));
}

/**
 * C = A·B for one problem run through the schedule of `plan`, over the workgroups that cover columns below
 * `nLimit` (a wide layer's grid repeats the same tile, so its first and last tiles and the edges cover it), with
 * `subgroupSize` the size the adapter actually runs (at most the plan's maximum).
 */
function emulate(plan: MatrixTilePlan, m: number, n: number, k: number, a: Float64Array, b: Float64Array, subgroupSize: number, columnTiles: readonly number[]):
  { c: Float64Array; writes: Uint8Array } {
  const { tm, tn, threads, config } = plan;
  const c = new Float64Array(m * n);
  const writes = new Uint8Array(m * n);
  for (const bx of columnTiles) {
    for (let by = 0; by < Math.ceil(m / tm); by++) {
      const m0 = by * tm;
      const n0 = bx * tn;
      const sums = Array.from({ length: threads }, () => new Float64Array(plan.groupsPerThread * 4));
      const subgroups = threads / subgroupSize;
      const acc = Array.from({ length: subgroups }, () => Array.from({ length: plan.fragmentsPerSubgroup }, () => new Float64Array(config.M * config.N)));
      const flush = (): void => {
        const cs = new Float64Array(tm * tn).fill(Number.NaN);
        for (let s = 0; s < subgroups; s++) {
          fragmentsOf(plan, s).forEach((f, j) => {
            const at = resultAccess(plan, f);
            assert.equal(at.colMajor, false);
            for (let r = 0; r < config.M; r++) {
              for (let q = 0; q < config.N; q++) {
                const i = at.offset + r * at.stride + q;
                assert.ok(Number.isNaN(cs[i]!), `C tile element ${i} stored twice`);
                cs[i] = acc[s]![j]![r * config.N + q]!;
              }
            }
            acc[s]![j]!.fill(0);
          });
        }
        for (let lid = 0; lid < threads; lid++) {
          for (let i = 0; i < plan.groupsPerThread; i++) {
            const g = threadGroup(plan, lid, i);
            // The kernel reads the group at Cs[(lid + i·threads)·4]: the same element as row·tn + col.
            assert.equal(g.row * tn + g.col, (lid + i * threads) * 4);
            for (let e = 0; e < 4; e++) {
              const v = cs[g.row * tn + g.col + e]!;
              assert.ok(!Number.isNaN(v), 'a C tile element no fragment stored');
              sums[lid]![i * 4 + e]! += v;
            }
          }
        }
      };
      for (let k0 = 0; k0 < k; k0 += TILE_K) {
        // The staged tiles, K row by K row, zero past the layer's edges (the kernel's load guards).
        const as = new Float64Array(TILE_K * tm);
        const bs = new Float64Array(TILE_K * tn);
        for (let kk = 0; kk < TILE_K; kk++) {
          for (let mm = 0; mm < tm; mm++) if (m0 + mm < m && k0 + kk < k) as[kk * tm + mm] = a[(m0 + mm) * k + k0 + kk]!;
          for (let nn = 0; nn < tn; nn++) if (n0 + nn < n && k0 + kk < k) bs[kk * tn + nn] = b[(k0 + kk) * n + n0 + nn]!;
        }
        for (let s = 0; s < subgroups; s++) {
          fragmentsOf(plan, s).forEach((f, j) => {
            for (let ks = 0; ks < plan.kSteps; ks++) {
              const l = load(as, leftAccess(plan, f, ks), config.M, config.K);
              const r = load(bs, rightAccess(plan, f, ks), config.K, config.N);
              for (let i = 0; i < config.M; i++) {
                for (let q = 0; q < config.N; q++) {
                  let dot = 0;
                  for (let t = 0; t < config.K; t++) dot += l[i]![t]! * r[t]![q]!;
                  acc[s]![j]![i * config.N + q]! += dot;
                }
              }
            }
          });
        }
        if (plan.flushEveryTile) flush();
      }
      if (!plan.flushEveryTile) flush();
      for (let lid = 0; lid < threads; lid++) {
        for (let i = 0; i < plan.groupsPerThread; i++) {
          const g = threadGroup(plan, lid, i);
          const row = m0 + g.row;
          if (row >= m) continue;
          for (let e = 0; e < 4; e++) {
            const col = n0 + g.col + e;
            if (col >= n) break;
            c[row * n + col] = sums[lid]![i * 4 + e]!;
            writes[row * n + col]!++;
          }
        }
      }
    }
  }
  return { c, writes };
}

describe('the subgroup-matrix tile schedule computes A·B exactly', () => {
  for (const choice of CHOICES) {
    const { config } = choice;
    const name = `${config.M}×${config.N}×${config.K} ${config.resultComponentType} results, subgroups of ${choice.subgroupMaxSize}`;
    it(name, () => {
      for (const shape of SHAPES) {
        const found = matrixTilePlan({ ...shape, batches: 1 }, choice);
        assert.ok(found, `${shape.name}: a menu tile fits`);
        const plan: MatrixTilePlan = found;
        const tn = plan.tn;
        assert.equal(plan.tm % config.M, 0);
        assert.equal(plan.tn % config.N, 0);
        assert.equal(plan.flushEveryTile, config.resultComponentType === 'f16', 'f16 results go to the f32 sums every K tile');
        const tilesN = Math.ceil(shape.n / plan.tn);
        // The first two column tiles and the last: the edge tile is masked, the inner ones are whole.
        const columnTiles = [...new Set([0, Math.min(1, tilesN - 1), tilesN - 1])];
        // The tile comes from the layer's full size; the emulation walks 3 K tiles and a partial one (more K tiles
        // repeat the same steps), which keeps a test of every shape within seconds.
        const k = Math.min(shape.k, 3 * TILE_K + 5);
        const random = seeded(shape.m * 7919 + shape.n * 31 + shape.k);
        const a = Float64Array.from({ length: shape.m * k }, random);
        const b = Float64Array.from({ length: k * shape.n }, random);
        // The adapter's largest subgroups, and half as large (Dawn may run smaller ones: the extra subgroups own none).
        for (const size of [choice.subgroupMaxSize, choice.subgroupMaxSize / 2]) {
          const { c, writes } = emulate(plan, shape.m, shape.n, k, a, b, size, columnTiles);
          const wrong: string[] = [];
          for (const bx of columnTiles) {
            const end = Math.min(shape.n, (bx + 1) * tn);
            for (let col = bx * tn; col < end; col++) {
              for (let row = 0; row < shape.m; row++) {
                let want = 0;
                for (let t = 0; t < k; t++) want += a[row * k + t]! * b[t * shape.n + col]!;
                const i = row * shape.n + col;
                if (writes[i] !== 1 || c[i] !== want) wrong.push(`C[${row}][${col}]: ${writes[i]} writes, ${c[i]} for ${want}`);
              }
            }
          }
          assert.deepEqual(wrong.slice(0, 5), [], `${shape.name}, subgroups of ${size}: every output written once with A·B`);
          // Columns of tiles not emulated were never written: the grid's tiles do not overlap.
          const emulated = new Set(columnTiles);
          for (let col = 0; col < shape.n; col++) {
            if (!emulated.has(Math.floor(col / plan.tn))) assert.equal(writes[col], 0);
          }
        }
      }
    });
  }

  it('declines configurations no tile fits', () => {
    const size = { m: 64, n: 64, k: 64, batches: 1 };
    // K of 32 does not divide the 16-deep K tile; no menu tile is 256 columns wide; no workgroup has 512 threads.
    assert.equal(matrixTilePlan(size, { config: { componentType: 'f16', resultComponentType: 'f16', M: 16, N: 16, K: 32 }, subgroupMaxSize: 32 }), undefined);
    assert.equal(matrixTilePlan(size, { config: { componentType: 'f16', resultComponentType: 'f16', M: 16, N: 256, K: 16 }, subgroupMaxSize: 32 }), undefined);
    assert.equal(matrixTilePlan(size, { config: { componentType: 'f16', resultComponentType: 'f16', M: 16, N: 16, K: 16 }, subgroupMaxSize: 512 }), undefined);
  });
});
