import { fullRegion, type PixelRegion } from './region.js';

/**
 * `cv2.erode(img, np.ones((k, k)))` for a one-channel float32 image: a k×k minimum filter with the anchor at
 * (k // 2, k // 2), so output (x, y) is the minimum over columns x − k//2 … x − k//2 + k − 1 and the same rows.
 * Outside the image counts as +∞ (OpenCV's default erode border), so the border itself does not erode.
 * The rectangle is separable: a row pass then a column pass, which is exact for a minimum.
 * With `within`, only its pixels are computed and the rest is 0: exact when the image is ≥ 0 and 0 outside it (a
 * window then always holds its own pixel's 0 there).
 */
export function erodeRect(src: Float32Array, width: number, height: number, k: number, within: PixelRegion = fullRegion(width, height)): Float32Array {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`erode kernel size ${k} is not a positive integer`);
  if (src.length !== width * height) throw new RangeError(`image has ${src.length} values, ${width}×${height} needs ${width * height}`);
  const anchor = Math.floor(k / 2);
  const { x0, y0, x1, y1 } = within;
  const rows = new Float32Array(width * height);
  for (let y = y0; y < y1; y++) minLine(src, rows, y * width, 1, width, k, anchor, x0, x1);
  const out = new Float32Array(width * height);
  for (let x = x0; x < x1; x++) minLine(rows, out, x, width, height, k, anchor, y0, y1);
  return out;
}

/**
 * Minimum over the window [i − anchor, i − anchor + k − 1] ∩ [0, n − 1] along one line (start, step, n), for the
 * positions from … to − 1.
 */
function minLine(src: Float32Array, dst: Float32Array, start: number, step: number, n: number, k: number, anchor: number, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const lo = Math.max(0, i - anchor);
    const hi = Math.min(n - 1, i - anchor + k - 1);
    let m = Infinity;
    for (let j = lo, p = start + lo * step; j <= hi; j++, p += step) {
      const v = src[p]!;
      if (v < m) m = v;
    }
    dst[start + i * step] = m;
  }
}
