import { BYTES_PER_ELEMENT, elementCount } from '../../core/ir.js';
import type { GpuBinding, GpuDispatch } from '../../ops/kernel/gpu-dispatch.js';
import type { ValueType } from '../../ops/kernel/op-module.js';
import type { PlannedStep, StaticGraph } from '../../graph/specialize.js';
import { planBuffers, type BufferRequest } from './buffer-plan.js';
import { BufferUsage } from './gpu-constants.js';
import type { LoweredGraph, Root } from './lowering.js';
import type { PipelineCache } from './pipeline-cache.js';
import { bindingSignature, type PreparedDispatch } from './tiers.js';

/** Buffers are sized in whole 32-bit words: WebGPU copies and bindings work in multiples of 4 bytes. */
export function paddedBytes(t: ValueType): number {
  return Math.max(4, Math.ceil((elementCount(t.dims) * BYTES_PER_ELEMENT[t.type]) / 4) * 4);
}

export function bytesOf(data: ArrayBufferView): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  // Pages that are not cross-origin isolated have no SharedArrayBuffer global at all.
  const shared = typeof SharedArrayBuffer !== 'undefined' && data.buffer instanceof SharedArrayBuffer;
  if (bytes.byteLength % 4 === 0 && !shared) return bytes;
  // writeBuffer needs a multiple of 4 bytes (and Dawn in Node rejects SharedArrayBuffer views): copy once.
  const padded = new Uint8Array(Math.max(4, Math.ceil(bytes.byteLength / 4) * 4));
  padded.set(bytes);
  return padded;
}

/**
 * Liveness of the activations: one buffer request per value a step writes (aliases write none), alive from that
 * step to its last reader (graph outputs to the end), and the request of each value.
 */
export function activationRequests(graph: StaticGraph, lowered: LoweredGraph): { requests: BufferRequest[]; requestOf: Map<string, number> } {
  const { roots } = lowered;
  const requests: BufferRequest[] = [];
  const requestOf = new Map<string, number>();
  const lastUse = new Map<string, number>();
  graph.steps.forEach((step, i) => {
    for (const n of step.inputs) { const r = n ? roots.get(n) : undefined; if (r?.kind === 'slot') lastUse.set(r.name, i); }
  });
  for (const o of graph.outputs) { const r = roots.get(o); if (r?.kind === 'slot') lastUse.set(r.name, Infinity); }
  graph.steps.forEach((step, i) => {
    if (lowered.placement[i] === 'alias') return;
    step.outputs.forEach((o, k) => {
      if (!o) return;
      requestOf.set(o, requests.length);
      requests.push({ def: i, lastUse: lastUse.get(o) ?? i, bytes: paddedBytes(step.outputTypes[k]!) });
    });
  });
  return { requests, requestOf };
}

/**
 * A plan's GPU memory: pooled activation slots assigned by liveness, one buffer per graph input, constants and
 * kernel data uploaded on first use, one scratch buffer, and the bind groups that tie dispatches to them.
 */
export class PlanMemory {
  /** Every buffer this plan created, destroyed with it. */
  readonly owned: GPUBuffer[] = [];
  /** The buffer of each input, activation and uploaded constant, by value name. */
  readonly buffers = new Map<string, GPUBuffer>();
  /** Bytes of activations and scratch the plan holds. */
  readonly peakBytes: number;
  private readonly dataBuffers = new Map<object, GPUBuffer>();
  private readonly scratch: GPUBuffer | undefined;

  constructor(private readonly device: GPUDevice, private readonly graph: StaticGraph, private readonly lowered: LoweredGraph) {
    const { requests, requestOf } = activationRequests(graph, lowered);
    const assignment = planBuffers(requests, graph.steps.length);
    const slotBuffers = assignment.slotBytes.map((size, s) => this.makeBuffer(size, `activation slot ${s}`));
    for (const input of graph.inputs) this.buffers.set(input.name, this.makeBuffer(paddedBytes(input.type), `input ${input.name}`));
    for (const [name, r] of requestOf) this.buffers.set(name, slotBuffers[assignment.slotOf[r]!]!);

    // One scratch buffer serves every step's scratch bindings: a step's dispatches use it in turn, and the next
    // step's writes are ordered after them in the same queue.
    const all = lowered.dispatches.flatMap((l) => (l ? [...(l.specialized ?? []), ...(l.generic ?? [])] : []));
    const scratchBytes = all.reduce((most, d) => d.bindings.reduce((m, b) => (b.kind === 'scratch' ? Math.max(m, b.bytes) : m), most), 0);
    this.scratch = scratchBytes > 0 ? this.makeBuffer(Math.ceil(scratchBytes / 16) * 16, 'scratch') : undefined;
    this.peakBytes = assignment.peakBytes + scratchBytes;
  }

  /** Where a value lives (see Root). */
  rootOf(name: string): Root {
    return this.lowered.roots.get(name)!;
  }

  /** The buffer holding value `name`; a constant is uploaded the first time it is asked for. */
  bufferOfValue(name: string): GPUBuffer {
    const root = this.rootOf(name);
    if (root.kind === 'const') {
      let b = this.buffers.get(root.name);
      if (!b) { b = this.upload(this.graph.constants.get(root.name)!.data, `constant ${root.name}`); this.buffers.set(root.name, b); }
      return b;
    }
    return this.buffers.get(root.name)!;
  }

  /** The step's dispatches with their bind groups made (kernel data uploaded once per array), pipelines not yet asked for. */
  prepare(cache: PipelineCache, step: PlannedStep, label: string, dispatches: readonly GpuDispatch[] | undefined): PreparedDispatch[] | undefined {
    if (!dispatches) return undefined;
    return dispatches.map((d) => {
      const signature = d.bindings.map(bindingSignature).join('');
      const resources = d.bindings.map((b: GpuBinding) => {
        if (b.kind === 'input') return this.bufferOfValue(step.inputs[b.index]!);
        if (b.kind === 'output') return this.bufferOfValue(step.outputs[b.index]!);
        if (b.kind === 'scratch') return this.scratch!;
        let buf = this.dataBuffers.get(b.data);
        if (!buf) {
          buf = b.kind === 'uniform'
            ? this.upload(b.data, `${label} shape`, BufferUsage.UNIFORM | BufferUsage.COPY_DST)
            : this.upload(b.data, `${label} data`);
          this.dataBuffers.set(b.data, buf);
        }
        return buf;
      });
      const bindGroup = this.device.createBindGroup({
        layout: cache.layout(signature),
        entries: resources.map((buffer, binding) => ({ binding, resource: { buffer } })),
        label,
      });
      return { shader: d.shader, signature, label, bindGroup, workgroups: d.workgroups };
    });
  }

  destroy(): void {
    for (const b of this.owned) b.destroy();
  }

  private makeBuffer(size: number, label: string, usage = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST): GPUBuffer {
    const b = this.device.createBuffer({ size, usage, label });
    this.owned.push(b);
    return b;
  }

  /** A buffer created mapped and filled in place: one copy of the weights, no staging buffer behind a queue write. */
  private upload(data: ArrayBufferView, label: string, usage = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST): GPUBuffer {
    const bytes = bytesOf(data);
    const b = this.device.createBuffer({ size: bytes.byteLength, usage, label, mappedAtCreation: true });
    this.owned.push(b);
    new Uint8Array(b.getMappedRange()).set(bytes);
    b.unmap();
    return b;
  }
}
