import type { ConvParams } from './params.js';
import { TILE_M, TILE_N } from '../wasm/gemm.js';
import type { SimdKernels } from '../wasm/runtime.js';
import { epilogueFloats, runActivation, runCompactEpilogue, stageActivation, type SimdEpilogue } from '../epilogue/cpu-simd.js';
import { fillPaddedPlane } from './cpu-simd-pad.js';
import { weightLayout } from './constant-weights.js';

/** Reduction depth per GEMM call, as in cpu-simd.ts: an A panel slice and a B strip stay in L1. */
const KC = 256;

/** Tiles per band (rounded to whole tile rows): one band's transformed input and GEMM results stay in L2. */
const BAND_TILES = 256;

/** Elements of a 4×4 Winograd tile: one GEMM each. */
const T2 = 16;

/**
 * Whether a conv goes through the SIMD Winograd F(2×2, 3×3) path: ungrouped 3×3, stride 1, no dilation, with
 * enough input channels and pixels that the transforms cost less than the multiplies they save. The thresholds come from
 * bench/node/bench-winograd-cpu.ts on the 2-core dev box (see the README's CPU-backend section).
 */
export function winogradSimdFits(p: ConvParams): boolean {
  const [, c] = p.inDims;
  const [, m, ho, wo] = p.outDims;
  return p.rank === 4 && p.group === 1 && p.kernel[0] === 3 && p.kernel[1] === 3
    && p.strides[0] === 1 && p.strides[1] === 1 && p.dilations[0] === 1 && p.dilations[1] === 1
    && c >= WINOGRAD_SIMD_MIN_CIN && ho * wo >= WINOGRAD_SIMD_MIN_PIXELS;
}

/** Input channels from which the SIMD Winograd path takes a stride-1 3×3 conv (any output channel count pays). */
export const WINOGRAD_SIMD_MIN_CIN = 3;
/** Output pixels from which the SIMD Winograd path takes a stride-1 3×3 conv. */
export const WINOGRAD_SIMD_MIN_PIXELS = 16;

/** U = G g Gᵀ re-laid out as 16 GEMM A operands, each 4-row panels of [cin][4] (zero rows past the last channel). */
const packedU = new WeakMap<Float32Array, Float32Array>();

function packWinogradWeights(weights: Float32Array, m: number, c: number): Float32Array {
  const panels = Math.ceil(m / TILE_M);
  const perE = panels * TILE_M * c;
  return weightLayout(packedU, weights, (kept) => kept.length === T2 * perE, () => {
    const packed = new Float32Array(T2 * perE);
    // G g Gᵀ in closed form (G's rows: g0, (g0+g1+g2)/2, (g0−g1+g2)/2, g2), in float64 and rounded once: a generic
    // matrix product per filter takes ~0.3 s for one 512→512 layer at the first run.
    const t = new Float64Array(12);
    for (let o = 0; o < m; o++) {
      const base = Math.floor(o / TILE_M) * TILE_M * c + (o % TILE_M);
      for (let ch = 0; ch < c; ch++) {
        const g = (o * c + ch) * 9;
        for (let q = 0; q < 3; q++) {
          const g0 = weights[g + q]!;
          const g1 = weights[g + 3 + q]!;
          const g2 = weights[g + 6 + q]!;
          t[q] = g0;
          t[3 + q] = (g0 + g1 + g2) / 2;
          t[6 + q] = (g0 - g1 + g2) / 2;
          t[9 + q] = g2;
        }
        const at = base + ch * TILE_M;
        for (let r = 0; r < 4; r++) {
          const t0 = t[3 * r]!;
          const t1 = t[3 * r + 1]!;
          const t2 = t[3 * r + 2]!;
          const e = r * 4 * perE + at;
          packed[e] = t0;
          packed[e + perE] = (t0 + t1 + t2) / 2;
          packed[e + 2 * perE] = (t0 - t1 + t2) / 2;
          packed[e + 3 * perE] = t2;
        }
      }
    }
    return packed;
  });
}

/**
 * Tile rows per band: as many as keep BAND_TILES tiles in L2; with several threads, fewer where that makes the band
 * count a multiple of the threads (each takes whole bands). Any band height gives the same floats: every tile's
 * transform, products and inverse are its own.
 */
export function winogradBandRows(tilesY: number, tilesX: number, threads: number): number {
  const rows = Math.max(1, Math.min(tilesY, Math.floor(BAND_TILES / tilesX)));
  if (threads <= 1) return rows;
  const bands = Math.ceil(Math.ceil(tilesY / rows) / threads) * threads;
  return Math.max(1, Math.ceil(tilesY / bands));
}

/**
 * Stride-1 3×3 conv plus bias into `y` (NCHW) by Winograd F(2×2, 3×3) on WebAssembly SIMD: the input item is laid
 * into a zero-padded, even/odd-column-split copy in the arena; then, band by band of tile rows, the input transform
 * writes V (16 × cin × tiles), the GEMM micro-kernel forms the 16 products U·V, and the output transform adds the bias
 * (and clamps, for Relu/Clip) as it writes 2×2 tiles into whole-tile output rows. Other activations and the residual
 * run on that result as in the direct path; it is compacted to NCHW when tiles overhang and copied out in one piece.
 */
export function conv3x3Winograd(
  kernels: SimdKernels, p: ConvParams, x: Float32Array, weights: Float32Array, bias: Float32Array | undefined, y: Float32Array,
  epi?: SimdEpilogue,
): void {
  const act = epi?.residual ? undefined : epi?.act;
  const [n, c, h, w] = p.inDims;
  const [, m, ho, wo] = p.outDims;
  const [pt, pl] = p.pads;
  const tilesY = Math.ceil(ho / 2);
  const groups = Math.ceil(Math.ceil(wo / 2) / 4);
  const tilesX = groups * 4;
  const panels = Math.ceil(m / TILE_M);
  const mPad = panels * TILE_M;
  const packed = packWinogradWeights(weights, m, c);
  const perE = mPad * c;
  // Padded input: 2 rows and columns per tile plus the 2 of overlap; each phase (even/odd columns) holds
  // tilesX + 1 columns, rounded to whole v128.
  const paddedH = 2 * tilesY + 2;
  const paddedW = 2 * tilesX + 2;
  const phaseW = Math.ceil((tilesX + 1) / 4) * 4;
  const rowLd = 2 * phaseW;
  const inPlane = paddedH * rowLd;
  const seats = kernels.threads();
  const bandRows = winogradBandRows(tilesY, tilesX, seats);
  const bands = Math.ceil(tilesY / bandRows);
  // V and M rows an odd number of half cache lines apart, so the GEMM's B strip (cin rows) and C tile spread over
  // the L1 sets instead of aliasing onto a few (rows a multiple of 1 KiB apart share 1/16 of them).
  const strided = Math.ceil((bandRows * tilesX) / TILE_N) * TILE_N;
  const ld = strided % 16 === 0 ? strided + 8 : strided;
  const outLd = 2 * tilesX;
  const outPlane = 2 * tilesY * outLd;
  // Arena (floats): [activation, residual][zero bias][bias][U][input item][padded input][per thread: V: 16 × c × ld,
  // M: 16 × mPad × ld][Y: m planes of 2·tilesY × outLd, then a v128 of slack].
  const actOff = 0;
  const zeroOff = epilogueFloats(epi, mPad, m * ho * wo);
  const biasOff = zeroOff + mPad;
  const uOff = biasOff + mPad;
  const xOff = uOff + packed.length;
  const inOff = xOff + c * h * w;
  const vOff = inOff + c * inPlane;
  const mOff = vOff + T2 * c * ld;
  const seatFloats = T2 * (c + mPad) * ld;
  const yOff = vOff + seats * seatFloats;
  const arena = kernels.arena(yOff + m * outPlane + 4);
  stageActivation(arena, actOff, epi?.act, 0, mPad);
  arena.fill(0, zeroOff, uOff);
  if (bias) arena.set(bias, biasOff);
  arena.set(packed, uOff);
  const iyEnd = Math.min(h, paddedH - pt);
  const ixEnd = Math.min(w, paddedW - pl);
  const clampInStore = act?.kind === 'clamp';
  const chunks = Math.min(c, 4 * seats);
  for (let b = 0; b < n; b++) {
    kernels.stage(x, b * c * h * w, xOff, c * h * w);
    // Each channel's padded plane is cleared and filled by one task (the clear in WebAssembly, so threads share it).
    kernels.parallel(chunks, (t, k) => {
      for (let ch = Math.floor((t * c) / chunks); ch < Math.floor(((t + 1) * c) / chunks); ch++) {
        k.zeroBytes(4 * (inOff + ch * inPlane), 4 * inPlane);
        fillPaddedPlane(k, xOff + ch * h * w, w, iyEnd, ixEnd, { offset: inOff + ch * inPlane, rowLd, phaseW, stride: 2, pt, pl });
      }
    });
    // One task per band: transform, 16 GEMMs and inverse transform in the thread's own V and M, into its own Y rows.
    kernels.parallel(bands, (band, k) => {
      const ty0 = band * bandRows;
      const rows = Math.min(bandRows, tilesY - ty0);
      const strips = Math.ceil((rows * tilesX) / TILE_N);
      k.winogradInput(4 * (inOff + 2 * ty0 * rowLd), 4 * rowLd, 4 * phaseW, 4 * inPlane, c, rows, groups, 4 * vOff, 4 * c * ld, 4 * ld);
      for (let e = 0; e < T2; e++) {
        const a = uOff + e * perE;
        const bOp = vOff + e * c * ld;
        const cOp = mOff + e * mPad * ld;
        k.gemmBias(4 * a, 4 * TILE_M * c, 4 * bOp, 4 * ld, 4 * cOp, 4 * ld, panels, strips, Math.min(KC, c), 4 * zeroOff);
        for (let k0 = KC; k0 < c; k0 += KC) {
          k.gemm(4 * (a + k0 * TILE_M), 4 * TILE_M * c, 4 * (bOp + k0 * ld), 4 * ld, 4 * cOp, 4 * ld, panels, strips, Math.min(KC, c - k0));
        }
      }
      const dst = 4 * (yOff + 2 * ty0 * outLd);
      if (clampInStore) k.winogradOutputClamp(4 * mOff, 4 * mPad * ld, 4 * ld, m, rows, groups, dst, 4 * outLd, 4 * outPlane, 4 * biasOff, 4 * actOff);
      else k.winogradOutput(4 * mOff, 4 * mPad * ld, 4 * ld, m, rows, groups, dst, 4 * outLd, 4 * outPlane, 4 * biasOff);
    }, { offset: 4 * vOff, bytes: 4 * seatFloats });
    if (!clampInStore) runActivation(kernels, act, actOff, yOff, outPlane / 4, m, 1);
    // Compacted in place (rows and planes move back) where tiles overhang the output.
    if (outLd !== wo || 2 * tilesY !== ho) {
      if (2 * tilesY === ho) kernels.copyRows(4 * yOff, 4 * outLd, 4 * yOff, 4 * wo, 4 * wo, m * ho);
      else for (let o = 0; o < m; o++) kernels.copyRows(4 * (yOff + o * outPlane), 4 * outLd, 4 * (yOff + o * ho * wo), 4 * wo, 4 * wo, ho);
    }
    runCompactEpilogue(kernels, arena, epi, actOff, yOff, m, 0, m, ho * wo, b);
    kernels.unstage(y, b * m * ho * wo, yOff, m * ho * wo);
  }
}
