import type { ConvParams } from './params.js';
import type { EpilogueWgsl } from '../epilogue/gpu.js';
import type { GpuBinding, GpuDispatch } from '../kernel/gpu-dispatch.js';
import { declareBindings, grid } from '../kernel/wgsl.js';
import { F2X2_3X3, winogradWeights } from './winograd.js';

/**
 * Winograd F(2×2, 3×3) conv in one fused kernel (see winograd.ts for the algebra): the weights are transformed
 * once at load (U = G g Gᵀ, a constant binding), each input tile is transformed as it is loaded (V = Bᵀ d B, pads
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

/** U laid out [icPadded][16][ocPadded], zero-padded, so the tiled variant loads whole vec4 of channels unchecked. */
function packedWeights(weights: Float32Array, oc: number, ic: number): { data: Float32Array; ocPadded: number } {
  const u = winogradWeights(F2X2_3X3, weights, oc, ic);
  const ocPadded = Math.ceil(oc / TM) * TM;
  const icPadded = Math.ceil(ic / TK) * TK;
  const data = new Float32Array(icPadded * 16 * ocPadded);
  for (let e = 0; e < 16; e++) {
    for (let o = 0; o < oc; o++) for (let c = 0; c < ic; c++) data[(c * 16 + e) * ocPadded + o] = u[(e * oc + o) * ic + c]!;
  }
  return { data, ocPadded };
}

/** WGSL reading input channel `ci` at (iy, ix) of the plane at `base`, with the conv's pads (zero, values, reflect). */
function inputReader(p: ConvParams): string {
  const [, , h, w] = p.inDims;
  if (p.padMode === 'reflect') {
    // Tiles past the last output row or column read beyond the mirrored band; those values reach only discarded
    // outputs, so the clamp just keeps the read inside the plane.
    return `fn xin(base: u32, ci: u32, y0: i32, x0: i32) -> f32 {
  var iy = select(y0, -y0, y0 < 0);
  iy = clamp(select(iy, 2 * ${h - 1} - iy, iy >= ${h}), 0, ${h - 1});
  var ix = select(x0, -x0, x0 < 0);
  ix = clamp(select(ix, 2 * ${w - 1} - ix, ix >= ${w}), 0, ${w - 1});
  return x[base + u32(iy) * ${w}u + u32(ix)];
}`;
  }
  const fill = p.padValues ? 'padv[ci]' : '0.0f';
  return `fn xin(base: u32, ci: u32, iy: i32, ix: i32) -> f32 {
  if (iy < 0 || iy >= ${h} || ix < 0 || ix >= ${w}) { return ${fill}; }
  return x[base + u32(iy) * ${w}u + u32(ix)];
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

/** Y = Aᵀ M A of output channel `oc`'s tile `tile`, each of the ≤ 4 in-range pixels through the epilogue. */
function outputTransform(p: ConvParams, tilesX: number, tilesPerImage: number): string {
  const [, oc, ho, wo] = p.outDims;
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
    y[i0] = epilogue(a + b + c, oc, i0);
    if (ox0 + 1u < ${wo}u) { y[i0 + 1u] = epilogue(b - c - d, oc, i0 + 1u); }
  }
}`;
}

/**
 * The dispatch of a Winograd conv (params that pass winogradFits, constant weights). `epilogue` is the conv's
 * fused tail with its bindings (bias, residual, slope), appended after x, U and y.
 */
export function winogradConv(p: ConvParams, weights: Float32Array, epilogue: EpilogueWgsl, options: { readonly software: boolean; readonly maxWorkgroupsPerDimension: number }): GpuDispatch {
  const [n, c] = p.inDims;
  const [, oc, ho, wo] = p.outDims;
  const [pt, pl] = p.pads;
  const tilesX = Math.ceil(wo / 2);
  const tilesPerImage = Math.ceil(ho / 2) * tilesX;
  const tiles = n * tilesPerImage;
  const { data, ocPadded } = packedWeights(weights, oc, c);
  const extra = [...epilogue.bindings, ...(p.padValues ? [{ binding: { kind: 'data', data: p.padValues } as GpuBinding, name: 'padv' }] : [])];
  const bindings: GpuBinding[] = [{ kind: 'input', index: 0 }, { kind: 'data', data }, { kind: 'output', index: 0 }, ...extra.map((e) => e.binding)];
  const names = ['x', 'u', 'y', ...extra.map((e) => e.name)];
  const elements = names.map((name) => (name === 'u' && !options.software ? 'vec4<f32>' : 'f32'));
  const tileOrigin = `let img = tile / ${tilesPerImage}u;
  let local = tile % ${tilesPerImage}u;
  let iy0 = i32(local / ${tilesX}u) * 2 - ${pt};
  let ix0 = i32(local % ${tilesX}u) * 2 - ${pl};`;
  const helpers = `${declareBindings(bindings, names, elements)}
${epilogue.fn}
${inputReader(p)}
${inputTransform(p)}
${outputTransform(p, tilesX, tilesPerImage)}`;
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
    for (var e = 0u; e < 16u; e++) { m[e] += u[(ci * 16u + e) * ${ocPadded}u + oc] * v[e]; }
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
    for (var r = 0u; r < ${uVecs / 256}u; r++) {
      let j = lid + r * 256u;
      let je = j / ${TK * (TM / 4)}u;
      let kk = (j / ${TM / 4}u) % ${TK}u;
      sh[j] = u[((c0 + kk) * 16u + je) * ${ocPadded / 4}u + oc0 / 4u + j % ${TM / 4}u];
    }
    if (lid < ${TK * TN}u) {
      let kk = lid / ${TN}u;
      let tn = lid % ${TN}u;
      let tile = tile0 + tn;
      var v: array<f32, 16>;
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
  return { shader, bindings, workgroups: [g.workgroups[0], g.workgroups[1], ocPadded / TM] };
}
