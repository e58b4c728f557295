import type { Affine2x3 } from './affine.js';
import { PipelineOptionError } from './errors.js';

/**
 * Least-squares similarity (rotation, uniform scale, translation; no reflection or shear) mapping `src` points
 * onto `dst` — scikit-image's `SimilarityTransform.estimate` (Umeyama), in its 2-D closed form, float64.
 * Points are flat [x0, y0, x1, y1, …]. Degenerate input (all source points equal) gives NaN, as in Python;
 * point lists of different or odd lengths, or empty ones, are a PipelineOptionError (they would read past an end).
 */
export function estimateSimilarity(src: ArrayLike<number>, dst: ArrayLike<number>): Affine2x3 {
  if (src.length !== dst.length) throw new PipelineOptionError('points', `src and dst have ${src.length} and ${dst.length} values; they need as many points`);
  if (src.length === 0 || src.length % 2 !== 0) throw new PipelineOptionError('points', `${src.length} values are not a non-empty list of (x, y) pairs`);
  const n = src.length / 2;
  let msx = 0, msy = 0, mdx = 0, mdy = 0;
  for (let k = 0; k < n; k++) {
    msx += src[2 * k]!; msy += src[2 * k + 1]!;
    mdx += dst[2 * k]!; mdy += dst[2 * k + 1]!;
  }
  msx /= n; msy /= n; mdx /= n; mdy /= n;
  let sigma2 = 0, p = 0, q = 0, r = 0, t = 0;
  for (let k = 0; k < n; k++) {
    const sx = src[2 * k]! - msx, sy = src[2 * k + 1]! - msy;
    const dx = dst[2 * k]! - mdx, dy = dst[2 * k + 1]! - mdy;
    sigma2 += sx * sx + sy * sy;
    p += dx * sx; q += dx * sy; r += dy * sx; t += dy * sy;
  }
  sigma2 /= n; p /= n; q /= n; r /= n; t /= n;
  const a = (p + t) / sigma2;
  const b = (r - q) / sigma2;
  return [a, -b, mdx - (a * msx - b * msy), b, a, mdy - (b * msx + a * msy)];
}
