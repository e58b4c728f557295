import type { DataType, Node, TensorData } from '../../core/ir.js';

/** The concrete type of a value once input shapes are known. */
export interface ValueType {
  readonly type: DataType;
  readonly dims: readonly number[];
}

/** What an op module sees when it resolves a node for concrete input types. */
export interface ResolveContext {
  readonly node: Node;
  /** One entry per node input; undefined for an omitted optional input (''). */
  readonly inputs: readonly (ValueType | undefined)[];
  /** Known values of inputs (initializers, Constant outputs, folded shape sub-graphs); undefined when dynamic. */
  readonly constants: readonly (TensorData | undefined)[];
  /** The opset version of the node's domain. */
  readonly opset: number;
}

/** A node resolved for concrete shapes: parsed, checked parameters and the types of its outputs. */
export interface Resolved<P> {
  readonly params: P;
  readonly outputs: readonly ValueType[];
}

/**
 * The domain of the ops the engine's own graph passes make (e.g. RoundToFloat16): no ONNX file names it, so a file's
 * node of the same op type in the default domain is an unsupported op, never one of ours.
 */
export const ENGINE_DOMAIN = 'ai.insightgpu.internal';

/**
 * One ONNX operator: its shape rule (resolve) and its CPU reference. The WebGPU kernel for the same op
 * lives beside it and consumes the same params.
 */
export interface OpModule<P = unknown> {
  readonly opTypes: readonly string[];
  /** The domain of `opTypes`: '' (ai.onnx, the default) or ENGINE_DOMAIN. */
  readonly domain?: '' | typeof ENGINE_DOMAIN;
  /** Parses attributes and constant inputs, checks them, and infers output types. Throws GraphError/UnsupportedOpError. */
  resolve(ctx: ResolveContext): Resolved<P>;
  /** Computes the outputs on the CPU. `inputs` align with node inputs (undefined for omitted ones). */
  cpu(params: P, inputs: readonly (TensorData | undefined)[], outputs: readonly ValueType[]): TensorData[];
  /** Whether outputs may be computed at load time when all inputs are constant (false for e.g. random ops). */
  readonly foldable?: boolean;
}
