import type { ConvParams } from './params.js';
import { im2col } from './cpu-im2col.js';
import { weightLayout } from './constant-weights.js';
import { TILE_M, TILE_N } from '../wasm/gemm.js';
import type { SimdKernels } from '../wasm/runtime.js';
import { epilogueFloats, runActivation, runCompactEpilogue, stageActivation, type SimdEpilogue } from '../epilogue/cpu-simd.js';

/** Reduction depth per GEMM call: a 4-row A panel slice (KC·16 bytes) and an 8-column B strip (KC·32 bytes) stay in L1. */
export const KC = 256;

/** Weights re-laid out as 4-row panels per group ([g][panel][k][4], zero rows past the last channel), packed once per constant weight. */
const packedWeights = new WeakMap<Float32Array, Float32Array>();

export function packConvWeights(weights: Float32Array, groups: number, mg: number, k: number): Float32Array {
  const panels = Math.ceil(mg / TILE_M);
  const length = groups * panels * TILE_M * k;
  return weightLayout(packedWeights, weights, (kept) => kept.length === length, () => {
    const packed = new Float32Array(length);
    for (let g = 0; g < groups; g++) {
      for (let o = 0; o < mg; o++) {
        const src = (g * mg + o) * k;
        const dst = (g * panels + Math.floor(o / TILE_M)) * TILE_M * k + (o % TILE_M);
        for (let p = 0; p < k; p++) packed[dst + p * TILE_M] = weights[src + p]!;
      }
    }
    return packed;
  });
}

/**
 * Convolution plus bias into `y` (NCHW) on the WebAssembly SIMD GEMM: per group, B is the input itself for a
 * 1×1/stride-1/unpadded conv and its im2col otherwise, written into the kernel arena with rows padded to whole
 * 8-column strips; C starts from the bias in the kernel, gets the fused epilogue when asked, and is compacted and
 * copied out in one piece.
 */
export function convSimd(
  kernels: SimdKernels, p: ConvParams, x: Float32Array, weights: Float32Array, bias: Float32Array | undefined, y: Float32Array,
  epi?: SimdEpilogue,
): void {
  const act = epi?.residual ? undefined : epi?.act;
  const [n, c, h, w] = p.inDims;
  const [, m, ho, wo] = p.outDims;
  const [kh, kw] = p.kernel;
  const [sh, sw] = p.strides;
  const [dh, dw] = p.dilations;
  const [pt, pl, pb, pr] = p.pads;
  const hw = ho * wo;
  const cg = c / p.group;
  const mg = m / p.group;
  const k = cg * kh * kw;
  const unpadded = pt === 0 && pl === 0 && pb === 0 && pr === 0;
  const pointwise = kh === 1 && kw === 1 && sh === 1 && sw === 1 && unpadded;
  // A 2×2 stride-2 unpadded conv's im2col is each input row split into even and odd columns: done in WebAssembly.
  const split2x2 = kh === 2 && kw === 2 && sh === 2 && sw === 2 && dh === 1 && dw === 1 && unpadded;
  const panels = Math.ceil(mg / TILE_M);
  const strips = Math.ceil(hw / TILE_N);
  const ld = strips * TILE_N;
  const packed = packConvWeights(weights, p.group, mg, k);
  const groupA = panels * TILE_M * k;
  // A 1×1 conv's B is the input plane itself, rows hw apart: the last strip of a row reads into the next row (the last
  // row's stays inside k × ld), which only reaches C's padding columns, never copied out (each output column depends
  // on its own input column alone).
  const bLd = pointwise ? hw : ld;
  // Arena layout (floats): [A of one group][B: k × ld (a 1×1 conv's: k × hw)][C: panels·4 × ld][bias: panels·4]
  // [epilogue][the group's input, staged for the 2×2 split].
  const aOff = 0;
  const bOff = groupA;
  const cOff = bOff + k * ld;
  // A v128 of slack after C: the compact epilogue's last vector may run past the block.
  const biasOff = cOff + panels * TILE_M * ld + 4;
  const actOff = biasOff + panels * TILE_M;
  const stageOff = actOff + epilogueFloats(epi, mg, mg * hw);
  const arena = kernels.arena(stageOff + (split2x2 ? cg * h * w : 0));
  const chunks = Math.min(cg, 4 * kernels.threads());
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < p.group; g++) {
      arena.set(packed.subarray(g * groupA, (g + 1) * groupA), aOff);
      stageActivation(arena, actOff, epi?.act, g * mg, mg);
      const xOffset = (b * c + g * cg) * h * w;
      if (pointwise) {
        kernels.stage(x, xOffset, bOff, k * hw);
      } else if (split2x2) {
        kernels.stage(x, xOffset, stageOff, cg * h * w);
        // Channel chunks as tasks: each writes its channels' four B rows.
        kernels.parallel(chunks, (t, kk) => {
          for (let ch = Math.floor((t * cg) / chunks); ch < Math.floor(((t + 1) * cg) / chunks); ch++) {
            for (let ky = 0; ky < 2; ky++) {
              const row = bOff + (ch * 4 + ky * 2) * ld;
              kk.splitRows(4 * (stageOff + ch * h * w + ky * w), 8 * w, 4 * row, 4 * (row + ld), 4 * wo, 2 * wo, ho);
            }
          }
        });
      } else {
        im2col(x, xOffset, cg, h, w, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo, arena, bOff, ld);
      }
      arena.fill(0, biasOff, actOff);
      if (bias) arena.set(bias.subarray(g * mg, (g + 1) * mg), biasOff);
      // The first reduction block starts C from the bias (no fill, no read of C); later blocks add to it.
      // A clamp with the whole reduction in one block happens in the kernel's store.
      const clampInStore = act?.kind === 'clamp' && k <= KC;
      if (clampInStore) kernels.gemmBiasClamp(4 * aOff, 4 * TILE_M * k, 4 * bOff, 4 * bLd, 4 * cOff, 4 * ld, panels, strips, k, 4 * biasOff, 4 * actOff);
      else kernels.gemmBias(4 * aOff, 4 * TILE_M * k, 4 * bOff, 4 * bLd, 4 * cOff, 4 * ld, panels, strips, Math.min(KC, k), 4 * biasOff);
      for (let k0 = KC; k0 < k; k0 += KC) {
        kernels.gemm(
          4 * (aOff + k0 * TILE_M), 4 * TILE_M * k,
          4 * (bOff + k0 * bLd), 4 * bLd,
          4 * cOff, 4 * ld,
          panels, strips, Math.min(KC, k - k0),
        );
      }
      if (!clampInStore) runActivation(kernels, act, actOff, cOff, ld / 4, mg, 1);
      const yOffset = (b * m + g * mg) * hw;
      // Compacted in place (each row moves back), then copied out in one piece.
      if (ld !== hw) kernels.copyRows(4 * cOff, 4 * ld, 4 * cOff, 4 * hw, 4 * hw, mg);
      runCompactEpilogue(kernels, arena, epi, actOff, cOff, m, g * mg, mg, hw, b);
      kernels.unstage(y, yOffset, cOff, mg * hw);
    }
  }
}
