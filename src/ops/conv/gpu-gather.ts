import type { ConvParams } from './params.js';
import type { ShapeValues } from '../kernel/shape-values.js';
import { Storage } from '../kernel/storage.js';
import { TILE_K } from '../tiled-gemm/tile-menu.js';
import { MAX_MASKED_TAPS } from './weight-repack.js';

/**
 * The im2col view of a conv's input as the GEMM's B operand: B[kIdx][col] is input channel ci at window tap `tap`
 * of output pixel `col`. K runs tap-major (kIdx = tap·Cg + ci) when the weights were repacked at load, else
 * channel-major as in ONNX's weight layout (kIdx = ci·taps + tap). Three ways to gather, fastest first:
 * - tap-aligned: Cg a multiple of the K tile and taps-major K, so each K tile lies within one tap: its offset and
 *   bounds test are worked out once per (pixel, tap) at the tile's start and the tile's channels follow by addition;
 * - masked: a per-pixel bit mask of the taps inside the input, and a load-time table of each kIdx's offset;
 * - dividing: channel and tap from kIdx by division (reflect pads, windows beyond 32 taps, the generic tier,
 *   whose text must not depend on the window).
 */
export type GatherKind = 'tap-aligned' | 'masked' | 'dividing';

export function gatherKind(p: ConvParams, s: ShapeValues, tapMajor: boolean): GatherKind {
  const taps = p.kernel[0] * p.kernel[1];
  // The table and the tile alignment follow the repacked weights' tap-major K.
  if (!tapMajor || s.generic || p.padMode === 'reflect' || taps > MAX_MASKED_TAPS) return 'dividing';
  return tapMajor && (p.inDims[1] / p.group) % TILE_K === 0 ? 'tap-aligned' : 'masked';
}

/** The per-thread setup: the pixel's window corner, and for the mask-based gathers which taps fall inside. */
export function windowSetup(p: ConvParams, s: ShapeValues, kind: GatherKind): string {
  const [, c, h, w] = p.inDims;
  const [, , ho, wo] = p.outDims;
  const hw = ho * wo;
  const setup = `let cb = col / ${s.u('outPlane', hw)};
  let pix = col % ${s.u('outPlane', hw)};
  let iy0 = i32(pix / ${s.u('outW', wo)}) * ${s.i('strideY', p.strides[0])} - ${s.i('padY', p.pads[0])};
  let ix0 = i32(pix % ${s.u('outW', wo)}) * ${s.i('strideX', p.strides[1])} - ${s.i('padX', p.pads[1])};
  let xBase = (cb * ${s.u('inC', c)} + z * ${s.u('groupIn', c / p.group)}) * ${s.u('inPlane', h * w)};`;
  if (kind === 'dividing') return setup;
  return `${setup}
  var taps = 0u;
  for (var t = 0u; t < ${s.u('taps', p.kernel[0] * p.kernel[1])}; t++) {
    let iy = iy0 + i32(t / ${s.u('kernelW', p.kernel[1])}) * ${s.i('dilY', p.dilations[0])};
    let ix = ix0 + i32(t % ${s.u('kernelW', p.kernel[1])}) * ${s.i('dilX', p.dilations[1])};
    if (iy >= 0 && iy < ${s.i('inH', h)} && ix >= 0 && ix < ${s.i('inW', w)}) { taps |= 1u << t; }
  }
  let corner = iy0 * ${s.i('inW', w)} + ix0;`;
}

/**
 * Tap-aligned only: statements at each K tile's start (kNext), one division for the tile's tap, its bounds bit and
 * the input offset of its first channel.
 */
export function tileSetup(p: ConvParams): string {
  const cg = p.inDims[1] / p.group;
  const kw = p.kernel[1];
  return `let tap = kNext / ${cg}u;
        let ci0 = kNext % ${cg}u;
        let tapOn = ((taps >> tap) & 1u) != 0u;
        let tapOffset = i32(xBase) + corner + i32(tap / ${kw}u) * ${p.dilations[0] * p.inDims[3]} + i32(tap % ${kw}u) * ${p.dilations[1]} + i32(ci0 * ${p.inDims[2] * p.inDims[3]}u);`;
}

/** The f32 expression of B[kIdx][col] for the gather kind (locals of windowSetup and, tap-aligned, tileSetup). */
export function loadExpression(kind: GatherKind): string {
  if (kind === 'tap-aligned') return 'sampleTap(xBase, tapOn, tapOffset, ci0, kIdx - kNext)';
  return kind === 'masked' ? 'sampleInput(xBase, corner, taps, kIdx)' : 'sampleInput(xBase, iy0, ix0, kIdx)';
}

/** The WGSL helper the load expression calls; it reads x (and pad values) as `st` stores them, returning f32. */
export function gatherHelper(p: ConvParams, s: ShapeValues, kind: GatherKind, tapMajor: boolean, st = Storage.f32): string {
  const [, c, h, w] = p.inDims;
  const plane = s.u('inPlane', h * w);
  const pad = (ci: string): string => (p.padValues ? st.load(`padv[(xBase / ${plane}) % ${s.u('inC', c)} + ${ci}]`) : '0.0f');
  if (kind === 'tap-aligned') {
    return `fn sampleTap(xBase: u32, tapOn: bool, tapOffset: i32, ci0: u32, kk: u32) -> f32 {
  if (!tapOn) { return ${pad('ci0 + kk')}; }
  return ${st.load(`x[u32(tapOffset) + kk * ${plane}]`)};
}`;
  }
  if (kind === 'masked') {
    return `fn sampleInput(xBase: u32, corner: i32, taps: u32, kIdx: u32) -> f32 {
  let e = kt[kIdx];
  if (((taps >> u32(e.y)) & 1u) == 0u) { return ${pad('u32(e.z)')}; }
  return ${st.load('x[u32(i32(xBase) + corner + e.x)]')};
}`;
  }
  const [kh, kw] = p.kernel;
  const [dh, dw] = p.dilations;
  const taps = s.u('taps', kh * kw);
  const cg = s.u('groupIn', c / p.group);
  const reflect = p.padMode === 'reflect';
  return `fn sampleInput(xBase: u32, iy0: i32, ix0: i32, kIdx: u32) -> f32 {
  let ci = kIdx ${tapMajor ? `% ${cg}` : `/ ${taps}`};
  let tap = kIdx ${tapMajor ? `/ ${cg}` : `% ${taps}`};
  ${reflect ? 'var' : 'let'} iy = iy0 + i32(tap / ${s.u('kernelW', kw)}) * ${s.i('dilY', dh)};
  ${reflect ? 'var' : 'let'} ix = ix0 + i32(tap % ${s.u('kernelW', kw)}) * ${s.i('dilX', dw)};
${outsideInput(p, s, pad('ci'))}
  return ${st.load(`x[xBase + ci * ${plane} + u32(iy) * ${s.u('inW', w)} + u32(ix)]`)};
}`;
}

/**
 * What a tap outside the input reads: zero (or the channel's pad value), or with reflect pads the mirrored position
 * (the border row or column itself not repeated, as ONNX Pad's reflect mode), so a reflect Pad costs no padded copy.
 */
function outsideInput(p: ConvParams, s: ShapeValues, fill: string): string {
  const [, , h, w] = p.inDims;
  if (p.padMode !== 'reflect') return `  if (iy < 0 || iy >= ${s.i('inH', h)} || ix < 0 || ix >= ${s.i('inW', w)}) { return ${fill}; }`;
  return `  iy = select(iy, -iy, iy < 0);
  iy = select(iy, 2 * (${s.i('inH', h)} - 1) - iy, iy >= ${s.i('inH', h)});
  ix = select(ix, -ix, ix < 0);
  ix = select(ix, 2 * (${s.i('inW', w)} - 1) - ix, ix >= ${s.i('inW', w)});`;
}
