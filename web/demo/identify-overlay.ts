/**
 * Identify mode's drawing: each face's name and score on a label under its box, and the face picked for enrolment
 * outlined. Labels sit under the box so the Analyse overlay's "sex,age" label above it stays readable.
 */
import type { Face } from '../../src/pipeline/index.js';
import { overlayScale } from './overlay.js';

/** Label colour of a recognised face; a pure colour so a screenshot check can find the labels among photo pixels. */
export const MATCH_COLOUR: readonly [number, number, number] = [255, 128, 0];
/** Label colour of a face matching nobody above the threshold. */
export const UNKNOWN_COLOUR: readonly [number, number, number] = [96, 96, 96];

/** What one face is labelled with: its best identity above the threshold, or none. */
export interface FaceLabel {
  readonly id: string | null;
  readonly score: number | null;
}

export function identityText(label: FaceLabel): string {
  return label.id === null ? 'unknown' : `${label.id} ${label.score!.toFixed(2)}`;
}

export function drawIdentityLabels(canvas: HTMLCanvasElement, faces: readonly Face[], labels: readonly FaceLabel[], picked: number | undefined): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2-D canvas context');
  const scale = overlayScale(canvas.width, canvas.height);
  ctx.save();
  ctx.font = `${8 * scale + 4}px sans-serif`;
  ctx.textBaseline = 'top';
  faces.forEach((face, i) => {
    const [x1, , x2, y2] = face.bbox as unknown as [number, number, number, number];
    const label = labels[i];
    if (label) {
      const text = identityText(label);
      const h = 10 * scale + 6;
      const w = Math.max(ctx.measureText(text).width + 4 * scale, x2 - x1);
      ctx.fillStyle = `rgb(${(label.id === null ? UNKNOWN_COLOUR : MATCH_COLOUR).join(',')})`;
      ctx.fillRect(x1, y2, w, h);
      ctx.fillStyle = label.id === null ? '#ffffff' : '#000000';
      ctx.fillText(text, x1 + 2 * scale, y2 + 3);
    }
    if (i === picked) {
      ctx.strokeStyle = `rgb(${MATCH_COLOUR.join(',')})`;
      ctx.lineWidth = 3 * scale;
      ctx.setLineDash([6 * scale, 4 * scale]);
      const [, y1] = face.bbox as unknown as [number, number];
      ctx.strokeRect(x1 - 3 * scale, y1 - 3 * scale, x2 - x1 + 6 * scale, y2 - y1 + 6 * scale);
      ctx.setLineDash([]);
    }
  });
  ctx.restore();
}
