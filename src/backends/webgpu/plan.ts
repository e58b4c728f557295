import { BackendError } from '../../core/errors.js';
import type { TensorData } from '../../core/ir.js';
import type { ValueType } from '../../ops/kernel/op-module.js';
import type { StaticGraph } from '../../graph/specialize.js';
import type { CompileTimes, ExecutionPlan, KernelTiers, PlanFeed, Precision, StepTiming } from '../plan.js';
import { boundaryConversions, storageFor } from './precision.js';
import { GpuTensor } from '../../core/tensor.js';
import { runStepOnCpu } from './cpu-fallback.js';
import type { GpuDevice } from './device.js';
import { BufferUsage } from './gpu-constants.js';
import { lowerGraph, type Placement } from './lowering.js';
import { paddedBytes, PlanMemory } from './memory.js';
import { constantFetch, refuseUnreadableGpuFeeds, writeFeeds } from './plan-io.js';
import type { PipelineCache } from './pipeline-cache.js';
import { ReadBack, tensorFromBytes, type Read } from './readback.js';
import { recordItems, stepTimesFromQueries } from './record.js';
import { assembleTier, compileTier, firstTierKeys, itemsOf, prepareTiers, requestPipelines, type CompiledDispatch, type Item, type PreparedDispatch, type Tier } from './tiers.js';

export interface WebGpuPlanOptions {
  readonly profiling: boolean;
  readonly kernels?: KernelTiers;
  /** Overrides the adapter's kind when choosing kernel variants (tests run both on one adapter). */
  readonly software?: boolean;
  /** What weights and activations are stored as (see Precision); 'fp32' by default. */
  readonly precision?: Precision;
}

/**
 * A graph compiled for one set of input shapes: every step lowered to dispatches with their pipelines, bind groups
 * and buffers fixed, so a run is writes of the inputs, one command buffer, and read-back of the requested outputs.
 * Steps whose types have no WGSL kernel run their CPU reference between GPU segments; none of the face models has
 * such a step.
 */
export class WebGpuPlan implements ExecutionPlan {
  private static made = 0;
  /** Creation order: groups of runs take their plans' turns in this order (see runPlansTogether). */
  readonly serial = WebGpuPlan.made++;
  private profile: StepTiming[] | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly readBack: ReadBack;
  private disposed = false;
  private items: readonly Item[] = [];
  private activeTier: 'generic' | 'specialized' = 'generic';
  /** See ExecutionPlan.compileTimes. */
  compileTimes: Omit<CompileTimes, 'passesMs'> | undefined;
  /**
   * The specialised tier, until its compilation starts: after the first run when `automatic`, else when
   * `specialized()` asks (see KernelTiers).
   */
  private pendingTier: { readonly cache: PipelineCache; readonly tier: Tier<PreparedDispatch>; readonly automatic: boolean } | undefined;
  private specialization: Promise<void> | undefined;
  /** The specialised dispatches that run on subgroup matrices (GpuDevice.subgroupMatrix), and their cache. */
  private matrixKeys: { readonly cache: PipelineCache | undefined; readonly keys: readonly PreparedDispatch[] } = { cache: undefined, keys: [] };

  private constructor(
    private readonly gpu: GpuDevice,
    private readonly graph: StaticGraph,
    /** Where each step runs; each tier holds one dispatch list per 'gpu' step, in order. */
    private readonly placement: readonly Placement[],
    private readonly types: ReadonlyMap<string, ValueType>,
    private readonly memory: PlanMemory,
    private readonly profiling: boolean,
    private readonly dispatchCount: number,
    /** f16 storage: the conversions run before and after the steps (see boundaryConversions). */
    private readonly boundary: { readonly before: readonly CompiledDispatch[]; readonly after: readonly CompiledDispatch[] },
  ) {
    this.readBack = new ReadBack(gpu.device);
  }

  /**
   * Lowers, allocates and compiles `graph`. With the 'tiered' kernels (the default) the plan is ready as soon as
   * the generic tier's few pipelines are; the specialised tier starts compiling after the first run (on a software
   * adapter only when `specialized()` asks) and takes over once every one of its pipelines exists.
   */
  static async compile(gpu: GpuDevice, cache: PipelineCache, graph: StaticGraph, options: WebGpuPlanOptions): Promise<WebGpuPlan> {
    const { device } = gpu;
    const tier = options.kernels ?? 'tiered';
    const storage = storageFor(gpu, options.precision);
    const started = performance.now();
    const lowered = lowerGraph(graph, tier, options.software ?? gpu.isSoftware, device.limits.maxComputeWorkgroupsPerDimension, storage, gpu.subgroupMatrix);

    // The first tier's pipelines need only their WGSL, so they are requested before any buffer exists: the driver
    // may compile them while the weights upload (hundreds of MB for the recognisers).
    // Error scopes open and close around synchronous work only: sessions compiling at once on one device
    // (FaceAnalysis.create) interleave at every await, and a scope open across one would catch another's errors.
    device.pushErrorScope('validation');
    const firstPipelines = requestPipelines(cache, firstTierKeys(graph, lowered, tier));
    const requestError = device.popErrorScope();

    const requested = performance.now();
    let pipelinesReady = requested;
    void firstPipelines.then(() => { pipelinesReady = performance.now(); });
    // A turn of the event loop before the upload: sessions compiled together (FaceAnalysis.create) all request their
    // pipelines before any of them uploads its weights, so the driver compiles while the weights go up.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const uploadStart = performance.now();
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const memory = new PlanMemory(device, graph, lowered, storage);
    const edges = boundaryConversions(device, cache, graph, memory, device.limits.maxComputeWorkgroupsPerDimension);
    // Bind groups of both tiers, then the pipelines of the tier that runs first (all requested above).
    const { specializedTier, genericTier, firstTier } = prepareTiers(graph, lowered, tier, (step, label, dispatches) => memory.prepare(cache, step, label, dispatches));
    const validationError = device.popErrorScope();
    const oomError = device.popErrorScope();
    const uploadMs = performance.now() - uploadStart;
    let first: CompiledDispatch[][];
    let failure: unknown;
    let boundary: { before: CompiledDispatch[]; after: CompiledDispatch[] } = { before: [], after: [] };
    try {
      first = await assembleTier(firstTier, firstPipelines);
      const [before, after] = await compileTier(cache, [edges.before, edges.after]);
      boundary = { before: before!, after: after! };
    } catch (error) { failure = error; first = []; }
    const scopeError = (await requestError) ?? (await validationError) ?? (await oomError);
    if (failure || scopeError) {
      memory.destroy();
      if (failure) throw failure;
      throw new BackendError('webgpu', `compiling the plan failed: ${scopeError!.message}`);
    }
    const dispatchCount = Math.max(...[specializedTier, genericTier].map((t) => t.reduce((n, ds) => n + ds.length, 0)));
    const plan = new WebGpuPlan(gpu, graph, lowered.placement, lowered.types, memory, options.profiling, dispatchCount + edges.before.length + edges.after.length, boundary);
    plan.install(first, tier === 'specialized' ? 'specialized' : 'generic');
    plan.matrixKeys = { cache, keys: specializedTier.flatMap((ds) => ds.filter((d) => d.fallback !== undefined)) };
    plan.compileTimes = {
      lowerMs: requested - started, pipelinesMs: pipelinesReady - requested, uploadMs,
      timeline: { requested, pipelinesReady, uploadStart, uploadEnd: uploadStart + uploadMs },
    };
    // On a CPU-emulated adapter the specialised tier compiles several times slower than the generic one and runs
    // barely faster, on the cores that run the model, so it waits to be asked for.
    const specializedReady = specializedTier.every((ds) => ds.every((d) => cache.isReady(d.shader, d.signature)));
    if (tier === 'tiered' && specializedTier.length > 0 && specializedReady) {
      // Every specialised pipeline was compiled before (session.precompile, or another plan of the same layers): the
      // first run uses them.
      plan.install(await compileTier(cache, specializedTier), 'specialized');
      plan.specialization = Promise.resolve();
    } else if (tier === 'tiered' && specializedTier.length > 0) {
      plan.pendingTier = { cache, tier: specializedTier, automatic: !gpu.isSoftware };
    } else {
      plan.specialization = Promise.resolve();
    }
    return plan;
  }

  /**
   * The specialised tier's dispatches that use subgroup matrices, and those whose variant failed to compile and run
   * the normal f16 tile instead, with the compiler's message. Complete once the specialised tier has compiled
   * (see specialized()); before that a failure not yet seen is not listed.
   */
  get subgroupMatrixStats(): { readonly dispatches: number; readonly fallbacks: readonly { readonly label: string; readonly reason: string }[] } {
    const { cache, keys } = this.matrixKeys;
    const fallbacks = keys.flatMap((k) => {
      const reason = cache?.fallbackOf(k.shader, k.signature);
      return reason === undefined ? [] : [{ label: k.label, reason }];
    });
    return { dispatches: keys.length, fallbacks };
  }

  /** The kernels runs use now (see ExecutionPlan.kernels). */
  get kernels(): 'generic' | 'specialized' {
    return this.activeTier;
  }

  get peakBytes(): number {
    return this.memory.peakBytes;
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

  private install(tier: Tier<CompiledDispatch>, kind: 'generic' | 'specialized'): void {
    // The boundary conversions are items of no step (step −1); they exist only with f16 storage.
    const edge = (dispatches: readonly CompiledDispatch[]): Item[] => (dispatches.length > 0 ? [{ kind: 'gpu', step: -1, dispatches }] : []);
    this.items = [...edge(this.boundary.before), ...itemsOf(this.placement, tier), ...edge(this.boundary.after)];
    this.activeTier = kind;
  }

  run(feeds: ReadonlyMap<string, PlanFeed>, fetches: readonly string[]): Promise<Map<string, TensorData>> {
    return this.enqueue(() => this.runExclusive(feeds, fetches, false)) as Promise<Map<string, TensorData>>;
  }

  /** See ExecutionPlan.runOnGpu: the same commands as `run` without the read-back copies and the wait for them. */
  runOnGpu(feeds: ReadonlyMap<string, PlanFeed>, fetches: readonly string[]): Promise<Map<string, GpuTensor>> {
    return this.enqueue(() => this.runExclusive(feeds, fetches, true)) as Promise<Map<string, GpuTensor>>;
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    // Runs share the plan's buffers, so they take turns.
    const result = this.queue.then(work);
    this.queue = result.catch(() => undefined);
    if (this.pendingTier?.automatic) {
      // The first result is what a cold start waits for: the specialised kernels start compiling after it is
      // delivered (a timer, so the caller's continuation runs first).
      void result.then(() => setTimeout(() => { if (this.pendingTier && !this.disposed) void this.specialized().catch(() => undefined); }, 0), () => undefined);
    }
    return result;
  }

  /** The device the plan runs on. */
  get device(): GPUDevice {
    return this.gpu.device;
  }

  /** Whether runs of this plan can share a command buffer with other runs (see runPlansTogether): no CPU step, no profiling. */
  get groupable(): boolean {
    return !this.profiling && this.items.every((i) => i.kind === 'gpu');
  }

  /** Holds this plan's turn (its runs share its buffers) while `work` runs. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.enqueue(work);
  }

  /** After a failed submit: InputError for a GPU-resident feed over a destroyed buffer or another device's. @internal */
  refuseUnreadableFeeds(feeds: ReadonlyMap<string, PlanFeed>): Promise<void> {
    return refuseUnreadableGpuFeeds(this.gpu.device, this.graph, this.memory, feeds);
  }

  /** The type of value `name` (an output to fetch). */
  typeOf(name: string): ValueType {
    return this.types.get(name)!;
  }

  /**
   * Records one run into a group's command buffer, the caller holding `exclusive`: the feeds reach the input buffers
   * by copies on the device (a CPU feed through a temporary buffer, pushed onto `temporaries`: a queue write would land
   * before every run of the group, and a plan may run more than once in it), then the dispatches in one pass, then
   * each non-constant fetch is copied into `staging` at the offset `place` gives. Returns the constant fetches' data
   * and the other fetches' offsets, which the caller reads once the group's copies have landed.
   */
  recordInGroup(
    encoder: GPUCommandEncoder, feeds: ReadonlyMap<string, PlanFeed>, fetches: readonly string[],
    staging: GPUBuffer, place: (bytes: number) => number, temporaries: GPUBuffer[],
  ): Map<string, TensorData | { readonly at: number; readonly bytes: number }> {
    this.checkAlive();
    writeFeeds(this.gpu.device, this.graph, this.memory, feeds, encoder, temporaries);
    if (this.items.length > 0) {
      const pass = encoder.beginComputePass();
      for (const item of this.items) {
        if (item.kind !== 'gpu') throw new BackendError('webgpu', `step ${item.step} runs on the CPU; the plan cannot join a group`);
        for (const d of item.dispatches) { pass.setPipeline(d.pipeline); pass.setBindGroup(0, d.bindGroup); pass.dispatchWorkgroups(...d.workgroups); }
      }
      pass.end();
    }
    const out = new Map<string, TensorData | { readonly at: number; readonly bytes: number }>();
    for (const name of fetches) {
      const t = this.types.get(name)!;
      const constant = constantFetch(this.graph, this.memory, t, name);
      if (constant) { out.set(name, constant); continue; }
      const bytes = paddedBytes(t);
      const at = place(bytes);
      encoder.copyBufferToBuffer(this.memory.fetchBuffer(name), 0, staging, at, bytes);
      out.set(name, { at, bytes });
    }
    return out;
  }

  /** Bytes the non-constant fetches take in a read-back (see recordInGroup). */
  readBackBytes(fetches: readonly string[]): number[] {
    return fetches.filter((name) => this.memory.rootOf(name).kind !== 'const').map((name) => paddedBytes(this.types.get(name)!));
  }

  lastProfile(): readonly StepTiming[] | undefined {
    return this.profile;
  }

  inputBuffer(name: string): GPUBuffer | undefined {
    return this.graph.inputs.some((i) => i.name === name) ? this.memory.buffers.get(name) : undefined;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    void this.queue.then(() => {
      this.memory.destroy();
      this.readBack.destroy();
    });
  }

  private checkAlive(): void {
    if (this.disposed) throw new BackendError('webgpu', 'the plan was disposed (the session was released)');
    const lost = this.gpu.lostReason();
    if (lost !== undefined) throw new BackendError('webgpu', `the GPU device was lost (${lost}); create the session again`);
  }

  /**
   * One run. `resident`: the fetched outputs stay where the plan computed them and come back as GpuTensors (only a
   * profile's timestamps are read back); otherwise they are copied back and returned as CPU data.
   */
  private async runExclusive(feeds: ReadonlyMap<string, PlanFeed>, fetches: readonly string[], resident: boolean): Promise<Map<string, TensorData> | Map<string, GpuTensor>> {
    this.checkAlive();
    const { device } = this.gpu;
    device.pushErrorScope('validation');
    let scopeOpen = true;
    try {
      const start = device.createCommandEncoder();
      writeFeeds(device, this.graph, this.memory, feeds, start);
      const timestamps = this.profiling && this.gpu.hasTimestamps && this.dispatchCount > 0
        ? device.createQuerySet({ type: 'timestamp', count: Math.min(2 * this.dispatchCount, 4096) })
        : undefined;
      const { encoder, profile, queryOwner } = await recordItems({
        device, steps: this.graph.steps, profiling: this.profiling, timestamps,
        runOnCpu: (step) => runStepOnCpu(device, this.graph, this.memory, this.types, this.readBack, step),
      }, this.items, start);
      const reads: Read[] = resident ? [] : fetches.filter((name) => this.memory.rootOf(name).kind !== 'const')
        .map((name) => ({ name, buffer: this.memory.fetchBuffer(name), bytes: paddedBytes(this.types.get(name)!) }));
      let queryBuffer: GPUBuffer | undefined;
      if (timestamps && queryOwner.length > 0) {
        queryBuffer = device.createBuffer({ size: queryOwner.length * 16, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC });
        encoder.resolveQuerySet(timestamps, 0, queryOwner.length * 2, queryBuffer, 0);
        reads.push({ name: '', buffer: queryBuffer, bytes: queryOwner.length * 16 });
      }
      const bytes = await this.readBack.submit(encoder, reads);
      const result = new Map<string, TensorData>();
      // A constant output is uploaded (once) so that it has a buffer too.
      const onGpu = new Map(resident ? fetches.map((name) => [name, new GpuTensor(this.types.get(name)!.type, this.types.get(name)!.dims, this.memory.fetchBuffer(name))] as const) : []);
      if (!resident) fetches.forEach((name) => {
        const t = this.types.get(name)!;
        result.set(name, constantFetch(this.graph, this.memory, t, name) ?? tensorFromBytes(t, bytes.get(name)!));
      });
      if (queryBuffer) {
        profile.push(...stepTimesFromQueries(this.graph.steps, queryOwner, bytes.get('')!));
        queryBuffer.destroy();
      }
      timestamps?.destroy();
      if (this.profiling) this.profile = profile;
      scopeOpen = false;
      const error = await device.popErrorScope();
      if (error) {
        await this.refuseUnreadableFeeds(feeds);
        throw new BackendError('webgpu', `run failed: ${error.message}`);
      }
      return resident ? onGpu : result;
    } catch (error) {
      if (scopeOpen) await device.popErrorScope().catch(() => undefined);
      const lost = this.gpu.lostReason();
      if (lost !== undefined && !(error instanceof BackendError)) {
        throw new BackendError('webgpu', `the GPU device was lost (${lost}); create the session again`, { cause: error });
      }
      throw error;
    }
  }
}
