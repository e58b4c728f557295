import { invertAffine, type Affine2x3 } from '../affine.js';
import { ImageError } from '../errors.js';
import { createBgrImage, type BgrImage } from '../image.js';
import { warpAffine, warpAffineFloat32 } from '../preprocess/warp-affine.js';
import { erodeRect } from './erode.js';
import { gaussianBlur } from './gaussian-blur.js';
import { growRegion, type PixelRegion } from './region.js';

/** The soft paste mask of InsightFace's INSwapper paste-back, with the sizes that shaped it. */
export interface PasteMask {
  /** Per pixel of the full image, 0 … 1 (float32). */
  readonly mask: Float32Array;
  /** `int(sqrt(mask_h · mask_w))` over the bounding box of the fully covered pixels. */
  readonly maskSize: number;
  /** Erosion kernel side `max(mask_size // 10, 10)`. */
  readonly erodeSize: number;
  /** Gaussian kernel side `2 · max(mask_size // 20, 5) + 1`. */
  readonly blurSize: number;
  /** Where the mask can be non-zero (it is exactly 0 elsewhere). */
  readonly region: PixelRegion;
}

/**
 * The mask InsightFace pastes the swapped crop with, for a crop of `cropSize`² placed by `m` (image → crop) on a
 * `width`×`height` image: a float32 crop of 255s warped back by `cv2.invertAffineTransform(m)`, values > 20 set to
 * 255, eroded by a k×k minimum filter, blurred by a (2·k2 + 1)² Gaussian (sigma 0), divided by 255.
 * Throws ImageError when no pixel of the image is fully covered by the crop (InsightFace fails there too, taking
 * the maximum of an empty index list).
 */
export function pasteMask(m: Affine2x3, cropSize: number, width: number, height: number): PasteMask {
  const im = invertAffine(m);
  const white = new Float32Array(cropSize * cropSize).fill(255);
  const warped = warpAffineFloat32(white, cropSize, cropSize, im, width, height);
  let minRow = Infinity, maxRow = -Infinity, minCol = Infinity, maxCol = -Infinity;
  // Bounding box of the non-zero pixels: erosion and blur are computed there (and the blur's reach) only.
  let x0 = width, y0 = height, x1 = 0, y1 = 0;
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) {
      if (warped[i] === 0) continue;
      if (x < x0) x0 = x;
      if (x >= x1) x1 = x + 1;
      if (y < y0) y0 = y;
      if (y >= y1) y1 = y + 1;
      if (warped[i]! > 20) warped[i] = 255;
      if (warped[i] === 255) {
        if (y < minRow) minRow = y;
        if (y > maxRow) maxRow = y;
        if (x < minCol) minCol = x;
        if (x > maxCol) maxCol = x;
      }
    }
  }
  if (maxRow < 0) throw noCoverageError(cropSize, width, height);
  const maskSize = Math.trunc(Math.sqrt((maxRow - minRow) * (maxCol - minCol)));
  const erodeSize = Math.max(Math.floor(maskSize / 10), 10);
  const blurSize = 2 * Math.max(Math.floor(maskSize / 20), 5) + 1;
  const covered = { x0, y0, x1, y1 };
  const eroded = erodeRect(warped, width, height, erodeSize, covered);
  const mask = gaussianBlur(eroded, width, height, blurSize, 0, covered);
  const region = growRegion(covered, (blurSize - 1) / 2, width, height);
  for (let y = region.y0; y < region.y1; y++) {
    for (let i = y * width + region.x0; i < y * width + region.x1; i++) mask[i] = mask[i]! / 255;
  }
  return { mask, maskSize, erodeSize, blurSize, region };
}

/** What pasteMask (and the GPU paste-back) throws when no pixel of the image is fully covered by the crop. */
export function noCoverageError(cropSize: number, width: number, height: number): ImageError {
  return new ImageError(`the target face's ${cropSize}×${cropSize} crop covers no pixel of the ${width}×${height} image (is the face on this image?)`);
}

/**
 * InsightFace's paste-back of a swapped `crop` (BGR uint8, square) whose crop transform is `m` (image → crop):
 * the crop is warped back with `cv2.invertAffineTransform(m)` (uint8, OpenCV's fixed-point bilinear warp, black
 * outside), and `merged = mask·fake + (1 − mask)·image` in float32, truncated to uint8, with the mask of pasteMask.
 * InsightFace also computes a `fake_diff` mask that never reaches the output; it is skipped here.
 */
export function pasteBack(image: BgrImage, crop: BgrImage, m: Affine2x3): BgrImage {
  if (crop.width !== crop.height) throw new ImageError(`the swapped crop is ${crop.width}×${crop.height}, expected a square`);
  const { width, height } = image;
  const fake = warpAffine(crop, invertAffine(m), width, height);
  const { mask, region } = pasteMask(m, crop.width, width, height);
  // Outside the mask's region mask = 0, where the blend gives the image itself (0·fake + 1·image, exact).
  const out = createBgrImage(width, height, image.data.slice());
  const f32 = Math.fround;
  const src = image.data;
  const fk = fake.data;
  const dst = out.data;
  for (let y = region.y0; y < region.y1; y++) for (let i = y * width + region.x0, p = 3 * i; i < y * width + region.x1; i++, p += 3) {
    const a = mask[i]!;
    const b = f32(1 - a);
    for (let c = 0; c < 3; c++) {
      // float32 products and sum; astype(uint8) truncates (the sum never leaves [0, 255] by more than a rounding).
      const v = f32(f32(a * fk[p + c]!) + f32(b * src[p + c]!));
      dst[p + c] = v >= 255 ? 255 : v <= 0 ? 0 : Math.trunc(v);
    }
  }
  return out;
}
