/**
 * Synthetic video for the tracker, with known true tracks: face crops cut from t1.jpg moved over a plain
 * background on set paths (tests), and a pan-and-zoom over the whole of t1.jpg (the tracker benchmark and the
 * video CLI test), whose true boxes are the goldens' t1 boxes (InsightFace's own detections) carried through the
 * known camera motion.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBgrImage, loadImage, resizeBilinear, warpAffine, type BgrImage } from '../../src/pipeline/index.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The shared test bed (../shared next to the repo root, or $INSIGHTGPU_SHARED). */
export const SHARED_DIR = process.env.INSIGHTGPU_SHARED ?? path.resolve(HERE, '../../../shared');

export type Box = readonly [number, number, number, number];

/** t1.jpg and its faces' boxes from the golden of InsightFace's FaceAnalysis (packA, det 640), in golden order. */
export async function loadT1(shared = SHARED_DIR): Promise<{ image: BgrImage; faces: Box[] }> {
  const golden = JSON.parse(readFileSync(path.join(shared, 'golden/packA_det640.json'), 'utf8')) as { results: { image: string; faces: { bbox: number[] }[] }[] };
  const faces = golden.results.find((r) => r.image === 't1.jpg')!.faces.map((f) => f.bbox as unknown as Box);
  return { image: await loadImage(path.join(shared, 'images/t1.jpg')), faces };
}

/** A crop around a face box (grown by `margin` of its size on each side), resized by `scale`; its box inside the crop comes with it. */
export function facePatch(image: BgrImage, box: Box, margin = 0.35, scale = 1): { patch: BgrImage; box: Box } {
  const w = box[2] - box[0], h = box[3] - box[1];
  const x0 = Math.max(0, Math.floor(box[0] - margin * w)), y0 = Math.max(0, Math.floor(box[1] - margin * h));
  const x1 = Math.min(image.width, Math.ceil(box[2] + margin * w)), y1 = Math.min(image.height, Math.ceil(box[3] + margin * h));
  const crop = createBgrImage(x1 - x0, y1 - y0);
  for (let y = y0; y < y1; y++) crop.data.set(image.data.subarray((y * image.width + x0) * 3, (y * image.width + x1) * 3), (y - y0) * crop.width * 3);
  const patch = scale === 1 ? crop : resizeBilinear(crop, Math.round(crop.width * scale), Math.round(crop.height * scale));
  const sx = patch.width / crop.width, sy = patch.height / crop.height;
  return { patch, box: [(box[0] - x0) * sx, (box[1] - y0) * sy, (box[2] - x0) * sx, (box[3] - y0) * sy] };
}

/** A frame: a soft grey gradient (no face-like structure) with the patches pasted at integer positions (clipped at the edges). */
export function composeFrame(width: number, height: number, patches: readonly { patch: BgrImage; x: number; y: number }[]): BgrImage {
  const frame = createBgrImage(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = 90 + Math.round((60 * (x + y)) / (width + height));
      frame.data.fill(v, (y * width + x) * 3, (y * width + x) * 3 + 3);
    }
  }
  for (const { patch, x, y } of patches) {
    for (let py = 0; py < patch.height; py++) {
      const fy = y + py;
      if (fy < 0 || fy >= height) continue;
      const from = Math.max(0, -x), to = Math.min(patch.width, width - x);
      if (to <= from) continue;
      frame.data.set(patch.data.subarray((py * patch.width + from) * 3, (py * patch.width + to) * 3), (fy * width + x + from) * 3);
    }
  }
  return frame;
}

/** The pan-and-zoom camera: which part of the source the frame shows, as frame = (source − origin) × scale. */
export interface CameraWindow {
  readonly x: number;
  readonly y: number;
  readonly scale: number;
}

/**
 * Frame k of `frames`: the zoom swings between 1.25× and 2× of the fit-to-width scale while the window pans from
 * the source's left edge to its right and back (one cycle per clip), vertically centred.
 */
export function panZoomWindow(k: number, frames: number, source: { width: number; height: number }, out: { width: number; height: number }): CameraWindow {
  const phase = (2 * Math.PI * k) / frames;
  const scale = (out.width / source.width) * (1.625 - 0.375 * Math.cos(phase));
  const ww = out.width / scale, wh = out.height / scale;
  const pan = (1 - Math.cos(phase)) / 2;
  return { x: pan * (source.width - ww), y: (source.height - wh) / 2, scale };
}

/** One frame of the pan-and-zoom clip and the true boxes of the faces wholly inside it (by golden face index). */
export function panZoomFrame(
  t1: { image: BgrImage; faces: readonly Box[] }, k: number, frames: number, width: number, height: number,
): { image: BgrImage; truth: { face: number; box: Box }[] } {
  const w = panZoomWindow(k, frames, t1.image, { width, height });
  const image = warpAffine(t1.image, [w.scale, 0, -w.x * w.scale, 0, w.scale, -w.y * w.scale], width, height);
  const truth: { face: number; box: Box }[] = [];
  t1.faces.forEach((b, face) => {
    const box: Box = [(b[0] - w.x) * w.scale, (b[1] - w.y) * w.scale, (b[2] - w.x) * w.scale, (b[3] - w.y) * w.scale];
    if (box[0] >= 0 && box[1] >= 0 && box[2] <= width && box[3] <= height) truth.push({ face, box });
  });
  return { image, truth };
}

/** IoU of two boxes, written out here so that the benchmark's scoring does not reuse the tracker's own. */
export function boxOverlap(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const w = Math.max(0, Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!));
  const h = Math.max(0, Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!));
  const area = (r: ArrayLike<number>): number => (r[2]! - r[0]!) * (r[3]! - r[1]!);
  return (w * h) / (area(a) + area(b) - w * h);
}

/**
 * Track-id switches against the true tracks: per frame each true face takes the returned box of best IoU (≥ 0.5);
 * a switch is a true face getting a different trackId than it last had. Also counts true faces left unmatched.
 */
export class IdSwitchCounter {
  switches = 0;
  misses = 0;
  matched = 0;
  private readonly last = new Map<number, number>();

  add(truth: readonly { face: number; box: Box }[], tracked: readonly { trackId: number; bbox: ArrayLike<number> }[]): void {
    for (const { face, box } of truth) {
      let best: { trackId: number } | undefined, bestIou = 0.5;
      for (const t of tracked) {
        const v = boxOverlap(box, t.bbox);
        if (v >= bestIou) { best = t; bestIou = v; }
      }
      if (!best) { this.misses++; continue; }
      this.matched++;
      const before = this.last.get(face);
      if (before !== undefined && before !== best.trackId) this.switches++;
      this.last.set(face, best.trackId);
    }
  }
}
