/**
 * C[M×N] += A[M×K] · B[K×N], row-major with explicit row strides (Gemm/MatMul and grouped convs).
 * Products big enough to pay for the copies run on the WebAssembly SIMD kernel (wasm/gemm-kernel.ts).
 * The JS fallback is GotoBLAS-style: B is packed per column panel into 4-wide strips and A per 4-row block, so a 4×4
 * register tile of C accumulates in locals while both operands stream contiguously from cache.
 */
import { TILE_M, TILE_N } from '../wasm/gemm.js';
import { PACKED_MAX_ROWS, PACKED_STRIP } from '../wasm/gemm-packed.js';
import { privateSimdKernels, simdKernels, type SimdKernels } from '../wasm/runtime.js';

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

/**
 * Below this many floats a constant B is copied into the arena on each call as any B is: the copy costs microseconds,
 * and each resident B holds a WebAssembly memory (with its address-space reservation) of its own.
 */
export const RESIDENT_MIN_FLOATS = 16384;

/**
 * A constant k×n B laid out once, strip-packed (gemm-packed.ts), at the start of a WebAssembly memory of its own; the
 * memory's floats after B are the scratch for each call's A panels and C rows. w600k_r50's 25088×512 FC weight
 * (51 MB) was copied into the arena on every run otherwise.
 */
export interface ResidentB {
  readonly k: number;
  readonly n: number;
  /** Whether it was laid out from an n×k B (transB). */
  readonly transposed: boolean;
  /** The kernels over this B's own memory. */
  readonly kernels: SimdKernels;
  /** Bytes of that memory now (B, and the scratch of the largest M run so far). */
  bytes(): number;
}

/**
 * Resident layouts by the constant tensor they were made from (its TensorData, which a plan keeps for its life). An
 * entry goes when its plan is disposed (releaseResidentB) or, failing that, with the tensor.
 */
const residents = new WeakMap<object, ResidentB>();
/** Resident layouts made and dropped by releaseResidentB so far in this process (tests check reuse and release). */
const residentCounts = { made: 0, released: 0 };

/** How many resident B layouts this process has made (each a pass over B and a memory of its own) and released. */
export function residentLayoutStats(): { readonly made: number; readonly released: number } {
  return { ...residentCounts };
}

/**
 * The resident layout of the constant B `b` (k×n row-major, or n×k when `transposed`), the data of the plan constant
 * `key` (isConstantTensor: its data never changes), made on first use and kept until releaseResidentB. Null when B
 * is small (RESIDENT_MIN_FLOATS), SIMD is off, or the kernels cannot get a memory; the caller then takes
 * gemmAccumulate's path.
 */
export function residentB(key: object, b: Float32Array, transposed: boolean, k: number, n: number): ResidentB | null {
  if (k * n < RESIDENT_MIN_FLOATS || !simdKernels()) return null;
  const kept = residents.get(key);
  if (kept) {
    if (kept.k === k && kept.n === n && kept.transposed === transposed) return kept;
    // The same constant read another way (another node's shape or transB): that layout is not this one.
    return null;
  }
  const strips = Math.ceil(n / PACKED_STRIP);
  const kernels = privateSimdKernels(strips * k * PACKED_STRIP);
  if (!kernels) return null;
  const packed = kernels.arena(strips * k * PACKED_STRIP);
  // packed[(s·k + p)·8 + jj] = B[p][8s + jj]; the columns past n stay zero (a fresh memory is zeroed).
  for (let s = 0; s < strips; s++) {
    const width = Math.min(PACKED_STRIP, n - s * PACKED_STRIP);
    for (let jj = 0; jj < width; jj++) {
      const col = s * PACKED_STRIP + jj;
      let dst = s * k * PACKED_STRIP + jj;
      if (transposed) for (let p = 0, src = col * k; p < k; p++, dst += PACKED_STRIP) packed[dst] = b[src + p]!;
      else for (let p = 0, src = col; p < k; p++, dst += PACKED_STRIP, src += n) packed[dst] = b[src]!;
    }
  }
  const resident: ResidentB = { k, n, transposed, kernels, bytes: () => kernels.arena(0).byteLength };
  residents.set(key, resident);
  residentCounts.made++;
  return resident;
}

/**
 * Drops the resident layouts made for these constants (a CPU plan's, when it is disposed), so their memories go to
 * the garbage collector now rather than with the tensors; a later use makes a fresh one.
 */
export function releaseResidentB(keys: Iterable<object>): void {
  for (const key of keys) if (residents.delete(key)) residentCounts.released++;
}

/**
 * C[m×n] += A[m×k] · B for a resident B, C row-major with row stride ldc. A is packed into 4-row panels plus one
 * panel of the m mod 4 rows left, each run by the packed kernel of its row count, so m = 1…3 (one face's embedding)
 * computes only its own rows. The reduction runs in SIMD_KC blocks, each block's sum added to C, exactly as gemmSimd
 * does: the result is bit for bit gemmAccumulate's.
 */
export function gemmResidentAccumulate(
  rb: ResidentB, a: Float32Array, aOffset: number, lda: number, c: Float32Array, cOffset: number, ldc: number, m: number,
): void {
  const { k, n, kernels } = rb;
  if (m === 0) return;
  const strips = Math.ceil(n / PACKED_STRIP);
  const ld = strips * PACKED_STRIP;
  const full = Math.floor(m / PACKED_MAX_ROWS);
  const rest = m - full * PACKED_MAX_ROWS;
  const aOff = strips * k * PACKED_STRIP;
  const cOff = aOff + m * k;
  const arena = kernels.arena(cOff + m * ld);
  for (let i = 0; i < m; i++) {
    const block = Math.floor(i / PACKED_MAX_ROWS);
    const rows = block < full ? PACKED_MAX_ROWS : rest;
    const dst = aOff + block * PACKED_MAX_ROWS * k + (i % PACKED_MAX_ROWS);
    const src = aOffset + i * lda;
    if (rows === 1) arena.set(a.subarray(src, src + k), dst);
    else for (let p = 0; p < k; p++) arena[dst + p * rows] = a[src + p]!;
  }
  for (let i = 0; i < m; i++) arena.set(c.subarray(cOffset + i * ldc, cOffset + i * ldc + n), cOff + i * ld);
  const fullKernel = kernels.gemmPacked(PACKED_MAX_ROWS);
  const restKernel = rest > 0 ? kernels.gemmPacked(rest) : undefined;
  const restA = aOff + full * PACKED_MAX_ROWS * k;
  const restC = cOff + full * PACKED_MAX_ROWS * ld;
  for (let k0 = 0; k0 < k; k0 += SIMD_KC) {
    const kc = Math.min(SIMD_KC, k - k0);
    const b = 4 * k0 * PACKED_STRIP;
    if (full > 0) fullKernel(4 * (aOff + k0 * PACKED_MAX_ROWS), 4 * PACKED_MAX_ROWS * k, b, 4 * k * PACKED_STRIP, 4 * cOff, 4 * ld, full, strips, kc);
    if (restKernel) restKernel(4 * (restA + k0 * rest), 4 * rest * k, b, 4 * k * PACKED_STRIP, 4 * restC, 4 * ld, 1, strips, kc);
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
