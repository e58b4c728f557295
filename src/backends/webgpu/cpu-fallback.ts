import type { TensorData } from '../../core/ir.js';
import type { ValueType } from '../../ops/kernel/op-module.js';
import { withNodeContext, type PlannedStep, type StaticGraph } from '../../graph/specialize.js';
import { bytesOf, paddedBytes, type PlanMemory } from './memory.js';
import { tensorFromBytes, type ReadBack } from './readback.js';

/**
 * Runs a step that has no WGSL kernel for its types (int64 shape arithmetic that was not folded, bool
 * comparisons) with its CPU reference: its inputs are read back, its outputs written to their GPU buffers.
 */
export async function runStepOnCpu(device: GPUDevice, graph: StaticGraph, memory: PlanMemory, types: ReadonlyMap<string, ValueType>, readBack: ReadBack, step: PlannedStep): Promise<void> {
  const wanted = step.inputs.filter((n) => n && memory.rootOf(n).kind !== 'const');
  const bytes = await readBack.submit(device.createCommandEncoder(),
    wanted.map((name) => ({ name, buffer: memory.bufferOfValue(name), bytes: paddedBytes(types.get(name)!) })));
  const inputs = step.inputs.map((name): TensorData | undefined => {
    if (!name) return undefined;
    const t = types.get(name)!;
    const root = memory.rootOf(name);
    if (root.kind === 'const') return { type: t.type, dims: t.dims, data: graph.constants.get(root.name)!.data };
    return tensorFromBytes(t, bytes.get(name)!);
  });
  const outputs = withNodeContext(step.node, () => step.module.cpu(step.params, inputs, step.outputTypes));
  step.outputs.forEach((name, k) => {
    if (name) device.queue.writeBuffer(memory.bufferOfValue(name), 0, bytesOf(outputs[k]!.data));
  });
}
