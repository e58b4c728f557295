import { Tensor } from '../../core/tensor.js';
import type { BgrImage } from '../image.js';

/** Per-model input normalisation: `(pixel − mean) · (1/std)`. */
export interface Normalisation {
  /** Subtracted from every pixel value. */
  readonly mean: number;
  /** Every difference is multiplied by 1/std. */
  readonly std: number;
}

/**
 * Writes one image into `out` at `offset` as `cv2.dnn.blobFromImage(img, 1/std, size, (mean,)*3, swapRB=True)`
 * does: channels reversed to RGB, planar, `f32(x − mean) × f32(1/std)` (a multiply, not a division — they differ).
 */
export function writeBlob(image: BgrImage, norm: Normalisation, out: Float32Array, offset: number): void {
  const plane = image.width * image.height;
  const scale = Math.fround(1 / norm.std);
  const mean = Math.fround(norm.mean);
  const src = image.data;
  // Exact float32 results: 256 possible inputs → a table.
  const table = new Float32Array(256);
  for (let v = 0; v < 256; v++) table[v] = Math.fround(Math.fround(v - mean) * scale);
  const r = offset;
  const g = offset + plane;
  const b = offset + 2 * plane;
  for (let i = 0, s = 0; i < plane; i++, s += 3) {
    out[b + i] = table[src[s]!]!;
    out[g + i] = table[src[s + 1]!]!;
    out[r + i] = table[src[s + 2]!]!;
  }
}

/** NCHW float32 batch of same-sized images (`cv2.dnn.blobFromImages`). */
export function blobFromImages(images: readonly BgrImage[], norm: Normalisation): Tensor {
  const first = images[0];
  if (!first) return new Tensor('float32', new Float32Array(0), [0, 3, 0, 0]);
  const plane = first.width * first.height;
  const out = new Float32Array(images.length * 3 * plane);
  images.forEach((img, i) => writeBlob(img, norm, out, i * 3 * plane));
  return new Tensor('float32', out, [images.length, 3, first.height, first.width]);
}
