import { PipelineOptionError } from './errors.js';
import type { Affine2x3 } from './affine.js';
import { estimateSimilarity } from './similarity.js';

/** ArcFace's 112×112 five-point template (left eye, right eye, nose, left mouth, right mouth), float32. */
export const ARCFACE_TEMPLATE: readonly number[] = [
  38.2946, 51.6963, 73.5318, 51.5014, 56.0252, 71.7366, 41.5493, 92.3655, 70.7299, 92.2041,
].map(Math.fround);

/**
 * InsightFace's `estimate_norm`: the similarity taking the five keypoints to the template scaled for a
 * `size`×`size` crop (multiples of 112 as is; multiples of 128 scaled and shifted right by 8·ratio).
 */
export function estimateNorm(kps: ArrayLike<number>, size = 112): Affine2x3 {
  // As InsightFace's `assert lmk.shape == (5, 2)`: other lengths would read past the template or ignore points.
  if (kps?.length !== 10) throw new PipelineOptionError('kps', `${kps?.length ?? 'no'} values, expected 10 (five points, flat x0, y0, … x4, y4)`);
  let ratio: number;
  let dx: number;
  if (size % 112 === 0) {
    ratio = size / 112;
    dx = 0;
  } else if (size % 128 === 0) {
    ratio = size / 128;
    dx = 8 * ratio;
  } else {
    throw new PipelineOptionError('size', `norm_crop needs a multiple of 112 or 128, got ${size}`);
  }
  const dst = ARCFACE_TEMPLATE.map((v, i) => {
    const scaled = Math.fround(v * ratio);
    return i % 2 === 0 ? Math.fround(scaled + dx) : scaled;
  });
  return estimateSimilarity(kps, dst);
}
