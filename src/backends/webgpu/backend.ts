import type { StaticGraph } from '../../graph/specialize.js';
import type { TensorData } from '../../core/ir.js';
import type { Backend, ExecutionPlan, KernelRequestTimeline, KernelTiers, PlanRunRequest } from '../plan.js';
import type { GpuDevice } from './device.js';
import { PipelineCache } from './pipeline-cache.js';
import { WebGpuPlan } from './plan.js';
import { storageFor } from './precision.js';
import type { Precision } from '../plan.js';
import { lowerGraph } from './lowering.js';
import { firstTierKeys, requestPipelines, specializedTierKeys } from './tiers.js';
import { runPlansTogether, type PlanRun } from './run-group.js';

/** Runs compiled plans of WGSL kernels on one GPU device (browser navigator.gpu, or Dawn in Node). */
export class WebGpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly description: string;
  private readonly pipelines: PipelineCache;

  constructor(readonly gpu: GpuDevice) {
    this.description = gpu.description;
    this.pipelines = PipelineCache.of(gpu.device);
  }

  /** The device every plan of this backend runs on. */
  get device(): GPUDevice {
    return this.gpu.device;
  }

  /** True when the adapter is a CPU implementation (SwiftShader and the like). */
  get isSoftware(): boolean {
    return this.gpu.isSoftware;
  }

  async compile(graph: StaticGraph, options: { profiling: boolean; kernels?: KernelTiers; precision?: Precision }): Promise<ExecutionPlan> {
    return WebGpuPlan.compile(this.gpu, this.pipelines, graph, options);
  }

  /**
   * See Backend.requestKernels: lowers `graph` and compiles the pipelines of the tier its plan would run first, and
   * with `specialized` those of the specialised tier too (a plan made later whose specialised pipelines all exist
   * runs them from its first run).
   */
  async requestKernels(graph: StaticGraph, options: { kernels?: KernelTiers; specialized?: boolean; precision?: Precision }): Promise<KernelRequestTimeline> {
    const tier = options.kernels ?? 'tiered';
    const storage = storageFor(this.gpu, options.precision);
    const lowered = lowerGraph(graph, tier, this.gpu.isSoftware, this.gpu.device.limits.maxComputeWorkgroupsPerDimension, storage, this.gpu.subgroupMatrix);
    const keys = firstTierKeys(graph, lowered, tier);
    if (options.specialized && tier === 'tiered') keys.push(...specializedTierKeys(graph, lowered));
    const requested = performance.now();
    const settled = await requestPipelines(this.pipelines, keys);
    const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
    return { requested, pipelinesReady: performance.now() };
  }

  /** See Backend.runTogether: every plan a groupable WebGpuPlan on this backend's device, else undefined. */
  runTogether(runs: readonly PlanRunRequest[], prelude?: GPUCommandEncoder): Promise<Map<string, TensorData>[]> | undefined {
    const group: PlanRun[] = [];
    for (const r of runs) {
      if (!(r.plan instanceof WebGpuPlan) || !r.plan.groupable || r.plan.device !== this.gpu.device) return undefined;
      group.push({ plan: r.plan, feeds: r.feeds, fetches: r.fetches });
    }
    return runPlansTogether(this.gpu, group, prelude);
  }

  dispose(): void {
    this.gpu.release();
  }
}
