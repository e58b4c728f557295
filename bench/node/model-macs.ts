/**
 * Multiply-accumulates of a model's Conv, Gemm and MatMul nodes at one input shape, read from the statically
 * shaped graph: Conv = output elements × (input channels / group) × kernel area; Gemm/MatMul = M × N × K.
 * The benchmark turns them into an achieved FLOP rate (2 FLOP per MAC) to compare with a plain GEMM's rate.
 */
import { parseModel } from '../../src/parser/decode-model.js';
import type { ValueType } from '../../src/ops/kernel/op-module.js';
import { specializeGraph } from '../../src/graph/specialize.js';

export function modelMacs(bytes: Uint8Array, inputName: string, dims: readonly number[], others: Readonly<Record<string, readonly number[]>> = {}): number {
  const model = parseModel(bytes);
  // `others`: the further float32 inputs of a several-input model (INSwapper's source latent), by name.
  const inputs = new Map<string, ValueType>([[inputName, { type: 'float32', dims: [...dims] }], ...Object.entries(others).map(([n, d]): [string, ValueType] => [n, { type: 'float32', dims: [...d] }])]);
  const graph = specializeGraph(model, inputs);
  const dimsOf = (name: string): readonly number[] => graph.types.get(name)?.dims ?? graph.constants.get(name)?.dims ?? [];
  let macs = 0;
  for (const step of graph.steps) {
    const op = step.node.opType;
    const out = step.outputTypes[0]?.dims ?? [];
    const outCount = out.reduce((a, b) => a * b, 1);
    if (op === 'Conv') {
      const w = dimsOf(step.inputs[1]!);
      macs += outCount * w.slice(1).reduce((a, b) => a * b, 1);
    } else if (op === 'Gemm' || op === 'MatMul') {
      const a = dimsOf(step.inputs[0]!);
      const transA = step.node.attributes.get('transA');
      const transposed = op === 'Gemm' && transA?.kind === 'int' && transA.value === 1;
      const k = transposed ? a[a.length - 2]! : a[a.length - 1]!;
      macs += outCount * k;
    }
  }
  return macs;
}
