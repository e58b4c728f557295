import type { ConvParams } from './params.js';
import type { EpilogueWgsl } from '../epilogue/gpu.js';
import type { GpuBinding, GpuDispatch } from '../kernel/gpu-dispatch.js';
import { Storage } from '../kernel/storage.js';
import { declareBindings, grid } from '../kernel/wgsl.js';

/**
 * Winograd F(2×2, 3×3) conv in one fused kernel (see winograd.ts for the algebra): each filter is transformed as
 * it is loaded into workgroup memory (U = G g Gᵀ, see transformWeights), each input tile likewise (V = Bᵀ d B, pads
 * honoured there), the 16 elementwise products are summed over input channels as 16 GEMMs held in registers, and
 * the output transform Aᵀ M A feeds the conv's fused epilogue (bias, residual, activation) per output pixel.
 *
 * Two variants, as for the direct conv: one thread per (output channel, tile) without workgroup memory on a
 * software adapter, and on a GPU a workgroup tile of 16 channels × 16 tiles × 16 elements stepping 8 input
 * channels at a time through workgroup memory, each thread a 4×4 block of one element's GEMM.
 */

/** Output channels and tiles per workgroup, and input channels per step (tiled variant). */
const TM = 16;
const TN = 16;
const TK = 8;
const SOFTWARE_WORKGROUP = 64;

/** First line of every Winograd shader, by which plan statistics tell these dispatches from the direct ones. */
const MARK = '// winograd F(2x2, 3x3)';

/** Whether a dispatch is a Winograd conv's (plan statistics count these layers and their multiplies). */
export function isWinogradDispatch(d: GpuDispatch): boolean {
  // An f16 plan's shaders open with their `enable f16;` directive.
  return d.shader.startsWith(MARK) || d.shader.startsWith(Storage.f16.directive + MARK);
}

/** WGSL reading input channel `ci` at (iy, ix) of the plane at `base`, with the conv's pads (zero, values, reflect), as f32. */
function inputReader(p: ConvParams, st: Storage): string {
  const [, , h, w] = p.inDims;
  if (p.padMode === 'reflect') {
    // Tiles past the last output row or column read beyond the mirrored band; those values reach only discarded
    // outputs, so the clamp just keeps the read inside the plane.
    return `fn xin(base: u32, ci: u32, y0: i32, x0: i32) -> f32 {
  var iy = select(y0, -y0, y0 < 0);
  iy = clamp(select(iy, 2 * ${h - 1} - iy, iy >= ${h}), 0, ${h - 1});
  var ix = select(x0, -x0, x0 < 0);
  ix = clamp(select(ix, 2 * ${w - 1} - ix, ix >= ${w}), 0, ${w - 1});
  return ${st.load(`x[base + u32(iy) * ${w}u + u32(ix)]`)};
}`;
  }
  const fill = p.padValues ? st.load('padv[ci]') : '0.0f';
  return `fn xin(base: u32, ci: u32, iy: i32, ix: i32) -> f32 {
  if (iy < 0 || iy >= ${h} || ix < 0 || ix >= ${w}) { return ${fill}; }
  return ${st.load(`x[base + u32(iy) * ${w}u + u32(ix)]`)};
}`;
}

/** V = Bᵀ d B of the 4×4 input patch at (iy0, ix0) of channel `ci` of image `img`, as 16 values in `v`. */
function inputTransform(p: ConvParams): string {
  const [, c, h, w] = p.inDims;
  return `fn transformInput(img: u32, ci: u32, iy0: i32, ix0: i32) -> array<f32, 16> {
  let base = (img * ${c}u + ci) * ${h * w}u;
  var d: array<f32, 16>;
  for (var r = 0; r < 4; r++) {
    for (var q = 0; q < 4; q++) { d[r * 4 + q] = xin(base, ci, iy0 + r, ix0 + q); }
  }
  var t: array<f32, 16>;
  for (var q = 0; q < 4; q++) {
    t[q] = d[q] - d[8 + q];
    t[4 + q] = d[4 + q] + d[8 + q];
    t[8 + q] = d[8 + q] - d[4 + q];
    t[12 + q] = d[4 + q] - d[12 + q];
  }
  var v: array<f32, 16>;
  for (var r = 0; r < 4; r++) {
    v[r * 4] = t[r * 4] - t[r * 4 + 2];
    v[r * 4 + 1] = t[r * 4 + 1] + t[r * 4 + 2];
    v[r * 4 + 2] = t[r * 4 + 2] - t[r * 4 + 1];
    v[r * 4 + 3] = t[r * 4 + 1] - t[r * 4 + 3];
  }
  return v;
}`;
}

/**
 * U = G g Gᵀ of output channel `oc`'s 3×3 filter for input channel `ci`. Transformed where it is loaded rather
 * than once at load: U is 16/9 the size of the weights, and uploading it beside the weights the generic tier binds
 * would double w600k_r50's upload (166 → 352 MiB); per workgroup step it costs 128 threads ~30 adds each against
 * 32768 multiply-adds. Constant weights are read in the GEMM's K-major order, the copy the generic tier binds.
 */
function weightTransform(p: ConvParams, kMajor: boolean, st: Storage): string {
  const c = p.inDims[1];
  const oc = p.outDims[1];
  // Tap `tap` (ky·3 + kx) of the filter: ONNX order [oc][ci][tap], or the GEMM's K-major [tap·C + ci][oc].
  const at = (tap: string): string => st.load(kMajor ? `w[(${tap} * ${c}u + ci) * ${oc}u + oc]` : `w[(oc * ${c}u + ci) * 9u + ${tap}]`);
  return `fn transformWeights(oc: u32, ci: u32) -> array<f32, 16> {
  var t: array<f32, 12>;
  for (var q = 0u; q < 3u; q++) {
    let g0 = ${at('q')};
    let g1 = ${at('(3u + q)')};
    let g2 = ${at('(6u + q)')};
    t[q] = g0;
    t[3u + q] = 0.5f * (g0 + g1 + g2);
    t[6u + q] = 0.5f * (g0 - g1 + g2);
    t[9u + q] = g2;
  }
  var u: array<f32, 16>;
  for (var r = 0u; r < 4u; r++) {
    let a = t[r * 3u];
    let b = t[r * 3u + 1u];
    let c = t[r * 3u + 2u];
    u[r * 4u] = a;
    u[r * 4u + 1u] = 0.5f * (a + b + c);
    u[r * 4u + 2u] = 0.5f * (a - b + c);
    u[r * 4u + 3u] = c;
  }
  return u;
}`;
}

/** Y = Aᵀ M A of output channel `oc`'s tile `tile`, each of the ≤ 4 in-range pixels through the epilogue. */
function outputTransform(p: ConvParams, tilesX: number, tilesPerImage: number, st: Storage): string {
  const [, oc, ho, wo] = p.outDims;
  const ss = p.storeStrides;
  return `fn storeTile(m: array<f32, 16>, oc: u32, tile: u32) {
  var t: array<f32, 8>;
  for (var q = 0; q < 4; q++) {
    t[q] = m[q] + m[4 + q] + m[8 + q];
    t[4 + q] = m[4 + q] - m[8 + q] - m[12 + q];
  }
  let img = tile / ${tilesPerImage}u;
  let local = tile % ${tilesPerImage}u;
  let oy0 = (local / ${tilesX}u) * 2u;
  let ox0 = (local % ${tilesX}u) * 2u;
  for (var r = 0u; r < 2u; r++) {
    let oy = oy0 + r;
    if (oy >= ${ho}u) { continue; }
    let row = ((img * ${oc}u + oc) * ${ho}u + oy) * ${wo}u;
    let a = t[r * 4u];
    let b = t[r * 4u + 1u];
    let c = t[r * 4u + 2u];
    let d = t[r * 4u + 3u];
    let i0 = row + ox0;
    let at = ${ss ? `img * ${ss.batch}u + oc * ${ss.channel}u + (oy * ${wo}u + ox0) * ${ss.pixel}u` : 'i0'};
    y[at] = ${st.store('epilogue(a + b + c, oc, i0)')};
    if (ox0 + 1u < ${wo}u) { y[at + ${ss?.pixel ?? 1}u] = ${st.store('epilogue(b - c - d, oc, i0 + 1u)')}; }
  }
}`;
}

/**
 * The dispatch of a Winograd conv (params that pass winogradFits). `epilogue` is the conv's
 * fused tail with its bindings (bias, residual, slope), appended after x, w and y.
 */
export function winogradConv(
  p: ConvParams, epilogue: EpilogueWgsl,
  options: {
    readonly software: boolean;
    readonly maxWorkgroupsPerDimension: number;
    /**
     * The constant weights as the GEMM kernels repack them (kMajorBinding): bound instead of the ONNX input, so the
     * tiers share one uploaded copy.
     */
    readonly kMajorWeights?: GpuBinding;
    /** What the plan stores float32 values as (undefined: f32); `epilogue` must read with the same. */
    readonly storage?: Storage;
  },
): GpuDispatch {
  const st = options.storage ?? Storage.f32;
  const [n, c] = p.inDims;
  const [, oc, ho, wo] = p.outDims;
  const [pt, pl] = p.pads;
  const tilesX = Math.ceil(wo / 2);
  const tilesPerImage = Math.ceil(ho / 2) * tilesX;
  const tiles = n * tilesPerImage;
  const extra = [...epilogue.bindings, ...(p.padValues ? [{ binding: { kind: 'data', data: p.padValues } as GpuBinding, name: 'padv' }] : [])];
  const weights: GpuBinding = options.kMajorWeights ?? { kind: 'input', index: 1 };
  const bindings: GpuBinding[] = [{ kind: 'input', index: 0 }, weights, { kind: 'output', index: 0 }, ...extra.map((e) => e.binding)];
  const names = ['x', 'w', 'y', ...extra.map((e) => e.name)];
  const elements = names.map(() => 'f32');
  const tileOrigin = `let img = tile / ${tilesPerImage}u;
  let local = tile % ${tilesPerImage}u;
  let iy0 = i32(local / ${tilesX}u) * 2 - ${pt};
  let ix0 = i32(local % ${tilesX}u) * 2 - ${pl};`;
  const helpers = `${MARK}
${declareBindings(bindings, names, elements, st)}
${epilogue.fn}
${inputReader(p, st)}
${inputTransform(p)}
${weightTransform(p, options.kMajorWeights !== undefined, st)}
${outputTransform(p, tilesX, tilesPerImage, st)}`;
  if (options.software) {
    const g = grid(tiles * oc, SOFTWARE_WORKGROUP, options.maxWorkgroupsPerDimension);
    const shader = `${helpers}
@compute @workgroup_size(${SOFTWARE_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = ${g.flatGroup} * ${SOFTWARE_WORKGROUP}u + lid;
  if (i >= ${tiles * oc}u) { return; }
  let oc = i / ${tiles}u;
  let tile = i % ${tiles}u;
  ${tileOrigin}
  var m: array<f32, 16>;
  for (var ci = 0u; ci < ${c}u; ci++) {
    let v = transformInput(img, ci, iy0, ix0);
    let u = transformWeights(oc, ci);
    for (var e = 0u; e < 16u; e++) { m[e] += u[e] * v[e]; }
  }
  storeTile(m, oc, tile);
}
`;
    return { shader, bindings, workgroups: g.workgroups };
  }
  const g = grid(tiles, TN, options.maxWorkgroupsPerDimension);
  const uVecs = 16 * TK * (TM / 4);
  // One 16 KiB array: U and V halves during the K loop, then the 16 elements of the whole output tile.
  const shader = `${helpers}
var<workgroup> sh: array<vec4<f32>, ${2 * uVecs}>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let tile0 = ${g.flatGroup} * ${TN}u;
  let oc0 = wid.z * ${TM}u;
  let e = lid / 16u;
  let sm = (lid % 16u) / 4u;
  let sn = lid % 4u;
  var acc: array<vec4<f32>, 4>;
  for (var c0 = 0u; c0 < ${c}u; c0 += ${TK}u) {
    // Threads 0–127 transform a (channel, filter) pair of weights each, threads 128–255 an (input channel, tile) pair.
    if (lid < ${TK * TM}u) {
      let kk = lid / ${TM}u;
      let ocl = lid % ${TM}u;
      // Explicitly zeroed: past the last channel or filter these feed the sums, and must be 0 in every K step.
      var u = array<f32, 16>();
      if (oc0 + ocl < ${oc}u && c0 + kk < ${c}u) { u = transformWeights(oc0 + ocl, c0 + kk); }
      for (var ue = 0u; ue < 16u; ue++) { sh[(ue * ${TK}u + kk) * ${TM / 4}u + ocl / 4u][ocl % 4u] = u[ue]; }
    } else {
      let kk = (lid - ${TK * TM}u) / ${TN}u;
      let tn = (lid - ${TK * TM}u) % ${TN}u;
      let tile = tile0 + tn;
      var v = array<f32, 16>();
      if (tile < ${tiles}u && c0 + kk < ${c}u) {
        ${tileOrigin}
        v = transformInput(img, c0 + kk, iy0, ix0);
      }
      for (var ve = 0u; ve < 16u; ve++) { sh[${uVecs}u + (ve * ${TK}u + kk) * ${TN / 4}u + tn / 4u][tn % 4u] = v[ve]; }
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${TK}u; kk++) {
      let a = sh[(e * ${TK}u + kk) * ${TM / 4}u + sm];
      let b = sh[${uVecs}u + (e * ${TK}u + kk) * ${TN / 4}u + sn];
      acc[0] += a.x * b;
      acc[1] += a.y * b;
      acc[2] += a.z * b;
      acc[3] += a.w * b;
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) { sh[(e * ${TM}u + sm * 4u + i) * ${TN / 4}u + sn] = acc[i]; }
  workgroupBarrier();
  let ocl = lid / ${TN}u;
  let tl = lid % ${TN}u;
  let oc = oc0 + ocl;
  let tile = tile0 + tl;
  if (oc >= ${oc}u || tile >= ${tiles}u) { return; }
  var m: array<f32, 16>;
  for (var me = 0u; me < 16u; me++) { m[me] = sh[(me * ${TM}u + ocl) * ${TN / 4}u + tl / 4u][tl % 4u]; }
  storeTile(m, oc, tile);
}
`;
  return { shader, bindings, workgroups: [g.workgroups[0], g.workgroups[1], Math.ceil(oc / TM)] };
}
