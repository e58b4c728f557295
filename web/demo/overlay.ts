/**
 * Draws an image and its faces on a canvas: box, the five keypoints, the 106 landmarks and "sex,age". Line widths
 * scale with the image so the overlay stays visible when the canvas is shown smaller than its pixels.
 */
import type { Face } from '../../src/pipeline/index.js';

/** Box colour; pure green so a screenshot check can find the boxes among photo pixels. */
export const BOX_COLOUR: readonly [number, number, number] = [0, 255, 0];
const KPS_COLOURS = ['#ff3030', '#3060ff', '#ffd000', '#ff30ff', '#00e0ff'];
const LANDMARK_COLOUR = '#ffffff';

export function overlayScale(width: number, height: number): number {
  return Math.max(1, Math.round(Math.max(width, height) / 480));
}

export function drawImageWithFaces(canvas: HTMLCanvasElement, image: CanvasImageSource & { width: number; height: number }, faces: readonly Face[]): void {
  canvas.width = image.width;
  canvas.height = image.height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2-D canvas context');
  ctx.drawImage(image, 0, 0);
  drawFaces(ctx, faces, overlayScale(image.width, image.height));
}

export function drawFaces(ctx: CanvasRenderingContext2D, faces: readonly Face[], scale: number): void {
  ctx.save();
  for (const face of faces) {
    const [x1, y1, x2, y2] = face.bbox as unknown as [number, number, number, number];
    ctx.strokeStyle = `rgb(${BOX_COLOUR.join(',')})`;
    ctx.lineWidth = 2 * scale;
    ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
    const lms = face.landmark_2d_106;
    if (lms) {
      ctx.fillStyle = LANDMARK_COLOUR;
      for (let i = 0; i < lms.length; i += 2) ctx.fillRect(lms[i]! - scale / 2, lms[i + 1]! - scale / 2, scale, scale);
    }
    const kps = face.kps;
    if (kps) {
      for (let k = 0; k < kps.length / 2; k++) {
        ctx.fillStyle = KPS_COLOURS[k % KPS_COLOURS.length]!;
        ctx.beginPath();
        ctx.arc(kps[2 * k]!, kps[2 * k + 1]!, 2 * scale, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
    const label = faceLabel(face);
    if (label) {
      ctx.font = `${8 * scale + 4}px sans-serif`;
      ctx.textBaseline = 'bottom';
      const w = ctx.measureText(label).width;
      ctx.fillStyle = 'rgba(0,0,0,0.6)';
      ctx.fillRect(x1, y1 - 10 * scale - 6, w + 4 * scale, 10 * scale + 6);
      ctx.fillStyle = '#ffffff';
      ctx.fillText(label, x1 + 2 * scale, y1 - 1);
    }
  }
  ctx.restore();
}

/** InsightFace's draw_on label: "M,34". */
export function faceLabel(face: Face): string {
  if (face.sex === undefined || face.age === undefined) return '';
  return `${face.sex},${face.age}`;
}
