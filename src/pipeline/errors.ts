import { InsightGpuError } from '../core/errors.js';

/** An image could not be decoded or has an unusable size or layout. */
export class ImageError extends InsightGpuError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'ImageError';
  /** A stable identifier of the failure's kind, for callers that branch on it. */
  readonly code = 'IMAGE';
  /**
   * @param why - What is wrong with the image.
   * @param source - The path or label of the input, when known.
   * @param options - The decoder's error, if any.
   */
  constructor(readonly why: string, readonly source?: string, options?: { cause?: unknown }) {
    super(source === undefined ? `bad image: ${why}` : `bad image '${source}': ${why}`, options);
  }
}

/** The model files do not form a usable face-analysis pack (no detector, unreadable folder, unknown pack name). */
export class ModelPackError extends InsightGpuError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'ModelPackError';
  /** A stable identifier of the failure's kind, for callers that branch on it. */
  readonly code = 'MODEL_PACK';
  /**
   * @param why - What is wrong with the pack.
   * @param location - The folder, pack name or files concerned.
   * @param options - The underlying error, if any.
   */
  constructor(readonly why: string, readonly location?: string, options?: { cause?: unknown }) {
    super(location === undefined ? `model pack: ${why}` : `model pack '${location}': ${why}`, options);
  }
}

/** A model's inputs/outputs do not fit the role it was routed to (e.g. a keypoint-less detector feeding ArcFace). */
export class ModelContractError extends InsightGpuError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'ModelContractError';
  /** A stable identifier of the failure's kind, for callers that branch on it. */
  readonly code = 'MODEL_CONTRACT';
  /**
   * @param taskname - The role the model was routed to.
   * @param why - What does not fit.
   */
  constructor(readonly taskname: string, readonly why: string) {
    super(`${taskname} model: ${why}`);
  }
}

/** Options passed to FaceAnalysis / CLI are invalid (bad det_size, unknown metric, prepare not called ...). */
export class PipelineOptionError extends InsightGpuError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'PipelineOptionError';
  /** A stable identifier of the failure's kind, for callers that branch on it. */
  readonly code = 'PIPELINE_OPTION';
  /**
   * @param option - The option concerned.
   * @param why - What is wrong with its value.
   * @param options - `cause`: the error that showed the value is wrong, where one did.
   */
  constructor(readonly option: string, readonly why: string, options?: { cause?: unknown }) {
    super(`option ${option}: ${why}`, options);
  }
}

/**
 * A call that queues behind the analysis's frames (`get`, `getBatch`, `withFrame`, `detectFaces`, `annotate`,
 * `release`, a tracker's `track`) made inside a `withFrame` callback of the same analysis: it would wait for the
 * frame that waits for it, so it fails at once. The frame's own methods are the way to run models inside it.
 */
export class FrameReentryError extends InsightGpuError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'FrameReentryError';
  /** A stable identifier of the failure's kind, for callers that branch on it. */
  readonly code = 'FRAME_REENTRY';
  /** @param method - The call that was refused. */
  constructor(readonly method: string) {
    super(`${method} inside a withFrame callback of the same FaceAnalysis would wait for that frame forever; use the frame's own methods`);
  }
}
