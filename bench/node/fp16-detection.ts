/**
 * What the goldens compare of a detector's output, fp16 against fp32: SCRFD's decode, the score sort and NMS as the
 * pipeline runs them (threshold 0.5, NMS 0.4), then faces matched by IoU ≥ 0.9 and the largest box, keypoint and
 * score differences between matched faces.
 */
import type { TensorData } from '../../src/core/ir.js';
import { takeRows, type Detections } from '../../src/pipeline/detections.js';
import { nms } from '../../src/pipeline/nms.js';
import { decodeScrfd, rescaleDetections, scrfdLayout } from '../../src/pipeline/scrfd-decode.js';
import { argsortDescending } from '../../src/pipeline/sort-order.js';

/** The differences between two detection runs of one image. */
export interface DetectionBound {
  /** Faces found by fp32 and by fp16. */
  readonly faces: readonly [number, number];
  /** fp32 faces with an fp16 face at IoU ≥ 0.9. */
  readonly matched: number;
  /** Largest |Δ| of a box coordinate over matched faces, in image pixels. */
  readonly boxPx: number;
  /** Largest |Δ| of a keypoint coordinate over matched faces, in image pixels. */
  readonly kpsPx: number;
  /** Largest |Δ det_score| over matched faces. */
  readonly score: number;
  /** The fp32 faces' keypoints (10 values each), to align recognition crops with. */
  readonly referenceKps: Float32Array[];
}

function faces(outputs: ReadonlyMap<string, TensorData>, size: number, detScale: number): Detections {
  const list = [...outputs.values()];
  const layout = scrfdLayout(list.length)!;
  const d = rescaleDetections(decodeScrfd(list, layout, size, size, 0.5), detScale);
  const sorted = takeRows(d, argsortDescending(d.scores));
  return takeRows(sorted, nms(sorted.boxes, sorted.scores, 0.4));
}

function iou(a: Float32Array, i: number, b: Float32Array, j: number): number {
  const x1 = Math.max(a[4 * i]!, b[4 * j]!), y1 = Math.max(a[4 * i + 1]!, b[4 * j + 1]!);
  const x2 = Math.min(a[4 * i + 2]!, b[4 * j + 2]!), y2 = Math.min(a[4 * i + 3]!, b[4 * j + 3]!);
  const inter = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  const area = (m: Float32Array, k: number): number => (m[4 * k + 2]! - m[4 * k]!) * (m[4 * k + 3]! - m[4 * k + 1]!);
  return inter / (area(a, i) + area(b, j) - inter);
}

/** Decodes both runs' outputs (letterboxed to `size`, scaled by `detScale`) and compares their faces. */
export function detectionBound(wide: ReadonlyMap<string, TensorData>, half: ReadonlyMap<string, TensorData>, size: number, detScale: number): DetectionBound {
  const a = faces(wide, size, detScale);
  const b = faces(half, size, detScale);
  let matched = 0, boxPx = 0, kpsPx = 0, score = 0;
  const referenceKps: Float32Array[] = [];
  for (let i = 0; i < a.count; i++) {
    if (a.kps) referenceKps.push(a.kps.slice(10 * i, 10 * i + 10));
    let best = -1, bestIou = 0;
    for (let j = 0; j < b.count; j++) { const v = iou(a.boxes, i, b.boxes, j); if (v > bestIou) { bestIou = v; best = j; } }
    if (best < 0 || bestIou < 0.9) continue;
    matched++;
    for (let c = 0; c < 4; c++) boxPx = Math.max(boxPx, Math.abs(a.boxes[4 * i + c]! - b.boxes[4 * best + c]!));
    if (a.kps && b.kps) for (let c = 0; c < 10; c++) kpsPx = Math.max(kpsPx, Math.abs(a.kps[10 * i + c]! - b.kps[10 * best + c]!));
    score = Math.max(score, Math.abs(a.scores[i]! - b.scores[best]!));
  }
  return { faces: [a.count, b.count], matched, boxPx, kpsPx, score, referenceKps };
}
