import { elementCount } from '../../core/ir.js';
import type { ConvParams } from '../conv/params.js';
import { convGpu } from '../conv/gpu.js';
import { kMajorBinding } from '../conv/weight-repack.js';
import { epilogueWgsl } from '../epilogue/gpu.js';
import type { GemmParams, MatMulParams } from './cpu.js';
import type { GpuBinding } from '../kernel/gpu-dispatch.js';
import type { GpuKernel } from '../kernel/gpu-kernel.js';
import { matmulDispatches } from '../tiled-gemm/gpu.js';
import type { ValueType } from '../kernel/op-module.js';
import { Storage } from '../kernel/storage.js';
import { declareBindings, f32, gatherOffset, strides } from '../kernel/wgsl.js';

/**
 * A fully connected layer, A·Bᵀ + C with C one value per output (the recognisers' and heads' last layers), is a 1×1
 * convolution of M images of K channels on a 1×1 plane: the weights [N, K] are the conv's, C its bias, and the
 * input slots (A, B, C, residual) line up with the conv's. Generic kernels take that route, so a model's
 * fully connected layers share the conv pipeline instead of adding one of their own.
 */
function asConv(p: GemmParams, c: ValueType | undefined): ConvParams | undefined {
  if (p.transA || !p.transB || p.alpha !== 1) return undefined;
  if (c && p.beta !== 0 && (p.beta !== 1 || elementCount(c.dims) !== p.n || c.dims[c.dims.length - 1] !== p.n)) return undefined;
  return {
    group: 1, kernel: [1, 1], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0],
    inDims: [p.m, p.k, 1, 1], outDims: [p.m, p.n, 1, 1], rank: 4, epilogue: p.epilogue,
  };
}

/** Gemm: alpha·op(A)·op(B) + beta·C (C broadcast to [M, N]), then the fused epilogue; the transposes are strides. */
export const gemmGpu: GpuKernel<GemmParams> = {
  lower(ctx) {
    const { params: p, inputs, constants, software, softwareAdapter, maxWorkgroupsPerDimension, shape: s, storage: st = Storage.f32 } = ctx;
    if (inputs[0]?.type !== 'float32' || inputs[1]?.type !== 'float32') return undefined;
    const c = inputs[2];
    const useC = c !== undefined && p.beta !== 0;
    const conv = s.generic ? asConv(p, c) : undefined;
    if (conv) return convGpu.lower({ ...ctx, params: conv, inputs: [inputs[0], inputs[1], useC ? c : undefined, inputs[3]] });
    // The epilogue's per-channel terms (PRelu slope) run along N, like the CPU reference's channels = n.
    const ep = epilogueWgsl(p.epilogue, undefined, p.epilogue.residual ? { kind: 'input', index: 3 } : undefined, s, st);
    const bindings: GpuBinding[] = [{ kind: 'input', index: 0 }, { kind: 'input', index: 1 }, { kind: 'output', index: 0 }];
    const names = ['a', 'b', 'y'];
    if (useC) { bindings.push({ kind: 'input', index: 2 }); names.push('cIn'); }
    for (const e of ep.bindings) { bindings.push(e.binding); names.push(e.name); }
    let cTerm = '';
    if (useC) {
      const cd = c.dims;
      // C broadcasts from the right against [M, N].
      const rowStride = cd.length === 2 && cd[0] !== 1 ? cd[1]! : 0;
      const colStride = cd.length >= 1 && cd[cd.length - 1] !== 1 ? 1 : 0;
      cTerm = ` + ${f32(p.beta)} * ${st.load(`cIn[row * ${s.u('cRowStep', rowStride)} + col * ${s.u('cColStep', colStride)}]`)}`;
    }
    const aIndex = p.transA ? `kIdx * ${s.u('m', p.m)} + row` : `row * ${s.u('k', p.k)} + kIdx`;
    // Constant transposed weights use the conv's K-major repack (one array for both tiers, uploaded once), so B's
    // loads run along N: adjacent lanes, adjacent words.
    const weights = constants[1];
    const repacked = p.transB && weights?.type === 'float32';
    if (repacked) bindings[1] = kMajorBinding(weights, 1, p.n, p.k, 1);
    const bIndex = p.transB && !repacked ? `col * ${s.u('k', p.k)} + kIdx` : `kIdx * ${s.u('n', p.n)} + col`;
    const dispatches = matmulDispatches({
      m: p.m, n: p.n, k: p.k, batches: 1,
      declarations: `${declareBindings(bindings, names, names.map(() => 'f32'), st)}\n${ep.fn}`,
      loadA: st.load(`a[${aIndex}]`),
      loadB: st.load(`b[${bIndex}]`),
      store: `let idx = row * ${s.u('n', p.n)} + col;
      y[idx] = ${st.store(`epilogue(${p.alpha === 1 ? 'v' : `${f32(p.alpha)} * v`}${cTerm}, col, idx)`)};`,
    }, bindings, { software: softwareAdapter ?? software, maxWorkgroupsPerDimension, shape: s });
    return { kind: 'dispatches', dispatches };
  },
};

/** MatMul with numpy broadcasting of the batch dims: one workgroup layer per output batch. */
export const matMulGpu: GpuKernel<MatMulParams> = {
  lower({ params: p, inputs, software, softwareAdapter, maxWorkgroupsPerDimension, storage: st = Storage.f32 }) {
    if (inputs[0]?.type !== 'float32' || inputs[1]?.type !== 'float32') return undefined;
    const batches = p.batchDims.reduce((x, d) => x * d, 1);
    const rank = p.batchDims.length;
    const padded = (d: readonly number[]): number[] => [...new Array<number>(rank - d.length).fill(1), ...d];
    const batchStrides = (d: readonly number[]): number[] => {
      const pd = padded(d);
      return strides(pd).map((s, i) => (pd[i] === 1 ? 0 : s));
    };
    const bindings: GpuBinding[] = [{ kind: 'input', index: 0 }, { kind: 'input', index: 1 }, { kind: 'output', index: 0 }];
    const dispatches = matmulDispatches({
      m: p.m, n: p.n, k: p.k, batches,
      declarations: `${declareBindings(bindings, ['a', 'b', 'y'], ['f32', 'f32', 'f32'], st)}
fn aBase(z: u32) -> u32 {
  var o = 0u;
${gatherOffset('z', p.batchDims, batchStrides(p.aBatchDims), 'o')}
  return o * ${p.m * p.k}u;
}
fn bBase(z: u32) -> u32 {
  var o = 0u;
${gatherOffset('z', p.batchDims, batchStrides(p.bBatchDims), 'o')}
  return o * ${p.k * p.n}u;
}`,
      columnSetup: 'let bOff = bBase(z);',
      loadA: st.load(`a[aBase(z) + row * ${p.k}u + kIdx]`),
      loadB: st.load(`b[bOff + kIdx * ${p.n}u + col]`),
      store: `y[(z * ${p.m}u + row) * ${p.n}u + col] = ${st.store('v')};`,
    }, bindings, { software: softwareAdapter ?? software, maxWorkgroupsPerDimension });
    return { kind: 'dispatches', dispatches };
  },
};
