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
