import type { PoolParams } from './params.js';
import { simdKernels, type SimdKernels } from '../wasm/runtime.js';

/** Whether the fast max pool covers these params: a 2-D (or 1-D) MaxPool window without dilation. */
export function maxPoolFastFits(p: PoolParams): boolean {
  return p.kind === 'max' && !p.global && p.dilations[0] === 1 && p.dilations[1] === 1;
}

/** The larger of two values, NaN winning as in the reference's `v > acc || isNaN(v)` (so the max is associative). */
function max2(acc: number, v: number): number {
  return v > acc || v !== v ? v : acc;
}

/**
 * MaxPool as two one-dimensional passes per output row: the maximum over the window's input rows into one row
 * buffer, then the maximum over each window's columns of that row. Max is associative (NaN propagating either
 * way), so this equals the reference window loop while reading each input row kh times instead of kh·kw.
 * A window that lies wholly in the padding yields −Infinity, as in the reference.
 */
export function maxPoolFast(p: PoolParams, x: Float32Array, y: Float32Array): void {
  const kernels = simdKernels();
  if (kernels) maxPoolSimd(kernels, p, x, y);
  else maxPoolSeparable(p, x, y);
}

/**
 * The same on the WebAssembly kernel: each batch item is copied into the arena once, and each plane laid into an
 * arena plane padded with −Infinity (filled once per call; only the interior is rewritten per plane), so windows
 * past the edges need no clipping. f32.max makes
 * +0 the maximum of −0 and +0 where the reference keeps the first; the values compare equal.
 */
function maxPoolSimd(kernels: SimdKernels, p: PoolParams, x: Float32Array, y: Float32Array): void {
  const [n, c, h, w] = p.inDims;
  const [, , ho, wo] = p.outDims;
  const [kh, kw] = p.kernel;
  const [sh, sw] = p.strides;
  const [pt, pl] = p.pads;
  const paddedH = (ho - 1) * sh + kh;
  const rowLd = Math.ceil(((wo - 1) * sw + kw) / 4) * 4;
  // Arena (floats): per thread [padded plane][row buffer], then [input item][output item].
  const tmpOff = paddedH * rowLd;
  const seatFloats = Math.ceil((tmpOff + rowLd) / 16) * 16;
  const seats = kernels.threads();
  const xOff = seats * seatFloats;
  const outOff = xOff + c * h * w;
  const arena = kernels.arena(outOff + c * ho * wo);
  // Unpadded windows that stay inside the plane (a 2×2/s2 pool on even sizes) are read from the input item itself:
  // rows of w floats, each read rowLd ≤ w wide, so no −Infinity border and no copy per plane.
  const direct = pt === 0 && pl === 0 && paddedH <= h && rowLd <= w;
  if (!direct) for (let seat = 0; seat < seats; seat++) arena.fill(-Infinity, seat * seatFloats, seat * seatFloats + tmpOff);
  const iyEnd = Math.min(h, paddedH - pt);
  const ixEnd = Math.min(w, rowLd - pl);
  const chunks = Math.min(c, 4 * seats);
  for (let b = 0; b < n; b++) {
    kernels.stage(x, b * c * h * w, xOff, c * h * w);
    // Channel chunks as tasks, each thread with its own padded plane and row buffer.
    kernels.parallel(chunks, (t, k) => {
      for (let ch = Math.floor((t * c) / chunks); ch < Math.floor(((t + 1) * c) / chunks); ch++) {
        if (direct) {
          k.maxPoolPlane(4 * (xOff + ch * h * w), 4 * w, kh, 4 * sh * w, rowLd / 4, 4 * tmpOff, 4 * (outOff + ch * ho * wo), ho, wo, 4 * sw, kw);
          continue;
        }
        if (iyEnd > 0 && ixEnd > 0) k.copyRows(4 * (xOff + ch * h * w), 4 * w, 4 * (pt * rowLd + pl), 4 * rowLd, 4 * ixEnd, iyEnd);
        k.maxPoolPlane(0, 4 * rowLd, kh, 4 * sh * rowLd, rowLd / 4, 4 * tmpOff, 4 * (outOff + ch * ho * wo), ho, wo, 4 * sw, kw);
      }
    }, { offset: 0, bytes: 4 * seatFloats });
    kernels.unstage(y, b * c * ho * wo, outOff, c * ho * wo);
  }
}

/** The JS fallback: the same two passes with a JS row buffer, clipping each window to the plane. */
function maxPoolSeparable(p: PoolParams, x: Float32Array, y: Float32Array): void {
  const [n, c, h, w] = p.inDims;
  const [, , ho, wo] = p.outDims;
  const [kh, kw] = p.kernel;
  const [sh, sw] = p.strides;
  const [pt, pl] = p.pads;
  const row = new Float32Array(w);
  for (let plane = 0; plane < n * c; plane++) {
    const base = plane * h * w;
    for (let oy = 0; oy < ho; oy++) {
      const yStart = Math.max(0, oy * sh - pt);
      const yEnd = Math.min(h, oy * sh - pt + kh);
      const dst = (plane * ho + oy) * wo;
      if (yEnd <= yStart) {
        y.fill(-Infinity, dst, dst + wo);
        continue;
      }
      row.set(x.subarray(base + yStart * w, base + (yStart + 1) * w));
      for (let iy = yStart + 1; iy < yEnd; iy++) {
        const src = base + iy * w;
        for (let ix = 0; ix < w; ix++) row[ix] = max2(row[ix]!, x[src + ix]!);
      }
      for (let ox = 0; ox < wo; ox++) {
        const xStart = Math.max(0, ox * sw - pl);
        const xEnd = Math.min(w, ox * sw - pl + kw);
        let acc = -Infinity;
        for (let ix = xStart; ix < xEnd; ix++) acc = max2(acc, row[ix]!);
        y[dst + ox] = acc;
      }
    }
  }
}
