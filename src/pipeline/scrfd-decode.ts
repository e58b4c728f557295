import type { TensorData } from '../core/ir.js';
import { ModelContractError } from './errors.js';
import { KEYPOINTS, concatDetections, type Detections } from './detections.js';

const f32 = Math.fround;

/** SCRFD/RetinaFace head layout, known from the output count alone (spec §2, detector variants). */
export interface ScrfdLayout {
  /** Pyramid levels. */
  readonly fmc: number;
  readonly strides: readonly number[];
  readonly anchorsPerCell: number;
  readonly useKps: boolean;
}

export function scrfdLayout(outputCount: number): ScrfdLayout | undefined {
  switch (outputCount) {
    case 6: return { fmc: 3, strides: [8, 16, 32], anchorsPerCell: 2, useKps: false };
    case 9: return { fmc: 3, strides: [8, 16, 32], anchorsPerCell: 2, useKps: true };
    case 10: return { fmc: 5, strides: [8, 16, 32, 64, 128], anchorsPerCell: 1, useKps: false };
    case 15: return { fmc: 5, strides: [8, 16, 32, 64, 128], anchorsPerCell: 1, useKps: true };
    default: return undefined;
  }
}

/**
 * Distance-to-box/keypoint decoding of one forward pass, in blob coordinates: score ≥ threshold (float32),
 * anchor centres at the cells' top-left corners (x·s, y·s) repeated per anchor, no clipping, rows in ascending
 * anchor order with levels concatenated by stride. `outputs` are in graph output order; rank-3 (batched)
 * outputs are read at batch index 0.
 */
export function decodeScrfd(outputs: readonly TensorData[], layout: ScrfdLayout, blobWidth: number, blobHeight: number, threshold: number): Detections {
  const { fmc, strides, anchorsPerCell: na, useKps } = layout;
  const thresh = f32(threshold);
  const levels: Detections[] = [];
  strides.forEach((stride, level) => {
    const scores = outputs[level]!;
    const dist = outputs[level + fmc]!;
    const offs = useKps ? outputs[level + 2 * fmc]! : undefined;
    const h = Math.floor(blobHeight / stride);
    const w = Math.floor(blobWidth / stride);
    const rows = h * w * na;
    checkScrfdLevel(outputs, layout, level, blobWidth, blobHeight);
    const s = scores.data as Float32Array;
    const d = dist.data as Float32Array;
    const k = offs?.data as Float32Array | undefined;
    const kept: number[] = [];
    for (let r = 0; r < rows; r++) if (s[r]! >= thresh) kept.push(r);
    const boxes = new Float32Array(kept.length * 4);
    const outScores = new Float32Array(kept.length);
    const kps = k ? new Float32Array(kept.length * KEYPOINTS * 2) : null;
    kept.forEach((r, i) => {
      const cell = Math.floor(r / na);
      const cx = (cell % w) * stride;
      const cy = Math.floor(cell / w) * stride;
      outScores[i] = s[r]!;
      boxes[i * 4] = f32(cx - f32(d[r * 4]! * stride));
      boxes[i * 4 + 1] = f32(cy - f32(d[r * 4 + 1]! * stride));
      boxes[i * 4 + 2] = f32(cx + f32(d[r * 4 + 2]! * stride));
      boxes[i * 4 + 3] = f32(cy + f32(d[r * 4 + 3]! * stride));
      if (kps && k) {
        for (let p = 0; p < KEYPOINTS; p++) {
          kps[i * 10 + 2 * p] = f32(cx + f32(k[r * 10 + 2 * p]! * stride));
          kps[i * 10 + 2 * p + 1] = f32(cy + f32(k[r * 10 + 2 * p + 1]! * stride));
        }
      }
    });
    levels.push({ count: kept.length, boxes, scores: outScores, kps });
  });
  return concatDetections(levels, useKps);
}

/**
 * Refuses outputs that do not hold the anchor grid InsightFace decodes for a blob of this size at one pyramid level
 * (scores, box distances, keypoint offsets). Takes types alone, so a size can be checked before any run.
 */
function checkScrfdLevel(
  outputs: readonly { readonly type: string; readonly dims: readonly number[]; readonly data?: { readonly length: number } }[],
  layout: ScrfdLayout, level: number, blobWidth: number, blobHeight: number,
): void {
  const { fmc, anchorsPerCell: na, useKps } = layout;
  const stride = layout.strides[level]!;
  const rows = Math.floor(blobHeight / stride) * Math.floor(blobWidth / stride) * na;
  expectRows(outputs[level]!, rows, 1, `scores of stride ${stride}`);
  expectRows(outputs[level + fmc]!, rows, 4, `box distances of stride ${stride}`);
  if (useKps) expectRows(outputs[level + 2 * fmc]!, rows, KEYPOINTS * 2, `keypoint offsets of stride ${stride}`);
}

/** `checkScrfdLevel` at every level: the outputs a blob of this size gives fit InsightFace's anchor grid. */
export function checkScrfdOutputs(outputs: readonly { readonly type: string; readonly dims: readonly number[] }[], layout: ScrfdLayout, blobWidth: number, blobHeight: number): void {
  for (let level = 0; level < layout.fmc; level++) checkScrfdLevel(outputs, layout, level, blobWidth, blobHeight);
}

/** Accepts [N, cols] or batched [1, N, cols] float32 (the leading batch index 0 is the same memory). */
function expectRows(t: { readonly type: string; readonly dims: readonly number[]; readonly data?: { readonly length: number } }, rows: number, cols: number, what: string): void {
  const dims = t.dims;
  const ok = t.type === 'float32' && (t.data === undefined || t.data.length >= rows * cols)
    && ((dims.length === 2 && dims[0] === rows && dims[1] === cols) || (dims.length === 3 && dims[1] === rows && dims[2] === cols));
  if (!ok) {
    throw new ModelContractError('detection', `${what}: got ${t.type}${JSON.stringify(dims)}, the anchor grid needs ${rows}×${cols} float32 (is the input size a multiple of 32?)`);
  }
}

/** Maps blob coordinates back to the image: float32 ÷ f32(det_scale), as NumPy does for `array / python_float`. */
export function rescaleDetections(d: Detections, detScale: number): Detections {
  const s = f32(detScale);
  const boxes = d.boxes.map((v) => f32(v / s));
  const kps = d.kps ? d.kps.map((v) => f32(v / s)) : null;
  return { count: d.count, boxes, scores: d.scores, kps };
}
