import type { GpuKernel } from '../kernel/gpu-kernel.js';
import type { ShapeValues } from '../kernel/shape-values.js';
import type { AxisGroup, ReduceKind, ReduceParams } from './cpu.js';
import { Storage } from '../kernel/storage.js';
import { declareBindings, grid } from '../kernel/wgsl.js';

/** Threads of the workgroup-per-output variant. */
const WORKGROUP = 64;
/** Threads per workgroup of the thread-per-output variant. */
const SIMPLE_WORKGROUP = 128;
/**
 * The thread-per-output variant sums blocks of this many elements, then adds the block sums: float32 rounding then
 * grows with about BLOCK + count/BLOCK terms instead of count (a 32×32 plane: 80 instead of 1024).
 */
const BLOCK = 32;
/** Below this many elements per output one thread per output is as fast as a workgroup. */
const WORKGROUP_FROM = 256;

const ADDITIVE: ReadonlySet<ReduceKind> = new Set(['Sum', 'Mean', 'SumSquare', 'L1', 'L2', 'LogSum', 'LogSumExp']);

/** WGSL of one element's contribution (`v` read, `m` the maximum for LogSumExp). */
function mapped(kind: ReduceKind): string {
  switch (kind) {
    case 'SumSquare': case 'L2': return 'v * v';
    case 'L1': return 'abs(v)';
    case 'LogSumExp': return 'exp(v - m)';
    default: return 'v';
  }
}

function combine(kind: ReduceKind, acc: string, v: string): string {
  switch (kind) {
    // A NaN on either side wins, as in the reference (WGSL's max/min may drop it).
    case 'Max': return `maxNan(${acc}, ${v})`;
    case 'Min': return `minNan(${acc}, ${v})`;
    case 'Prod': return `${acc} * ${v}`;
    default: return `${acc} + ${v}`;
  }
}

function identity(kind: ReduceKind): string {
  switch (kind) {
    case 'Max': return 'bitcast<f32>(NEG_INF_BITS)';
    case 'Min': return '-bitcast<f32>(NEG_INF_BITS)';
    case 'Prod': return '1.0f';
    default: return '0.0f';
  }
}

function finalValue(kind: ReduceKind, acc: string, s: ShapeValues, count: number): string {
  switch (kind) {
    case 'Mean': return `${acc} / ${s.f('count', count)}`;
    case 'L2': return `sqrt(${acc})`;
    // logOnnx: a negative sum's log is NaN and a zero sum's -inf, as in onnxruntime (WGSL's log leaves both open).
    case 'LogSum': return `logOnnx(${acc})`;
    case 'LogSumExp': return `logOnnx(${acc}) + m`;
    default: return acc;
  }
}

/** `sum += ((index / over) % size) * stride` over the groups, as in wgsl.gatherOffset, naming values after `prefix`. */
function groupOffset(index: string, gs: readonly AxisGroup[], target: string, prefix: string, s: ShapeValues): string {
  let over = gs.reduce((a, g) => a * g.size, 1);
  return gs.map((g, k) => {
    over /= g.size;
    const coord = k === 0 ? `(${index} / ${s.u(`${prefix}Over${k}`, over)})` : `((${index} / ${s.u(`${prefix}Over${k}`, over)}) % ${s.u(`${prefix}Size${k}`, g.size)})`;
    return `  ${target} += ${coord} * ${s.u(`${prefix}Stride${k}`, g.stride)};`;
  }).join('\n');
}

/**
 * Reduce* over any axes of a float32 tensor; inputs are read through the merged axis groups of the params. The
 * workgroup variant (real GPUs, specialised tier, large reductions) gives each output a workgroup whose threads
 * stride over the elements and combine in a tree; the simple one gives each output a thread that sums in blocks.
 * LogSumExp takes the maximum first and sums exp(v − max), as the reference does.
 */
export const reduceGpu: GpuKernel<ReduceParams> = {
  lower({ params: p, inputs, outputs, maxWorkgroupsPerDimension, software, shape: s, storage: st = Storage.f32 }) {
    if (inputs[0]?.type !== 'float32') return undefined;
    const outCount = outputs[0]!.dims.reduce((a, d) => a * d, 1);
    if (outCount === 0) return { kind: 'dispatches', dispatches: [] };
    // An empty reduction yields each kind's identity (or NaN for a mean): the CPU reference says it exactly.
    if (p.count === 0) return undefined;
    const bindings = [{ kind: 'input', index: 0 }, { kind: 'output', index: 0 }] as const;
    const decl = declareBindings(bindings, ['x', 'y'], ['f32', 'f32'], st);
    const k = p.kind;
    const n = s.u('count', p.count);
    const base = `  var base = 0u;\n${groupOffset('o', p.kept, 'base', 'kept', s)}`;
    const at = (r: string): string => st.load(p.reduced.length === 0 ? 'x[base]' : `x[base + offsetOf(${r})]`);
    const offsetOf = p.reduced.length === 0 ? '' : `fn offsetOf(r: u32) -> u32 {
  var off = 0u;
${groupOffset('r', p.reduced, 'off', 'red', s)}
  return off;
}`;
    const helpers = offsetOf;
    const useWorkgroup = !software && !s.generic && p.count >= WORKGROUP_FROM;
    if (useWorkgroup) {
      const g = grid(outCount, 1, maxWorkgroupsPerDimension, s);
      const tree = (op: (a: string, b: string) => string): string => `  partial[lid] = acc;
  workgroupBarrier();
  for (var h = ${WORKGROUP / 2}u; h > 0u; h >>= 1u) {
    if (lid < h) { partial[lid] = ${op('partial[lid]', 'partial[lid + h]')}; }
    workgroupBarrier();
  }`;
      const maxPass = k === 'LogSumExp' ? `  var acc = bitcast<f32>(NEG_INF_BITS);
  for (var r = lid; r < ${n}; r += ${WORKGROUP}u) { let v = ${at('r')}; acc = max(acc, v); }
${tree((a, b) => `max(${a}, ${b})`)}
  let m = partial[0];
  workgroupBarrier();
` : '';
      const shader = `${decl}
var<workgroup> partial: array<f32, ${WORKGROUP}>;
${helpers}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let o = ${g.flatGroup};
  if (o >= ${s.u('outCount', outCount)}) { return; }
${base}
${maxPass}  ${k === 'LogSumExp' ? '' : 'var '}acc = ${identity(k)};
  for (var r = lid; r < ${n}; r += ${WORKGROUP}u) { let v = ${at('r')}; acc = ${combine(k, 'acc', mapped(k))}; }
${tree((a, b) => combine(k, a, b))}
  if (lid == 0u) { let total = partial[0]; y[o] = ${st.store(finalValue(k, 'total', s, p.count))}; }
}
`;
      return { kind: 'dispatches', dispatches: [s.finish({ shader, bindings, workgroups: g.workgroups })] };
    }
    const g = grid(outCount, SIMPLE_WORKGROUP, maxWorkgroupsPerDimension, s);
    const maxPass = k === 'LogSumExp' ? `  var m = bitcast<f32>(NEG_INF_BITS);
  for (var r = 0u; r < ${n}; r++) { m = max(m, ${at('r')}); }
` : '';
    const loop = ADDITIVE.has(k)
      ? `  var acc = 0.0f;
  for (var b = 0u; b < ${n}; b += ${BLOCK}u) {
    var part = 0.0f;
    let e = min(b + ${BLOCK}u, ${n});
    for (var r = b; r < e; r++) { let v = ${at('r')}; part += ${mapped(k)}; }
    acc += part;
  }`
      : `  var acc = ${identity(k)};
  for (var r = 0u; r < ${n}; r++) { let v = ${at('r')}; acc = ${combine(k, 'acc', 'v')}; }`;
    const shader = `${decl}
${helpers}
@compute @workgroup_size(${SIMPLE_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let o = ${g.flatGroup} * ${SIMPLE_WORKGROUP}u + lid;
  if (o >= ${s.u('outCount', outCount)}) { return; }
${base}
${maxPass}${loop}
  y[o] = ${st.store(finalValue(k, 'acc', s, p.count))};
}
`;
    return { kind: 'dispatches', dispatches: [s.finish({ shader, bindings, workgroups: g.workgroups })] };
  },
};
