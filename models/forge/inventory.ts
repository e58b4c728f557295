/** What a model is made of: op counts, float parameter count and Conv/Gemm MACs, by models.md's conventions. */
import type { Model } from '../../src/core/ir.js';
import { elementCount } from '../../src/core/ir.js';
import { specializeGraph } from '../../src/graph/specialize.js';

export type OpInventory = Readonly<Record<string, number>>;

export function opInventory(model: Model): OpInventory {
  const counts: Record<string, number> = {};
  for (const n of model.graph.nodes) counts[n.opType] = (counts[n.opType] ?? 0) + 1;
  return counts;
}

/** Float32 elements in initializers (int64 shape constants excluded), models.md's "params". */
export function floatParameterCount(model: Model): number {
  let total = 0;
  for (const t of model.graph.initializers.values()) if (t.type === 'float32') total += t.data.length;
  return total;
}

/** Multiply–accumulates of Conv and Gemm for one input shape (output elements × K). */
export function convGemmMacs(model: Model, inputDims: readonly number[]): number {
  const input = model.graph.inputs[0]!;
  const graph = specializeGraph(model, new Map([[input.name, { type: 'float32', dims: inputDims }]]));
  let macs = 0;
  for (const step of graph.steps) {
    const op = step.node.opType;
    if (op !== 'Conv' && op !== 'Gemm') continue;
    const out = elementCount(step.outputTypes[0]!.dims);
    const w = graph.types.get(step.inputs[1]!)!.dims;
    const transB = step.node.attributes.get('transB');
    const k = transB?.kind === 'int' && transB.value === 1 ? w[1]! : w[0]!;
    macs += op === 'Conv' ? out * elementCount(w.slice(1)) : out * k;
  }
  return macs;
}

/** "Conv 58, Relu 36, …" sorted by count, then name. */
export function formatInventory(inv: OpInventory): string {
  return Object.entries(inv).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k, v]) => `${k} ${v}`).join(', ');
}

/**
 * The distinct layers of a model at one input shape: each node's op type, attributes and input shapes (what a
 * kernel is chosen and compiled for). Two models with equal sets exercise the same kernels on the same shapes.
 */
export function layerSignatures(model: Model, inputDims: readonly number[]): Set<string> {
  const input = model.graph.inputs[0]!;
  const graph = specializeGraph(model, new Map([[input.name, { type: 'float32', dims: inputDims }]]));
  const signatures = new Set<string>();
  for (const step of graph.steps) {
    const attributes = [...step.node.attributes.entries()].sort(([a], [b]) => a.localeCompare(b));
    const shapes = step.inputs.map((name) => graph.types.get(name)?.dims ?? null);
    signatures.add(JSON.stringify([step.node.opType, attributes, shapes]));
  }
  return signatures;
}
