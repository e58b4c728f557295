import type { Node, TensorData } from '../../core/ir.js';
import type { GpuDispatch } from './gpu-dispatch.js';
import type { ShapeValues } from './shape-values.js';
import type { ValueType } from './op-module.js';
import type { Storage } from './storage.js';

/**
 * The contract between an op's WGSL kernel and the WebGPU plan. A kernel lowers one resolved step (the same
 * `params` its CPU reference consumes) into dispatches. The layer's numbers go into the WGSL through the context's
 * ShapeValues: as constants for the specialised kernels (a plan is compiled for one set of input shapes, so every
 * index computation folds at pipeline creation), or as uniforms for the generic ones that layers share.
 */

/** How a step runs on the GPU: dispatches, or (Reshape family, Identity) a relabelled view of input 0's buffer. */
export type GpuLowering =
  | { readonly kind: 'dispatches'; readonly dispatches: readonly GpuDispatch[] }
  | { readonly kind: 'alias' };

export interface GpuLowerContext<P> {
  readonly node: Node;
  readonly params: P;
  readonly inputs: readonly (ValueType | undefined)[];
  readonly outputs: readonly ValueType[];
  /** Values known at load time (weights, folded shapes); undefined for run-time values. */
  readonly constants: readonly (TensorData | undefined)[];
  readonly maxWorkgroupsPerDimension: number;
  /**
   * Use the simple kernel variants, without workgroup memory and barriers: on an adapter that emulates a GPU on
   * the CPU (SwiftShader), and for the generic tier anywhere (small shaders compile fastest).
   */
  readonly software: boolean;
  /**
   * Whether the adapter itself emulates a GPU on the CPU (undefined: as `software`). The GEMM kernels read it, not
   * `software`: their generic tier is the tiled kernel with sizes in uniforms on a real GPU, so the first result is
   * already fast, and the direct kernel only where workgroup memory buys nothing.
   */
  readonly softwareAdapter?: boolean;
  /** How the layer's numbers are written into the WGSL: literals, or uniform fields (the generic tier). */
  readonly shape: ShapeValues;
  /**
   * What float32 values are stored as in the plan's buffers (undefined: f32). Kernels declare their float bindings
   * and convert their loads and stores through it; a kernel that cannot returns undefined for f16.
   */
  readonly storage?: Storage;
}

/** The WGSL lowering of an op module's op types (paired with the module in its family's index). */
export interface GpuKernel<P = unknown> {
  /** Returns undefined when this step's types are not handled on the GPU (the plan then runs the CPU reference). */
  lower(ctx: GpuLowerContext<P>): GpuLowering | undefined;
}
