/** A 2×3 affine matrix [[a, b, c], [d, e, f]] stored row-major as [a, b, c, d, e, f] (float64). */
export type Affine2x3 = readonly [number, number, number, number, number, number];

/** `cv2.invertAffineTransform`: the exact sequence of float64 operations OpenCV uses. */
export function invertAffine(m: Affine2x3): Affine2x3 {
  const [m00, m01, m02, m10, m11, m12] = m;
  let d = m00 * m11 - m01 * m10;
  d = d !== 0 ? 1 / d : 0;
  const a11 = m11 * d;
  const a22 = m00 * d;
  const a12 = -m01 * d;
  const a21 = -m10 * d;
  const b1 = -a11 * m02 - a12 * m12;
  const b2 = -a21 * m02 - a22 * m12;
  return [a11, a12, b1, a21, a22, b2];
}

/** Applies `m` to (x, y) in float64 (the `np.dot(M, [x, y, 1])` of InsightFace's trans_points). */
export function applyAffine(m: Affine2x3, x: number, y: number): [number, number] {
  return [m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]];
}
