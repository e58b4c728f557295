import { BackendError, InputError } from '../../core/errors.js';
import type { TensorData } from '../../core/ir.js';
import { GpuTensor } from '../../core/tensor.js';
import type { StaticGraph } from '../../graph/specialize.js';
import type { ValueType } from '../../ops/kernel/op-module.js';
import type { PlanFeed } from '../plan.js';
import { BufferUsage } from './gpu-constants.js';
import { bytesOf, type PlanMemory } from './memory.js';

/**
 * A fetched value that is a graph constant: a copy of its data, with no read-back (undefined for a computed value).
 * A copy, because the caller owns its outputs: writing into one must not change the plan's constant.
 */
export function constantFetch(graph: StaticGraph, memory: PlanMemory, type: ValueType, name: string): TensorData | undefined {
  const root = memory.rootOf(name);
  return root.kind === 'const' ? { type: type.type, dims: type.dims, data: graph.constants.get(root.name)!.data.slice() } : undefined;
}

/**
 * Writes CPU feeds into the input buffers; a GPU-resident feed elsewhere is one device-side copy before the first
 * dispatch. With `temporaries` (a group's run), a CPU feed is a device-side copy too, from a buffer pushed there
 * for the caller to free after its submit: a queue write would land before every run of the group.
 */
export function writeFeeds(
  device: GPUDevice, graph: StaticGraph, memory: PlanMemory, feeds: ReadonlyMap<string, PlanFeed>, encoder: GPUCommandEncoder, temporaries?: GPUBuffer[],
): void {
  checkGpuFeeds(graph, memory, feeds);
  for (const input of graph.inputs) {
    const t = feeds.get(input.name);
    if (!t) throw new BackendError('webgpu', `no feed for input '${input.name}'`);
    const target = memory.buffers.get(input.name)!;
    if (!(t instanceof GpuTensor) && temporaries) {
      const data = bytesOf(t.data);
      const upload = device.createBuffer({ size: data.byteLength, usage: BufferUsage.COPY_SRC, mappedAtCreation: true, label: `group feed ${input.name}` });
      new Uint8Array(upload.getMappedRange()).set(data);
      upload.unmap();
      temporaries.push(upload);
      encoder.copyBufferToBuffer(upload, 0, target, 0, Math.min(data.byteLength, target.size));
    } else if (!(t instanceof GpuTensor)) {
      device.queue.writeBuffer(target, 0, bytesOf(t.data));
    } else if (t.buffer !== target || t.byteOffset !== 0) {
      const bytes = Math.min(Math.ceil(t.byteLength / 4) * 4, t.buffer.size - t.byteOffset, target.size);
      encoder.copyBufferToBuffer(t.buffer, t.byteOffset, target, 0, bytes);
    }
    // else: the producer wrote the plan's own input buffer (session.gpuInput); nothing to move.
  }
}

/**
 * Refuses, before anything is written or encoded, a GPU-resident feed the run's copy cannot read: a buffer without
 * COPY_SRC, or one mapped (or being mapped) by the caller. Dawn would otherwise fail the whole submit with a
 * validation message that names no input. (A destroyed buffer cannot be told from here: WebGPU exposes no flag.)
 */
function checkGpuFeeds(graph: StaticGraph, memory: PlanMemory, feeds: ReadonlyMap<string, PlanFeed>): void {
  for (const input of graph.inputs) {
    const t = feeds.get(input.name);
    // The plan's own input buffer (session.gpuInput) is read in place, not copied.
    if (!(t instanceof GpuTensor) || (t.buffer === memory.buffers.get(input.name) && t.byteOffset === 0)) continue;
    if ((t.buffer.usage & BufferUsage.COPY_SRC) === 0) {
      throw new InputError(`its GPU buffer lacks GPUBufferUsage.COPY_SRC (usage 0x${t.buffer.usage.toString(16)}), which the run needs to copy it in`, input.name);
    }
    if (t.buffer.mapState !== 'unmapped') {
      throw new InputError(`its GPU buffer is ${t.buffer.mapState}; unmap it before the run reads it`, input.name);
    }
  }
}

/**
 * After a run failed validation: throws InputError for the first GPU-resident feed whose buffer a copy cannot read,
 * i.e. one destroyed or made by another GPUDevice. WebGPU exposes neither a buffer's device nor a destroyed flag, so
 * each such feed is tried alone, a 4-byte copy into a scratch buffer under its own error scope; only a failed run
 * pays for it. Returns when every feed reads fine (the failure lies elsewhere).
 */
export async function refuseUnreadableGpuFeeds(device: GPUDevice, graph: StaticGraph, memory: PlanMemory, feeds: ReadonlyMap<string, PlanFeed>): Promise<void> {
  for (const input of graph.inputs) {
    const t = feeds.get(input.name);
    if (!(t instanceof GpuTensor) || (t.buffer === memory.buffers.get(input.name) && t.byteOffset === 0)) continue;
    const scratch = device.createBuffer({ size: 4, usage: BufferUsage.COPY_DST, label: `feed probe ${input.name}` });
    device.pushErrorScope('validation');
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToBuffer(t.buffer, t.byteOffset, scratch, 0, 4);
    device.queue.submit([encoder.finish()]);
    const error = await device.popErrorScope();
    scratch.destroy();
    if (error) throw new InputError(`its GPU buffer is destroyed or belongs to another GPUDevice than the session's (${error.message})`, input.name);
  }
}
