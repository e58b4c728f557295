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
  const { width: w, height: h, data: src } = image;
  const out = createBgrImage(width, height);
  if (w === width && h === height) {
    out.data.set(src);
    return out;
  }
  const cols = axisTaps(width, w, true);
  const rows = axisTaps(height, h, false);
  // Horizontally interpolated source rows, computed once per source row used (two rows live at a time).
  const rowCache = new Map<number, Int32Array>();
  const horizontal = (r: number): Int32Array => {
    let t = rowCache.get(r);
    if (t) return t;
    t = new Int32Array(width * 3);
    const base = r * w * 3;
    for (let x = 0; x < width; x++) {
      const s = base + cols.index[x]! * 3;
      const a0 = cols.w0[x]!;
      const a1 = cols.w1[x]!;
      const o = x * 3;
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
    if (rowCache.size >= 4) rowCache.delete(rowCache.keys().next().value as number);
    rowCache.set(r, t);
    return t;
  };
  const dst = out.data;
  for (let y = 0; y < height; y++) {
    const sy = rows.index[y]!;
    const r0 = Math.min(Math.max(sy, 0), h - 1);
    const r1 = Math.min(Math.max(sy + 1, 0), h - 1);
    const t0 = horizontal(r0);
    const t1 = horizontal(r1);
    const b0 = rows.w0[y]!;
    const b1 = rows.w1[y]!;
    const o = y * width * 3;
    for (let i = 0; i < width * 3; i++) {
      const v = ((((t0[i]! >> 4) * b0) >> 16) + (((t1[i]! >> 4) * b1) >> 16) + 2) >> 2;
      dst[o + i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return out;
}
