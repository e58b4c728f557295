import { argsortDescending } from './sort-order.js';

const f32 = Math.fround;

/**
 * InsightFace's greedy NMS: pixel-inclusive "+1" widths and areas, every step in float32, and a candidate
 * survives when IoU ≤ threshold (equality kept). Returns kept row indices in visiting (score) order.
 */
export function nms(boxes: Float32Array, scores: Float32Array, threshold: number): number[] {
  const n = scores.length;
  const area = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const b = i * 4;
    area[i] = f32(f32(f32(boxes[b + 2]! - boxes[b]!) + 1) * f32(f32(boxes[b + 3]! - boxes[b + 1]!) + 1));
  }
  const thresh = f32(threshold);
  let order = argsortDescending(scores);
  const keep: number[] = [];
  while (order.length > 0) {
    const i = order[0]!;
    keep.push(i);
    const bi = i * 4;
    const x1 = boxes[bi]!, y1 = boxes[bi + 1]!, x2 = boxes[bi + 2]!, y2 = boxes[bi + 3]!;
    const next: number[] = [];
    for (let k = 1; k < order.length; k++) {
      const j = order[k]!;
      const bj = j * 4;
      const w = Math.max(0, f32(f32(Math.min(x2, boxes[bj + 2]!) - Math.max(x1, boxes[bj]!)) + 1));
      const h = Math.max(0, f32(f32(Math.min(y2, boxes[bj + 3]!) - Math.max(y1, boxes[bj + 1]!)) + 1));
      const inter = f32(w * h);
      const iou = f32(inter / f32(f32(area[i]! + area[j]!) - inter));
      // NaN IoU (degenerate boxes) fails `<=` and is dropped, as in NumPy.
      if (iou <= thresh) next.push(j);
    }
    order = next;
  }
  return keep;
}
