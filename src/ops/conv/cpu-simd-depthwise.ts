import type { ConvParams } from './params.js';
import type { SimdKernels } from '../wasm/runtime.js';

/** Whether the SIMD depthwise kernel covers this conv: 3×3, stride 1 or 2 in both axes, no dilation. */
export function depthwiseSimdFits(p: ConvParams): boolean {
  const [kh, kw] = p.kernel;
  const [sh, sw] = p.strides;
  return kh === 3 && kw === 3 && sh === sw && (sh === 1 || sh === 2) && p.dilations[0] === 1 && p.dilations[1] === 1;
}

/**
 * 3×3 depthwise conv plus bias into `y` (NCHW) on the SIMD kernel. Each channel's plane is copied into one
 * zero-padded arena plane (for stride 2, split into even and odd columns); only the interior is rewritten per
 * channel, so the zero border is filled once per call. Each output plane is clamped in the arena when asked.
 */
export function depthwiseSimd(
  kernels: SimdKernels, p: ConvParams, x: Float32Array, weights: Float32Array, bias: Float32Array | undefined, y: Float32Array,
  clamp?: readonly [number, number],
): void {
  const [n, c, h, w] = p.inDims;
  const [, , ho, wo] = p.outDims;
  const s = p.strides[0];
  const [pt, pl] = p.pads;
  const groups = Math.ceil(wo / 4);
  const outLd = groups * 4;
  // Padded columns the kernel reads (the last group may run past wo), per phase.
  const paddedW = (outLd - 1) * s + 3;
  const phaseW = Math.ceil(paddedW / s) + 4;
  const rowLd = phaseW * s;
  const paddedH = (ho - 1) * s + 3;
  // Arena (floats): [9 weights + bias, padded to 16][padded input plane][output plane].
  const wOff = 0;
  const inOff = 16;
  const outOff = inOff + paddedH * rowLd;
  const boundsOff = outOff + ho * outLd;
  const arena = kernels.arena(boundsOff + 4);
  if (clamp) arena.set(clamp, boundsOff);
  arena.fill(0, inOff, outOff);
  // Input rows and columns that land inside the padded plane (the kernel never reads past paddedH / paddedW).
  const iyEnd = Math.min(h, paddedH - pt);
  const ixEnd = Math.min(w, paddedW - pl);
  const run = s === 1 ? kernels.depthwise3x3s1 : kernels.depthwise3x3s2;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const plane = (b * c + ch) * h * w;
      arena.set(weights.subarray(ch * 9, ch * 9 + 9), wOff);
      arena[wOff + 9] = bias ? bias[ch]! : 0;
      for (let iy = 0; iy < iyEnd; iy++) {
        const src = plane + iy * w;
        const dst = inOff + (iy + pt) * rowLd;
        if (s === 1) {
          arena.set(x.subarray(src, src + ixEnd), dst + pl);
        } else {
          for (let ix = 0; ix < ixEnd; ix++) {
            const px = ix + pl;
            arena[dst + (px & 1) * phaseW + (px >> 1)] = x[src + ix]!;
          }
        }
      }
      run(4 * inOff, 4 * rowLd, 4 * phaseW, 4 * outOff, 4 * outLd, ho, groups, 4 * wOff, 4 * (wOff + 9));
      if (clamp) kernels.clamp(4 * outOff, (ho * outLd) / 4, 4 * boundsOff);
      const yPlane = (b * c + ch) * ho * wo;
      if (outLd === wo) {
        y.set(arena.subarray(outOff, outOff + ho * wo), yPlane);
      } else {
        for (let oy = 0; oy < ho; oy++) y.set(arena.subarray(outOff + oy * outLd, outOff + oy * outLd + wo), yPlane + oy * wo);
      }
    }
  }
}
