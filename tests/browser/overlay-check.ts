/**
 * Reads a screenshot of the demo's canvas and checks that the overlays are really drawn: the picture is not blank,
 * and each face's box outline is made of box-coloured pixels where the results say the face is.
 */
import sharp from 'sharp';
import { BOX_COLOUR } from '../../web/demo/overlay.js';

export interface OverlayCheck {
  readonly width: number;
  readonly height: number;
  /** Standard deviation of the luminance over the whole shot (a blank canvas gives ~0). */
  readonly lumaStdDev: number;
  /** Per face: fraction of sampled box-outline positions that have a box-coloured pixel within ±2 px. */
  readonly boxCoverage: number[];
  /** Fraction of box-coloured pixels in the whole shot, to catch a canvas painted green all over. */
  readonly boxColourShare: number;
}

function isBoxColour(r: number, g: number, b: number): boolean {
  // Scaling blends the 1–3 px lines with their neighbours; a clearly green-dominant pixel counts.
  const [br, bg, bb] = BOX_COLOUR;
  return Math.abs(g - bg) < 90 && Math.abs(r - br) < 110 && Math.abs(b - bb) < 110 && g > r + 60 && g > b + 60;
}

export async function checkOverlay(png: Buffer, imageWidth: number, boxes: readonly (readonly number[])[]): Promise<OverlayCheck> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const { width, height, channels } = info;
  const px = (x: number, y: number): [number, number, number] => {
    const i = (y * width + x) * channels;
    return [data[i]!, data[i + 1]!, data[i + 2]!];
  };
  let sum = 0;
  let sum2 = 0;
  let green = 0;
  for (let i = 0; i < width * height; i++) {
    const r = data[i * channels]!, g = data[i * channels + 1]!, b = data[i * channels + 2]!;
    const y = 0.299 * r + 0.587 * g + 0.114 * b;
    sum += y;
    sum2 += y * y;
    if (isBoxColour(r, g, b)) green++;
  }
  const n = width * height;
  const lumaStdDev = Math.sqrt(Math.max(0, sum2 / n - (sum / n) ** 2));
  // The canvas is shown scaled; the shot's pixels map to image pixels by this factor.
  const scale = width / imageWidth;
  const nearBox = (x: number, y: number): boolean => {
    for (let dy = -2; dy <= 2; dy++) {
      for (let dx = -2; dx <= 2; dx++) {
        const xx = Math.round(x + dx), yy = Math.round(y + dy);
        if (xx < 0 || yy < 0 || xx >= width || yy >= height) continue;
        if (isBoxColour(...px(xx, yy))) return true;
      }
    }
    return false;
  };
  const boxCoverage = boxes.map(([x1, y1, x2, y2]) => {
    const [a, b, c, d] = [x1! * scale, y1! * scale, x2! * scale, y2! * scale];
    let hits = 0, total = 0;
    const SAMPLES = 20;
    for (let k = 0; k <= SAMPLES; k++) {
      const t = k / SAMPLES;
      for (const [x, y] of [[a + (c - a) * t, b], [a + (c - a) * t, d], [a, b + (d - b) * t], [c, b + (d - b) * t]] as const) {
        total++;
        if (nearBox(x, y)) hits++;
      }
    }
    return hits / total;
  });
  return { width, height, lumaStdDev, boxCoverage, boxColourShare: green / n };
}
