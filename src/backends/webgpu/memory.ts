import { BYTES_PER_ELEMENT, elementCount } from '../../core/ir.js';
import { narrowToFloat16Bits } from '../../core/float16.js';
import { Storage } from '../../ops/kernel/storage.js';
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

/** Whether a value of type `t` is held as `storage` stores floats (float32 values; other types keep their own). */
export function isStoredFloat(t: ValueType, storage: Storage): boolean {
  return storage.half && t.type === 'float32';
}

/** Bytes of a value's buffer as the plan stores it: float32 values as `storage` says, whole 32-bit words. */
export function storedBytes(t: ValueType, storage: Storage): number {
  if (!isStoredFloat(t, storage)) return paddedBytes(t);
  return Math.max(4, Math.ceil((elementCount(t.dims) * storage.bytes) / 4) * 4);
}

/** Kernel data as it is uploaded: float data in the storage's format unless `exact` (see GpuBinding). */
export function storedData(data: Float32Array | Int32Array | Uint32Array, storage: Storage, exact = false): ArrayBufferView {
  return storage.half && !exact && data instanceof Float32Array ? narrowToFloat16Bits(data) : data;
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
export function activationRequests(graph: StaticGraph, lowered: LoweredGraph, storage = Storage.f32): { requests: BufferRequest[]; requestOf: Map<string, number> } {
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
      requests.push({ def: i, lastUse: lastUse.get(o) ?? i, bytes: storedBytes(step.outputTypes[k]!, storage) });
    });
  });
  return { requests, requestOf };
}

/**
 * A plan's GPU memory: pooled activation slots assigned by liveness, one buffer per graph input, constants and
 * kernel data uploaded on first use, one scratch buffer, and the bind groups that tie dispatches to them.
 * With f16 storage every float32 value is held as halves, except at the boundary, which stays float32: each
 * float32 input has its float32 buffer (what feeds write) and a half twin the kernels read, each float32 output
 * slot a float32 buffer the run converts it into (what read-back and GPU-resident outputs see).
 */
export class PlanMemory {
  /** Every buffer this plan created, destroyed with it. */
  readonly owned: GPUBuffer[] = [];
  /** The buffer of each input (as fed), activation and uploaded constant, by value name. */
  readonly buffers = new Map<string, GPUBuffer>();
  /** f16 storage: the half twin of each float32 input, which the kernels bind. */
  readonly halfInputs = new Map<string, GPUBuffer>();
  /** f16 storage: the float32 copy of each float32 output held in a slot, written at the end of every run. */
  readonly wideOutputs = new Map<string, GPUBuffer>();
  /** Bytes of activations and scratch the plan holds. */
  readonly peakBytes: number;
  private readonly dataBuffers = new Map<object, GPUBuffer>();
  private readonly wideConstants = new Map<string, GPUBuffer>();
  private readonly scratch: GPUBuffer | undefined;

  constructor(private readonly device: GPUDevice, private readonly graph: StaticGraph, private readonly lowered: LoweredGraph, readonly storage = Storage.f32) {
    const { requests, requestOf } = activationRequests(graph, lowered, storage);
    const assignment = planBuffers(requests, graph.steps.length);
    const slotBuffers = assignment.slotBytes.map((size, s) => this.makeBuffer(size, `activation slot ${s}`));
    let boundaryBytes = 0;
    for (const input of graph.inputs) {
      this.buffers.set(input.name, this.makeBuffer(paddedBytes(input.type), `input ${input.name}`));
      if (isStoredFloat(input.type, storage)) {
        this.halfInputs.set(input.name, this.makeBuffer(storedBytes(input.type, storage), `input ${input.name} (f16)`));
        boundaryBytes += storedBytes(input.type, storage);
      }
    }
    for (const [name, r] of requestOf) this.buffers.set(name, slotBuffers[assignment.slotOf[r]!]!);
    for (const name of new Set(graph.outputs)) {
      const t = lowered.types.get(name)!;
      if (lowered.roots.get(name)?.kind !== 'slot' || !isStoredFloat(t, storage)) continue;
      this.wideOutputs.set(name, this.makeBuffer(paddedBytes(t), `output ${name} (f32)`));
      boundaryBytes += paddedBytes(t);
    }

    // One scratch buffer serves every step's scratch bindings: a step's dispatches use it in turn, and the next
    // step's writes are ordered after them in the same queue.
    const all = lowered.dispatches.flatMap((l) => (l ? [...(l.specialized ?? []), ...(l.generic ?? [])] : []));
    const scratchBytes = all.reduce((most, d) => d.bindings.reduce((m, b) => (b.kind === 'scratch' ? Math.max(m, b.bytes) : m), most), 0);
    this.scratch = scratchBytes > 0 ? this.makeBuffer(Math.ceil(scratchBytes / 16) * 16, 'scratch') : undefined;
    this.peakBytes = assignment.peakBytes + scratchBytes + boundaryBytes;
  }

  /** Where a value lives (see Root). */
  rootOf(name: string): Root {
    return this.lowered.roots.get(name)!;
  }

  /**
   * The buffer kernels bind for value `name`, as the plan stores it; a constant is uploaded the first time it is
   * asked for (float32 constants as halves with f16 storage).
   */
  bufferOfValue(name: string): GPUBuffer {
    const root = this.rootOf(name);
    if (root.kind === 'const') {
      let b = this.buffers.get(root.name);
      if (!b) {
        const c = this.graph.constants.get(root.name)!;
        const data = isStoredFloat(c, this.storage) ? narrowToFloat16Bits(c.data as Float32Array) : c.data;
        b = this.upload(data, `constant ${root.name}`);
        this.buffers.set(root.name, b);
      }
      return b;
    }
    if (root.kind === 'input') return this.halfInputs.get(root.name) ?? this.buffers.get(root.name)!;
    return this.buffers.get(root.name)!;
  }

  /**
   * The buffer a fetched output is read from: its float32 copy with f16 storage (the input's own buffer when the
   * output is an input), else the value's buffer.
   */
  fetchBuffer(name: string): GPUBuffer {
    const root = this.rootOf(name);
    if (root.kind === 'input') return this.buffers.get(root.name)!;
    const c = root.kind === 'const' ? this.graph.constants.get(root.name)! : undefined;
    if (c && isStoredFloat(c, this.storage)) {
      // A constant output handed out on the GPU: a float32 copy beside the halves the kernels bind.
      let b = this.wideConstants.get(root.name);
      if (!b) { b = this.upload(c.data, `constant ${root.name} (f32)`); this.wideConstants.set(root.name, b); }
      return b;
    }
    return this.wideOutputs.get(name) ?? this.bufferOfValue(name);
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
            : this.upload(storedData(b.data, this.storage, b.exact), `${label} data`);
          this.dataBuffers.set(b.data, buf);
        }
        return buf;
      });
      const bindGroup = this.device.createBindGroup({
        layout: cache.layout(signature),
        entries: resources.map((buffer, binding) => ({ binding, resource: { buffer } })),
        label,
      });
      return { shader: d.shader, signature, label, bindGroup, workgroups: d.workgroups, ...(d.fallbackShader === undefined ? {} : { fallback: d.fallbackShader }) };
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
