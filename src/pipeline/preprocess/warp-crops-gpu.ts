import type { Affine2x3 } from '../affine.js';
import type { Normalisation } from './blob.js';
import type { BgrImage } from '../image.js';
import { warpFixedPoint } from './warp-affine.js';
import { IMAGE_KERNEL_PRELUDE } from './kernel-prelude-gpu.js';
import { normalisationTable, TABLE_OFFSET } from './normalisation-gpu.js';

/**
 * The header word holding the output crop the dispatch's first crop goes to: several images' crops share one
 * output (GpuPreprocessor.alignedCropsOfImages), one dispatch per image. Zero for a single image.
 */
export const FIRST_CROP_WORD = 4;

/** Where the per-crop coordinate tables start in the parameter words. */
const CROPS_OFFSET = TABLE_OFFSET + 256;

/**
 * Fixed-point coordinates beyond ±2^29 (half a million pixels off the image) could overflow the kernel's int32
 * sum; such transforms are degenerate and take the CPU path instead.
 */
const MAX_FIXED_POINT = 2 ** 29;

/**
 * All faces' crops in one dispatch: per crop (z), per destination pixel, OpenCV's warpAffine fixed point
 * (coordinates in 1/1024 px from the CPU path's float64 tables, 5-bit taps, border 0), then the blob's float32
 * table, written planar RGB into crop (FIRST_CROP_WORD's value + z) of the N×3×S×S output. Bit-identical to
 * warpAffine() + blobFromImages().
 * Bindings as in IMAGE_KERNEL_PRELUDE; the output is N×3×S×S.
 */
export const WARP_CROPS_WGSL = /* wgsl */ `
${IMAGE_KERNEL_PRELUDE}
const CROPS: u32 = ${CROPS_OFFSET}u;

fn word(i: u32) -> i32 {
  return bitcast<i32>(params[i]);
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let S = params[0];
  let srcW = i32(params[1]);
  let srcH = i32(params[2]);
  let x = gid.x;
  let y = gid.y;
  let n = gid.z;
  if (x >= S || y >= S || n >= params[3]) { return; }
  let base = CROPS + n * 4u * S;
  // OpenCV: X = (X0[y] + adelta[x]) >> (AB_BITS - INTER_BITS), then integer part and 5-bit fraction.
  let X = (word(base + 2u * S + y) + word(base + x)) >> 5u;
  let Y = (word(base + 3u * S + y) + word(base + S + x)) >> 5u;
  let sx = X >> 5u;
  let sy = Y >> 5u;
  let plane = S * S;
  let o = (params[${FIRST_CROP_WORD}u] + n) * 3u * plane + y * S + x;
  if (sx >= srcW || sx + 1 < 0 || sy >= srcH || sy + 1 < 0) {
    let black = normalised(0);
    dst[o] = black;
    dst[plane + o] = black;
    dst[2u * plane + o] = black;
    return;
  }
  let fx = X & 31;
  let fy = Y & 31;
  let w00 = (32 - fx) * (32 - fy) * 32;
  let w01 = fx * (32 - fy) * 32;
  let w10 = (32 - fx) * fy * 32;
  let w11 = fx * fy * 32;
  let inX0 = sx >= 0;
  let inX1 = sx + 1 < srcW;
  let inY0 = sy >= 0;
  let inY1 = sy + 1 < srcH;
  for (var c = 0u; c < 3u; c++) {
    var sum = 0;
    // Taps outside the image read the border value 0.
    if (inY0 && inX0) { sum += pixel(u32((sy * srcW + sx) * 3) + c) * w00; }
    if (inY0 && inX1) { sum += pixel(u32((sy * srcW + sx + 1) * 3) + c) * w01; }
    if (inY1 && inX0) { sum += pixel(u32(((sy + 1) * srcW + sx) * 3) + c) * w10; }
    if (inY1 && inX1) { sum += pixel(u32(((sy + 1) * srcW + sx + 1) * 3) + c) * w11; }
    let v = min((sum + 16384) >> 15u, 255);
    dst[(2u - c) * plane + o] = normalised(v);
  }
}
`;

/** The parameter words of one batched warp, or undefined when a transform is too far off for int32 (CPU path). */
export function warpCropsParams(image: BgrImage, transforms: readonly Affine2x3[], size: number, norm: Normalisation): Uint32Array | undefined {
  const words = new Uint32Array(CROPS_OFFSET + transforms.length * 4 * size);
  words.set([size, image.width, image.height, transforms.length]);
  words.set(normalisationTable(norm), TABLE_OFFSET);
  const signed = new Int32Array(words.buffer);
  for (let n = 0; n < transforms.length; n++) {
    const fp = warpFixedPoint(transforms[n]!, size, size);
    const base = CROPS_OFFSET + n * 4 * size;
    const parts = [fp.dx, fp.dy, fp.x0, fp.y0];
    for (let p = 0; p < 4; p++) {
      const values = parts[p]!;
      for (let i = 0; i < size; i++) {
        const v = values[i]!;
        if (!(Math.abs(v) <= MAX_FIXED_POINT)) return undefined;
        signed[base + p * size + i] = v;
      }
    }
  }
  return words;
}
