import type { GpuKernel } from '../kernel/gpu-kernel.js';
import type { ShapeValues } from '../kernel/shape-values.js';
import { Storage } from '../kernel/storage.js';
import { declareBindings, f32, grid } from '../kernel/wgsl.js';
import type { InstanceNormParams } from './cpu.js';

/** Threads that share one plane in the workgroup variant. */
const WORKGROUP = 64;
/** Threads per workgroup of the thread-per-plane variant. */
const SIMPLE_WORKGROUP = 64;
/** The thread-per-plane variant sums blocks of this many elements, then adds the block sums (less float32 rounding). */
const BLOCK = 32;

const BINDINGS = [{ kind: 'input', index: 0 }, { kind: 'input', index: 1 }, { kind: 'input', index: 2 }, { kind: 'output', index: 0 }] as const;

function epilogue(p: InstanceNormParams, s: ShapeValues, st: Storage): { gamma: string; beta: string; store: (v: string) => string } {
  const a = p.affine === 'sample' ? 'o' : `(o % ${s.u('channels', p.channels)})`;
  return {
    gamma: st.load(`gamma[${s.u('gammaOffset', p.gammaOffset)} + ${a}]`),
    beta: st.load(`beta[${s.u('betaOffset', p.betaOffset)} + ${a}]`),
    store: (v) => st.store(p.relu ? `max(${v}, 0.0f)` : v),
  };
}

/**
 * One dispatch per instance normalisation: on real GPUs (specialised tier) a workgroup per plane whose threads
 * stride over it and combine in a tree, for the mean, then the squared deviations, then the writes; otherwise
 * (software adapters, generic tier) a thread per plane with blocked sums.
 */
export const instanceNormGpu: GpuKernel<InstanceNormParams> = {
  lower({ params: p, inputs, maxWorkgroupsPerDimension, software, shape: s, storage: st = Storage.f32 }) {
    if (inputs[0]?.type !== 'float32') return undefined;
    const planes = p.batch * p.channels;
    if (planes === 0 || p.plane === 0) return { kind: 'dispatches', dispatches: [] };
    const decl = declareBindings(BINDINGS, ['x', 'gamma', 'beta', 'y'], ['f32', 'f32', 'f32', 'f32'], st);
    const x = (at: string): string => st.load(`x[${at}]`);
    const n = s.u('plane', p.plane);
    const count = s.f('planeF', p.plane);
    const eps = s.generic ? s.bits('epsilon', p.epsilon) : f32(p.epsilon);
    const { gamma, beta, store } = epilogue(p, s, st);
    if (!software && !s.generic) {
      const g = grid(planes, 1, maxWorkgroupsPerDimension, s);
      const tree = `  workgroupBarrier();
  for (var h = ${WORKGROUP / 2}u; h > 0u; h >>= 1u) {
    if (lid < h) { partial[lid] = partial[lid] + partial[lid + h]; }
    workgroupBarrier();
  }`;
      const shader = `${decl}
var<workgroup> partial: array<f32, ${WORKGROUP}>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let o = ${g.flatGroup};
  if (o >= ${s.u('planes', planes)}) { return; }
  let base = o * ${n};
  var acc = 0.0f;
  for (var r = lid; r < ${n}; r += ${WORKGROUP}u) { acc += ${x('base + r')}; }
  partial[lid] = acc;
${tree}
  let mean = partial[0] / ${count};
  workgroupBarrier();
  acc = 0.0f;
  for (var r = lid; r < ${n}; r += ${WORKGROUP}u) { let d = ${x('base + r')} - mean; acc += d * d; }
  partial[lid] = acc;
${tree}
  let inv = 1.0f / sqrt(partial[0] / ${count} + ${eps});
  let gm = ${gamma};
  let bt = ${beta};
  for (var r = lid; r < ${n}; r += ${WORKGROUP}u) { y[base + r] = ${store(`gm * ((${x('base + r')} - mean) * inv) + bt`)}; }
}
`;
      return { kind: 'dispatches', dispatches: [s.finish({ shader, bindings: BINDINGS, workgroups: g.workgroups })] };
    }
    const g = grid(planes, SIMPLE_WORKGROUP, maxWorkgroupsPerDimension, s);
    const blocked = (term: string): string => `  acc = 0.0f;
  for (var b = 0u; b < ${n}; b += ${BLOCK}u) {
    var part = 0.0f;
    let e = min(b + ${BLOCK}u, ${n});
    for (var r = b; r < e; r++) { ${term} }
    acc += part;
  }`;
    const shader = `${decl}
@compute @workgroup_size(${SIMPLE_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let o = ${g.flatGroup} * ${SIMPLE_WORKGROUP}u + lid;
  if (o >= ${s.u('planes', planes)}) { return; }
  let base = o * ${n};
  var acc = 0.0f;
${blocked(`part += ${x('base + r')};`)}
  let mean = acc / ${count};
${blocked(`let d = ${x('base + r')} - mean; part += d * d;`)}
  let inv = 1.0f / sqrt(acc / ${count} + ${eps});
  let gm = ${gamma};
  let bt = ${beta};
  for (var r = 0u; r < ${n}; r++) { y[base + r] = ${store(`gm * ((${x('base + r')} - mean) * inv) + bt`)}; }
}
`;
    return { kind: 'dispatches', dispatches: [s.finish({ shader, bindings: BINDINGS, workgroups: g.workgroups })] };
  },
};
