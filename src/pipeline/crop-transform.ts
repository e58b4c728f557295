import type { Affine2x3 } from './affine.js';

/**
 * The box-centred crop of InsightFace's Landmark and Attribute models: the face box scaled so its longer side
 * spans 2/3 of the `size`×`size` crop, centred. Matches what face_align.transform's composition of four
 * scikit-image transforms yields with rotation 0. Box values are float32; NumPy 1.x lifts the scalar maths to float64.
 */
export function boxCropTransform(box: ArrayLike<number>, size: number): Affine2x3 {
  const [x1, y1, x2, y2] = [box[0]!, box[1]!, box[2]!, box[3]!];
  const w = Math.fround(x2 - x1);
  const h = Math.fround(y2 - y1);
  const cx = Math.fround(x2 + x1) / 2;
  const cy = Math.fround(y2 + y1) / 2;
  const scale = size / (Math.max(w, h) * 1.5);
  return [scale, 0, size / 2 - cx * scale, 0, scale, size / 2 - cy * scale];
}
