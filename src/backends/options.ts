import type { OptionShape } from '../core/option-shape.js';
import type { KernelTiers, Precision } from './plan.js';


/** How a session picks its backend: 'auto' takes WebGPU on a hardware adapter when one exists, else the CPU. */
export type BackendName = 'cpu' | 'webgpu' | 'auto';

/** How the webgpu backend finds its adapter and device, and which kernels it compiles. */
export interface WebGpuOptions {
  /** Prefer an adapter whose description/vendor/architecture contains this text. */
  readonly adapterName?: string;
  /** The adapter to ask for first (default 'high-performance'). */
  readonly powerPreference?: 'high-performance' | 'low-power';
  /** Accept a software adapter (SwiftShader) for 'auto'; 'webgpu' always accepts one. */
  readonly allowSoftwareAdapter?: boolean;
  /** An existing GPUDevice to share (e.g. with the pipeline's pre-processing). */
  readonly device?: GPUDevice;
  /** Which kernels to compile, see KernelTiers; 'tiered' by default. */
  readonly kernels?: KernelTiers;
  /**
   * 'fp16' stores weights and activations as halves (see Precision); without shader-f16 on the adapter, creating
   * the session fails with a PrecisionUnavailableError. 'fp32' by default.
   */
  readonly precision?: Precision;
  /**
   * Subgroup-matrix (tensor-core) tiles for an fp16 plan's GEMMs. 'auto' (the default) uses them where the adapter
   * offers Dawn's `chromium-experimental-subgroup-matrix` with an f16 configuration (in Node this turns on Dawn's
   * allow_unsafe_apis toggle for the instance); a layer whose variant fails to compile runs the normal f16 tile.
   * 'off' never asks for the feature. fp32 plans never use them.
   */
  readonly subgroupMatrix?: 'auto' | 'off';
}

/** WebGpuOptions' names and value kinds (each value's own rule is checked where it is used). @internal */
export const WEBGPU_OPTIONS_SHAPE: OptionShape<WebGpuOptions> = {
  adapterName: 'string', powerPreference: 'string', allowSoftwareAdapter: 'boolean', device: 'object',
  kernels: 'string', precision: 'string', subgroupMatrix: 'string',
};

/**
 * Threads the CPU backend splits its convolution GEMMs over: a count ≥ 1, or 'auto' for the cores Node reports (at
 * most MAX_CPU_THREADS). 1 (the default) runs everything on the calling thread. Threads need Node's worker_threads
 * and SharedArrayBuffer; elsewhere (browsers) the backend runs 1 thread and says why.
 */
export type CpuThreads = number | 'auto';

/** The most threads 'auto' picks, and the most a count may ask for. */
export const MAX_CPU_THREADS = 16;

/** Why `value` is no CpuThreads, or undefined when it is one. @internal */
export function cpuThreadsProblem(value: unknown): string | undefined {
  if (value === 'auto') return undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_CPU_THREADS) return undefined;
  return `must be an integer 1…${MAX_CPU_THREADS} or 'auto', got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`;
}

/** The thread count `value` means here ('auto': the available cores, capped; 1 where they cannot be asked). @internal */
export function resolveCpuThreads(value: CpuThreads | undefined): number {
  if (value === undefined) return 1;
  if (value !== 'auto') return value;
  const os = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.('node:os') as
    { availableParallelism?: () => number } | undefined;
  return Math.max(1, Math.min(MAX_CPU_THREADS, os?.availableParallelism?.() ?? 1));
}
