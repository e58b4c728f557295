import type { ConvParams } from './params.js';
import type { SimdKernels } from '../wasm/runtime.js';
import { epilogueFloats, runActivation, runCompactEpilogue, stageActivation, type SimdEpilogue } from '../epilogue/cpu-simd.js';
import { fillPaddedPlane } from './cpu-simd-pad.js';
import { weightLayout } from './constant-weights.js';

/** Whether the SIMD depthwise kernel covers this conv: 3×3, stride 1 or 2 in both axes, no dilation. */
export function depthwiseSimdFits(p: ConvParams): boolean {
  const [kh, kw] = p.kernel;
  const [sh, sw] = p.strides;
  return kh === 3 && kw === 3 && sh === sw && (sh === 1 || sh === 2) && p.dilations[0] === 1 && p.dilations[1] === 1;
}

/**
 * Input plane size (floats) from which each channel is copied into the arena on its own, just before its padded copy
 * is made, instead of the whole batch item at once: the plane then goes from the tensor to the padded plane through
 * L2 rather than through a second item-sized copy in memory. Channel / item staging on the dev box (alternated runs):
 * 0.77–0.87× on the 80²–320² planes of scrfd_500m (16 @320², 40 @160², 72 @80²), 0.91× at 56², 0.96–1.02× at 20²–28²,
 * 1.10× at 14² (one copy call per channel outweighs the saving).
 */
const CHANNEL_STAGING_MIN_FLOATS = 2048;

/** Each channel's nine weights followed by a zero bias slot ([c][10]), laid out once per constant weight. */
const spaced = new WeakMap<Float32Array, Float32Array>();

function spacedWeights(weights: Float32Array, c: number): Float32Array {
  return weightLayout(spaced, weights, (kept) => kept.length === c * 10, () => {
    const out = new Float32Array(c * 10);
    for (let ch = 0; ch < c; ch++) out.set(weights.subarray(ch * 9, ch * 9 + 9), ch * 10);
    return out;
  });
}

/**
 * 3×3 depthwise conv plus bias into `y` (NCHW) on the SIMD kernel. The batch item goes into the arena in one copy
 * (channel by channel on large planes: CHANNEL_STAGING_MIN_FLOATS); each channel's plane is then laid into one
 * zero-padded arena plane by WebAssembly (for stride 2, split into even and odd columns; only the interior is
 * rewritten, so the zero border is filled once per call) and convolved into its strip-padded output plane. The outputs
 * get the fused activation when asked, are compacted and copied out once per batch item, so no JS loop runs per row.
 */
export function depthwiseSimd(
  kernels: SimdKernels, p: ConvParams, x: Float32Array, weights: Float32Array, bias: Float32Array | undefined, y: Float32Array,
  epi?: SimdEpilogue,
): void {
  const act = epi?.residual ? undefined : epi?.act;
  const [n, c, h, w] = p.inDims;
  const [, , ho, wo] = p.outDims;
  const s = p.strides[0] as 1 | 2;
  const [pt, pl] = p.pads;
  const groups = Math.ceil(wo / 4);
  const outLd = groups * 4;
  // Padded columns the kernel reads (the last group may run past wo), per phase.
  const paddedW = (outLd - 1) * s + 3;
  // Whole 64-byte lines per phase row, so every row (and phase) starts cache-line aligned.
  const phaseW = Math.ceil((Math.ceil(paddedW / s) + 4) / 16) * 16;
  const rowLd = phaseW * s;
  const paddedH = (ho - 1) * s + 3;
  const seats = kernels.threads();
  // With threads the item is staged whole, so the channels can be split over them, each with its own padded plane.
  const perChannel = seats === 1 && h * w >= CHANNEL_STAGING_MIN_FLOATS;
  // Arena (floats): [activation][per channel: 9 weights + bias][input item, or one channel][padded plane, one per
  // thread][outputs: c planes of ho × outLd].
  const actOff = 0;
  const wOff = epilogueFloats(epi, c, c * ho * wo);
  const xOff = wOff + c * 10;
  const padOff = Math.ceil((xOff + (perChannel ? 1 : c) * h * w) / 16) * 16;
  const padFloats = Math.ceil((paddedH * rowLd) / 16) * 16;
  const outOff = padOff + seats * padFloats;
  const outPlane = ho * outLd;
  const arena = kernels.arena(outOff + c * outPlane + 4);
  stageActivation(arena, actOff, epi?.act, 0, c);
  arena.set(spacedWeights(weights, c), wOff);
  if (bias) for (let ch = 0; ch < c; ch++) arena[wOff + ch * 10 + 9] = bias[ch]!;
  arena.fill(0, padOff, outOff);
  const padded = { offset: padOff, rowLd, phaseW, stride: s, pt, pl };
  // Input rows and columns that land inside the padded plane (the kernel never reads past paddedH / paddedW).
  const iyEnd = Math.min(h, paddedH - pt);
  const ixEnd = Math.min(w, paddedW - pl);
  const run = s === 1 ? kernels.depthwise3x3s1 : kernels.depthwise3x3s2;
  const chunks = Math.min(c, 4 * seats);
  for (let b = 0; b < n; b++) {
    if (!perChannel) kernels.stage(x, b * c * h * w, xOff, c * h * w);
    if (perChannel) {
      for (let ch = 0; ch < c; ch++) {
        arena.set(x.subarray((b * c + ch) * h * w, (b * c + ch + 1) * h * w), xOff);
        fillPaddedPlane(kernels, xOff, w, iyEnd, ixEnd, padded);
        const w4 = 4 * (wOff + ch * 10);
        run(4 * padOff, 4 * rowLd, 4 * phaseW, 4 * (outOff + ch * outPlane), 4 * outLd, ho, groups, w4, w4 + 36);
      }
    } else {
      // Channel chunks as tasks; each thread pads into its own plane (the border, zero in every copy, stays so).
      kernels.parallel(chunks, (t, k) => {
        const kernel = s === 1 ? k.depthwise3x3s1 : k.depthwise3x3s2;
        for (let ch = Math.floor((t * c) / chunks); ch < Math.floor(((t + 1) * c) / chunks); ch++) {
          fillPaddedPlane(k, xOff + ch * h * w, w, iyEnd, ixEnd, padded);
          const w4 = 4 * (wOff + ch * 10);
          kernel(4 * padOff, 4 * rowLd, 4 * phaseW, 4 * (outOff + ch * outPlane), 4 * outLd, ho, groups, w4, w4 + 36);
        }
      }, { offset: 4 * padOff, bytes: 4 * padFloats });
    }
    runActivation(kernels, act, actOff, outOff, outPlane / 4, c, 1);
    if (outLd !== wo) kernels.copyRows(4 * outOff, 4 * outLd, 4 * outOff, 4 * wo, 4 * wo, c * ho);
    runCompactEpilogue(kernels, arena, epi, actOff, outOff, c, 0, c, ho * wo, b);
    kernels.unstage(y, b * c * ho * wo, outOff, c * ho * wo);
  }
}
