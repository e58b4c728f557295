import type { ConvParams } from './params.js';
import { epilogueWgsl } from '../epilogue/gpu.js';
import type { GpuBinding, GpuDispatch } from '../kernel/gpu-dispatch.js';
import type { GpuKernel } from '../kernel/gpu-kernel.js';
import type { ShapeValues } from '../kernel/shape-values.js';
import { matmulDispatches } from '../tiled-gemm/gpu.js';
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
 * on the fly. All fuse bias, residual and activation.
 */
export const convGpu: GpuKernel<ConvParams> = {
  lower({ params: p, inputs, maxWorkgroupsPerDimension, software, shape }) {
    if (inputs[0]?.type !== 'float32') return undefined;
    const hasBias = inputs[2] !== undefined;
    const ep = epilogueWgsl(p.epilogue, hasBias ? { kind: 'input', index: 2 } : undefined, p.epilogue.residual ? { kind: 'input', index: 3 } : undefined, shape);
    // Winograd F(2×2, 3×3) for the stride-1 3×3 layers (winograd.ts states the rule); the generic tier keeps the
    // direct kernel its layers share.
    if (!shape.generic && winogradFits(p)) {
      return { kind: 'dispatches', dispatches: [winogradConv(p, ep, { software, maxWorkgroupsPerDimension })] };
    }
    const [, c, , ] = p.inDims;
    const [, m] = p.outDims;
    // Reflect pads and pad values go through the windowed GEMM, which handles groups too.
    const depthwise = p.group === c && m === c && p.padMode !== 'reflect' && !p.padValues;
    const dispatches = depthwise
      ? [depthwiseConv(p, ep.bindings, ep.fn, maxWorkgroupsPerDimension, shape)]
      : gemmConv(p, p.padValues ? [...ep.bindings, { binding: { kind: 'data', data: p.padValues }, name: 'padv' }] : ep.bindings, ep.fn, { software, maxWorkgroupsPerDimension, shape });
    return { kind: 'dispatches', dispatches };
  },
};

type Extra = readonly { readonly binding: GpuBinding; readonly name: string }[];

function bindingsOf(extra: Extra): { bindings: GpuBinding[]; decl: string } {
  const bindings: GpuBinding[] = [{ kind: 'input', index: 0 }, { kind: 'input', index: 1 }, { kind: 'output', index: 0 }, ...extra.map((e) => e.binding)];
  const names = ['x', 'w', 'y', ...extra.map((e) => e.name)];
  return { bindings, decl: declareBindings(bindings, names, names.map(() => 'f32')) };
}

function gemmConv(p: ConvParams, extra: Extra, epilogueFn: string, options: { software: boolean; maxWorkgroupsPerDimension: number; shape: ShapeValues }): GpuDispatch[] {
  const { software, shape: s } = options;
  const [n, c, h, w] = p.inDims;
  const [, m, ho, wo] = p.outDims;
  const [kh, kw] = p.kernel;
  const [sh, sw] = p.strides;
  const [dh, dw] = p.dilations;
  const [pt, pl, pb, pr] = p.pads;
  const cg = c / p.group;
  const mg = m / p.group;
  const k = cg * kh * kw;
  const hw = ho * wo;
  const { bindings, decl } = bindingsOf(extra);
  // Generic kernels take every conv through the windowed form, so 1×1 and k×k layers share one pipeline.
  const pointwise = !s.generic && kh === 1 && kw === 1 && sh === 1 && sw === 1 && pt + pl + pb + pr === 0;
  // The GEMM's N axis runs over batch × output pixels; z over groups.
  const cols = n * hw;
  const store = `let ch = z * ${s.u('groupOut', mg)} + row;
      let b = col / ${s.u('outPlane', hw)};
      let idx = (b * ${s.u('outC', m)} + ch) * ${s.u('outPlane', hw)} + col % ${s.u('outPlane', hw)};
      y[idx] = epilogue(v, ch, idx);`;
  const loadA = `w[(z * ${s.u('groupOut', mg)} + row) * ${s.u('k', k)} + kIdx]`;
  let spec;
  if (pointwise) {
    const loadB = `x[(col / ${s.u('outPlane', hw)} * ${s.u('inC', c)} + z * ${s.u('groupIn', cg)} + kIdx) * ${s.u('outPlane', hw)} + col % ${s.u('outPlane', hw)}]`;
    // With one image, input rows are contiguous runs of hw floats: four adjacent columns are one aligned vec4.
    const loadB4 = !software && n === 1 && hw % 4 === 0
      ? `vec4<f32>(xv[((z * ${s.u('groupIn', cg)} + kIdx) * ${s.u('outPlane', hw)} + col) / 4u])`
      : undefined;
    const declarations = `${decl}${loadB4 ? `\n@group(0) @binding(${bindings.length}) var<storage, read> xv: array<vec4<f32>>;` : ''}\n${epilogueFn}`;
    if (loadB4) bindings.push({ kind: 'input', index: 0 });
    spec = { m: mg, n: cols, k, batches: p.group, declarations, loadA, loadB, loadB4, store };
  } else {
    const columnSetup = `let cb = col / ${s.u('outPlane', hw)};
  let pix = col % ${s.u('outPlane', hw)};
  let iy0 = i32(pix / ${s.u('outW', wo)}) * ${s.i('strideY', sh)} - ${s.i('padY', pt)};
  let ix0 = i32(pix % ${s.u('outW', wo)}) * ${s.i('strideX', sw)} - ${s.i('padX', pl)};
  let xBase = (cb * ${s.u('inC', c)} + z * ${s.u('groupIn', cg)}) * ${s.u('inPlane', h * w)};`;
    const loadB = `sampleInput(xBase, iy0, ix0, kIdx)`;
    const helper = `fn sampleInput(xBase: u32, iy0: i32, ix0: i32, kIdx: u32) -> f32 {
  let ci = kIdx / ${s.u('taps', kh * kw)};
  let tap = kIdx % ${s.u('taps', kh * kw)};
  ${p.padMode === 'reflect' ? 'var' : 'let'} iy = iy0 + i32(tap / ${s.u('kernelW', kw)}) * ${s.i('dilY', dh)};
  ${p.padMode === 'reflect' ? 'var' : 'let'} ix = ix0 + i32(tap % ${s.u('kernelW', kw)}) * ${s.i('dilX', dw)};
${outsideInput(p, s, h, w)}
  return x[xBase + ci * ${s.u('inPlane', h * w)} + u32(iy) * ${s.u('inW', w)} + u32(ix)];
}`;
    spec = { m: mg, n: cols, k, batches: p.group, declarations: `${decl}\n${epilogueFn}\n${helper}`, columnSetup, loadA, loadB, store };
  }
  return matmulDispatches(spec, bindings, options);
}

/**
 * What a tap outside the input reads: zero, or with reflect pads the mirrored position (the border row or column
 * itself not repeated, as ONNX Pad's reflect mode), so a reflect Pad costs no padded copy.
 */
function outsideInput(p: ConvParams, s: ShapeValues, h: number, w: number): string {
  const fill = p.padValues ? `padv[(xBase / ${s.u('inPlane', h * w)}) % ${s.u('inC', p.inDims[1])} + ci]` : '0.0f';
  if (p.padMode !== 'reflect') return `  if (iy < 0 || iy >= ${s.i('inH', h)} || ix < 0 || ix >= ${s.i('inW', w)}) { return ${fill}; }`;
  return `  iy = select(iy, -iy, iy < 0);
  iy = select(iy, 2 * (${s.i('inH', h)} - 1) - iy, iy >= ${s.i('inH', h)});
  ix = select(ix, -ix, ix < 0);
  ix = select(ix, 2 * (${s.i('inW', w)} - 1) - ix, ix >= ${s.i('inW', w)});`;
}

const DEPTHWISE_WORKGROUP = 128;

function depthwiseConv(p: ConvParams, extra: Extra, epilogueFn: string, maxPerDim: number, s: ShapeValues): GpuDispatch {
  const [n, c, h, w] = p.inDims;
  const [, , ho, wo] = p.outDims;
  const [kh, kw] = p.kernel;
  const [sh, sw] = p.strides;
  const [dh, dw] = p.dilations;
  const [pt, pl] = p.pads;
  const { bindings, decl } = bindingsOf(extra);
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
      acc += x[xBase + u32(iy) * ${s.u('inW', w)} + u32(ix)] * w[wBase + u32(ky * ${s.i('kernelW', kw)} + kx)];
    }
  }
  y[i] = epilogue(acc, ch, i);
}
`;
  return s.finish({ shader, bindings, workgroups: g.workgroups });
}
