import { ImageError } from '../errors.js';
import { createBgrImage, type BgrImage } from '../image.js';
import { roundHalfEven } from '../rounding.js';

/** OpenCV's fixed-point resolution of the bilinear weights (INTER_RESIZE_COEF_BITS = 11). */
const COEF_SCALE = 2048;

export interface AxisTaps {
  readonly index: Int32Array;
  readonly w0: Int32Array;
  readonly w1: Int32Array;
}

/**
 * Source index and 11-bit weights per destination coordinate, as OpenCV's resize builds them: float32 source
 * position, floor, clamp at the low edge, single tap at the high edge (columns). Shared with the GPU letterbox,
 * which uploads these taps so both paths use the same integers.
 */
export function axisTaps(dst: number, src: number, clampHigh: boolean): AxisTaps {
  const scale = 1 / (dst / src);
  const index = new Int32Array(dst);
  const w0 = new Int32Array(dst);
  const w1 = new Int32Array(dst);
  for (let i = 0; i < dst; i++) {
    let f = Math.fround((i + 0.5) * scale - 0.5);
    let s = Math.floor(f);
    f = Math.fround(f - s);
    if (clampHigh) {
      if (s < 0) { f = 0; s = 0; }
      if (s >= src - 1) { f = 0; s = src - 1; }
    }
    index[i] = s;
    w0[i] = roundHalfEven(Math.fround(1 - f) * COEF_SCALE);
    w1[i] = roundHalfEven(Math.fround(f * COEF_SCALE));
  }
  return { index, w0, w1 };
}

/**
 * `cv2.resize(img, (W, H), interpolation=INTER_LINEAR)` for uint8 BGR, bit-exact with OpenCV's SIMD build
 * (spec §9.2). Horizontal pass in int32, vertical pass with the two-stage shifts of OpenCV's vectorised path.
 */
export function resizeBilinear(image: BgrImage, width: number, height: number): BgrImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new ImageError(`cannot resize to ${width}×${height}`);
  }
  const out = createBgrImage(width, height);
  resizeBilinearInto(image, width, height, out.data, width * 3);
  return out;
}

/**
 * resizeBilinear writing its width×height BGR rows into `dst`, row y at byte y × dstStride (the letterbox's canvas
 * takes them in place, with no resized image in between). Bytes of `dst` outside those rows are left as they are.
 */
export function resizeBilinearInto(image: BgrImage, width: number, height: number, dst: Uint8Array, dstStride: number): void {
  const { width: w, height: h, data: src } = image;
  const rowBytes = width * 3;
  if (w === width && h === height) {
    if (dstStride === rowBytes) dst.set(src.subarray(0, h * rowBytes));
    else for (let y = 0; y < h; y++) dst.set(src.subarray(y * rowBytes, (y + 1) * rowBytes), y * dstStride);
    return;
  }
  const cols = axisTaps(width, w, true);
  const rows = axisTaps(height, h, false);
  // Byte offset of each destination column's first tap: the horizontal pass then reads no index table per channel.
  const colOffsets = new Int32Array(width);
  for (let x = 0; x < width; x++) colOffsets[x] = cols.index[x]! * 3;
  // Horizontally interpolated source rows: each output row reads two, and source rows only move forward with y, so
  // two buffers keep every row computed once.
  const buffers = [new Int32Array(rowBytes), new Int32Array(rowBytes)] as const;
  const held = [-1, -1];
  /** Row r's buffer, computed into the one not holding row `keep` unless it is there already. */
  const horizontal = (r: number, keep: number): Int32Array => {
    if (held[0] === r) return buffers[0];
    if (held[1] === r) return buffers[1];
    const slot = held[0] === keep ? 1 : 0;
    held[slot] = r;
    const t = buffers[slot];
    const base = r * w * 3;
    for (let x = 0, o = 0; x < width; x++, o += 3) {
      const s = base + colOffsets[x]!;
      const a0 = cols.w0[x]!;
      const a1 = cols.w1[x]!;
      if (a1 === 0) {
        t[o] = src[s]! * a0;
        t[o + 1] = src[s + 1]! * a0;
        t[o + 2] = src[s + 2]! * a0;
      } else {
        t[o] = src[s]! * a0 + src[s + 3]! * a1;
        t[o + 1] = src[s + 1]! * a0 + src[s + 4]! * a1;
        t[o + 2] = src[s + 2]! * a0 + src[s + 5]! * a1;
      }
    }
    return t;
  };
  for (let y = 0; y < height; y++) {
    const sy = rows.index[y]!;
    const r0 = Math.min(Math.max(sy, 0), h - 1);
    const r1 = Math.min(Math.max(sy + 1, 0), h - 1);
    const t0 = horizontal(r0, -1);
    const t1 = horizontal(r1, r0);
    const b0 = rows.w0[y]!;
    const b1 = rows.w1[y]!;
    const o = y * dstStride;
    for (let i = 0; i < rowBytes; i++) {
      const v = ((((t0[i]! >> 4) * b0) >> 16) + (((t1[i]! >> 4) * b1) >> 16) + 2) >> 2;
      dst[o + i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
}
