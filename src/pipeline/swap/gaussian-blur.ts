import { fullRegion, growRegion, type PixelRegion } from './region.js';

/**
 * `cv2.GaussianBlur(img, (ksize, ksize), 0)` for a one-channel float32 image (BORDER_REFLECT_101, OpenCV's default):
 * the kernel of cv2.getGaussianKernel, a separable filter in float32, rows first, then columns.
 */

/**
 * `cv2.getGaussianKernel(ksize, sigma, CV_32F)`. With sigma ≤ 0, σ = 0.3·((ksize − 1)·0.5 − 1) + 0.8. Weights are
 * exp(−x²/(2σ²)) for x = i − (ksize − 1)/2, normalised to sum 1 in float64, then stored as float32 (the computation
 * of OpenCV 4's bit-exact kernel). Sizes 1, 3, 5 and 7 with sigma ≤ 0 use OpenCV's fixed table instead.
 */
export function gaussianKernel(ksize: number, sigma = 0): Float32Array {
  if (!Number.isInteger(ksize) || ksize < 1 || ksize % 2 === 0) throw new RangeError(`Gaussian kernel size ${ksize} is not a positive odd integer`);
  if (sigma <= 0) {
    const fixed = SMALL_KERNELS[ksize];
    if (fixed) return Float32Array.from(fixed);
  }
  const s = sigma > 0 ? sigma : ksize * 0.15 + 0.35; // = 0.3·((ksize − 1)·0.5 − 1) + 0.8
  // OpenCV works with doubled offsets x = 2i − (ksize − 1), so the exponent's factor is −0.5/4/σ².
  const scale2X = -0.125 / (s * s);
  const half = (ksize - 1) / 2;
  const values = new Float64Array(half);
  let sum = 0;
  for (let i = 0, x = 1 - ksize; i < half; i++, x += 2) {
    values[i] = Math.exp(x * x * scale2X);
    sum += values[i]!;
  }
  sum = sum * 2 + 1;
  const mul = 1 / sum;
  const out = new Float32Array(ksize);
  for (let i = 0; i < half; i++) {
    out[i] = values[i]! * mul;
    out[ksize - 1 - i] = out[i]!;
  }
  out[half] = mul;
  return out;
}

/** OpenCV's small_gaussian_tab (used when sigma ≤ 0 and ksize ≤ 7). */
const SMALL_KERNELS: Readonly<Record<number, readonly number[]>> = {
  1: [1],
  3: [0.25, 0.5, 0.25],
  5: [0.0625, 0.25, 0.375, 0.25, 0.0625],
  7: [0.03125, 0.109375, 0.21875, 0.28125, 0.21875, 0.109375, 0.03125],
};

/** OpenCV's borderInterpolate for BORDER_REFLECT_101 (gfedcb|abcdefgh|gfedcba); a length-1 line reads index 0. */
export function reflect101(p: number, n: number): number {
  if (n === 1) return 0;
  while (p < 0 || p >= n) p = p < 0 ? -p : 2 * n - 2 - p;
  return p;
}

/**
 * The blur itself. Rows: s = k₀·v₀, then s = fma(vⱼ, kⱼ, s) for j = 1 … ksize − 1 (the AVX2 row filter); columns,
 * with the symmetric kernel: s = k_c·v_c, then s = fma(v₊ⱼ + v₋ⱼ, k_c+ⱼ, s) (the AVX2 symmetric column filter). Every
 * step rounds to float32. As OpenCV does for non-constant borders, a one-row (one-column) image is not blurred
 * vertically (horizontally).
 * With `nonZero`, the image must be 0 outside that region: only the region grown by the kernel's radius is computed
 * (reading the whole image, reflections included), the rest is 0, which is what the full filter gives there.
 */
export function gaussianBlur(
  src: Float32Array, width: number, height: number, ksize: number, sigma = 0, nonZero: PixelRegion = fullRegion(width, height),
): Float32Array {
  if (src.length !== width * height) throw new RangeError(`image has ${src.length} values, ${width}×${height} needs ${width * height}`);
  const kx = width === 1 ? new Float32Array([1]) : gaussianKernel(ksize, sigma);
  const ky = height === 1 ? new Float32Array([1]) : gaussianKernel(ksize, sigma);
  const f32 = Math.fround;
  // Row pass into a float32 buffer.
  const rows = new Float32Array(width * height);
  const rx = (kx.length - 1) / 2;
  const ry = (ky.length - 1) / 2;
  const cols = growRegion(nonZero, rx, width, height);
  const grown = growRegion(nonZero, ry, width, height);
  const line = new Float32Array(width + 2 * rx);
  // Rows outside nonZero are 0 and stay 0; columns are needed up to rx beyond it.
  for (let y = nonZero.y0; y < nonZero.y1; y++) {
    const base = y * width;
    for (let i = 0; i < line.length; i++) line[i] = src[base + reflect101(i - rx, width)]!;
    for (let x = cols.x0; x < cols.x1; x++) {
      let s = f32(kx[0]! * line[x]!);
      for (let j = 1; j < kx.length; j++) s = f32(line[x + j]! * kx[j]! + s);
      rows[base + x] = s;
    }
  }
  // Column pass, symmetric form, over reflected row indices.
  const out = new Float32Array(width * height);
  const rowOf = new Int32Array(height + 2 * ry);
  for (let i = 0; i < rowOf.length; i++) rowOf[i] = reflect101(i - ry, height) * width;
  const centre = ky[ry]!;
  for (let y = grown.y0; y < grown.y1; y++) {
    const c = rowOf[y + ry]!;
    for (let x = cols.x0; x < cols.x1; x++) {
      let s = f32(centre * rows[c + x]!);
      for (let j = 1; j <= ry; j++) {
        const pair = f32(rows[rowOf[y + ry + j]! + x]! + rows[rowOf[y + ry - j]! + x]!);
        s = f32(pair * ky[ry + j]! + s);
      }
      out[y * width + x] = s;
    }
  }
  return out;
}
