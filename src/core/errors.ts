/**
 * Every failure the engine reports is one of these classes, so callers can branch on `instanceof`
 * (or on `.code`) and always get the context needed to act: which node, which input, which bytes.
 */
export abstract class InsightGpuError extends Error {
  /** A stable identifier of the failure's kind, for callers that branch on it. */
  abstract readonly code: string;
  /** The class's name, which each class writes out as a string: a minifying bundler renames the classes themselves. */
  abstract override readonly name: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The bytes are not a valid ONNX model (truncated, corrupt, not protobuf, inconsistent tensors). */
export class ModelFormatError extends InsightGpuError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'ModelFormatError';
  /** A stable identifier of the failure's kind, for callers that branch on it. */
  readonly code = 'MODEL_FORMAT';
  /**
   * @param why - What is wrong with the bytes.
   * @param offset - The byte offset where it was found, when known.
   * @param options - The underlying error, if any.
   */
  constructor(readonly why: string, readonly offset?: number, options?: { cause?: unknown }) {
    super(offset === undefined ? `invalid ONNX model: ${why}` : `invalid ONNX model at byte ${offset}: ${why}`, options);
  }
}

/**
 * The file is newer than this engine: its IR version or its ai.onnx opset is above the newest whose format and op
 * semantics the engine knows, so it is refused at load rather than run with semantics that may have changed.
 */
export class ModelVersionError extends InsightGpuError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'ModelVersionError';
  /** A stable identifier of the failure's kind, for callers that branch on it. */
  readonly code = 'MODEL_VERSION';
  /**
   * @param model - The model, as its file names it (graph name, producer) or, where known, its path.
   * @param domain - 'ai.onnx' for the operator set, or 'ir_version' for the file format.
   * @param version - The version the file declares.
   * @param supported - The newest version this engine supports.
   */
  constructor(readonly model: string, readonly domain: string, readonly version: number, readonly supported: number) {
    super(domain === 'ir_version'
      ? `model ${model} has IR version ${version}; this engine reads IR versions up to ${supported}`
      : `model ${model} imports opset ${version} of domain ${domain}; this engine knows that domain's op semantics up to opset ${supported}`);
  }
}

/** The graph uses an operator (or operator variant) this engine does not implement. */
export class UnsupportedOpError extends InsightGpuError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'UnsupportedOpError';
  /** A stable identifier of the failure's kind, for callers that branch on it. */
  readonly code = 'UNSUPPORTED_OP';
  /**
   * @param opType - The ONNX op type.
   * @param nodeName - The node using it.
   * @param detail - Which variant is unsupported (an attribute value, a dtype), when it is not the op itself.
   */
  constructor(readonly opType: string, readonly nodeName: string, readonly detail?: string) {
    super(`unsupported op ${opType} at node '${nodeName}'${detail ? `: ${detail}` : ''}`);
  }
}

/** The graph is well-formed protobuf but semantically broken (missing initializer, bad attribute, shape clash). */
export class GraphError extends InsightGpuError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'GraphError';
  /** A stable identifier of the failure's kind, for callers that branch on it. */
  readonly code = 'GRAPH';
  /**
   * @param why - What is wrong.
   * @param nodeName - The node where it was found, when one is to blame.
   * @param opType - That node's op type.
   */
  constructor(readonly why: string, readonly nodeName?: string, readonly opType?: string) {
    super(nodeName === undefined ? `invalid graph: ${why}` : `invalid graph at node '${nodeName}' (${opType ?? '?'}): ${why}`);
  }
}

/**
 * The feeds passed to `run` do not match the model's inputs (name, dtype, shape), or another argument of a session
 * call is unusable (fetches, options), or the session or analysis was released.
 */
export class InputError extends InsightGpuError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'InputError';
  /** A stable identifier of the failure's kind, for callers that branch on it. */
  readonly code = 'INPUT';
  /**
   * @param why - What is wrong with the feed.
   * @param inputName - The input concerned, when one is.
   */
  constructor(readonly why: string, readonly inputName?: string) {
    super(inputName === undefined ? `bad input: ${why}` : `bad input '${inputName}': ${why}`);
  }
}

/** A tensor would exceed the engine's allocation bound (guards against absurd dims in hostile files). */
export class ResourceLimitError extends InsightGpuError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'ResourceLimitError';
  /** A stable identifier of the failure's kind, for callers that branch on it. */
  readonly code = 'RESOURCE_LIMIT';
  /**
   * @param what - The tensor or buffer concerned.
   * @param requested - The elements it would need.
   * @param limit - The most the engine allocates.
   */
  constructor(readonly what: string, readonly requested: number, readonly limit: number) {
    super(`${what} needs ${requested} elements, above the limit of ${limit}`);
  }
}

/** A backend could not be created or lost its device. */
export class BackendError extends InsightGpuError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'BackendError';
  /** A stable identifier of the failure's kind, for callers that branch on it. */
  readonly code = 'BACKEND';
  /**
   * @param backend - The backend concerned ('webgpu', 'cpu', or an unknown name given).
   * @param why - What failed.
   * @param options - The underlying error, if any.
   */
  constructor(readonly backend: string, readonly why: string, options?: { cause?: unknown }) {
    super(`${backend} backend: ${why}`, options);
  }
}

/**
 * A precision the session asked for that its backend cannot give: 'fp16' on an adapter without shader-f16, or on the
 * cpu backend. Thrown when the session is created, so nothing ever runs silently at another precision.
 */
export class PrecisionUnavailableError extends BackendError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'PrecisionUnavailableError';
  /**
   * @param precision - The precision asked for.
   * @param adapter - The adapter (or backend) that cannot give it.
   * @param reason - Why not.
   */
  constructor(readonly precision: string, readonly adapter: string, readonly reason: string) {
    super('webgpu', `precision '${precision}' is unavailable on ${adapter}: ${reason}`);
  }
}

/**
 * An optional package the requested feature needs is not installed (sharp for image files in Node, webgpu for
 * WebGPU in Node). Both are optionalDependencies, so an install that skipped or failed them still works otherwise;
 * the message names the package and the command that installs it.
 */
export class MissingPackageError extends InsightGpuError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'MissingPackageError';
  /** A stable identifier of the failure's kind, for callers that branch on it. */
  readonly code = 'MISSING_PACKAGE';
  /** The npm command that installs the package. */
  readonly installCommand: string;
  /**
   * @param packageName - The npm package that is missing.
   * @param feature - What needed it.
   * @param options - The import error, if any.
   */
  constructor(readonly packageName: string, readonly feature: string, options?: { cause?: unknown }) {
    super(`${feature} needs the optional package '${packageName}', which is not installed or does not load here; install it with \`npm install ${packageName}\``, options);
    this.installCommand = `npm install ${packageName}`;
  }
}
