import { ImageError } from '../errors.js';
import { invertAffine, type Affine2x3 } from '../affine.js';
import { createBgrImage, type BgrImage } from '../image.js';
import { roundHalfEven } from '../rounding.js';

/** OpenCV's warp fixed point: coordinates in 1/1024 (AB_BITS = 10), taps in 1/32 pixel (INTER_BITS = 5). */
const AB_SCALE = 1024;
const ROUND_DELTA = 16;

/**
 * `cv2.warpAffine(img, M, (W, H), flags=INTER_LINEAR, borderMode=BORDER_CONSTANT, borderValue=0)` for uint8 BGR,
 * bit-exact (spec §9.3). `m` maps source → destination, as in OpenCV.
 */
export function warpAffine(image: BgrImage, m: Affine2x3, width: number, height: number): BgrImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new ImageError(`cannot warp to ${width}×${height}`);
  }
  const out = createBgrImage(width, height);
  warpAffineInto(image, m, out.data, width, height);
  return out;
}

/**
 * The warp's fixed-point source coordinates (1/1024 pixel) in OpenCV's split form: source position of destination
 * (x, y) = (x0[y] + dx[x], y0[y] + dy[x]), rounding delta included. Float64 maths; the GPU warp uploads these.
 */
export interface WarpFixedPoint {
  readonly dx: Float64Array;
  readonly dy: Float64Array;
  readonly x0: Float64Array;
  readonly y0: Float64Array;
}

export function warpFixedPoint(m: Affine2x3, width: number, height: number): WarpFixedPoint {
  const [a11, a12, b1, a21, a22, b2] = invertAffine(m);
  const dx = new Float64Array(width);
  const dy = new Float64Array(width);
  const x0 = new Float64Array(height);
  const y0 = new Float64Array(height);
  for (let x = 0; x < width; x++) {
    dx[x] = roundHalfEven(a11 * x * AB_SCALE);
    dy[x] = roundHalfEven(a21 * x * AB_SCALE);
  }
  for (let y = 0; y < height; y++) {
    x0[y] = roundHalfEven((a12 * y + b1) * AB_SCALE) + ROUND_DELTA;
    y0[y] = roundHalfEven((a22 * y + b2) * AB_SCALE) + ROUND_DELTA;
  }
  return { dx, dy, x0, y0 };
}

/** Same as warpAffine, writing into `dst` (W×H×3) — lets batched crops share one buffer. */
export function warpAffineInto(image: BgrImage, m: Affine2x3, dst: Uint8Array, width: number, height: number): void {
  const { dx, dy, x0: rowX, y0: rowY } = warpFixedPoint(m, width, height);
  const { width: sw, height: sh, data: src } = image;
  for (let y = 0; y < height; y++) {
    const x0 = rowX[y]!;
    const y0 = rowY[y]!;
    let o = y * width * 3;
    for (let x = 0; x < width; x++, o += 3) {
      // Flooring division instead of `>>` keeps far-off coordinates (beyond int32) correct.
      const X = Math.floor((x0 + dx[x]!) / 32);
      const Y = Math.floor((y0 + dy[x]!) / 32);
      const sx = Math.floor(X / 32);
      const sy = Math.floor(Y / 32);
      if (sx >= sw || sx + 1 < 0 || sy >= sh || sy + 1 < 0) {
        dst[o] = 0; dst[o + 1] = 0; dst[o + 2] = 0;
        continue;
      }
      const fx = X - sx * 32;
      const fy = Y - sy * 32;
      const w00 = (32 - fx) * (32 - fy) * 32;
      const w01 = fx * (32 - fy) * 32;
      const w10 = (32 - fx) * fy * 32;
      const w11 = fx * fy * 32;
      const inX0 = sx >= 0;
      const inX1 = sx + 1 < sw;
      const inY0 = sy >= 0;
      const inY1 = sy + 1 < sh;
      const p00 = inY0 && inX0 ? (sy * sw + sx) * 3 : -1;
      const p01 = inY0 && inX1 ? (sy * sw + sx + 1) * 3 : -1;
      const p10 = inY1 && inX0 ? ((sy + 1) * sw + sx) * 3 : -1;
      const p11 = inY1 && inX1 ? ((sy + 1) * sw + sx + 1) * 3 : -1;
      for (let c = 0; c < 3; c++) {
        const sum = (p00 >= 0 ? src[p00 + c]! * w00 : 0) + (p01 >= 0 ? src[p01 + c]! * w01 : 0)
          + (p10 >= 0 ? src[p10 + c]! * w10 : 0) + (p11 >= 0 ? src[p11 + c]! * w11 : 0);
        const v = (sum + 16384) >> 15;
        dst[o + c] = v > 255 ? 255 : v;
      }
    }
  }
}

/**
 * `cv2.warpAffine(src, M, (W, H), flags=INTER_LINEAR, borderMode=BORDER_CONSTANT, borderValue=0)` for a one-channel
 * float32 image (InsightFace warps its 255-filled paste mask this way). OpenCV uses the uint8 path's fixed-point
 * coordinates (1/32-pixel taps, see warpAffineInto) with float32 weights (1 − fx/32)(1 − fy/32) … — exact, being
 * multiples of 1/1024 — summed in float32 in tap order 00, 01, 10, 11. A tap outside the source reads 0; a pixel
 * whose taps all lie outside is 0 outright. `m` maps source → destination.
 */
export function warpAffineFloat32(
  src: Float32Array, srcWidth: number, srcHeight: number, m: Affine2x3, width: number, height: number,
): Float32Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new ImageError(`cannot warp to ${width}×${height}`);
  }
  if (src.length !== srcWidth * srcHeight) throw new ImageError(`float image has ${src.length} values, ${srcWidth}×${srcHeight} needs ${srcWidth * srcHeight}`);
  const { dx, dy, x0: rowX, y0: rowY } = warpFixedPoint(m, width, height);
  const dst = new Float32Array(width * height);
  const f32 = Math.fround;
  const sw = srcWidth;
  const sh = srcHeight;
  for (let y = 0; y < height; y++) {
    const x0 = rowX[y]!;
    const y0 = rowY[y]!;
    let o = y * width;
    for (let x = 0; x < width; x++, o++) {
      const X = Math.floor((x0 + dx[x]!) / 32);
      const Y = Math.floor((y0 + dy[x]!) / 32);
      const sx = Math.floor(X / 32);
      const sy = Math.floor(Y / 32);
      if (sx >= sw || sx + 1 < 0 || sy >= sh || sy + 1 < 0) continue;
      const ax = (X - sx * 32) / 32;
      const ay = (Y - sy * 32) / 32;
      const w00 = (1 - ax) * (1 - ay);
      const w01 = ax * (1 - ay);
      const w10 = (1 - ax) * ay;
      const w11 = ax * ay;
      const inX0 = sx >= 0;
      const inX1 = sx + 1 < sw;
      const inY0 = sy >= 0;
      const inY1 = sy + 1 < sh;
      const v00 = inY0 && inX0 ? src[sy * sw + sx]! : 0;
      const v01 = inY0 && inX1 ? src[sy * sw + sx + 1]! : 0;
      const v10 = inY1 && inX0 ? src[(sy + 1) * sw + sx]! : 0;
      const v11 = inY1 && inX1 ? src[(sy + 1) * sw + sx + 1]! : 0;
      dst[o] = f32(f32(f32(f32(v00 * w00) + f32(v01 * w01)) + f32(v10 * w10)) + f32(v11 * w11));
    }
  }
  return dst;
}
