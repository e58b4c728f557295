import { findGpuKernel } from '../../ops/registry.js';
import type { GpuBinding, GpuDispatch } from '../../ops/kernel/gpu-dispatch.js';
import type { GpuLowering } from '../../ops/kernel/gpu-kernel.js';
import { ShapeValues } from '../../ops/kernel/shape-values.js';
import type { ValueType } from '../../ops/kernel/op-module.js';
import { BackendError } from '../../core/errors.js';
import { allocateTyped, BYTES_PER_ELEMENT, elementCount, nodeLabel, type TensorData } from '../../core/ir.js';
import { withNodeContext, type PlannedStep, type StaticGraph } from '../../graph/specialize.js';
import type { ExecutionPlan, KernelTiers, PlanFeed, StepTiming } from '../plan.js';
import { GpuTensor } from '../../core/tensor.js';
import { planBuffers, type BufferRequest } from './buffer-plan.js';
import type { GpuDevice } from './device.js';
import { BufferUsage, MapMode } from './gpu-constants.js';
import type { LayoutSignature, PipelineCache } from './pipeline-cache.js';

/** Where a value lives: an activation slot, a graph input's buffer, or a constant (weights, folded values). */
type Root = { readonly kind: 'slot'; readonly name: string } | { readonly kind: 'input'; readonly name: string } | { readonly kind: 'const'; readonly name: string };

interface CompiledDispatch {
  readonly pipeline: GPUComputePipeline;
  readonly bindGroup: GPUBindGroup;
  readonly workgroups: readonly [number, number, number];
}

type Item =
  | { readonly kind: 'gpu'; readonly step: number; readonly dispatches: readonly CompiledDispatch[] }
  | { readonly kind: 'cpu'; readonly step: number };

/** A step runs dispatches, its CPU reference, or nothing (a relabelled view of its input's buffer). */
type Placement = 'gpu' | 'cpu' | 'alias';

/** What names a dispatch's pipeline in the cache. */
interface PipelineKey {
  readonly shader: string;
  readonly signature: LayoutSignature;
  readonly label: string;
}

/** A dispatch with its bind group made and its pipeline not yet requested. */
interface PreparedDispatch extends PipelineKey {
  readonly bindGroup: GPUBindGroup;
  readonly workgroups: readonly [number, number, number];
}

export interface WebGpuPlanOptions {
  readonly profiling: boolean;
  readonly kernels?: KernelTiers;
  /** Overrides the adapter's kind when choosing kernel variants (tests run both on one adapter). */
  readonly software?: boolean;
}

function bindingSignature(b: GpuBinding): string {
  return b.kind === 'output' || b.kind === 'scratch' ? 'w' : b.kind === 'uniform' ? 'u' : 'r';
}

/**
 * Requests every pipeline of a tier at once (the driver may compile them in parallel). Settled, so a failure waits
 * for whoever assembles the tier instead of becoming an unhandled rejection.
 */
function requestPipelines(cache: PipelineCache, tier: readonly (readonly PipelineKey[])[]): Promise<PromiseSettledResult<GPUComputePipeline>[]> {
  return Promise.allSettled(tier.flatMap((ds) => ds.map((d) => cache.get(d.shader, d.signature, d.label))));
}

/** The tier's dispatches with the pipelines `requestPipelines` gave for the same tier, or its first failure. */
async function assembleTier(tier: readonly (readonly PreparedDispatch[])[], requested: Promise<PromiseSettledResult<GPUComputePipeline>[]>): Promise<CompiledDispatch[][]> {
  const settled = await requested;
  const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
  const pipelines = (settled as PromiseFulfilledResult<GPUComputePipeline>[]).map((r) => r.value);
  let next = 0;
  return tier.map((ds) => ds.map((d) => ({ pipeline: pipelines[next++]!, bindGroup: d.bindGroup, workgroups: d.workgroups })));
}

function compileTier(cache: PipelineCache, tier: readonly (readonly PreparedDispatch[])[]): Promise<CompiledDispatch[][]> {
  return assembleTier(tier, requestPipelines(cache, tier));
}

/** Buffers are sized in whole 32-bit words: WebGPU copies and bindings work in multiples of 4 bytes. */
function paddedBytes(t: ValueType): number {
  return Math.max(4, Math.ceil((elementCount(t.dims) * BYTES_PER_ELEMENT[t.type]) / 4) * 4);
}

function bytesOf(data: ArrayBufferView): Uint8Array {
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
 * A graph compiled for one set of input shapes: every step lowered to dispatches with their pipelines, bind groups
 * and buffers fixed, so a run is writes of the inputs, one command buffer, and read-back of the requested outputs.
 * Steps whose types have no WGSL kernel (int64 shape arithmetic that was not folded, bool comparisons) run their
 * CPU reference between GPU segments; none of the face models has such a step.
 */
export class WebGpuPlan implements ExecutionPlan {
  private profile: StepTiming[] | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly staging = new Map<number, GPUBuffer>();
  private disposed = false;
  private items: readonly Item[] = [];
  private activeTier: 'generic' | 'specialized' = 'generic';
  /**
   * The specialised tier, until its compilation starts: after the first run when `automatic`, else when
   * `specialized()` asks (see KernelTiers).
   */
  private pendingTier: { readonly cache: PipelineCache; readonly tier: readonly (readonly PreparedDispatch[])[]; readonly automatic: boolean } | undefined;
  private specialization: Promise<void> | undefined;

  private constructor(
    private readonly gpu: GpuDevice,
    private readonly graph: StaticGraph,
    /** Where each step runs; each tier holds one dispatch list per 'gpu' step, in order. */
    private readonly placement: readonly Placement[],
    private readonly roots: ReadonlyMap<string, Root>,
    private readonly types: ReadonlyMap<string, ValueType>,
    private readonly buffers: ReadonlyMap<string, GPUBuffer>,
    private readonly owned: readonly GPUBuffer[],
    private readonly profiling: boolean,
    private readonly dispatchCount: number,
    readonly peakBytes: number,
  ) {}

  /**
   * Lowers, allocates and compiles `graph`. With the 'tiered' kernels (the default) the plan is ready as soon as
   * the generic tier's few pipelines are; the specialised tier starts compiling after the first run (on a software
   * adapter only when `specialized()` asks) and takes over once every one of its pipelines exists.
   */
  static async compile(gpu: GpuDevice, cache: PipelineCache, graph: StaticGraph, options: WebGpuPlanOptions): Promise<WebGpuPlan> {
    const { device } = gpu;
    const tier = options.kernels ?? 'tiered';
    const software = options.software ?? gpu.isSoftware;
    const types = new Map<string, ValueType>();
    const roots = new Map<string, Root>();
    for (const input of graph.inputs) { types.set(input.name, input.type); roots.set(input.name, { kind: 'input', name: input.name }); }
    for (const [name, t] of graph.constants) { types.set(name, { type: t.type, dims: t.dims }); roots.set(name, { kind: 'const', name }); }
    const maxPerDim = device.limits.maxComputeWorkgroupsPerDimension;

    // 1. Lower every step, for each tier the plan compiles: dispatches, a buffer alias, or the CPU reference (the
    //    choice between those three depends on types only, so both tiers make the same one). The generic tier
    //    asks for the simple kernel variants: they compile fastest.
    const lowered = graph.steps.map((step) => {
      step.outputs.forEach((o, k) => { if (o) types.set(o, step.outputTypes[k]!); });
      const kernel = findGpuKernel(step.node.opType, step.node.domain);
      const lower = (generic: boolean): GpuLowering | undefined => kernel && withNodeContext(step.node, () => kernel.lower({
        node: step.node, params: step.params, outputs: step.outputTypes, maxWorkgroupsPerDimension: maxPerDim,
        software: generic || software, shape: generic ? ShapeValues.uniform() : ShapeValues.literal(),
        inputs: step.inputs.map((n) => (n ? types.get(n) : undefined)),
        constants: step.inputs.map((n) => (n ? graph.constants.get(n) : undefined)),
      }));
      const specialized = tier === 'generic' ? undefined : lower(false);
      const generic = tier === 'specialized' ? undefined : lower(true);
      const lowering = specialized ?? generic;
      if (lowering?.kind === 'alias') {
        roots.set(step.outputs[0]!, roots.get(step.inputs[0]!)!);
      } else {
        step.outputs.forEach((o) => { if (o) roots.set(o, { kind: 'slot', name: o }); });
      }
      if (lowering?.kind !== 'dispatches') return lowering;
      return {
        kind: 'dispatches' as const,
        specialized: specialized?.kind === 'dispatches' ? specialized.dispatches : undefined,
        generic: generic?.kind === 'dispatches' ? generic.dispatches : undefined,
      };
    });

    // The first tier's pipelines need only their WGSL, so they are requested before any buffer exists: the driver
    // may compile them while the weights upload (hundreds of MB for the recognisers). `firstTierOf` chooses each
    // step's first-tier dispatches, here and again when their bind groups are made, so the two lists line up.
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const labelOf = (step: PlannedStep): string => `${nodeLabel(step.node)} (${step.node.opType})`;
    const firstTierOf = <T>(l: { readonly specialized?: T; readonly generic?: T }): T => (tier === 'specialized' ? l.specialized! : (l.generic ?? l.specialized!));
    const firstPipelines = requestPipelines(cache, graph.steps.flatMap((step, i) => {
      const l = lowered[i];
      if (l?.kind !== 'dispatches') return [];
      return [firstTierOf(l).map((d) => ({ shader: d.shader, signature: d.bindings.map(bindingSignature).join(''), label: labelOf(step) }))];
    }));

    // 2. Liveness of activation slots, then the pooled assignment.
    const requests: BufferRequest[] = [];
    const requestOf = new Map<string, number>();
    const lastUse = new Map<string, number>();
    graph.steps.forEach((step, i) => {
      for (const n of step.inputs) { const r = n ? roots.get(n) : undefined; if (r?.kind === 'slot') lastUse.set(r.name, i); }
    });
    for (const o of graph.outputs) { const r = roots.get(o); if (r?.kind === 'slot') lastUse.set(r.name, Infinity); }
    graph.steps.forEach((step, i) => {
      if (lowered[i]?.kind === 'alias') return;
      step.outputs.forEach((o, k) => {
        if (!o) return;
        requestOf.set(o, requests.length);
        requests.push({ def: i, lastUse: lastUse.get(o) ?? i, bytes: paddedBytes(step.outputTypes[k]!) });
      });
    });
    const assignment = planBuffers(requests, graph.steps.length);

    const owned: GPUBuffer[] = [];
    const makeBuffer = (size: number, label: string, usage = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST): GPUBuffer => {
      const b = device.createBuffer({ size, usage, label });
      owned.push(b);
      return b;
    };
    const slotBuffers = assignment.slotBytes.map((size, s) => makeBuffer(size, `activation slot ${s}`));
    const buffers = new Map<string, GPUBuffer>();
    for (const input of graph.inputs) buffers.set(input.name, makeBuffer(paddedBytes(input.type), `input ${input.name}`));
    for (const [name, r] of requestOf) buffers.set(name, slotBuffers[assignment.slotOf[r]!]!);
    const dataBuffers = new Map<object, GPUBuffer>();
    const upload = (data: ArrayBufferView, label: string, usage?: number): GPUBuffer => {
      const bytes = bytesOf(data);
      const b = makeBuffer(bytes.byteLength, label, usage);
      device.queue.writeBuffer(b, 0, bytes);
      return b;
    };
    const bufferOfValue = (name: string): GPUBuffer => {
      const root = roots.get(name)!;
      if (root.kind === 'const') {
        let b = buffers.get(root.name);
        if (!b) { b = upload(graph.constants.get(root.name)!.data, `constant ${root.name}`); buffers.set(root.name, b); }
        return b;
      }
      return buffers.get(root.name)!;
    };

    // One scratch buffer serves every step's scratch bindings: a step's dispatches use it in turn, and the next
    // step's writes are ordered after them in the same queue.
    const allDispatches = lowered.flatMap((l) => (l?.kind === 'dispatches' ? [...(l.specialized ?? []), ...(l.generic ?? [])] : []));
    const scratchBytes = allDispatches.reduce((most, d) => d.bindings.reduce((m, b) => (b.kind === 'scratch' ? Math.max(m, b.bytes) : m), most), 0);
    const scratch = scratchBytes > 0 ? makeBuffer(Math.ceil(scratchBytes / 16) * 16, 'scratch') : undefined;

    // 3. Bind groups of both tiers, then the pipelines of the tier that runs first (all requested at once).
    const prepare = (step: PlannedStep, dispatches: readonly GpuDispatch[] | undefined): PreparedDispatch[] | undefined => {
      if (!dispatches) return undefined;
      const label = labelOf(step);
      return dispatches.map((d) => {
        const signature = d.bindings.map(bindingSignature).join('');
        const resources = d.bindings.map((b: GpuBinding) => {
          if (b.kind === 'input') return bufferOfValue(step.inputs[b.index]!);
          if (b.kind === 'output') return bufferOfValue(step.outputs[b.index]!);
          if (b.kind === 'scratch') return scratch!;
          let buf = dataBuffers.get(b.data);
          if (!buf) {
            buf = b.kind === 'uniform'
              ? upload(b.data, `${label} shape`, BufferUsage.UNIFORM | BufferUsage.COPY_DST)
              : upload(b.data, `${label} data`);
            dataBuffers.set(b.data, buf);
          }
          return buf;
        });
        const bindGroup = device.createBindGroup({
          layout: cache.layout(signature),
          entries: resources.map((buffer, binding) => ({ binding, resource: { buffer } })),
          label,
        });
        return { shader: d.shader, signature, label, bindGroup, workgroups: d.workgroups };
      });
    };
    const placement: Placement[] = lowered.map((l) => (l === undefined ? 'cpu' : l.kind === 'alias' ? 'alias' : 'gpu'));
    const specializedTier: (readonly PreparedDispatch[])[] = [];
    const genericTier: (readonly PreparedDispatch[])[] = [];
    const firstTier: (readonly PreparedDispatch[])[] = [];
    graph.steps.forEach((step, i) => {
      const l = lowered[i];
      if (l?.kind !== 'dispatches') return;
      const spec = prepare(step, l.specialized);
      const gen = prepare(step, l.generic);
      // With 'specialized' kernels there is no generic lowering; kernels that take no ShapeValues (Concat, Slice…)
      // still give a generic-tier lowering, just with literal numbers.
      if (spec) specializedTier.push(spec);
      genericTier.push(gen ?? spec!);
      firstTier.push(firstTierOf({ specialized: spec, generic: gen }));
    });
    const later = tier === 'tiered' ? specializedTier : undefined;
    let first: CompiledDispatch[][];
    let failure: unknown;
    try { first = await assembleTier(firstTier, firstPipelines); } catch (error) { failure = error; first = []; }
    const validation = await device.popErrorScope();
    const oom = await device.popErrorScope();
    const scopeError = validation ?? oom;
    if (failure || scopeError) {
      for (const b of owned) b.destroy();
      if (failure) throw failure;
      throw new BackendError('webgpu', `compiling the plan failed: ${scopeError!.message}`);
    }
    const dispatchCount = Math.max(...[specializedTier, genericTier].map((t) => t.reduce((n, ds) => n + ds.length, 0)));
    const plan = new WebGpuPlan(gpu, graph, placement, roots, types, buffers, owned, options.profiling, dispatchCount, assignment.peakBytes + scratchBytes);
    plan.install(first, tier === 'specialized' ? 'specialized' : 'generic');
    // On a CPU-emulated adapter the specialised tier compiles several times slower than the generic one and runs
    // barely faster (SwiftShader, scrfd_2.5g@160: 17.0 s against 9.1 s to the first result, 4.31 s against
    // 4.60 s a warm run), on the cores that run the model, so it waits to be asked for.
    if (later && later.length > 0) plan.pendingTier = { cache, tier: later, automatic: !gpu.isSoftware };
    else plan.specialization = Promise.resolve();
    return plan;
  }

  /** The kernels runs use now (see ExecutionPlan.kernels). */
  get kernels(): 'generic' | 'specialized' {
    return this.activeTier;
  }

  /**
   * Resolves once runs use the specialised kernels: starts their compilation if the first run has not already
   * (at once for a plan of one tier). Rejects with the compilation's BackendError if one of them fails; runs then
   * keep the generic kernels, which are correct, only slower.
   */
  specialized(): Promise<void> {
    if (!this.specialization) {
      const pending = this.pendingTier!;
      this.pendingTier = undefined;
      this.specialization = compileTier(pending.cache, pending.tier).then((compiled) => {
        if (!this.disposed) this.install(compiled, 'specialized');
      });
      // Callers may never ask; the failure stays available to those who do.
      this.specialization.catch(() => undefined);
    }
    return this.specialization;
  }

  private install(tier: readonly CompiledDispatch[][], kind: 'generic' | 'specialized'): void {
    const items: Item[] = [];
    let gpuIndex = 0;
    this.placement.forEach((where, step) => {
      if (where === 'gpu') items.push({ kind: 'gpu', step, dispatches: tier[gpuIndex++]! });
      else if (where === 'cpu') items.push({ kind: 'cpu', step });
    });
    this.items = items;
    this.activeTier = kind;
  }

  run(feeds: ReadonlyMap<string, PlanFeed>, fetches: readonly string[]): Promise<Map<string, TensorData>> {
    // Runs share the plan's buffers, so they take turns.
    const result = this.queue.then(() => this.runExclusive(feeds, fetches));
    this.queue = result.catch(() => undefined);
    if (this.pendingTier?.automatic) {
      // The first result is what a cold start waits for: the specialised kernels start compiling after it is
      // delivered (a timer, so the caller's continuation runs first).
      void result.then(() => setTimeout(() => { if (this.pendingTier && !this.disposed) void this.specialized().catch(() => undefined); }, 0), () => undefined);
    }
    return result;
  }

  lastProfile(): readonly StepTiming[] | undefined {
    return this.profile;
  }

  inputBuffer(name: string): GPUBuffer | undefined {
    return this.graph.inputs.some((i) => i.name === name) ? this.buffers.get(name) : undefined;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    void this.queue.then(() => {
      for (const b of this.owned) b.destroy();
      for (const b of this.staging.values()) b.destroy();
    });
  }

  private checkAlive(): void {
    if (this.disposed) throw new BackendError('webgpu', 'the plan was disposed (the session was released)');
    const lost = this.gpu.lostReason();
    if (lost !== undefined) throw new BackendError('webgpu', `the GPU device was lost (${lost}); create the session again`);
  }

  private async runExclusive(feeds: ReadonlyMap<string, PlanFeed>, fetches: readonly string[]): Promise<Map<string, TensorData>> {
    this.checkAlive();
    const { device } = this.gpu;
    device.pushErrorScope('validation');
    let scopeOpen = true;
    try {
      let encoder = device.createCommandEncoder();
      for (const input of this.graph.inputs) {
        const t = feeds.get(input.name);
        if (!t) throw new BackendError('webgpu', `no feed for input '${input.name}'`);
        const target = this.buffers.get(input.name)!;
        if (!(t instanceof GpuTensor)) {
          device.queue.writeBuffer(target, 0, bytesOf(t.data));
        } else if (t.buffer !== target || t.byteOffset !== 0) {
          // A GPU-resident feed elsewhere: one device-side copy, ordered before the first dispatch.
          const bytes = Math.min(Math.ceil(t.byteLength / 4) * 4, t.buffer.size - t.byteOffset, target.size);
          encoder.copyBufferToBuffer(t.buffer, t.byteOffset, target, 0, bytes);
        }
        // else: the producer wrote the plan's own input buffer (session.gpuInput); nothing to move.
      }
      const timestamps = this.profiling && this.gpu.hasTimestamps && this.dispatchCount > 0
        ? device.createQuerySet({ type: 'timestamp', count: Math.min(2 * this.dispatchCount, 4096) })
        : undefined;
      const profile: StepTiming[] = [];
      const queryOwner: number[] = [];
      let pass: GPUComputePassEncoder | undefined;
      const endPass = (): void => { pass?.end(); pass = undefined; };
      for (const item of this.items) {
        const step = this.graph.steps[item.step]!;
        if (item.kind === 'cpu') {
          endPass();
          device.queue.submit([encoder.finish()]);
          const start = performance.now();
          await this.runOnCpu(step);
          if (this.profiling) profile.push(timing(step, performance.now() - start));
          encoder = device.createCommandEncoder();
          continue;
        }
        if (this.profiling && !timestamps) {
          // No timestamp queries: time each step by waiting for it (slower, but honest per-step numbers).
          endPass();
          device.queue.submit([encoder.finish()]);
          await device.queue.onSubmittedWorkDone();
          encoder = device.createCommandEncoder();
          const start = performance.now();
          const p = encoder.beginComputePass();
          for (const d of item.dispatches) { p.setPipeline(d.pipeline); p.setBindGroup(0, d.bindGroup); p.dispatchWorkgroups(...d.workgroups); }
          p.end();
          device.queue.submit([encoder.finish()]);
          await device.queue.onSubmittedWorkDone();
          profile.push(timing(step, performance.now() - start));
          encoder = device.createCommandEncoder();
          continue;
        }
        for (const d of item.dispatches) {
          if (timestamps && queryOwner.length * 2 < timestamps.count) {
            endPass();
            const q = queryOwner.length * 2;
            queryOwner.push(item.step);
            const p = encoder.beginComputePass({ timestampWrites: { querySet: timestamps, beginningOfPassWriteIndex: q, endOfPassWriteIndex: q + 1 } });
            p.setPipeline(d.pipeline); p.setBindGroup(0, d.bindGroup); p.dispatchWorkgroups(...d.workgroups);
            p.end();
            continue;
          }
          pass ??= encoder.beginComputePass();
          pass.setPipeline(d.pipeline);
          pass.setBindGroup(0, d.bindGroup);
          pass.dispatchWorkgroups(...d.workgroups);
        }
      }
      endPass();
      const reads = fetches.filter((name) => this.roots.get(name)?.kind !== 'const').map((name) => ({ name, buffer: this.bufferOf(name), bytes: paddedBytes(this.types.get(name)!) }));
      let queryBuffer: GPUBuffer | undefined;
      if (timestamps && queryOwner.length > 0) {
        queryBuffer = device.createBuffer({ size: queryOwner.length * 16, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC });
        encoder.resolveQuerySet(timestamps, 0, queryOwner.length * 2, queryBuffer, 0);
        reads.push({ name: '', buffer: queryBuffer, bytes: queryOwner.length * 16 });
      }
      const bytes = await this.readBack(encoder, reads);
      const result = new Map<string, TensorData>();
      fetches.forEach((name) => {
        const t = this.types.get(name)!;
        const root = this.roots.get(name)!;
        if (root.kind === 'const') { result.set(name, { type: t.type, dims: t.dims, data: this.graph.constants.get(root.name)!.data }); return; }
        result.set(name, tensorFromBytes(t, bytes.get(name)!));
      });
      if (queryBuffer) {
        const ns = new BigInt64Array(bytes.get('')!.buffer, 0, queryOwner.length * 2);
        const perStep = new Map<number, number>();
        queryOwner.forEach((s, k) => perStep.set(s, (perStep.get(s) ?? 0) + Number(ns[2 * k + 1]! - ns[2 * k]!) / 1e6));
        for (const [s, ms] of perStep) profile.push(timing(this.graph.steps[s]!, ms));
        queryBuffer.destroy();
      }
      timestamps?.destroy();
      if (this.profiling) this.profile = profile;
      scopeOpen = false;
      const error = await device.popErrorScope();
      if (error) throw new BackendError('webgpu', `run failed: ${error.message}`);
      return result;
    } catch (error) {
      if (scopeOpen) await device.popErrorScope().catch(() => undefined);
      const lost = this.gpu.lostReason();
      if (lost !== undefined && !(error instanceof BackendError)) {
        throw new BackendError('webgpu', `the GPU device was lost (${lost}); create the session again`, { cause: error });
      }
      throw error;
    }
  }

  private bufferOf(name: string): GPUBuffer {
    return this.buffers.get(this.roots.get(name)!.name)!;
  }

  /** Submits `encoder` with copies of the given buffers into mappable staging buffers and returns their bytes. */
  private async readBack(encoder: GPUCommandEncoder, reads: readonly { name: string; buffer: GPUBuffer; bytes: number }[]): Promise<Map<string, Uint8Array>> {
    const { device } = this.gpu;
    let offset = 0;
    const placed = reads.map((r) => { const at = offset; offset += Math.ceil(r.bytes / 8) * 8; return { ...r, at }; });
    const total = Math.max(8, offset);
    let staging: GPUBuffer | undefined;
    if (reads.length > 0) {
      staging = this.stagingBuffer(total);
      for (const r of placed) encoder.copyBufferToBuffer(r.buffer, 0, staging, r.at, r.bytes);
    }
    device.queue.submit([encoder.finish()]);
    const out = new Map<string, Uint8Array>();
    if (!staging) return out;
    await staging.mapAsync(MapMode.READ, 0, total);
    const mapped = new Uint8Array(staging.getMappedRange(0, total));
    for (const r of placed) out.set(r.name, mapped.slice(r.at, r.at + r.bytes));
    staging.unmap();
    return out;
  }

  /** One reusable mappable buffer per size class, so steady-state runs allocate nothing on the GPU. */
  private stagingBuffer(bytes: number): GPUBuffer {
    const size = 2 ** Math.ceil(Math.log2(bytes));
    let b = this.staging.get(size);
    if (!b) {
      b = this.gpu.device.createBuffer({ size, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST, label: 'read-back' });
      this.staging.set(size, b);
    }
    return b;
  }

  private async runOnCpu(step: PlannedStep): Promise<void> {
    const wanted = step.inputs.filter((n) => n && this.roots.get(n)!.kind !== 'const');
    const bytes = await this.readBack(this.gpu.device.createCommandEncoder(),
      wanted.map((name) => ({ name, buffer: this.bufferOf(name), bytes: paddedBytes(this.types.get(name)!) })));
    const inputs = step.inputs.map((name) => {
      if (!name) return undefined;
      const t = this.types.get(name)!;
      const root = this.roots.get(name)!;
      if (root.kind === 'const') return { type: t.type, dims: t.dims, data: this.graph.constants.get(root.name)!.data };
      return tensorFromBytes(t, bytes.get(name)!);
    });
    const outputs = withNodeContext(step.node, () => step.module.cpu(step.params, inputs, step.outputTypes));
    step.outputs.forEach((name, k) => {
      if (name) this.gpu.device.queue.writeBuffer(this.bufferOf(name), 0, bytesOf(outputs[k]!.data));
    });
  }
}

function timing(step: PlannedStep, ms: number): StepTiming {
  return { node: nodeLabel(step.node), opType: step.node.opType, ms };
}

function tensorFromBytes(t: ValueType, bytes: Uint8Array): TensorData {
  const data = allocateTyped(t.type, elementCount(t.dims));
  new Uint8Array(data.buffer, data.byteOffset, data.byteLength).set(bytes.subarray(0, data.byteLength));
  return { type: t.type, dims: t.dims, data };
}
