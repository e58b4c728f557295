import type { ConvParams } from './params.js';
import { TILE_M, TILE_N } from '../wasm/gemm.js';
import type { SimdKernels } from '../wasm/runtime.js';
import { activationFloats, runActivation, stageActivation, type SimdEpilogue } from '../epilogue/cpu-simd.js';
import { KC, packConvWeights } from './cpu-simd.js';

/**
 * Floats one pixel block's B (input channels) and C (output channels) rows may take together: 256 KiB, half the
 * dev box's per-core L2, so the block the GEMM reads and writes stays in L2 between its copy in and its copy out.
 */
const BLOCK_FLOATS = 65536;

/** Fewest pixels per block: below it the per-row copies (one JS call per channel and block) cost more than they save. */
const MIN_BLOCK_PIXELS = 512;

/** Pixels per block for a 1×1 conv with `k` input channels per group and `mPad` output rows (panels · 4): whole strips. */
export function pointwiseBlockPixels(k: number, mPad: number): number {
  return Math.max(MIN_BLOCK_PIXELS, Math.floor(BLOCK_FLOATS / (k + mPad) / TILE_N) * TILE_N);
}

/**
 * Plane size (input plus padded output rows, floats) from which the blocked path takes a 1×1 conv: 2 MiB, four times
 * the per-core L2. Blocked / whole-plane time on the dev box (bench/node/bench-conv-cpu.ts, alternated runs): 0.40–0.66
 * on 16→16 @320², 40→40 @160², 16→40 @160² (3.3–13 MiB), 0.80–0.98 on 64→64, 40→72, 72→72, 72→16 @80² and 64→128 @56²
 * (2.2–3.5 MiB), 0.99–1.09 on 16→64 @80², 48→24 @80², 152→152 @40², 64→64 @56² (1.6–2 MiB), 1.06–1.10 on whole
 * planes under 1 MiB (the per-channel copies cost more than the one copy they replace).
 */
const BLOCKED_MIN_PLANE_FLOATS = 8 * BLOCK_FLOATS;

/** Whether a conv goes through the pixel-blocked 1×1 path: ungrouped, 1×1, stride 1, unpadded, on a plane past the threshold above. */
export function pointwiseBlockedFits(p: ConvParams): boolean {
  const [kh, kw] = p.kernel;
  const [sh, sw] = p.strides;
  const [pt, pl, pb, pr] = p.pads;
  if (p.group !== 1 || kh !== 1 || kw !== 1 || sh !== 1 || sw !== 1 || pt !== 0 || pl !== 0 || pb !== 0 || pr !== 0) return false;
  const c = p.inDims[1];
  const mPad = Math.ceil(p.outDims[1] / TILE_M) * TILE_M;
  const hw = p.outDims[2] * p.outDims[3];
  return (c + mPad) * hw > BLOCKED_MIN_PLANE_FLOATS && hw > pointwiseBlockPixels(c, mPad);
}

/**
 * 1×1 stride-1 conv plus bias into `y` (NCHW), block by block of pixels: each block's input rows are copied from `x`
 * straight into an L2-sized B block (one copy per channel), the 4×8 GEMM writes the block's C = bias + A·B (clamped
 * in its store for Relu/Clip when the reduction is one call), the residual and PRelu run on the block, and its rows
 * are copied into `y`. Nothing plane-sized is staged in the arena. Stale columns past a partial block's last pixel
 * only ever reach C columns that are not copied out (each output column depends on its own input column alone).
 */
export function convPointwiseBlocked(
  kernels: SimdKernels, p: ConvParams, x: Float32Array, weights: Float32Array, bias: Float32Array | undefined, y: Float32Array,
  epi?: SimdEpilogue,
): void {
  const [n, c] = p.inDims;
  const [, m, ho, wo] = p.outDims;
  const hw = ho * wo;
  const cg = c / p.group;
  const mg = m / p.group;
  const panels = Math.ceil(mg / TILE_M);
  const mPad = panels * TILE_M;
  const block = pointwiseBlockPixels(cg, mPad);
  // Rows an odd number of half cache lines apart where a block's row is whole KiB (rows a multiple of 1 KiB apart
  // would alias onto a few L1 sets).
  const ld = block % 256 === 0 ? block + 8 : block;
  const packed = packConvWeights(weights, p.group, mg, cg);
  const groupA = panels * TILE_M * cg;
  const act = epi?.act;
  // Arena (floats): [A of one group][bias: mPad][activation][residual block: mg × ld][B: cg × ld][C: mPad × ld + a v128].
  const aOff = 0;
  const biasOff = groupA;
  const actOff = biasOff + mPad;
  const resOff = actOff + activationFloats(act, mg);
  const line = (f: number): number => Math.ceil(f / 16) * 16;
  const bOff = line(resOff + (epi?.residual ? mg * ld : 0));
  const cOff = line(bOff + cg * ld);
  const arena = kernels.arena(cOff + mPad * ld + 4);
  const clampInStore = !epi?.residual && act?.kind === 'clamp' && cg <= KC;
  for (let g = 0; g < p.group; g++) {
    arena.set(packed.subarray(g * groupA, (g + 1) * groupA), aOff);
    arena.fill(0, biasOff, actOff);
    if (bias) arena.set(bias.subarray(g * mg, (g + 1) * mg), biasOff);
    stageActivation(arena, actOff, act, g * mg, mg);
    for (let b = 0; b < n; b++) {
      const xPlane = (b * c + g * cg) * hw;
      const yPlane = (b * m + g * mg) * hw;
      for (let j0 = 0; j0 < hw; j0 += block) {
        const count = Math.min(block, hw - j0);
        const strips = Math.ceil(count / TILE_N);
        for (let ch = 0; ch < cg; ch++) arena.set(x.subarray(xPlane + ch * hw + j0, xPlane + ch * hw + j0 + count), bOff + ch * ld);
        if (clampInStore) kernels.gemmBiasClamp(4 * aOff, 4 * TILE_M * cg, 4 * bOff, 4 * ld, 4 * cOff, 4 * ld, panels, strips, cg, 4 * biasOff, 4 * actOff);
        else kernels.gemmBias(4 * aOff, 4 * TILE_M * cg, 4 * bOff, 4 * ld, 4 * cOff, 4 * ld, panels, strips, Math.min(KC, cg), 4 * biasOff);
        for (let k0 = KC; k0 < cg; k0 += KC) {
          kernels.gemm(4 * (aOff + k0 * TILE_M), 4 * TILE_M * cg, 4 * (bOff + k0 * ld), 4 * ld, 4 * cOff, 4 * ld, panels, strips, Math.min(KC, cg - k0));
        }
        if (epi?.residual) {
          // The same single float32 add as the JS epilogue's, before the activation.
          for (let o = 0; o < mg; o++) arena.set(epi.residual.subarray(yPlane + o * hw + j0, yPlane + o * hw + j0 + count), resOff + o * ld);
          kernels.binary.Add.vv(4 * cOff, 4 * resOff, 4 * cOff, (mg * ld) / 4);
        }
        if (!clampInStore) runActivation(kernels, act, actOff, cOff, ld / 4, mg, 1);
        for (let o = 0; o < mg; o++) y.set(arena.subarray(cOff + o * ld, cOff + o * ld + count), yPlane + o * hw + j0);
      }
    }
  }
}
