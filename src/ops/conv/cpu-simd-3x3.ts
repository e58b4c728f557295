import type { ConvParams } from './params.js';
import { TILE_M, TILE_N } from '../wasm/gemm.js';
import type { SimdKernels } from '../wasm/runtime.js';
import { epilogueFloats, runActivation, runCompactEpilogue, stageActivation, type SimdEpilogue } from '../epilogue/cpu-simd.js';
import { fillPaddedPlane } from './cpu-simd-pad.js';
import { weightLayout } from './constant-weights.js';

/** Whether the implicit-GEMM 3×3 kernel covers this conv: ungrouped, 3×3, stride 1 or 2 in both axes, no dilation. */
export function conv3x3SimdFits(p: ConvParams): boolean {
  const [kh, kw] = p.kernel;
  const [sh, sw] = p.strides;
  return p.group === 1 && kh === 3 && kw === 3 && sh === sw && (sh === 1 || sh === 2) && p.dilations[0] === 1 && p.dilations[1] === 1;
}

/** Weights re-laid out as the 3×3 kernel's panels ([panel][ky][cin][kx][4], zero rows past the last channel), packed once per constant weight. */
const packed3x3 = new WeakMap<Float32Array, Float32Array>();

function packConv3x3Weights(weights: Float32Array, m: number, c: number): Float32Array {
  const panels = Math.ceil(m / TILE_M);
  const length = panels * TILE_M * c * 9;
  return weightLayout(packed3x3, weights, (kept) => kept.length === length, () => {
    const packed = new Float32Array(length);
    for (let o = 0; o < m; o++) {
      const panel = Math.floor(o / TILE_M) * TILE_M * c * 9;
      for (let ch = 0; ch < c; ch++) {
        for (let t = 0; t < 9; t++) {
          const ky = Math.floor(t / 3);
          packed[panel + ((ky * c + ch) * 3 + (t % 3)) * TILE_M + (o % TILE_M)] = weights[(o * c + ch) * 9 + t]!;
        }
      }
    }
    return packed;
  });
}

/**
 * Dense 3×3 conv plus bias into `y` (NCHW) without im2col: the input item is copied into the arena once and laid
 * into a zero-padded copy by WebAssembly (stride 2: each row split into even and odd columns), then the kernel
 * computes one output row per call, reading its taps straight from the padded rows. Output rows are padded to
 * whole 8-pixel strips in the arena, given the fused activation there when asked, compacted to NCHW when padded and
 * copied out in one piece.
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
  const packed = packConv3x3Weights(weights, m, c);
  // Padded columns the kernel reads (two v128 per tap, the last strip may run past wo), per phase.
  const paddedW = (outLd - 1) * s + 3;
  // Whole 64-byte lines per phase row, so every row (and phase) starts cache-line aligned.
  const phaseW = Math.ceil((Math.ceil(paddedW / s) + 4) / 16) * 16;
  const rowLd = phaseW * s;
  const paddedH = (ho - 1) * s + 3;
  // The padded input is stored row-interleaved ([row][channel][column]), so the 3·cin input rows one kernel call
  // reads are one contiguous block; C is stored plane by plane ([channel][row][strip-padded column]), so where the
  // width is whole strips it already is the NCHW result.
  const chLd = rowLd;
  const inRowLd = c * chLd;
  const mPad = panels * TILE_M;
  const outPlane = ho * outLd;
  // Arena (floats): [activation][bias, panels·4][A][input item][padded input: paddedH rows of c channels]
  // [C: panels·4 planes of ho × outLd, then a v128 of slack].
  const actOff = 0;
  const biasOff = epilogueFloats(epi, mPad, m * ho * wo);
  const aOff = biasOff + mPad;
  const xOff = aOff + packed.length;
  const inOff = xOff + c * h * w;
  const cOff = inOff + paddedH * inRowLd;
  const arena = kernels.arena(cOff + mPad * outPlane + 4);
  stageActivation(arena, actOff, epi?.act, 0, mPad);
  arena.fill(0, biasOff, aOff);
  if (bias) arena.set(bias, biasOff);
  arena.set(packed, aOff);
  const iyEnd = Math.min(h, paddedH - pt);
  const ixEnd = Math.min(w, paddedW - pl);
  // A clamp happens in the kernel's store; other activations in their own pass.
  const clampInStore = act?.kind === 'clamp';
  const run = clampInStore ? (s === 1 ? kernels.conv3x3s1Clamp : kernels.conv3x3s2Clamp) : s === 1 ? kernels.conv3x3s1 : kernels.conv3x3s2;
  arena.fill(0, inOff, cOff);
  for (let b = 0; b < n; b++) {
    arena.set(x.subarray(b * c * h * w, (b + 1) * c * h * w), xOff);
    for (let ch = 0; ch < c; ch++) {
      // Only the interior is rewritten per batch item: the zero border stays from the fill above.
      fillPaddedPlane(kernels, xOff + ch * h * w, w, iyEnd, ixEnd, { offset: inOff + ch * chLd, rowLd: inRowLd, phaseW, stride: s, pt, pl });
    }
    for (let oy = 0; oy < ho; oy++) {
      run(
        4 * aOff, 4 * TILE_M * c * 9, 4 * (inOff + oy * s * inRowLd), 4 * chLd, 4 * inRowLd, 4 * phaseW,
        4 * (cOff + oy * outLd), 4 * outPlane, panels, strips, c, 4 * biasOff, 4 * actOff,
      );
    }
    if (!clampInStore) runActivation(kernels, act, actOff, cOff, outPlane / 4, mPad, 1);
    // Compacted in place (each row moves back) when rows carry strip padding.
    if (outLd !== wo) kernels.copyRows(4 * cOff, 4 * outLd, 4 * cOff, 4 * wo, 4 * wo, m * ho);
    runCompactEpilogue(kernels, arena, epi, actOff, cOff, m, 0, m, ho * wo, b);
    y.set(arena.subarray(cOff, cOff + m * ho * wo), b * m * ho * wo);
  }
}
