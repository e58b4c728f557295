import type { OptionShape } from '../core/option-shape.js';
import { optionsObject } from './call-options.js';
import type { Face } from './face.js';
import type { BgrImage } from './image.js';

/** A BGR colour. */
export type Colour = readonly [b: number, g: number, r: number];

/** What drawFaces (and FaceAnalysis.drawOn) draws besides InsightFace's boxes, points and labels. */
export interface DrawOptions {
  /** Also plot landmark_2d_106 (InsightFace's draw_on does not). */
  readonly landmarks106?: boolean;
}

/** drawFaces' names and value kinds. @internal */
export const DRAW_SHAPE: OptionShape<DrawOptions> = { landmarks106: 'boolean' };

const RED: Colour = [0, 0, 255];
const GREEN: Colour = [0, 255, 0];
const CYAN: Colour = [255, 255, 0];

/**
 * InsightFace's `draw_on`, drawn by our own rasteriser into the BGR buffer: red boxes (thickness 2), 5 keypoints
 * (green for left eye and left mouth corner, red otherwise), "sex,age" in green above the box. The text uses a
 * built-in 5×7 pixel font rather than OpenCV's Hershey font, so it is legible but not pixel-identical.
 */
export function drawFaces(image: BgrImage, faces: readonly Face[], drawOptions?: DrawOptions): void {
  const options = optionsObject(drawOptions, 'drawFaces', DRAW_SHAPE);
  for (const face of faces) {
    const [x1, y1, x2, y2] = Array.from(face.bbox, Math.trunc) as [number, number, number, number];
    drawRectangle(image, x1, y1, x2, y2, RED, 2);
    if (options.landmarks106 && face.landmark_2d_106) {
      const l = face.landmark_2d_106;
      for (let i = 0; i < l.length; i += 2) fillDisc(image, Math.trunc(l[i]!), Math.trunc(l[i + 1]!), 1, CYAN);
    }
    if (face.kps) {
      for (let k = 0; k < 5; k++) {
        fillDisc(image, Math.trunc(face.kps[2 * k]!), Math.trunc(face.kps[2 * k + 1]!), 2, k === 0 || k === 3 ? GREEN : RED);
      }
    }
    if (face.gender !== undefined && face.age !== undefined) drawText(image, `${face.sex},${face.age}`, x1 - 1, y1 - 4, GREEN, 2);
  }
}

export function setPixel(image: BgrImage, x: number, y: number, c: Colour): void {
  if (x < 0 || y < 0 || x >= image.width || y >= image.height) return;
  const o = (y * image.width + x) * 3;
  image.data[o] = c[0];
  image.data[o + 1] = c[1];
  image.data[o + 2] = c[2];
}

export function fillRect(image: BgrImage, x0: number, y0: number, x1: number, y1: number, c: Colour): void {
  for (let y = Math.max(0, y0); y <= Math.min(image.height - 1, y1); y++) {
    for (let x = Math.max(0, x0); x <= Math.min(image.width - 1, x1); x++) setPixel(image, x, y, c);
  }
}

/** Axis-aligned rectangle outline; the stroke straddles the edge (like OpenCV's thick lines). */
export function drawRectangle(image: BgrImage, x1: number, y1: number, x2: number, y2: number, c: Colour, thickness: number): void {
  const lo = Math.floor(thickness / 2);
  const hi = thickness - 1 - lo;
  const [l, r] = [Math.min(x1, x2), Math.max(x1, x2)];
  const [t, b] = [Math.min(y1, y2), Math.max(y1, y2)];
  fillRect(image, l - lo, t - lo, r + hi, t + hi, c);
  fillRect(image, l - lo, b - lo, r + hi, b + hi, c);
  fillRect(image, l - lo, t - lo, l + hi, b + hi, c);
  fillRect(image, r - lo, t - lo, r + hi, b + hi, c);
}

export function fillDisc(image: BgrImage, cx: number, cy: number, radius: number, c: Colour): void {
  for (let dy = -radius; dy <= radius; dy++) {
    for (let dx = -radius; dx <= radius; dx++) if (dx * dx + dy * dy <= radius * radius + radius) setPixel(image, cx + dx, cy + dy, c);
  }
}

/** 5×7 glyphs, rows top to bottom, '#' = ink. Only what face labels need, plus '?' for anything else. */
const GLYPHS: Readonly<Record<string, readonly string[]>> = {
  '0': ['.###.', '#...#', '#..##', '#.#.#', '##..#', '#...#', '.###.'],
  '1': ['..#..', '.##..', '..#..', '..#..', '..#..', '..#..', '.###.'],
  '2': ['.###.', '#...#', '....#', '...#.', '..#..', '.#...', '#####'],
  '3': ['####.', '....#', '....#', '.###.', '....#', '....#', '####.'],
  '4': ['...#.', '..##.', '.#.#.', '#..#.', '#####', '...#.', '...#.'],
  '5': ['#####', '#....', '####.', '....#', '....#', '#...#', '.###.'],
  '6': ['..##.', '.#...', '#....', '####.', '#...#', '#...#', '.###.'],
  '7': ['#####', '....#', '...#.', '..#..', '.#...', '.#...', '.#...'],
  '8': ['.###.', '#...#', '#...#', '.###.', '#...#', '#...#', '.###.'],
  '9': ['.###.', '#...#', '#...#', '.####', '....#', '...#.', '.##..'],
  'M': ['#...#', '##.##', '#.#.#', '#.#.#', '#...#', '#...#', '#...#'],
  'F': ['#####', '#....', '#....', '####.', '#....', '#....', '#....'],
  ',': ['.....', '.....', '.....', '.....', '.##..', '..#..', '.#...'],
  '-': ['.....', '.....', '.....', '#####', '.....', '.....', '.....'],
  ' ': ['.....', '.....', '.....', '.....', '.....', '.....', '.....'],
  '?': ['.###.', '#...#', '....#', '...#.', '..#..', '.....', '..#..'],
};

/** Text with its bottom-left corner at (x, y), as cv2.putText places it; `scale` multiplies the 5×7 cells. */
export function drawText(image: BgrImage, text: string, x: number, y: number, c: Colour, scale: number): void {
  let pen = x;
  for (const ch of text) {
    const glyph = GLYPHS[ch] ?? GLYPHS['?']!;
    glyph.forEach((row, gy) => {
      for (let gx = 0; gx < row.length; gx++) {
        if (row[gx] !== '#') continue;
        const px = pen + gx * scale;
        const py = y - (7 - gy) * scale;
        fillRect(image, px, py, px + scale - 1, py + scale - 1, c);
      }
    });
    pen += 6 * scale;
  }
}
