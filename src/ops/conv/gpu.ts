import { nchwStoreStrides, type ConvParams } from './params.js';
import { epilogueWgsl } from '../epilogue/gpu.js';
import type { GpuBinding, GpuDispatch } from '../kernel/gpu-dispatch.js';
import type { GpuKernel } from '../kernel/gpu-kernel.js';
import type { ShapeValues } from '../kernel/shape-values.js';
import { Storage } from '../kernel/storage.js';
import { matmulDispatches, type TiledMatmulSpec } from '../tiled-gemm/gpu.js';
import type { TensorData } from '../../core/ir.js';
import { im2colTable, kMajorBinding } from './weight-repack.js';
import { gatherHelper, gatherKind, loadExpression, tileSetup, windowSetup } from './gpu-gather.js';
import { gatherHelper4, gathers4, loadExpression4, tileSetup4, windowSetup4 } from './gpu-gather4.js';
import { declareBindings, grid } from '../kernel/wgsl.js';
import { winogradFits } from './winograd.js';
import { winogradConv } from './winograd-gpu.js';

/**
 * Conv on NCHW activations. Layout choice: the batch is 1 in every model here, so the output's spatial axis is
 * the long GEMM dimension; in NCHW it is contiguous in both the output and (for 1×1 convs) the input, which gives
 * coalesced vec4 loads and stores without any layout transposes around the Transpose/Reshape heads of SCRFD.
 * `npm run bench:layout` times every distinct conv layer of the models against NHWC twins of this kernel (same
 * tiling), the measurement that decides the layout (README, Scripts).
 *
 * Three kernels: depthwise (one thread per output, the window unrolled), 1×1 stride-1 (plain GEMM with vec4 loads
 * of the input rows), and the general implicit GEMM whose B operand is the im2col view of the input computed
 * on the fly, four pixels per loader thread where the gather allows it (gpu-gather4.ts). All fuse bias, residual
 * and activation.
 */
export const convGpu: GpuKernel<ConvParams> = {
  lower({ params: p, inputs, constants, maxWorkgroupsPerDimension, software, softwareAdapter, shape, storage: st = Storage.f32 }) {
    if (inputs[0]?.type !== 'float32') return undefined;
    const hasBias = inputs[2] !== undefined;
    const ep = epilogueWgsl(p.epilogue, hasBias ? { kind: 'input', index: 2 } : undefined, p.epilogue.residual ? { kind: 'input', index: 3 } : undefined, shape, st);
    // Winograd F(2×2, 3×3) for the stride-1 3×3 layers (winograd.ts states the rule); the generic tier keeps the
    // direct kernel its layers share.
    if (!shape.generic && winogradFits(p)) {
      const w = constants[1]?.type === 'float32' ? constants[1] : undefined;
      const repacked = w ? kMajorBinding(w, 1, p.outDims[1], p.inDims[1], 9) : undefined;
      return { kind: 'dispatches', dispatches: [winogradConv(p, ep, { software, maxWorkgroupsPerDimension, kMajorWeights: repacked, storage: st })] };
    }
    const [, c, , ] = p.inDims;
    const [, m] = p.outDims;
    // Reflect pads and pad values go through the windowed GEMM, which handles groups too.
    const depthwise = p.group === c && m === c && p.padMode !== 'reflect' && !p.padValues;
    const dispatches = depthwise
      ? [depthwiseConv(p, ep.bindings, ep.fn, maxWorkgroupsPerDimension, shape, st)]
      : gemmConv(p, p.padValues ? [...ep.bindings, { binding: { kind: 'data', data: p.padValues }, name: 'padv' }] : ep.bindings, ep.fn, { software: softwareAdapter ?? software, maxWorkgroupsPerDimension, shape, storage: st },
        constants[1]?.type === 'float32' ? constants[1] : undefined);
    return { kind: 'dispatches', dispatches };
  },
};

/**
 * `let at = …;`: where output element (image `b`, channel `ch`, pixel `pixel`) goes, by the conv's store strides;
 * nothing for NCHW in specialised kernels, which store at `idx` itself. Generic kernels always take this form (NCHW
 * strides when none are set), so layers with and without a fused
 * Transpose share their pipelines.
 */
function storeIndex(p: ConvParams, s: ShapeValues, b: string, pixel: string): string {
  if (!p.storeStrides && !s.generic) return '';
  const st = p.storeStrides ?? nchwStoreStrides(p);
  return `\n      let at = ${b} * ${s.u('storeBatch', st.batch)} + ch * ${s.u('storeChannel', st.channel)} + (${pixel}) * ${s.u('storePixel', st.pixel)};`;
}

type Extra = readonly { readonly binding: GpuBinding; readonly name: string; readonly element?: string }[];

/** The conv's bindings: x, the weights (the ONNX input, or `weights` in its place), y, then `extra`, declared as `st` stores them. */
function bindingsOf(extra: Extra, st: Storage, weights?: GpuBinding, outElement = 'f32'): { bindings: GpuBinding[]; decl: string } {
  const bindings: GpuBinding[] = [{ kind: 'input', index: 0 }, weights ?? { kind: 'input', index: 1 }, { kind: 'output', index: 0 }, ...extra.map((e) => e.binding)];
  const names = ['x', 'w', 'y', ...extra.map((e) => e.name)];
  return { bindings, decl: declareBindings(bindings, names, ['f32', 'f32', outElement, ...extra.map((e) => e.element ?? 'f32')], st) };
}

function gemmConv(p: ConvParams, extra: Extra, epilogueFn: string, options: { software: boolean; maxWorkgroupsPerDimension: number; shape: ShapeValues; storage: Storage },
  constWeights: TensorData | undefined): GpuDispatch[] {
  const { software, shape: s, storage: st } = options;
  const [n, c, h, w] = p.inDims;
  const [, m, ho, wo] = p.outDims;
  const [kh, kw] = p.kernel;
  const [sh, sw] = p.strides;
  const [pt, pl, pb, pr] = p.pads;
  const cg = c / p.group;
  const mg = m / p.group;
  const k = cg * kh * kw;
  const hw = ho * wo;
  // Constant weights are repacked once at load to K-major order (see kMajorWeights); the ONNX layout is the
  // fallback for weights computed at run time.
  const kMajor = constWeights !== undefined;
  const weights: GpuBinding | undefined = kMajor ? kMajorBinding(constWeights, p.group, mg, cg, kh * kw) : undefined;
  // Generic kernels take every conv through the windowed form, so 1×1 and k×k layers share one pipeline.
  const pointwise = !s.generic && kh === 1 && kw === 1 && sh === 1 && sw === 1 && pt + pl + pb + pr === 0;
  // The direct kernel has no K tiles, so it gathers with the mask or by division.
  const gather = pointwise ? undefined : gatherKind(p, s, kMajor);
  const kind = gather === 'tap-aligned' && software ? 'masked' : gather;
  const table: Extra = kind === 'masked' ? [{ binding: { kind: 'data', data: im2colTable(p) }, name: 'kt', element: 'vec4<i32>' }] : [];
  // With whole vec4 of pixels per image, four adjacent columns are four adjacent outputs: one vec4 store. The
  // output is then declared as vec4 (two writable views of one buffer may not share a dispatch); edge and split-K
  // stores write single components.
  const vecOut = !software && !s.generic && hw % 4 === 0 && !p.storeStrides;
  const { bindings, decl } = bindingsOf([...extra, ...table], st, weights, vecOut ? 'vec4<f32>' : 'f32');
  // The GEMM's N axis runs over batch × output pixels; z over groups.
  const cols = n * hw;
  const outIndex = `let ch = z * ${s.u('groupOut', mg)} + row;
      let b = col / ${s.u('outPlane', hw)};
      let idx = (b * ${s.u('outC', m)} + ch) * ${s.u('outPlane', hw)} + col % ${s.u('outPlane', hw)};`;
  const store = `${outIndex}${storeIndex(p, s, 'b', 'col % ' + s.u('outPlane', hw))}
      y[${vecOut ? 'idx / 4u][idx % 4u' : p.storeStrides || s.generic ? 'at' : 'idx'}] = ${st.store('epilogue(v, ch, idx)')};`;
  const store4 = vecOut ? `${outIndex}
      y[idx / 4u] = ${st.store4('vec4<f32>(epilogue(v4.x, ch, idx), epilogue(v4.y, ch, idx + 1u), epilogue(v4.z, ch, idx + 2u), epilogue(v4.w, ch, idx + 3u))')};` : undefined;
  const vecDecls: string[] = [];
  const loadA = st.load(kMajor
    ? `w[(z * ${s.u('k', k)} + kIdx) * ${s.u('groupOut', mg)} + row]`
    : `w[(z * ${s.u('groupOut', mg)} + row) * ${s.u('k', k)} + kIdx]`);
  let loadA4: string | undefined;
  if (kMajor && !software && !s.generic && mg % 4 === 0) {
    loadA4 = st.load4(`wv[((z * ${s.u('k', k)} + kIdx) * ${s.u('groupOut', mg)} + row) / 4u]`);
    vecDecls.push(`@group(0) @binding(${bindings.length}) var<storage, read> wv: array<${st.vec4}>;`);
    bindings.push(weights!);
  }
  const aLayout = { aRowsAdjacent: kMajor, loadA4 };
  let spec: TiledMatmulSpec;
  if (pointwise) {
    const loadB = st.load(`x[(col / ${s.u('outPlane', hw)} * ${s.u('inC', c)} + z * ${s.u('groupIn', cg)} + kIdx) * ${s.u('outPlane', hw)} + col % ${s.u('outPlane', hw)}]`);
    // With one image, input rows are contiguous runs of hw floats: four adjacent columns are one aligned vec4.
    const loadB4 = !software && n === 1 && hw % 4 === 0
      ? st.load4(`xv[((z * ${s.u('groupIn', cg)} + kIdx) * ${s.u('outPlane', hw)} + col) / 4u]`)
      : undefined;
    if (loadB4) {
      vecDecls.push(`@group(0) @binding(${bindings.length}) var<storage, read> xv: array<${st.vec4}>;`);
      bindings.push({ kind: 'input', index: 0 });
    }
    const declarations = `${decl}\n${vecDecls.join('\n')}\n${epilogueFn}`;
    spec = { m: mg, n: cols, k, batches: p.group, declarations, loadA, ...aLayout, loadB, loadB4, store, store4 };
  } else {
    const declarations = `${decl}\n${vecDecls.join('\n')}\n${epilogueFn}`;
    // Four pixels per loader thread under the tiled kernel's own vec4-B condition (specialised, N % 4 == 0), so
    // the vec4 setup is never paired with the scalar load.
    if (!software && !s.generic && cols % 4 === 0 && gathers4(kind)) {
      spec = { m: mg, n: cols, k, batches: p.group, declarations, loadHelpers: gatherHelper4(p, kind, st), columnSetup: windowSetup4(p),
        kTileSetup: kind === 'tap-aligned' ? tileSetup4(p) : undefined, loadA, ...aLayout, loadB: `${loadExpression4(kind)}.x`, loadB4: loadExpression4(kind), store, store4 };
    } else {
      const columnSetup = windowSetup(p, s, kind!);
      const kTileSetup = kind === 'tap-aligned' ? tileSetup(p) : undefined;
      const helper = gatherHelper(p, s, kind!, kMajor, st);
      spec = { m: mg, n: cols, k, batches: p.group, declarations, loadHelpers: helper, columnSetup, kTileSetup, loadA, ...aLayout,
        loadB: loadExpression(kind!), store, store4 };
    }
  }
  return matmulDispatches(spec, bindings, options);
}

const DEPTHWISE_WORKGROUP = 128;

function depthwiseConv(p: ConvParams, extra: Extra, epilogueFn: string, maxPerDim: number, s: ShapeValues, st: Storage): GpuDispatch {
  const [n, c, h, w] = p.inDims;
  const [, , ho, wo] = p.outDims;
  const [kh, kw] = p.kernel;
  const [sh, sw] = p.strides;
  const [dh, dw] = p.dilations;
  const [pt, pl] = p.pads;
  const { bindings, decl } = bindingsOf(extra, st);
  // A fused Transpose's store order (ConvParams.storeStrides); the text is the plain one without it.
  const ss = p.storeStrides;
  const total = n * c * ho * wo;
  const g = grid(total, DEPTHWISE_WORKGROUP, maxPerDim, s);
  // Taps whose row or column can never leave the input need no bounds test; the compiler unrolls the rest.
  const shader = `${decl}
${epilogueFn}
@compute @workgroup_size(${DEPTHWISE_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = ${g.flatGroup} * ${DEPTHWISE_WORKGROUP}u + lid;
  if (i >= ${s.u('total', total)}) { return; }
  let ox = i % ${s.u('outW', wo)};
  let oy = (i / ${s.u('outW', wo)}) % ${s.u('outH', ho)};
  let plane = i / ${s.u('outPlane', ho * wo)};
  let ch = plane % ${s.u('channels', c)};
  let iy0 = i32(oy) * ${s.i('strideY', sh)} - ${s.i('padY', pt)};
  let ix0 = i32(ox) * ${s.i('strideX', sw)} - ${s.i('padX', pl)};
  let xBase = plane * ${s.u('inPlane', h * w)};
  let wBase = ch * ${s.u('taps', kh * kw)};
  var acc = 0.0f;
  for (var ky = 0; ky < ${s.i('kernelH', kh)}; ky++) {
    let iy = iy0 + ky * ${s.i('dilY', dh)};
    if (iy < 0 || iy >= ${s.i('inH', h)}) { continue; }
    for (var kx = 0; kx < ${s.i('kernelW', kw)}; kx++) {
      let ix = ix0 + kx * ${s.i('dilX', dw)};
      if (ix < 0 || ix >= ${s.i('inW', w)}) { continue; }
      acc += ${st.load(`x[xBase + u32(iy) * ${s.u('inW', w)} + u32(ix)]`)} * ${st.load(`w[wBase + u32(ky * ${s.i('kernelW', kw)} + kx)]`)};
    }
  }
  y[${ss ? `plane / ${s.u('channels', c)} * ${s.u('storeBatch', ss.batch)} + ch * ${s.u('storeChannel', ss.channel)} + (i % ${s.u('outPlane', ho * wo)}) * ${s.u('storePixel', ss.pixel)}` : 'i'}] = ${st.store('epilogue(acc, ch, i)')};
}
`;
  return s.finish({ shader, bindings, workgroups: g.workgroups });
}
