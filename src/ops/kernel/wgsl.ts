import type { DataType } from '../../core/ir.js';
import type { GpuDispatch, GpuBinding } from './gpu-dispatch.js';
import { ShapeValues } from './shape-values.js';
import { Storage } from './storage.js';

/** Threads per workgroup of the one-thread-per-element kernels. */
export const ELEMENTWISE_WORKGROUP = 128;

/** A float literal WGSL accepts for any finite float32 (and clamps ±FLT_MAX sentinels). */
export function f32(x: number): string {
  if (Number.isNaN(x)) return 'bitcast<f32>(NAN_BITS)';
  if (x >= 3.4028234663852886e38) return '3.4028234663852886e38f';
  if (x <= -3.4028234663852886e38) return '-3.4028234663852886e38f';
  const v = Math.fround(x);
  if (Object.is(v, -0)) return '-0.0f';
  const s = v.toPrecision(9);
  return `${s.includes('e') || s.includes('.') ? s : `${s}.0`}f`;
}

/**
 * What every shader starts with. Bit patterns of non-finite floats: a const-expression that evaluates to inf or NaN
 * is a shader-creation error in WGSL, so shaders bitcast these private (run-time) values instead. And the float
 * helpers ONNX's special values need: WGSL leaves max, min, clamp, exp and log of NaN (and log of 0 or of a negative)
 * to the implementation (SwiftShader gives max(NaN, 0) = 0, exp(NaN) = inf, log(0) = -88, log(-2.5) = log(2.5)),
 * where onnxruntime and the CPU reference give NaN, -inf and NaN. NaN is told by its bits: SwiftShader's compiler
 * folds `v != v` to false.
 */
const PRELUDE = `var<private> NAN_BITS: u32 = 0x7fc00000u;
var<private> NEG_INF_BITS: u32 = 0xff800000u;
fn isNan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
fn maxNan(a: f32, b: f32) -> f32 { return select(select(max(a, b), b, isNan(b)), a, isNan(a)); }
fn minNan(a: f32, b: f32) -> f32 { return select(select(min(a, b), b, isNan(b)), a, isNan(a)); }
fn logOnnx(v: f32) -> f32 {
  if (isNan(v) || v < 0.0f) { return bitcast<f32>(NAN_BITS); }
  if (v == 0.0f) { return bitcast<f32>(NEG_INF_BITS); }
  return log(v);
}`;

/**
 * WGSL declarations of a dispatch's bindings: `names[i]` read-only (inputs, data) or read_write (outputs, scratch).
 * Float elements ('f32', 'vec4<f32>') are declared as `storage` stores them, except scratch and exact data, which
 * the plan keeps in float32 whatever its storage.
 */
export function declareBindings(bindings: readonly GpuBinding[], names: readonly string[], elements: readonly string[], storage = Storage.f32): string {
  return PRELUDE + '\n' + bindings.map((b, i) => {
    const access = b.kind === 'output' || b.kind === 'scratch' ? 'read_write' : 'read';
    const element = b.kind === 'scratch' || (b.kind === 'data' && b.exact === true) ? elements[i]! : storage.element(elements[i]!);
    return `@group(0) @binding(${i}) var<storage, ${access}> ${names[i]}: array<${element}>;`;
  }).join('\n');
}

/**
 * Grid for `count` independent items of `perGroup` each: one dimension until the device's per-dimension limit,
 * then a second. `flatGroup` is the WGSL expression of the linear workgroup id (needs `wid`); generic kernels
 * always use the two-dimensional form, so a layer's size does not change their text.
 */
export function grid(count: number, perGroup: number, maxPerDim: number, shape = ShapeValues.literal()): { workgroups: [number, number, number]; flatGroup: string } {
  const groups = Math.max(1, Math.ceil(count / perGroup));
  const x = Math.min(groups, maxPerDim);
  const y = Math.ceil(groups / x);
  if (shape.generic) return { workgroups: [x, y, 1], flatGroup: `(wid.x + wid.y * ${shape.u('gridX', x)})` };
  if (y === 1) return { workgroups: [groups, 1, 1], flatGroup: 'wid.x' };
  return { workgroups: [x, y, 1], flatGroup: `(wid.x + wid.y * ${x}u)` };
}

/**
 * A one-thread-per-element kernel over `count` outputs; `body` sees `i: u32` and returns early past the end.
 * `shape` is the set the body's numbers came from (it is finished here); `storage` declares the float bindings.
 */
export function elementwiseDispatch(count: number, maxPerDim: number, bindings: readonly GpuBinding[], names: readonly string[],
  elements: readonly string[], body: string, helpers = '', shape = ShapeValues.literal(), storage = Storage.f32): GpuDispatch {
  const g = grid(count, ELEMENTWISE_WORKGROUP, maxPerDim, shape);
  const shader = `${declareBindings(bindings, names, elements, storage)}
${helpers}
@compute @workgroup_size(${ELEMENTWISE_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = ${g.flatGroup} * ${ELEMENTWISE_WORKGROUP}u + lid;
  if (i >= ${shape.u('count', count)}) { return; }
${body}
}
`;
  return shape.finish({ shader, bindings, workgroups: g.workgroups });
}

/** The WGSL element type that stores a dtype in 32-bit words, or undefined when the GPU kernels do not handle it. */
export function wordType(type: DataType): 'f32' | 'i32' | 'u32' | undefined {
  switch (type) {
    case 'float32': return 'f32';
    case 'int32': return 'i32';
    case 'uint32': return 'u32';
    default: return undefined;
  }
}

/** Row-major strides. */
export function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) { s[i] = acc; acc *= dims[i]!; }
  return s;
}

/**
 * WGSL that decomposes linear index `i` of a tensor shaped `dims` and accumulates `sum += coord·srcStrides[axis]`
 * into `target` (a `var` declared by the caller). Axes of size 1 or stride 0 are skipped. Generic kernels name
 * their values after `target`, so one kernel can gather for several operands.
 */
export function gatherOffset(index: string, dims: readonly number[], srcStrides: readonly number[], target: string, shape = ShapeValues.literal()): string {
  const outStrides = strides(dims);
  const lines: string[] = [];
  for (let a = 0; a < dims.length; a++) {
    if (dims[a] === 1 || srcStrides[a] === 0) continue;
    const over = shape.u(`${target}Over${a}`, outStrides[a]!);
    const coord = a === 0 ? `(${index} / ${over})` : `((${index} / ${over}) % ${shape.u(`${target}Dim${a}`, dims[a]!)})`;
    lines.push(`  ${target} += ${coord} * ${shape.u(`${target}Step${a}`, srcStrides[a]!)};`);
  }
  return lines.join('\n');
}
