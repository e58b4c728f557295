/**
 * A CPU emulation of the WebGPU fp16 path (precision 'fp16'), for machines without shader-f16: the same optimised
 * graph the GPU plan lowers, run step by step with the CPU references, where every value the GPU would store as
 * f16 is rounded to binary16 (round to nearest even, src/core/half-float.ts): the graph inputs (converted at the
 * plan's boundary), every float32 constant (weights, biases, folded BatchNorm terms), the float data kernels take
 * from their params (PRelu slopes, folded pad values) and every float32 step output. Arithmetic inside a step stays
 * float32, as the GPU kernels accumulate in f32. Not emulated: the GPU's own summation order (tiles, Winograd), which
 * the fp32 path already has and which parity tests bound at 1e-4.
 */
import { readFileSync } from 'node:fs';
import type { TensorData } from '../../src/core/ir.js';
import { roundArrayToFloat16 } from '../../src/core/float16.js';
import type { ValueType } from '../../src/ops/kernel/op-module.js';
import { optimizeGraph } from '../../src/graph/optimize.js';
import { specializeGraph, withNodeContext, type StaticGraph } from '../../src/graph/specialize.js';
import { parseModel } from '../../src/parser/decode-model.js';

/** Params fields holding float data a GPU kernel uploads as kernel data (stored as f16 there). */
const STORED_PARAM_FIELDS = new Set(['slope', 'padValues']);

function halfTensor(t: TensorData): TensorData {
  return t.type === 'float32' ? { type: t.type, dims: t.dims, data: roundArrayToFloat16(t.data as Float32Array) } : t;
}

/** A copy of a step's params with the stored float data rounded (other numbers, e.g. Resize scales, untouched). */
function halfParams(p: unknown, key = ''): unknown {
  if (p instanceof Float32Array) return STORED_PARAM_FIELDS.has(key) ? roundArrayToFloat16(p) : p;
  if (Array.isArray(p) || p === null || typeof p !== 'object' || ArrayBuffer.isView(p)) return p;
  if (Object.getPrototypeOf(p) !== Object.prototype) return p;
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, halfParams(v, k)]));
}

/**
 * Runs `graph` on the CPU references, either plainly (`half` false: the fp32 path) or with every stored value
 * rounded to binary16 (`half` true: the fp16 path's emulation). Returns the graph outputs.
 */
export function runGraph(graph: StaticGraph, feeds: ReadonlyMap<string, TensorData>, half: boolean): Map<string, TensorData> {
  const values = new Map<string, TensorData>();
  for (const [name, t] of feeds) values.set(name, half ? halfTensor(t) : t);
  const constants = new Map<string, TensorData>();
  for (const [name, t] of graph.constants) constants.set(name, half ? halfTensor(t) : t);
  for (const step of graph.steps) {
    const inputs = step.inputs.map((name) => (name === '' ? undefined : values.get(name) ?? constants.get(name)));
    const params = half ? halfParams(step.params) : step.params;
    const outputs = withNodeContext(step.node, () => step.module.cpu(params as never, inputs, step.outputTypes));
    step.outputs.forEach((name, k) => { if (name) values.set(name, half ? halfTensor(outputs[k]!) : outputs[k]!); });
  }
  return new Map(graph.outputs.map((name) => [name, values.get(name) ?? constants.get(name)!]));
}

/** A model file's optimised graph for these input types (what both the GPU plan and the emulation run). */
export function loadGraph(file: string, types: ReadonlyMap<string, ValueType>): StaticGraph {
  return optimizeGraph(specializeGraph(parseModel(new Uint8Array(readFileSync(file))), types));
}

/** max |a − b| / max |b| over two float tensors (b the reference): the parity tests' relative error. */
export function maxRelativeError(a: TensorData, b: TensorData): number {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < y.length; i++) {
    diff = Math.max(diff, Math.abs(x[i]! - y[i]!));
    scale = Math.max(scale, Math.abs(y[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}

/** Cosine similarity of two vectors. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i]! * b[i]!; aa += a[i]! * a[i]!; bb += b[i]! * b[i]!; }
  return ab / Math.sqrt(aa * bb);
}
