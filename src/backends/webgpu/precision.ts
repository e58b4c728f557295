/** What a plan's precision means on a device: its storage scalar, and the float32 conversions at an f16 plan's edges. */
import { BackendError, PrecisionUnavailableError } from '../../core/errors.js';
import type { GpuBinding } from '../../ops/kernel/gpu-dispatch.js';
import { Storage } from '../../ops/kernel/storage.js';
import { elementwiseDispatch } from '../../ops/kernel/wgsl.js';
import { elementCount } from '../../core/ir.js';
import type { StaticGraph } from '../../graph/specialize.js';
import type { PlanMemory } from './memory.js';
import type { Precision } from '../plan.js';
import type { GpuDevice } from './device.js';
import type { PipelineCache } from './pipeline-cache.js';
import { bindingSignature, type PreparedDispatch } from './tiers.js';

/**
 * The storage scalar of a precision on this device; 'fp16' without shader-f16 is a PrecisionUnavailableError naming
 * the adapter, never a silent float32 plan.
 */
export function storageFor(gpu: GpuDevice, precision: Precision | undefined): Storage {
  if ((precision ?? 'fp32') === 'fp32') return Storage.f32;
  if (precision !== 'fp16') throw new BackendError('webgpu', `unknown precision '${String(precision)}'; use 'fp32' or 'fp16'`);
  if (!gpu.hasShaderF16) throw new PrecisionUnavailableError('fp16', gpu.description, 'the adapter does not offer shader-f16');
  return Storage.f16;
}

/** A source buffer read and a destination written: the layout of every conversion. */
const CONVERSION_BINDINGS: readonly GpuBinding[] = [{ kind: 'input', index: 0 }, { kind: 'output', index: 0 }];

/**
 * The conversions at an f16 plan's edges, which keep the session's inputs and outputs float32: `before` the steps,
 * each float32 input's buffer into its half twin; `after` them, each float32 output slot into its float32 copy.
 * Both run on the GPU in the run's own pass, so a GPU-resident feed or output needs no trip through the CPU.
 */
export function boundaryConversions(device: GPUDevice, cache: PipelineCache, graph: StaticGraph, memory: PlanMemory, maxPerDim: number):
  { readonly before: PreparedDispatch[]; readonly after: PreparedDispatch[] } {
  const convert = (src: GPUBuffer, dst: GPUBuffer, count: number, toHalf: boolean, label: string): PreparedDispatch => {
    const elements = toHalf ? ['f32', 'f16'] : ['f16', 'f32'];
    const body = `  dst[i] = ${toHalf ? 'f16' : 'f32'}(src[i]);`;
    const d = elementwiseDispatch(count, maxPerDim, CONVERSION_BINDINGS, ['src', 'dst'], elements, body);
    const signature = CONVERSION_BINDINGS.map(bindingSignature).join('');
    const bindGroup = device.createBindGroup({
      layout: cache.layout(signature), label,
      entries: [{ binding: 0, resource: { buffer: src } }, { binding: 1, resource: { buffer: dst } }],
    });
    return { shader: Storage.f16.directive + d.shader, signature, label, bindGroup, workgroups: d.workgroups };
  };
  const before = [...memory.halfInputs].map(([name, half]) =>
    convert(memory.buffers.get(name)!, half, elementCount(graph.inputs.find((v) => v.name === name)!.type.dims), true, `input ${name} to f16`));
  const after = [...memory.wideOutputs].map(([name, wide]) =>
    convert(memory.bufferOfValue(name), wide, Math.floor(wide.size / 4), false, `output ${name} to f32`));
  return { before, after };
}
