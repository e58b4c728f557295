import type { ConvParams } from './conv.js';
import { epilogueWgsl } from './epilogue.wgsl.js';
import type { GpuBinding, GpuDispatch, GpuKernel } from './kernel-api.gpu.js';
import { matmulDispatches } from './tiled-matmul.wgsl.js';
import { declareBindings, grid } from './wgsl-common.wgsl.js';

/**
 * Conv on NCHW activations. Layout choice: the batch is 1 in every model here, so the output's spatial axis is
 * the long GEMM dimension; in NCHW it is contiguous in both the output and (for 1×1 convs) the input, which gives
 * coalesced vec4 loads and stores without any layout transposes around the Transpose/Reshape heads of SCRFD.
 *
 * Three kernels: depthwise (one thread per output, the window unrolled), 1×1 stride-1 (plain GEMM with vec4 loads
 * of the input rows), and the general implicit GEMM whose B operand is the im2col view of the input computed
 * on the fly. All fuse bias, residual and activation.
 */
export const convGpu: GpuKernel<ConvParams> = {
  opTypes: ['Conv'],
  lower({ params: p, inputs, maxWorkgroupsPerDimension, software }) {
    if (inputs[0]?.type !== 'float32') return undefined;
    const hasBias = inputs[2] !== undefined;
    const ep = epilogueWgsl(p.epilogue, hasBias ? { kind: 'input', index: 2 } : undefined, p.epilogue.residual ? { kind: 'input', index: 3 } : undefined);
    const [, c, , ] = p.inDims;
    const [, m] = p.outDims;
    const depthwise = p.group === c && m === c;
    const dispatches = depthwise
      ? [depthwiseConv(p, ep.bindings, ep.fn, maxWorkgroupsPerDimension)]
      : gemmConv(p, ep.bindings, ep.fn, { software, maxWorkgroupsPerDimension });
    return { kind: 'dispatches', dispatches };
  },
};

type Extra = readonly { readonly binding: GpuBinding; readonly name: string }[];

function bindingsOf(extra: Extra): { bindings: GpuBinding[]; decl: string } {
  const bindings: GpuBinding[] = [{ kind: 'input', index: 0 }, { kind: 'input', index: 1 }, { kind: 'output', index: 0 }, ...extra.map((e) => e.binding)];
  const names = ['x', 'w', 'y', ...extra.map((e) => e.name)];
  return { bindings, decl: declareBindings(bindings, names, names.map(() => 'f32')) };
}

function gemmConv(p: ConvParams, extra: Extra, epilogueFn: string, options: { software: boolean; maxWorkgroupsPerDimension: number }): GpuDispatch[] {
  const { software } = options;
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
  const pointwise = kh === 1 && kw === 1 && sh === 1 && sw === 1 && pt + pl + pb + pr === 0;
  // The GEMM's N axis runs over batch × output pixels; z over groups.
  const cols = n * hw;
  const store = `let ch = z * ${mg}u + row;
      let b = col / ${hw}u;
      let idx = (b * ${m}u + ch) * ${hw}u + col % ${hw}u;
      y[idx] = epilogue(v, ch, idx);`;
  const loadA = `w[(z * ${mg}u + row) * ${k}u + kIdx]`;
  let spec;
  if (pointwise) {
    const loadB = `x[(col / ${hw}u * ${c}u + z * ${cg}u + kIdx) * ${hw}u + col % ${hw}u]`;
    // With one image, input rows are contiguous runs of hw floats: four adjacent columns are one aligned vec4.
    const loadB4 = !software && n === 1 && hw % 4 === 0
      ? `vec4<f32>(xv[((z * ${cg}u + kIdx) * ${hw}u + col) / 4u])`
      : undefined;
    const declarations = `${decl}${loadB4 ? `\n@group(0) @binding(${bindings.length}) var<storage, read> xv: array<vec4<f32>>;` : ''}\n${epilogueFn}`;
    if (loadB4) bindings.push({ kind: 'input', index: 0 });
    spec = { m: mg, n: cols, k, batches: p.group, declarations, loadA, loadB, loadB4, store };
  } else {
    const columnSetup = `let cb = col / ${hw}u;
  let pix = col % ${hw}u;
  let iy0 = i32(pix / ${wo}u) * ${sh} - ${pt};
  let ix0 = i32(pix % ${wo}u) * ${sw} - ${pl};
  let xBase = (cb * ${c}u + z * ${cg}u) * ${h * w}u;`;
    const loadB = `sampleInput(xBase, iy0, ix0, kIdx)`;
    const helper = `fn sampleInput(xBase: u32, iy0: i32, ix0: i32, kIdx: u32) -> f32 {
  let ci = kIdx / ${kh * kw}u;
  let tap = kIdx % ${kh * kw}u;
  let iy = iy0 + i32(tap / ${kw}u) * ${dh};
  let ix = ix0 + i32(tap % ${kw}u) * ${dw};
  if (iy < 0 || iy >= ${h} || ix < 0 || ix >= ${w}) { return 0.0f; }
  return x[xBase + ci * ${h * w}u + u32(iy) * ${w}u + u32(ix)];
}`;
    spec = { m: mg, n: cols, k, batches: p.group, declarations: `${decl}\n${epilogueFn}\n${helper}`, columnSetup, loadA, loadB, store };
  }
  return matmulDispatches(spec, bindings, options);
}

const DEPTHWISE_WORKGROUP = 128;

function depthwiseConv(p: ConvParams, extra: Extra, epilogueFn: string, maxPerDim: number): GpuDispatch {
  const [n, c, h, w] = p.inDims;
  const [, , ho, wo] = p.outDims;
  const [kh, kw] = p.kernel;
  const [sh, sw] = p.strides;
  const [dh, dw] = p.dilations;
  const [pt, pl] = p.pads;
  const { bindings, decl } = bindingsOf(extra);
  const total = n * c * ho * wo;
  const g = grid(total, DEPTHWISE_WORKGROUP, maxPerDim);
  // Taps whose row or column can never leave the input need no bounds test; the compiler unrolls the rest.
  const shader = `${decl}
${epilogueFn}
@compute @workgroup_size(${DEPTHWISE_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = ${g.flatGroup} * ${DEPTHWISE_WORKGROUP}u + lid;
  if (i >= ${total}u) { return; }
  let ox = i % ${wo}u;
  let oy = (i / ${wo}u) % ${ho}u;
  let plane = i / ${ho * wo}u;
  let ch = plane % ${c}u;
  let iy0 = i32(oy) * ${sh} - ${pt};
  let ix0 = i32(ox) * ${sw} - ${pl};
  let xBase = plane * ${h * w}u;
  let wBase = ch * ${kh * kw}u;
  var acc = 0.0f;
  for (var ky = 0; ky < ${kh}; ky++) {
    let iy = iy0 + ky * ${dh};
    if (iy < 0 || iy >= ${h}) { continue; }
    for (var kx = 0; kx < ${kw}; kx++) {
      let ix = ix0 + kx * ${dw};
      if (ix < 0 || ix >= ${w}) { continue; }
      acc += x[xBase + u32(iy) * ${w}u + u32(ix)] * w[wBase + u32(ky * ${kw} + kx)];
    }
  }
  y[i] = epilogue(acc, ch, i);
}
`;
  return { shader, bindings, workgroups: g.workgroups };
}
