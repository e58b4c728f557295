import type { Affine2x3 } from '../affine.js';
import { invertAffine } from '../affine.js';
import { warpFixedPoint } from '../preprocess/warp-affine.js';
import { gaussianBlur, gaussianKernel } from './gaussian-blur.js';

/** Parameter words before the coordinate tables (the header: sizes and where the Gaussian table starts). */
export const PASTE_HEADER_WORDS = 8;
/** The smallest Gaussian half-size: `max(mask_size // 20, 5)`. */
const MIN_BLUR_RADIUS = 5;
/** As in warp-crops-gpu.ts: fixed-point coordinates beyond ±2^29 could overflow the kernels' int32 sums. */
const MAX_FIXED_POINT = 2 ** 29;
/** Words of the mask statistics buffer (see PASTE_KERNEL_PRELUDE). */
export const PASTE_STATS_WORDS = 8;

/**
 * What every paste-back kernel (mask, erode, blur, blend) starts with, so their bindings cannot drift apart; one
 * explicit bind-group layout serves them all:
 * - 0 `params`: the header (W, H, crop side S, first word of the Gaussian table, then the work box bx0, by0, bw, bh),
 *   the inverse warp's fixed-point tables dx[W], dy[W], x0[H], y0[H] (int32, warpFixedPoint of
 *   cv2.invertAffineTransform(M)), then for every half-size r from 5 up to what the box allows the float32 Gaussian
 *   kernel and the blur's results over constant windows (see `gauss`);
 * - 1 `image`: the full image's BGR bytes, four per word; 2 `crop`: the swapped 128×128 BGR crop, four per word;
 * - 3 `stats`: the mask's bounding boxes, filled by the mask kernel's atomics: [0..3] x0, y0, x1, y1 of the non-zero
 *   pixels (x1, y1 exclusive), [4..7] min row, min col, max row + 1, max col + 1 of the pixels equal to 255;
 * - 4, 5 `bufA`, `bufB`: two bw×bh float32 planes over the work box, which the stages pass the mask through;
 *   6 `outWords`: the box's blended BGR bytes, row by row, four per word.
 * The work box is a bound the CPU computes from M alone (pasteParams): it holds every pixel the mask can reach, blur
 * included, so every value outside it is 0 and kernels run over it only. `geometry()` derives InsightFace's exact
 * boxes and sizes from `stats` on the GPU, so nothing is read back between the stages.
 */
export const PASTE_KERNEL_PRELUDE = /* wgsl */ `
@group(0) @binding(0) var<storage, read> params: array<u32>;
@group(0) @binding(1) var<storage, read> image: array<u32>;
@group(0) @binding(2) var<storage, read> crop: array<u32>;
@group(0) @binding(3) var<storage, read_write> stats: array<atomic<u32>, ${PASTE_STATS_WORDS}>;
@group(0) @binding(4) var<storage, read_write> bufA: array<f32>;
@group(0) @binding(5) var<storage, read_write> bufB: array<f32>;
@group(0) @binding(6) var<storage, read_write> outWords: array<u32>;

const TABLES: u32 = ${PASTE_HEADER_WORDS}u;

fn word(i: u32) -> i32 {
  return bitcast<i32>(params[i]);
}

// The work box: its origin and size.
fn box() -> vec4<i32> {
  return vec4<i32>(word(4u), word(5u), word(6u), word(7u));
}

// Index of pixel (x, y) in the planes, or -1 outside the box (where every plane holds 0).
fn planeIndex(x: i32, y: i32) -> i32 {
  let b = box();
  let i = x - b.x;
  let j = y - b.y;
  if (i < 0 || j < 0 || i >= b.z || j >= b.w) { return -1; }
  return j * b.z + i;
}

fn readA(x: i32, y: i32) -> f32 {
  let i = planeIndex(x, y);
  if (i < 0) { return 0.0; }
  return bufA[i];
}

fn readB(x: i32, y: i32) -> f32 {
  let i = planeIndex(x, y);
  if (i < 0) { return 0.0; }
  return bufB[i];
}

// The regions and kernel sizes of pasteMask: covered = bounding box of the non-zero mask pixels, k the erosion
// side, r the Gaussian half-size, region = covered grown by r (clipped), where the blurred mask may be non-zero.
struct Geometry {
  ok: bool,
  x0: i32, y0: i32, x1: i32, y1: i32,
  k: i32,
  r: i32,
  rx0: i32, ry0: i32, rx1: i32, ry1: i32,
}

// floor(sqrt(n)) exactly (= int(math.sqrt(n)) for the integers here).
fn isqrt(n: u32) -> u32 {
  var r = min(u32(sqrt(f32(n))), 65535u);
  while (r > 0u && r * r > n) { r -= 1u; }
  while (r < 65535u && (r + 1u) * (r + 1u) <= n) { r += 1u; }
  return r;
}

fn geometry() -> Geometry {
  let W = i32(params[0]);
  let H = i32(params[1]);
  var g: Geometry;
  g.x0 = i32(atomicLoad(&stats[0]));
  g.y0 = i32(atomicLoad(&stats[1]));
  g.x1 = i32(atomicLoad(&stats[2]));
  g.y1 = i32(atomicLoad(&stats[3]));
  let minRow = atomicLoad(&stats[4]);
  let minCol = atomicLoad(&stats[5]);
  let maxRow1 = atomicLoad(&stats[6]);
  let maxCol1 = atomicLoad(&stats[7]);
  // No pixel equal to 255: the CPU path throws, the caller reads stats back and does too.
  g.ok = maxRow1 > 0u;
  var size = 0u;
  if (g.ok) { size = isqrt((maxRow1 - 1u - minRow) * (maxCol1 - 1u - minCol)); }
  g.k = i32(max(size / 10u, 10u));
  g.r = i32(max(size / 20u, ${MIN_BLUR_RADIUS}u));
  g.rx0 = max(0, g.x0 - g.r);
  g.ry0 = max(0, g.y0 - g.r);
  g.rx1 = min(W, g.x1 + g.r);
  g.ry1 = min(H, g.y1 + g.r);
  return g;
}

// OpenCV's BORDER_REFLECT_101 index (gfedcb|abcdefgh|gfedcba), as reflect101 in gaussian-blur.ts.
fn reflect101(q: i32, n: i32) -> i32 {
  if (n == 1) { return 0; }
  var p = q;
  while (p < 0 || p >= n) {
    if (p < 0) { p = -p; } else { p = 2 * n - 2 - p; }
  }
  return p;
}

// Weight i (0 … 2r) of the Gaussian kernel of half-size r; i = 2r + 1 and 2r + 2 are the row and column passes'
// results over windows that are all 255 and all that first result (see pasteParams).
fn gauss(r: i32, i: i32) -> f32 {
  return bitcast<f32>(params[params[3] + u32(r * r - ${MIN_BLUR_RADIUS * MIN_BLUR_RADIUS} + 2 * (r - ${MIN_BLUR_RADIUS}) + i)]);
}

// The inverse warp's fixed-point source position of destination (x, y): OpenCV's X, Y in 1/32 px.
fn warpXY(x: u32, y: u32) -> vec2<i32> {
  let W = params[0];
  let H = params[1];
  let X = (word(TABLES + 2u * W + y) + word(TABLES + x)) >> 5u;
  let Y = (word(TABLES + 2u * W + H + y) + word(TABLES + W + x)) >> 5u;
  return vec2<i32>(X, Y);
}

// The pixel of the box that thread (i, j) of an 8×8-tiled dispatch over the box handles, or (−1, −1) past it.
fn boxPixel(gid: vec3<u32>) -> vec2<i32> {
  let b = box();
  if (i32(gid.x) >= b.z || i32(gid.y) >= b.w) { return vec2<i32>(-1, -1); }
  return vec2<i32>(b.x + i32(gid.x), b.y + i32(gid.y));
}
`;

/** The work box of a paste-back (see PASTE_KERNEL_PRELUDE): columns x0 … x0 + width − 1, rows y0 … y0 + height − 1. */
export interface PasteBox {
  readonly x0: number;
  readonly y0: number;
  readonly width: number;
  readonly height: number;
}

/**
 * The parameter words of one paste-back on a `width`×`height` image for a `cropSize`² crop placed by `m` (image →
 * crop), with the work box; undefined when the GPU kernels cannot reproduce the CPU path (a transform too far off
 * for int32, a one-pixel-wide or -high image: the CPU blur skips that direction) or when the crop cannot cover any
 * pixel (the box is empty: the CPU path throws).
 * The box: a destination pixel's mask is non-zero only where its source position, M·(x, y) up to the warp's
 * 1/32-pixel rounding, lies within (−1, S)², so the image of [−1, S]² under the inverse transform, widened by a margin,
 * holds every non-zero pixel; mask_size ≤ √((h − 1)(w − 1)) of that box bounds the blur's reach, by which it grows.
 */
export function pasteParams(m: Affine2x3, cropSize: number, width: number, height: number): { words: Uint32Array; box: PasteBox } | undefined {
  if (width < 2 || height < 2) return undefined;
  const im = invertAffine(m);
  const xs: number[] = [];
  const ys: number[] = [];
  for (const u of [-1, cropSize]) for (const v of [-1, cropSize]) { xs.push(im[0] * u + im[1] * v + im[2]); ys.push(im[3] * u + im[4] * v + im[5]); }
  // The warp rounds source positions by less than 1/32 px, which the inverse transform scales.
  const margin = 2 + Math.ceil((Math.abs(im[0]) + Math.abs(im[1]) + Math.abs(im[3]) + Math.abs(im[4])) / 16);
  const cx0 = Math.max(0, Math.floor(Math.min(...xs)) - margin);
  const cy0 = Math.max(0, Math.floor(Math.min(...ys)) - margin);
  const cx1 = Math.min(width, Math.ceil(Math.max(...xs)) + margin + 1);
  const cy1 = Math.min(height, Math.ceil(Math.max(...ys)) + margin + 1);
  if (!(cx1 > cx0 && cy1 > cy0)) return undefined;
  const maxSize = Math.trunc(Math.sqrt((cy1 - cy0 - 1) * (cx1 - cx0 - 1)));
  const maxRadius = Math.max(Math.floor(maxSize / 20), MIN_BLUR_RADIUS);
  const box = { x0: Math.max(0, cx0 - maxRadius), y0: Math.max(0, cy0 - maxRadius), width: 0, height: 0 };
  box.width = Math.min(width, cx1 + maxRadius) - box.x0;
  box.height = Math.min(height, cy1 + maxRadius) - box.y0;
  const gaussWords = gaussOffset(maxRadius + 1);
  const tables = PASTE_HEADER_WORDS;
  const gaussAt = tables + 2 * width + 2 * height;
  const words = new Uint32Array(gaussAt + gaussWords);
  words.set([width, height, cropSize, gaussAt, box.x0, box.y0, box.width, box.height]);
  // warpAffine(crop, invertAffine(m), …) and warpAffineFloat32(white, …, invertAffine(m), …) both use these.
  const fp = warpFixedPoint(im, width, height);
  const signed = new Int32Array(words.buffer);
  const parts: [Float64Array, number][] = [[fp.dx, tables], [fp.dy, tables + width], [fp.x0, tables + 2 * width], [fp.y0, tables + 2 * width + height]];
  for (const [values, at] of parts) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!(Math.abs(v) <= MAX_FIXED_POINT)) return undefined;
      signed[at + i] = v;
    }
  }
  const floats = new Float32Array(words.buffer);
  for (let r = MIN_BLUR_RADIUS; r <= maxRadius; r++) {
    const at = gaussAt + gaussOffset(r);
    const ksize = 2 * r + 1;
    floats.set(gaussianKernel(ksize), at);
    // The blur of an all-255 row (height 1: no column pass) and of an all-255 square (its centre: the column pass
    // over rows that all hold the first), by the CPU code itself: the kernels take these where a window is constant.
    floats[at + ksize] = gaussianBlur(new Float32Array(ksize).fill(255), ksize, 1, ksize)[r]!;
    floats[at + ksize + 1] = gaussianBlur(new Float32Array(ksize * ksize).fill(255), ksize, ksize, ksize)[r * ksize + r]!;
  }
  return { words, box };
}

/** Where the table entry of half-size r starts: kernels r′ = 5 … r − 1 before it, each 2r′ + 1 weights and 2 results. */
function gaussOffset(r: number): number {
  return r * r - MIN_BLUR_RADIUS ** 2 + 2 * (r - MIN_BLUR_RADIUS);
}

/** The initial words of the statistics buffer: empty boxes (minima at the far side, maxima at 0). */
export function initialStats(width: number, height: number): Uint32Array {
  return new Uint32Array([width, height, 0, 0, height, width, 0, 0]);
}
