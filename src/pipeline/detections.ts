/**
 * Detector rows in InsightFace's layout: `boxes` n×4 (x1, y1, x2, y2), `scores` n, `kps` n×5×2 or null when the
 * model has no keypoint outputs. All float32, as NumPy holds them.
 */
export interface Detections {
  readonly count: number;
  readonly boxes: Float32Array;
  readonly scores: Float32Array;
  readonly kps: Float32Array | null;
}

export const KEYPOINTS = 5;

export function emptyDetections(withKps: boolean): Detections {
  return { count: 0, boxes: new Float32Array(0), scores: new Float32Array(0), kps: withKps ? new Float32Array(0) : null };
}

/** Rows `order[0], order[1], …` (NumPy fancy indexing). */
export function takeRows(d: Detections, order: ArrayLike<number>): Detections {
  const n = order.length;
  const boxes = new Float32Array(n * 4);
  const scores = new Float32Array(n);
  const kps = d.kps ? new Float32Array(n * KEYPOINTS * 2) : null;
  for (let i = 0; i < n; i++) {
    const j = order[i]!;
    boxes.set(d.boxes.subarray(j * 4, j * 4 + 4), i * 4);
    scores[i] = d.scores[j]!;
    if (kps && d.kps) kps.set(d.kps.subarray(j * 10, j * 10 + 10), i * 10);
  }
  return { count: n, boxes, scores, kps };
}

/** np.vstack of several row sets (all with or all without keypoints). */
export function concatDetections(parts: readonly Detections[], withKps: boolean): Detections {
  const n = parts.reduce((s, p) => s + p.count, 0);
  const boxes = new Float32Array(n * 4);
  const scores = new Float32Array(n);
  const kps = withKps ? new Float32Array(n * 10) : null;
  let at = 0;
  for (const p of parts) {
    boxes.set(p.boxes, at * 4);
    scores.set(p.scores, at);
    if (kps && p.kps) kps.set(p.kps, at * 10);
    at += p.count;
  }
  return { count: n, boxes, scores, kps };
}
