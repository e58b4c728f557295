import type { TensorData } from '../core/ir.js';
import type { StaticGraph } from '../graph/specialize.js';
import type { GpuTensor } from '../core/tensor.js';

/** Time spent per executed node in one run (CPU wall time, or GPU timestamps where available). */
export interface StepTiming {
  /** The node's name, or `<opType>#<index>` where the file gives none. */
  readonly node: string;
  /** Its op type. */
  readonly opType: string;
  /** Its time in milliseconds. */
  readonly ms: number;
}

/** A plan's input: CPU data, or (WebGPU plans only; the session refuses it for others) a GPU-resident tensor. */
export type PlanFeed = TensorData | GpuTensor;

/**
 * Which kernels a plan compiles. 'tiered' (the default): generic ones first — layers that differ only in shape
 * share them, so a model needs a handful of pipelines instead of dozens before its first result — then the
 * specialised ones in the background, which take over when all exist. On a software adapter (SwiftShader) the
 * specialised ones compile only when `specialized()` asks: there compiling them costs the CPU that runs the model
 * several times what they save. 'specialized': only those (the first run waits for all of them). 'generic': only
 * the generic ones.
 */
export type KernelTiers = 'tiered' | 'specialized' | 'generic';

/**
 * What a WebGPU plan stores float32 weights and activations as: 'fp32' (the default), or 'fp16' (halves in every
 * buffer, arithmetic still accumulated in f32; needs an adapter with shader-f16). Inputs and outputs stay float32.
 */
export type Precision = 'fp32' | 'fp16';

/**
 * Where a plan's compile time went (milliseconds of wall time; on WebGPU the pipeline compiles overlap the upload):
 * the graph passes (specialise, fold, fuse), lowering to kernels, the pipelines of the first tier from request to
 * ready, and creating the buffers with the weights uploaded plus the bind groups.
 */
export interface CompileTimes {
  readonly passesMs: number;
  readonly lowerMs: number;
  readonly pipelinesMs: number;
  /** Includes making the weights that are made when first read (folded, repacked or unaligned ones: lazyTensor). */
  readonly uploadMs: number;
  /** GPU plans: when the phases ran, so their overlap with other plans' (compiled together) shows. */
  readonly timeline?: CompileTimeline;
}

/** When a GPU plan's compile phases ran, in milliseconds on `performance.now()`'s clock. */
export interface CompileTimeline {
  /** The first tier's pipelines requested (lowering done). */
  readonly requested: number;
  /** All of them compiled. */
  readonly pipelinesReady: number;
  /** Buffers, weights and bind groups: from, to. */
  readonly uploadStart: number;
  readonly uploadEnd: number;
}

/**
 * When a GPU backend's kernel request ran (Backend.requestKernels), in milliseconds on `performance.now()`'s clock:
 * lowering done and the pipelines requested, then all of them compiled. No buffer and no upload is involved.
 */
export interface KernelRequestTimeline {
  readonly requested: number;
  readonly pipelinesReady: number;
}

/**
 * One `session.precompile` (kernels compiled ahead of a plan, e.g. a dynamic-size detector's at FaceAnalysis.create):
 * the input shapes, whether the specialised tier was asked for, and when its phases ran (performance.now()'s clock):
 * graph passes from `started` to `passesEnd`, lowering from there to `requested`, then the pipelines until
 * `pipelinesReady`. GPU backends only: the cpu backend compiles nothing ahead and records none.
 */
export interface PrecompileTimes {
  readonly shapes: Readonly<Record<string, readonly number[]>>;
  readonly specialized: boolean;
  readonly started: number;
  readonly passesEnd: number;
  readonly requested: number;
  readonly pipelinesReady: number;
}

/** A graph compiled by one backend for one set of input shapes; replayed by every run with those shapes. */
export interface ExecutionPlan {
  /** GPU plans: where compiling it took its time, passes excluded (the session measures those). */
  readonly compileTimes?: Omit<CompileTimes, 'passesMs'>;
  run(feeds: ReadonlyMap<string, PlanFeed>, fetches: readonly string[]): Promise<Map<string, TensorData>>;
  /** GPU plans: the buffer the run reads input `name` from (a producer on the same device may write it directly). */
  inputBuffer?(name: string): GPUBuffer | undefined;
  /**
   * GPU plans: runs as `run` does but reads nothing back: each fetched output is returned as a GpuTensor over the
   * plan's own buffer (no copy), valid until the next run of this plan is submitted. The run's commands are
   * submitted when the promise resolves, so work the caller submits afterwards on the same device sees the results.
   */
  runOnGpu?(feeds: ReadonlyMap<string, PlanFeed>, fetches: readonly string[]): Promise<Map<string, GpuTensor>>;
  /** Per-step timings of the last run, when the session was created with profiling on. */
  lastProfile(): readonly StepTiming[] | undefined;
  /** Peak bytes of intermediate activations the plan holds (0 when not tracked). */
  readonly peakBytes: number;
  /**
   * GPU plans compiled in tiers: which kernels runs use now. 'generic' kernels (shared between layers, few to
   * compile) give the first results while the 'specialized' ones (one per layer shape, fastest) compile.
   */
  readonly kernels?: 'generic' | 'specialized';
  /** GPU plans: resolves once runs use the specialised kernels (starting their compilation if it has not started). */
  specialized?(): Promise<void>;
  dispose(): void;
}

export interface Backend {
  readonly name: 'cpu' | 'webgpu';
  /** The GPU device plans run on (WebGPU backends only). */
  readonly device?: GPUDevice;
  /** A human-readable description of the device (adapter name for WebGPU). */
  readonly description: string;
  /** Why backend 'auto' ended on this (CPU) backend: what stopped WebGPU. Undefined when a backend was asked for by name. */
  readonly fallbackReason?: string;
  /** `precision` (GPU backends): what weights and activations are stored as; see Precision. */
  compile(graph: StaticGraph, options: { profiling: boolean; kernels?: KernelTiers; precision?: Precision }): Promise<ExecutionPlan>;
  /**
   * GPU backends: compiles the kernels a plan of `graph` would run first (with `specialized`, the specialised tier's
   * too), without creating its buffers; they are kept per device, so the plan compiled later finds them ready.
   */
  requestKernels?(graph: StaticGraph, options: { kernels?: KernelTiers; specialized?: boolean; precision?: Precision }): Promise<KernelRequestTimeline>;
  /**
   * GPU backends: runs plans of this device (compiled by any backend on it) as one command buffer with one
   * read-back, after the commands `prelude` already holds; results in the order of `runs`. Undefined when these
   * plans cannot share one (another device, a CPU step, profiling): the caller then runs them in turn.
   */
  runTogether?(runs: readonly PlanRunRequest[], prelude?: GPUCommandEncoder): Promise<Map<string, TensorData>[]> | undefined;
  dispose(): void;
}

/** One run of a group (see Backend.runTogether). */
export interface PlanRunRequest {
  readonly plan: ExecutionPlan;
  readonly feeds: ReadonlyMap<string, PlanFeed>;
  readonly fetches: readonly string[];
}
