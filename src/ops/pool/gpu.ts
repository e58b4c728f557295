import type { GpuKernel } from '../kernel/gpu-kernel.js';
import type { PoolParams } from './cpu.js';
import { Storage } from '../kernel/storage.js';
import { declareBindings, grid } from '../kernel/wgsl.js';

const WORKGROUP = 128;

/**
 * Max/average pooling, windowed or global, one thread per output. Global pooling over a large plane uses a
 * workgroup per plane with a tree reduction instead, so one thread does not walk the whole plane.
 */
export const poolGpu: GpuKernel<PoolParams> = {
  lower({ params: p, inputs, maxWorkgroupsPerDimension, shape: s, storage: st = Storage.f32 }) {
    if (inputs[0]?.type !== 'float32') return undefined;
    const [n, c, h, w] = p.inDims;
    const [, , ho, wo] = p.outDims;
    const isMax = p.kind === 'max';
    const bindings = [{ kind: 'input', index: 0 }, { kind: 'output', index: 0 }] as const;
    const decl = declareBindings(bindings, ['x', 'y'], ['f32', 'f32'], st);
    // NaN propagates as in the reference (the prelude's maxNan).
    const maxOp = 'maxNan(acc, v)';
    const combineOp = isMax ? maxOp : 'acc + v';
    // -inf, as the CPU reference starts a max from (a window of only padding yields it).
    const initValue = isMax ? 'bitcast<f32>(NEG_INF_BITS)' : '0.0f';
    if (p.global && h * w >= 256) {
      const planes = n * c;
      const g = grid(planes, 1, maxWorkgroupsPerDimension, s);
      const shader = `${decl}
var<workgroup> partial: array<f32, ${WORKGROUP}>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let plane = ${g.flatGroup};
  if (plane >= ${s.u('planes', planes)}) { return; }
  let base = plane * ${s.u('plane', h * w)};
  var acc = ${initValue};
  for (var j = lid; j < ${s.u('plane', h * w)}; j += ${WORKGROUP}u) { let v = ${st.load('x[base + j]')}; acc = ${combineOp}; }
  partial[lid] = acc;
  workgroupBarrier();
  for (var s = ${WORKGROUP / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) { let v = partial[lid + s]; acc = partial[lid]; partial[lid] = ${combineOp}; }
    workgroupBarrier();
  }
  if (lid == 0u) { y[plane] = ${st.store(isMax ? 'partial[0]' : `partial[0] / ${s.f('plane', h * w)}`)}; }
}
`;
      return { kind: 'dispatches', dispatches: [s.finish({ shader, bindings, workgroups: g.workgroups })] };
    }
    const [kh, kw] = p.kernel;
    const [sh, sw] = p.strides;
    const [dh, dw] = p.dilations;
    const [pt, pl, pb, pr] = p.pads;
    const total = n * c * ho * wo;
    const g = grid(total, WORKGROUP, maxWorkgroupsPerDimension, s);
    // The window clipped to the padded extent, as in the CPU reference (ceil_mode windows may reach beyond it).
    const paddedWindow = (): string => `f32(((min(y0 + ${s.i('spanY', (kh - 1) * dh + 1)}, ${s.i('padEndY', h + pb)}) - y0 + ${s.i('dilY', dh)} - 1) / ${s.i('dilY', dh)}) * ((min(x0 + ${s.i('spanX', (kw - 1) * dw + 1)}, ${s.i('padEndX', w + pr)}) - x0 + ${s.i('dilX', dw)} - 1) / ${s.i('dilX', dw)}))`;
    let init: string;
    let combine: string;
    let finish: string;
    if (s.generic) {
      // One text for max and both averages (and small global pools), the kind chosen by a uniform.
      const mode = s.u('poolMode', isMax ? 0 : p.countIncludePad ? 2 : 1);
      init = `select(0.0f, bitcast<f32>(NEG_INF_BITS), ${mode} == 0u)`;
      combine = `select(acc + v, ${maxOp}, ${mode} == 0u)`;
      finish = `if (${mode} == 0u) { y[i] = ${st.store('acc')}; return; }
  let d = select(f32(count), ${paddedWindow()}, ${mode} == 2u);
  y[i] = ${st.store('select(0.0f, acc / d, d > 0.0f)')};`;
    } else {
      init = initValue;
      combine = combineOp;
      finish = isMax ? `y[i] = ${st.store('acc')};` : `let d = ${p.countIncludePad ? paddedWindow() : 'f32(count)'};\n  y[i] = ${st.store('select(0.0f, acc / d, d > 0.0f)')};`;
    }
    const shader = `${decl}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = ${g.flatGroup} * ${WORKGROUP}u + lid;
  if (i >= ${s.u('total', total)}) { return; }
  let ox = i % ${s.u('outW', wo)};
  let oy = (i / ${s.u('outW', wo)}) % ${s.u('outH', ho)};
  let plane = i / ${s.u('outPlane', ho * wo)};
  let y0 = i32(oy) * ${s.i('strideY', sh)} - ${s.i('padY', pt)};
  let x0 = i32(ox) * ${s.i('strideX', sw)} - ${s.i('padX', pl)};
  let base = plane * ${s.u('inPlane', h * w)};
  var acc = ${init};
  var count = 0;
  for (var ky = 0; ky < ${s.i('kernelH', kh)}; ky++) {
    let iy = y0 + ky * ${s.i('dilY', dh)};
    if (iy < 0 || iy >= ${s.i('inH', h)}) { continue; }
    for (var kx = 0; kx < ${s.i('kernelW', kw)}; kx++) {
      let ix = x0 + kx * ${s.i('dilX', dw)};
      if (ix < 0 || ix >= ${s.i('inW', w)}) { continue; }
      let v = ${st.load(`x[base + u32(iy) * ${s.u('inW', w)} + u32(ix)]`)};
      acc = ${combine};
      count++;
    }
  }
  ${finish}
}
`;
    return { kind: 'dispatches', dispatches: [s.finish({ shader, bindings, workgroups: g.workgroups })] };
  },
};
