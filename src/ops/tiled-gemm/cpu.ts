/**
 * C[M×N] += A[M×K] · B[K×N], row-major with explicit row strides (Gemm/MatMul and grouped convs).
 * Products big enough to pay for the copies run on the WebAssembly SIMD kernel (wasm/gemm-kernel.ts).
 * The JS fallback is GotoBLAS-style: B is packed per column panel into 4-wide strips and A per 4-row block, so a 4×4
 * register tile of C accumulates in locals while both operands stream contiguously from cache.
 */
import { TILE_M, TILE_N } from '../wasm/gemm.js';
import { simdKernels, type SimdKernels } from '../wasm/runtime.js';

const PANEL_N = 256;

/** Below this many multiply-adds the copies into the SIMD arena cost more than they save. */
const SIMD_MIN_MACS = 4096;
/** Reduction depth per SIMD kernel call (keeps a 4-row A slice and an 8-column B strip in L1). */
const SIMD_KC = 256;

let packedA = new Float32Array(0);
let packedB = new Float32Array(0);

function scratch(current: Float32Array<ArrayBuffer>, size: number): Float32Array<ArrayBuffer> {
  return current.length >= size ? current : new Float32Array(size);
}

export function gemmAccumulate(
  a: Float32Array, aOffset: number, lda: number,
  b: Float32Array, bOffset: number, ldb: number,
  c: Float32Array, cOffset: number, ldc: number,
  m: number, n: number, k: number,
): void {
  if (m === 0 || n === 0 || k === 0) return;
  const kernels = m * n * k >= SIMD_MIN_MACS ? simdKernels() : null;
  if (kernels) {
    gemmSimd(kernels, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc, m, n, k);
    return;
  }
  packedA = scratch(packedA, 4 * k);
  packedB = scratch(packedB, PANEL_N * k);
  const ap = packedA;
  const bp = packedB;
  for (let j0 = 0; j0 < n; j0 += PANEL_N) {
    const width = Math.min(PANEL_N, n - j0);
    const strips = width >> 2;
    // Pack full 4-column strips: bp[(s·k + p)·4 + jj] = B[p][j0 + 4s + jj].
    for (let s = 0; s < strips; s++) {
      let dst = s * k * 4;
      let src = bOffset + j0 + 4 * s;
      for (let p = 0; p < k; p++, dst += 4, src += ldb) {
        bp[dst] = b[src]!; bp[dst + 1] = b[src + 1]!; bp[dst + 2] = b[src + 2]!; bp[dst + 3] = b[src + 3]!;
      }
    }
    for (let i = 0; i < m; i += 4) {
      const rows = Math.min(4, m - i);
      for (let p = 0; p < k; p++) {
        const q = p * 4;
        for (let r = 0; r < 4; r++) ap[q + r] = r < rows ? a[aOffset + (i + r) * lda + p]! : 0;
      }
      for (let s = 0; s < strips; s++) {
        microKernel(ap, bp, s * k * 4, k, c, cOffset + i * ldc + j0 + 4 * s, ldc, rows);
      }
      // Columns left over after the 4-wide strips.
      for (let j = j0 + strips * 4; j < j0 + width; j++) {
        for (let r = 0; r < rows; r++) {
          let sum = 0;
          for (let p = 0; p < k; p++) sum += ap[p * 4 + r]! * b[bOffset + p * ldb + j]!;
          c[cOffset + (i + r) * ldc + j] += sum;
        }
      }
    }
  }
}

/** The same product on the WebAssembly SIMD kernel: A packed into 4-row panels, B and C rows padded to 8 columns. */
function gemmSimd(
  kernels: SimdKernels,
  a: Float32Array, aOffset: number, lda: number,
  b: Float32Array, bOffset: number, ldb: number,
  c: Float32Array, cOffset: number, ldc: number,
  m: number, n: number, k: number,
): void {
  const panels = Math.ceil(m / TILE_M);
  const strips = Math.ceil(n / TILE_N);
  const ld = strips * TILE_N;
  const bOff = panels * TILE_M * k;
  const cOff = bOff + k * ld;
  const arena = kernels.arena(cOff + panels * TILE_M * ld);
  arena.fill(0, 0, bOff);
  for (let i = 0; i < m; i++) {
    const dst = (Math.floor(i / TILE_M) * k) * TILE_M + (i % TILE_M);
    const src = aOffset + i * lda;
    for (let p = 0; p < k; p++) arena[dst + p * TILE_M] = a[src + p]!;
  }
  for (let p = 0; p < k; p++) arena.set(b.subarray(bOffset + p * ldb, bOffset + p * ldb + n), bOff + p * ld);
  for (let i = 0; i < m; i++) arena.set(c.subarray(cOffset + i * ldc, cOffset + i * ldc + n), cOff + i * ld);
  for (let k0 = 0; k0 < k; k0 += SIMD_KC) {
    kernels.gemm(4 * k0 * TILE_M, 4 * TILE_M * k, 4 * (bOff + k0 * ld), 4 * ld, 4 * cOff, 4 * ld, panels, strips, Math.min(SIMD_KC, k - k0));
  }
  for (let i = 0; i < m; i++) c.set(arena.subarray(cOff + i * ld, cOff + i * ld + n), cOffset + i * ldc);
}

function microKernel(ap: Float32Array, bp: Float32Array, bStart: number, k: number, c: Float32Array, o: number, ldc: number, rows: number): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let q = 0, bi = bStart, end = 4 * k; q < end; q += 4, bi += 4) {
    const b0 = bp[bi]!, b1 = bp[bi + 1]!, b2 = bp[bi + 2]!, b3 = bp[bi + 3]!;
    const a0 = ap[q]!, a1 = ap[q + 1]!, a2 = ap[q + 2]!, a3 = ap[q + 3]!;
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
  }
  c[o] += c00; c[o + 1] += c01; c[o + 2] += c02; c[o + 3] += c03;
  if (rows < 2) return;
  o += ldc; c[o] += c10; c[o + 1] += c11; c[o + 2] += c12; c[o + 3] += c13;
  if (rows < 3) return;
  o += ldc; c[o] += c20; c[o + 1] += c21; c[o + 2] += c22; c[o + 3] += c23;
  if (rows < 4) return;
  o += ldc; c[o] += c30; c[o + 1] += c31; c[o + 2] += c32; c[o + 3] += c33;
}
