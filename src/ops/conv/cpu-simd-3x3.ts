import type { ConvParams } from './params.js';
import { TILE_M, TILE_N } from '../wasm/gemm.js';
import type { SimdKernels } from '../wasm/runtime.js';
import { epilogueFloats, runActivation, runCompactEpilogue, stageActivation, type SimdEpilogue } from '../epilogue/cpu-simd.js';
import { fillPaddedPlane } from './cpu-simd-pad.js';
import { KC, packConvWeights } from './cpu-simd.js';

/** Whether the banded 3×3 GEMM covers this conv: ungrouped, 3×3, stride 1 or 2 in both axes, no dilation. */
export function conv3x3SimdFits(p: ConvParams): boolean {
  const [kh, kw] = p.kernel;
  const [sh, sw] = p.strides;
  return p.group === 1 && kh === 3 && kw === 3 && sh === sw && (sh === 1 || sh === 2) && p.dilations[0] === 1 && p.dilations[1] === 1;
}

/**
 * Floats of B one band takes (K = 9·cin rows × the band's output columns): 256 KiB, half the dev box's per-core L2.
 * 16K–128K measured within noise of each other on the models' stride-2 layers (3→16 @320², 24→48 @80², 48→80 @20²).
 */
const BAND_FLOATS = 65536;

/**
 * Output rows per band: `rows`, or with several threads fewer where that makes the band count a multiple of the
 * threads (each takes whole bands). The band height never changes a float: each output column is its own dot product.
 */
export function bandRowsFor(total: number, rows: number, threads: number): number {
  if (threads <= 1) return rows;
  const bands = Math.ceil(Math.ceil(total / rows) / threads) * threads;
  return Math.max(1, Math.ceil(total / bands));
}

/**
 * Dense 3×3 conv plus bias into `y` (NCHW) as a GEMM over bands of output rows: the input item is copied into the
 * arena once and laid into a zero-padded copy by WebAssembly (stride 2: each row split into even and odd columns);
 * then per band of rows, the band's im2col (9·cin rows of strided row runs, since every tap of a padded row is a
 * contiguous run; one WebAssembly call per band, im2colBand, not one per row) is written into an L2-sized block and
 * the 4×8 GEMM writes C = bias + A·B straight into the output planes (clamped in its store for Relu/Clip when the
 * reduction is one call). Output rows are padded to whole 8-pixel strips; planes that would be whole KiB apart are
 * skewed by half a cache line. The result gets the other activations there and goes out plane by plane where only
 * the skew separates it from NCHW (no residual), else is compacted to NCHW and copied out in one piece.
 *
 * The im2col copy pays for itself: the GEMM on an L2-resident block runs the models' stride-2 layers in 0.63–0.99×
 * the time of a kernel reading the taps straight from the padded rows, and the stride-1 layers Winograd leaves
 * (cin < 3, outputs under 16 pixels) in 0.72–1.05× (README, CPU-backend section).
 */
export function conv3x3Simd(
  kernels: SimdKernels, p: ConvParams, x: Float32Array, weights: Float32Array, bias: Float32Array | undefined, y: Float32Array,
  epi?: SimdEpilogue,
): void {
  const act = epi?.residual ? undefined : epi?.act;
  const [n, c, h, w] = p.inDims;
  const [, m, ho, wo] = p.outDims;
  const s = p.strides[0] as 1 | 2;
  const [pt, pl] = p.pads;
  const strips = Math.ceil(wo / TILE_N);
  const outLd = strips * TILE_N;
  const panels = Math.ceil(m / TILE_M);
  const mPad = panels * TILE_M;
  const k = 9 * c;
  // B's rows are (cin, ky, kx) in the weight's own order, so the 1×1/im2col GEMM's panels serve.
  const packed = packConvWeights(weights, 1, m, k);
  // Padded columns a band row copies (whole strips, so the last may run past wo), per phase.
  const paddedW = (outLd - 1) * s + 3;
  // Whole 64-byte lines per phase row, so every row (and phase) starts cache-line aligned.
  const phaseW = Math.ceil((Math.ceil(paddedW / s) + 4) / 16) * 16;
  const rowLd = phaseW * s;
  const paddedH = (ho - 1) * s + 3;
  // The padded input is stored row-interleaved ([row][channel][column]), so a band's input rows are one block.
  const inRowLd = c * rowLd;
  const plane = ho * outLd;
  const outPlane = plane % 256 === 0 ? plane + 8 : plane;
  const seats = kernels.threads();
  const bandRows = bandRowsFor(ho, Math.max(1, Math.min(ho, Math.floor(BAND_FLOATS / (k * outLd)))), seats);
  const bands = Math.ceil(ho / bandRows);
  const band = bandRows * outLd;
  const bLd = band % 256 === 0 ? band + 8 : band;
  const line = (f: number): number => Math.ceil(f / 16) * 16;
  // Arena (floats): [activation][bias, mPad][A][input item][padded input: paddedH rows of c channels][B: k × bLd]
  // per thread, [C: mPad planes of outPlane, then a v128 of slack].
  const actOff = 0;
  const biasOff = epilogueFloats(epi, mPad, m * ho * wo);
  const aOff = line(biasOff + mPad);
  const xOff = aOff + packed.length;
  const inOff = line(xOff + c * h * w);
  const bOff = line(inOff + paddedH * inRowLd);
  const cOff = line(bOff + k * bLd) + (seats - 1) * k * bLd;
  const arena = kernels.arena(cOff + mPad * outPlane + 4);
  stageActivation(arena, actOff, epi?.act, 0, mPad);
  arena.fill(0, biasOff, biasOff + mPad);
  if (bias) arena.set(bias, biasOff);
  arena.set(packed, aOff);
  const iyEnd = Math.min(h, paddedH - pt);
  const ixEnd = Math.min(w, paddedW - pl);
  const clampInStore = act?.kind === 'clamp' && k <= KC;
  // Floats from a padded row's tap 0 to its tap kx: phase kx mod s, column ⌊kx / s⌋.
  const tapOffset = (kx: number): number => (kx % s) * phaseW + Math.floor(kx / s);
  arena.fill(0, inOff, bOff);
  const chunks = Math.min(c, 4 * seats);
  for (let b = 0; b < n; b++) {
    kernels.stage(x, b * c * h * w, xOff, c * h * w);
    // Only the interior is rewritten per batch item: the zero border stays from the fill above.
    kernels.parallel(chunks, (t, kk) => {
      for (let ch = Math.floor((t * c) / chunks); ch < Math.floor(((t + 1) * c) / chunks); ch++) {
        fillPaddedPlane(kk, xOff + ch * h * w, w, iyEnd, ixEnd, { offset: inOff + ch * rowLd, rowLd: inRowLd, phaseW, stride: s, pt, pl });
      }
    });
    // One task per band of output rows: its im2col in the thread's own B block, its GEMM into its own C rows.
    kernels.parallel(bands, (band, kk) => {
      const oy0 = band * bandRows;
      const rows = Math.min(bandRows, ho - oy0);
      // Row (ch, ky, kx) of the band's im2col, all 9·cin of them in one call: tap kx of padded row oy·s + ky is
      // phase kx mod s at column ⌊kx / s⌋.
      kk.im2colBand(4 * (inOff + oy0 * s * inRowLd), 4 * s * inRowLd, 4 * inRowLd, 4 * rowLd, 4 * tapOffset(1), 4 * tapOffset(2), 4 * bOff, 4 * bLd, 4 * outLd, 4 * outLd, rows, c);
      const cBand = 4 * (cOff + oy0 * outLd);
      const bandStrips = rows * strips;
      if (clampInStore) kk.gemmBiasClamp(4 * aOff, 4 * TILE_M * k, 4 * bOff, 4 * bLd, cBand, 4 * outPlane, panels, bandStrips, k, 4 * biasOff, 4 * actOff);
      else kk.gemmBias(4 * aOff, 4 * TILE_M * k, 4 * bOff, 4 * bLd, cBand, 4 * outPlane, panels, bandStrips, Math.min(KC, k), 4 * biasOff);
      for (let k0 = KC; k0 < k; k0 += KC) {
        kk.gemm(4 * (aOff + k0 * TILE_M), 4 * TILE_M * k, 4 * (bOff + k0 * bLd), 4 * bLd, cBand, 4 * outPlane, panels, bandStrips, Math.min(KC, k - k0));
      }
    }, { offset: 4 * bOff, bytes: 4 * k * bLd });
    if (!clampInStore) runActivation(kernels, act, actOff, cOff, outPlane / 4, mPad, 1);
    if (outLd === wo && outPlane !== plane && !epi?.residual) {
      // Skewed planes of unpadded rows go out plane by plane: one pass over C instead of a compaction and a copy.
      for (let o = 0; o < m; o++) y.set(arena.subarray(cOff + o * outPlane, cOff + o * outPlane + plane), (b * m + o) * plane);
      continue;
    }
    // Compacted in place (rows and planes move back) where rows carry strip padding or planes a skew.
    if (outLd !== wo) for (let o = 0; o < m; o++) kernels.copyRows(4 * (cOff + o * outPlane), 4 * outLd, 4 * (cOff + o * ho * wo), 4 * wo, 4 * wo, ho);
    else if (outPlane !== plane) kernels.copyRows(4 * cOff, 4 * outPlane, 4 * cOff, 4 * plane, 4 * plane, m);
    runCompactEpilogue(kernels, arena, epi, actOff, cOff, m, 0, m, ho * wo, b);
    kernels.unstage(y, b * m * ho * wo, cOff, m * ho * wo);
  }
}
