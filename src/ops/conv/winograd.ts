import type { ConvParams } from './params.js';

/**
 * Winograd minimal filtering F(m×m, 3×3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks"):
 * an (m+2)² input tile d and a 3×3 filter g give the m×m output tile Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A. Summed over input
 * channels, the elementwise product becomes (m+2)² independent GEMMs (M = output channels, N = tiles, K = input
 * channels) with (m+2)² multiplies per m² outputs instead of 9 per output: 2.25× fewer for F(2×2), 4× for F(4×4).
 *
 * This module holds the transform matrices, the weight transform U = G g Gᵀ, the selection rule and a
 * float32 CPU reference that rounds as a GPU does (every transform sum rounded to f32, products accumulated in
 * f32), which bench/node/bench-winograd-error.ts uses to measure the error at full layer sizes.
 */
export interface WinogradTransform {
  /** Output tile side m. */
  readonly m: number;
  /** Input tile side m + 2. */
  readonly t: number;
  /** Bᵀ, t×t, row-major. */
  readonly bt: readonly number[];
  /** G, t×3, row-major. */
  readonly g: readonly number[];
  /** Aᵀ, m×t, row-major. */
  readonly at: readonly number[];
}

/** F(2×2, 3×3): interpolation points 0, 1, −1, ∞. */
export const F2X2_3X3: WinogradTransform = {
  m: 2,
  t: 4,
  bt: [
    1, 0, -1, 0,
    0, 1, 1, 0,
    0, -1, 1, 0,
    0, 1, 0, -1,
  ],
  g: [
    1, 0, 0,
    0.5, 0.5, 0.5,
    0.5, -0.5, 0.5,
    0, 0, 1,
  ],
  at: [
    1, 1, 1, 0,
    0, 1, -1, -1,
  ],
};

/** F(4×4, 3×3): interpolation points 0, ±1, ±2, ∞. */
export const F4X4_3X3: WinogradTransform = {
  m: 4,
  t: 6,
  bt: [
    4, 0, -5, 0, 1, 0,
    0, -4, -4, 1, 1, 0,
    0, 4, -4, -1, 1, 0,
    0, -2, -1, 2, 1, 0,
    0, 2, -1, -2, 1, 0,
    0, 4, 0, -5, 0, 1,
  ],
  g: [
    1 / 4, 0, 0,
    -1 / 6, -1 / 6, -1 / 6,
    -1 / 6, 1 / 6, -1 / 6,
    1 / 24, 1 / 12, 1 / 6,
    1 / 24, -1 / 12, 1 / 6,
    0, 0, 1,
  ],
  at: [
    1, 1, 1, 1, 1, 0,
    0, 1, -1, 2, -2, 0,
    0, 1, 1, 4, 4, 0,
    0, 1, -1, 8, -8, 1,
  ],
};

const f = Math.fround;

/** rows×n = L (rows×k) · R (k×n), every partial sum rounded to float32. */
function mul(l: ArrayLike<number>, r: ArrayLike<number>, rows: number, k: number, n: number): Float32Array {
  const out = new Float32Array(rows * n);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let q = 0; q < k; q++) {
        const a = l[i * k + q]!;
        if (a !== 0) s = f(s + f(a * r[q * n + j]!));
      }
      out[i * n + j] = s;
    }
  }
  return out;
}

function transpose(a: readonly number[], rows: number, cols: number): number[] {
  const out = new Array<number>(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j]!;
  return out;
}

/**
 * U = G g Gᵀ for every (output channel, input channel) pair of OIHW 3×3 weights, laid out [t²][oc][ic]: one
 * row-major M×K matrix per tile element, so each of the t² GEMMs reads its A operand contiguously.
 */
export function winogradWeights(tr: WinogradTransform, weights: Float32Array, oc: number, ic: number): Float32Array {
  const t2 = tr.t * tr.t;
  const gt = transpose(tr.g, tr.t, 3);
  const out = new Float32Array(t2 * oc * ic);
  for (let o = 0; o < oc; o++) {
    for (let c = 0; c < ic; c++) {
      const g = weights.subarray((o * ic + c) * 9, (o * ic + c + 1) * 9);
      const u = mul(mul(tr.g, g, tr.t, 3, 3), gt, tr.t, 3, tr.t);
      for (let e = 0; e < t2; e++) out[(e * oc + o) * ic + c] = u[e]!;
    }
  }
  return out;
}

/** The layers Winograd takes; every other conv keeps its direct kernel. */
export function winogradFits(p: ConvParams): boolean {
  const [, c] = p.inDims;
  const [, m, ho, wo] = p.outDims;
  return p.rank === 4 && p.group === 1 && p.kernel[0] === 3 && p.kernel[1] === 3
    && p.strides[0] === 1 && p.strides[1] === 1 && p.dilations[0] === 1 && p.dilations[1] === 1
    // Below these the transforms (O(IC + OC) per tile) outweigh the saved multiplies (O(IC·OC) per tile), and the
    // output is too small to tile (a 2×2 tile on a 1-pixel-wide plane wastes half its work).
    && c >= WINOGRAD_MIN_CHANNELS && m >= WINOGRAD_MIN_CHANNELS && ho >= 2 && wo >= 2;
}

/** Input and output channels at or above which a stride-1 3×3 conv goes through Winograd F(2×2, 3×3). */
export const WINOGRAD_MIN_CHANNELS = 16;

/**
 * Multiplies of the Winograd form of a conv (the t² GEMMs over all tiles, padded tiles counted), against the direct
 * form's MACs, which plan statistics report.
 */
export function winogradMacs(p: ConvParams, tr: WinogradTransform = F2X2_3X3): { direct: number; winograd: number } {
  const [n, c] = p.inDims;
  const [, m, ho, wo] = p.outDims;
  const tiles = n * Math.ceil(ho / tr.m) * Math.ceil(wo / tr.m);
  return { direct: n * m * ho * wo * c * 9, winograd: tiles * tr.t * tr.t * m * c };
}

/**
 * Float32 Winograd convolution of NCHW `x` (zero pads from `p.pads`; stride 1, 3×3, one group) plus bias into `y`:
 * the input transform Bᵀ d B per tile and channel, the t² GEMMs accumulated in float32 over input channels (a
 * float32 store after each multiply-add rounds as a GPU's fused multiply-add does), then Aᵀ M A.
 */
export function winogradConvF32(tr: WinogradTransform, p: ConvParams, x: Float32Array, u: Float32Array, bias: Float32Array | undefined, y: Float32Array): void {
  const [n, c, h, w] = p.inDims;
  const [, oc, ho, wo] = p.outDims;
  const [pt, pl] = p.pads;
  const { m, t } = tr;
  const t2 = t * t;
  const tilesY = Math.ceil(ho / m);
  const tilesX = Math.ceil(wo / m);
  const tiles = tilesY * tilesX;
  const b = transpose(tr.bt, t, t);
  const a = transpose(tr.at, m, t);
  const v = new Float32Array(t2 * c * tiles);
  const acc = new Float32Array(tiles);
  const prod = new Float32Array(t2 * tiles);
  const d = new Float32Array(t2);
  for (let img = 0; img < n; img++) {
    for (let ch = 0; ch < c; ch++) {
      const plane = (img * c + ch) * h * w;
      for (let ty = 0; ty < tilesY; ty++) {
        for (let tx = 0; tx < tilesX; tx++) {
          for (let r = 0; r < t; r++) {
            const iy = ty * m + r - pt;
            for (let q = 0; q < t; q++) {
              const ix = tx * m + q - pl;
              d[r * t + q] = iy >= 0 && iy < h && ix >= 0 && ix < w ? x[plane + iy * w + ix]! : 0;
            }
          }
          const vt = mul(mul(tr.bt, d, t, t, t), b, t, t, t);
          const tile = ty * tilesX + tx;
          for (let e = 0; e < t2; e++) v[(e * c + ch) * tiles + tile] = vt[e]!;
        }
      }
    }
    for (let o = 0; o < oc; o++) {
      for (let e = 0; e < t2; e++) {
        acc.fill(0);
        for (let ch = 0; ch < c; ch++) {
          const ue = u[(e * oc + o) * c + ch]!;
          const base = (e * c + ch) * tiles;
          for (let tile = 0; tile < tiles; tile++) acc[tile] += ue * v[base + tile]!;
        }
        for (let tile = 0; tile < tiles; tile++) prod[tile * t2 + e] = acc[tile]!;
      }
      const out = (img * oc + o) * ho * wo;
      const bo = bias ? bias[o]! : 0;
      for (let ty = 0; ty < tilesY; ty++) {
        for (let tx = 0; tx < tilesX; tx++) {
          const tile = ty * tilesX + tx;
          const yt = mul(mul(tr.at, prod.subarray(tile * t2, (tile + 1) * t2), m, t, t), a, m, t, m);
          for (let r = 0; r < m && ty * m + r < ho; r++) {
            for (let q = 0; q < m && tx * m + q < wo; q++) y[out + (ty * m + r) * wo + tx * m + q] = f(yt[r * m + q]! + bo);
          }
        }
      }
    }
  }
}
