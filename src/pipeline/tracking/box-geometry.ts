/** Box arithmetic of the tracker; a box is [x1, y1, x2, y2] in image pixels. */
export type Box = readonly [number, number, number, number];

/** Intersection over union of two boxes (0 when either is empty). */
export function iou(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const w = Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!);
  const h = Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = (a[2]! - a[0]!) * (a[3]! - a[1]!) + (b[2]! - b[0]!) * (b[3]! - b[1]!) - inter;
  return union > 0 ? inter / union : 0;
}

/** The box as a plain tuple of doubles. */
export function toBox(values: ArrayLike<number>): Box {
  return [values[0]!, values[1]!, values[2]!, values[3]!];
}

/** The box moved by `steps` frames of a per-frame velocity (one delta per coordinate): the constant-velocity prediction. */
export function predictBox(box: Box, velocity: Box, steps: number): Box {
  return [box[0] + velocity[0] * steps, box[1] + velocity[1] * steps, box[2] + velocity[2] * steps, box[3] + velocity[3] * steps];
}

/** How far a box moved relative to its size: the centre's shift over the old box's larger side, or the relative change of that side, whichever is larger. */
export function relativeMotion(from: Box, to: Box): number {
  const side = Math.max(from[2] - from[0], from[3] - from[1], 1e-6);
  const dx = (to[0] + to[2] - from[0] - from[2]) / 2;
  const dy = (to[1] + to[3] - from[1] - from[3]) / 2;
  const newSide = Math.max(to[2] - to[0], to[3] - to[1]);
  return Math.max(Math.hypot(dx, dy) / side, Math.abs(newSide / side - 1));
}

/**
 * Maps points (flat x, y pairs, or x, y, z triples with `dims` 3) from one box's frame to another's: x and y scale
 * with the boxes' widths and heights and move with their corners; z scales with the width. Keypoints follow a box
 * carried without a detector this way.
 */
export function mapPoints(points: Float32Array, from: Box, to: Box, dims: 2 | 3 = 2): Float32Array {
  const sx = (to[2] - to[0]) / Math.max(from[2] - from[0], 1e-6);
  const sy = (to[3] - to[1]) / Math.max(from[3] - from[1], 1e-6);
  const out = new Float32Array(points.length);
  for (let i = 0; i < points.length; i += dims) {
    out[i] = to[0] + (points[i]! - from[0]) * sx;
    out[i + 1] = to[1] + (points[i + 1]! - from[1]) * sy;
    if (dims === 3) out[i + 2] = points[i + 2]! * sx;
  }
  return out;
}

/** The bounding box of flat points (x, y pairs, or triples with `dims` 3). */
export function pointBounds(points: Float32Array, dims: 2 | 3): Box {
  let x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
  for (let i = 0; i < points.length; i += dims) {
    x1 = Math.min(x1, points[i]!); x2 = Math.max(x2, points[i]!);
    y1 = Math.min(y1, points[i + 1]!); y2 = Math.max(y2, points[i + 1]!);
  }
  return [x1, y1, x2, y2];
}

/**
 * The detector box expressed in its landmarks' bounds (each edge's offset in units of the bounds' width or height),
 * so that later landmarks alone give back a detector-like box: `boxFromBounds(bounds', boxInBounds(det, bounds))`.
 */
export function boxInBounds(box: Box, bounds: Box): Box {
  const w = Math.max(bounds[2] - bounds[0], 1e-6), h = Math.max(bounds[3] - bounds[1], 1e-6);
  return [(box[0] - bounds[0]) / w, (box[1] - bounds[1]) / h, (box[2] - bounds[0]) / w, (box[3] - bounds[1]) / h];
}

/** The inverse of boxInBounds for new bounds. */
export function boxFromBounds(bounds: Box, relation: Box): Box {
  const w = bounds[2] - bounds[0], h = bounds[3] - bounds[1];
  return [bounds[0] + relation[0] * w, bounds[1] + relation[1] * h, bounds[0] + relation[2] * w, bounds[1] + relation[3] * h];
}

/** Whether every coordinate is finite and the box has a positive area. */
export function isUsableBox(box: Box): boolean {
  return box.every(Number.isFinite) && box[2] > box[0] && box[3] > box[1];
}
