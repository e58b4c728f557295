import type { TensorData } from '../../core/ir.js';
import type { ValueType } from '../../ops/kernel/op-module.js';
import { withNodeContext, type PlannedStep, type StaticGraph } from '../../graph/specialize.js';
import { narrowToFloat16Bits, widenFloat16Bits } from '../../core/float16.js';
import { bytesOf, isStoredFloat, storedBytes, type PlanMemory } from './memory.js';
import { tensorFromBytes, type ReadBack } from './readback.js';

/**
 * Runs a step that has no WGSL kernel for its types (int64 shape arithmetic that was not folded, bool
 * comparisons) with its CPU reference: its inputs are read back, its outputs written to their GPU buffers. With
 * f16 storage float32 values cross as halves, widened for the reference and narrowed again for the GPU.
 */
export async function runStepOnCpu(device: GPUDevice, graph: StaticGraph, memory: PlanMemory, types: ReadonlyMap<string, ValueType>, readBack: ReadBack, step: PlannedStep): Promise<void> {
  const wanted = step.inputs.filter((n) => n && memory.rootOf(n).kind !== 'const');
  const bytes = await readBack.submit(device.createCommandEncoder(),
    wanted.map((name) => ({ name, buffer: memory.bufferOfValue(name), bytes: storedBytes(types.get(name)!, memory.storage) })));
  const inputs = step.inputs.map((name): TensorData | undefined => {
    if (!name) return undefined;
    const t = types.get(name)!;
    const root = memory.rootOf(name);
    if (root.kind === 'const') return { type: t.type, dims: t.dims, data: graph.constants.get(root.name)!.data };
    const b = bytes.get(name)!;
    if (!isStoredFloat(t, memory.storage)) return tensorFromBytes(t, b);
    return { type: t.type, dims: t.dims, data: widenFloat16Bits(new Uint16Array(b.buffer, b.byteOffset, t.dims.reduce((a, d) => a * d, 1))) };
  });
  const outputs = withNodeContext(step.node, () => step.module.cpu(step.params, inputs, step.outputTypes));
  step.outputs.forEach((name, k) => {
    if (!name) return;
    const data = outputs[k]!.data;
    const stored = isStoredFloat(step.outputTypes[k]!, memory.storage) ? narrowToFloat16Bits(data as Float32Array) : data;
    device.queue.writeBuffer(memory.bufferOfValue(name), 0, bytesOf(stored));
  });
}
