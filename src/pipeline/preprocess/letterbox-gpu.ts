import type { Normalisation } from './blob.js';
import type { BgrImage } from '../image.js';
import { letterboxGeometry, type Size } from './letterbox.js';
import { axisTaps } from './resize.js';
import { IMAGE_KERNEL_PRELUDE } from './kernel-prelude-gpu.js';
import { normalisationTable, TABLE_OFFSET } from './normalisation-gpu.js';

/** Where the per-column taps start in the parameter words (header, then the 256-entry normalisation table). */
const COLUMNS_OFFSET = TABLE_OFFSET + 256;

/**
 * Letterbox + blob in one pass: per canvas pixel, OpenCV's fixed-point bilinear resize (the CPU path's exact
 * integer taps, uploaded) when inside the resized picture, else black; then `(v − mean)·(1/std)` from the same
 * float32 table as the CPU blob, written planar RGB (channels reversed from BGR). Bit-identical to letterbox() +
 * blobFromImages(). Bindings as in IMAGE_KERNEL_PRELUDE; the output is 1×3×H×W.
 */
export const LETTERBOX_WGSL = /* wgsl */ `
${IMAGE_KERNEL_PRELUDE}
const COLUMNS: u32 = ${COLUMNS_OFFSET}u;

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let canvasW = params[0];
  let canvasH = params[1];
  let newW = params[2];
  let newH = params[3];
  let srcW = params[4];
  let srcH = params[5];
  let x = gid.x;
  let y = gid.y;
  if (x >= canvasW || y >= canvasH) { return; }
  let plane = canvasW * canvasH;
  let o = y * canvasW + x;
  if (x >= newW || y >= newH) {
    let black = normalised(0);
    dst[o] = black;
    dst[plane + o] = black;
    dst[2u * plane + o] = black;
    return;
  }
  let col = COLUMNS + 3u * x;
  let sx = params[col];
  let a0 = bitcast<i32>(params[col + 1u]);
  let a1 = bitcast<i32>(params[col + 2u]);
  let row = COLUMNS + 3u * newW + 3u * y;
  let sy = bitcast<i32>(params[row]);
  let b0 = bitcast<i32>(params[row + 1u]);
  let b1 = bitcast<i32>(params[row + 2u]);
  let r0 = u32(clamp(sy, 0, i32(srcH) - 1));
  let r1 = u32(clamp(sy + 1, 0, i32(srcH) - 1));
  let p0 = (r0 * srcW + sx) * 3u;
  let p1 = (r1 * srcW + sx) * 3u;
  for (var c = 0u; c < 3u; c++) {
    var t0 = pixel(p0 + c) * a0;
    var t1 = pixel(p1 + c) * a0;
    // A zero second weight is OpenCV's single tap at the right edge: the pixel past it is never read.
    if (a1 != 0) {
      t0 += pixel(p0 + 3u + c) * a1;
      t1 += pixel(p1 + 3u + c) * a1;
    }
    let v = clamp(((((t0 >> 4u) * b0) >> 16u) + (((t1 >> 4u) * b1) >> 16u) + 2) >> 2u, 0, 255);
    dst[(2u - c) * plane + o] = normalised(v);
  }
}
`;

/** The parameter words of one letterbox dispatch and the det_scale InsightFace maps boxes back with. */
export function letterboxParams(image: BgrImage, size: Size, norm: Normalisation): { words: Uint32Array; detScale: number } {
  const g = letterboxGeometry(image.width, image.height, size);
  const cols = axisTaps(g.resizedWidth, image.width, true);
  const rows = axisTaps(g.resizedHeight, image.height, false);
  const words = new Uint32Array(COLUMNS_OFFSET + 3 * (g.resizedWidth + g.resizedHeight));
  words.set([size[0], size[1], g.resizedWidth, g.resizedHeight, image.width, image.height]);
  words.set(normalisationTable(norm), TABLE_OFFSET);
  const signed = new Int32Array(words.buffer);
  const put = (at: number, taps: typeof cols, n: number): void => {
    for (let i = 0; i < n; i++) {
      signed[at + 3 * i] = taps.index[i]!;
      signed[at + 3 * i + 1] = taps.w0[i]!;
      signed[at + 3 * i + 2] = taps.w1[i]!;
    }
  };
  put(COLUMNS_OFFSET, cols, g.resizedWidth);
  put(COLUMNS_OFFSET + 3 * g.resizedWidth, rows, g.resizedHeight);
  return { words, detScale: g.detScale };
}
