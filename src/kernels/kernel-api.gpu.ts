import type { Node, TensorData } from '../parser/ir.js';
import type { ShapeValues } from './shape-values.wgsl.js';
import type { ValueType } from './types.js';

/**
 * The contract between an op's WGSL kernel and the WebGPU plan. A kernel lowers one resolved step (the same
 * `params` its CPU reference consumes) into dispatches. The layer's numbers go into the WGSL through the context's
 * ShapeValues: as constants for the specialised kernels (a plan is compiled for one set of input shapes, so every
 * index computation folds at pipeline creation), or as uniforms for the generic ones that layers share.
 */

/** What buffer sits at @binding(i) of a dispatch. Inputs and data are read-only; outputs are read_write. */
export type GpuBinding =
  | { readonly kind: 'input'; readonly index: number }
  | { readonly kind: 'output'; readonly index: number }
  /** Kernel-private constant data (repacked weights, PRelu slopes, gather indices), uploaded once per plan. */
  | { readonly kind: 'data'; readonly data: Float32Array | Int32Array | Uint32Array }
  /**
   * Read-write working memory of at least `bytes`, valid only within the step's own dispatches (split-K partial
   * sums): the plan backs every scratch binding with one shared buffer, since steps run one after another.
   */
  | { readonly kind: 'scratch'; readonly bytes: number }
  /** A uniform buffer of shape values (see ShapeValues): the generic kernels' extents and strides. */
  | { readonly kind: 'uniform'; readonly data: Uint32Array };

export interface GpuDispatch {
  /** WGSL source with one `main` entry point; pipelines are cached by this text. */
  readonly shader: string;
  readonly bindings: readonly GpuBinding[];
  readonly workgroups: readonly [number, number, number];
}

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
  /** How the layer's numbers are written into the WGSL: literals, or uniform fields (the generic tier). */
  readonly shape: ShapeValues;
}

export interface GpuKernel<P = unknown> {
  readonly opTypes: readonly string[];
  /** Returns undefined when this step's types are not handled on the GPU (the plan then runs the CPU reference). */
  lower(ctx: GpuLowerContext<P>): GpuLowering | undefined;
}
