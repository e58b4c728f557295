/**
 * Every failure the engine reports is one of these classes, so callers can branch on `instanceof`
 * (or on `.code`) and always get the context needed to act: which node, which input, which bytes.
 */
export abstract class InsightGpuError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The bytes are not a valid ONNX model (truncated, corrupt, not protobuf, inconsistent tensors). */
export class ModelFormatError extends InsightGpuError {
  readonly code = 'MODEL_FORMAT';
  constructor(readonly why: string, readonly offset?: number, options?: { cause?: unknown }) {
    super(offset === undefined ? `invalid ONNX model: ${why}` : `invalid ONNX model at byte ${offset}: ${why}`, options);
  }
}

/** The graph uses an operator (or operator variant) this engine does not implement. */
export class UnsupportedOpError extends InsightGpuError {
  readonly code = 'UNSUPPORTED_OP';
  constructor(readonly opType: string, readonly nodeName: string, readonly detail?: string) {
    super(`unsupported op ${opType} at node '${nodeName}'${detail ? `: ${detail}` : ''}`);
  }
}

/** The graph is well-formed protobuf but semantically broken (missing initializer, bad attribute, shape clash). */
export class GraphError extends InsightGpuError {
  readonly code = 'GRAPH';
  constructor(readonly why: string, readonly nodeName?: string, readonly opType?: string) {
    super(nodeName === undefined ? `invalid graph: ${why}` : `invalid graph at node '${nodeName}' (${opType ?? '?'}): ${why}`);
  }
}

/** The feeds passed to `run` do not match the model's inputs (name, dtype, shape). */
export class InputError extends InsightGpuError {
  readonly code = 'INPUT';
  constructor(readonly why: string, readonly inputName?: string) {
    super(inputName === undefined ? `bad input: ${why}` : `bad input '${inputName}': ${why}`);
  }
}

/** A tensor would exceed the engine's allocation bound (guards against absurd dims in hostile files). */
export class ResourceLimitError extends InsightGpuError {
  readonly code = 'RESOURCE_LIMIT';
  constructor(readonly what: string, readonly requested: number, readonly limit: number) {
    super(`${what} needs ${requested} elements, above the limit of ${limit}`);
  }
}

/** A backend could not be created or lost its device. */
export class BackendError extends InsightGpuError {
  readonly code = 'BACKEND';
  constructor(readonly backend: string, readonly why: string, options?: { cause?: unknown }) {
    super(`${backend} backend: ${why}`, options);
  }
}

/**
 * An optional package the requested feature needs is not installed (sharp for image files in Node, webgpu for
 * WebGPU in Node). Both are optionalDependencies, so an install that skipped or failed them still works otherwise;
 * the message names the package and the command that installs it.
 */
export class MissingPackageError extends InsightGpuError {
  readonly code = 'MISSING_PACKAGE';
  /** The npm command that installs the package. */
  readonly installCommand: string;
  constructor(readonly packageName: string, readonly feature: string, options?: { cause?: unknown }) {
    super(`${feature} needs the optional package '${packageName}', which is not installed or does not load here; install it with \`npm install ${packageName}\``, options);
    this.installCommand = `npm install ${packageName}`;
  }
}
