import type { ConvParams } from './params.js';
import { Storage } from '../kernel/storage.js';
import type { GatherKind } from './gpu-gather.js';

/**
 * The im2col gather four output pixels at a time, for the tiled kernel's vec4 B loads (each loader thread owns four
 * adjacent GEMM columns, `col` a multiple of 4, all four below N). Four adjacent columns are four adjacent output
 * pixels, which may straddle output rows or images and, near the padding, fall partly outside the input, so each
 * of the four keeps its own window corner and tap mask, held as vec4 components and worked out with vector
 * arithmetic once per thread (window) and once per (pixel group, tap) (bounds): the K loop then does no division,
 * and one bounds test covers four elements.
 *
 * The four input elements of one (tap, channel) are `stride` apart in the common case, but their offsets are
 * multiples of 4 only by accident of the layer (pads and taps shift them by one), so they are read as four scalars
 * into one vec4 register rather than as one aligned vec4<f32> (WGSL's vec4 storage reads need offsets that are
 * multiples of 4). When all four lanes are inside the input the read has no per-element test.
 *
 * Only the specialised tier takes this path (the numbers are literals): the generic tier's text must not depend on
 * the layer, and the 'dividing' gather (reflect pads, long windows) stays scalar.
 */
export function gathers4(kind: GatherKind | undefined): kind is 'tap-aligned' | 'masked' {
  return kind === 'tap-aligned' || kind === 'masked';
}

/** The per-thread setup for the four pixels col..col+3: their window corners (input offsets) and tap masks. */
export function windowSetup4(p: ConvParams): string {
  const [, c, h, w] = p.inDims;
  const [, , ho, wo] = p.outDims;
  const taps = p.kernel[0] * p.kernel[1];
  return `let cols4 = vec4<u32>(col) + vec4<u32>(0u, 1u, 2u, 3u);
  let pix4 = cols4 % ${ho * wo}u;
  let iy04 = vec4<i32>(pix4 / ${wo}u) * ${p.strides[0]} - vec4<i32>(${p.pads[0]});
  let ix04 = vec4<i32>(pix4 % ${wo}u) * ${p.strides[1]} - vec4<i32>(${p.pads[1]});
  let base4 = (cols4 / ${ho * wo}u * ${c}u + z * ${c / p.group}u) * ${h * w}u;
  let xBase = base4.x;
  var taps4 = vec4<u32>(0u);
  for (var t = 0u; t < ${taps}u; t++) {
    let iy = iy04 + vec4<i32>(i32(t / ${p.kernel[1]}u) * ${p.dilations[0]});
    let ix = ix04 + vec4<i32>(i32(t % ${p.kernel[1]}u) * ${p.dilations[1]});
    let inside = (iy >= vec4<i32>(0)) & (iy < vec4<i32>(${h})) & (ix >= vec4<i32>(0)) & (ix < vec4<i32>(${w}));
    taps4 |= select(vec4<u32>(0u), vec4<u32>(1u << t), inside);
  }
  let corner4 = vec4<i32>(base4) + iy04 * ${w} + ix04;`;
}

/** Tap-aligned only: at each K tile's start, the tile's tap, its four bounds bits and the four offsets of its first channel. */
export function tileSetup4(p: ConvParams): string {
  const cg = p.inDims[1] / p.group;
  const kw = p.kernel[1];
  return `let tap = kNext / ${cg}u;
        let ci0 = kNext % ${cg}u;
        let tapOn4 = ((taps4 >> vec4<u32>(tap)) & vec4<u32>(1u)) != vec4<u32>(0u);
        let tapAll = all(tapOn4);
        let tapOffset4 = corner4 + vec4<i32>(i32(tap / ${kw}u) * ${p.dilations[0] * p.inDims[3]} + i32(tap % ${kw}u) * ${p.dilations[1]} + i32(ci0 * ${p.inDims[2] * p.inDims[3]}u));`;
}

/** The vec4<f32> expression of B[kIdx][col..col+3] (locals of windowSetup4 and, tap-aligned, tileSetup4). */
export function loadExpression4(kind: 'tap-aligned' | 'masked'): string {
  return kind === 'tap-aligned' ? 'sampleTap4(xBase, tapOn4, tapAll, tapOffset4, ci0, kIdx - kNext)' : 'sampleInput4(xBase, corner4, taps4, kIdx)';
}

/** The WGSL helper loadExpression4 calls; it reads x (and pad values) as `st` stores them, returning vec4<f32>. */
export function gatherHelper4(p: ConvParams, kind: 'tap-aligned' | 'masked', st = Storage.f32): string {
  const [, c, h, w] = p.inDims;
  const plane = `${h * w}u`;
  const pad = (ci: string): string => (p.padValues ? st.load(`padv[(xBase / ${plane}) % ${c}u + ${ci}]`) : '0.0f');
  const read = (lane: string): string => st.load(`x[u32(at.${lane})]`);
  // Lanes outside the input keep the pad value; the others read their own element.
  const gather = (on: string, all: string, ci: string): string => `  if (${all}) { return vec4<f32>(${['x', 'y', 'z', 'w'].map(read).join(', ')}); }
  var v = vec4<f32>(${pad(ci)});
${['x', 'y', 'z', 'w'].map((l) => `  if (${on}.${l}) { v.${l} = ${read(l)}; }`).join('\n')}
  return v;`;
  if (kind === 'tap-aligned') {
    return `fn sampleTap4(xBase: u32, tapOn4: vec4<bool>, tapAll: bool, tapOffset4: vec4<i32>, ci0: u32, kk: u32) -> vec4<f32> {
  let at = tapOffset4 + vec4<i32>(i32(kk * ${plane}));
${gather('tapOn4', 'tapAll', 'ci0 + kk')}
}`;
  }
  return `fn sampleInput4(xBase: u32, corner4: vec4<i32>, taps4: vec4<u32>, kIdx: u32) -> vec4<f32> {
  let e = kt[kIdx];
  let on = ((taps4 >> vec4<u32>(u32(e.y))) & vec4<u32>(1u)) != vec4<u32>(0u);
  let at = corner4 + vec4<i32>(e.x);
${gather('on', 'all(on)', 'u32(e.z)')}
}`;
}
