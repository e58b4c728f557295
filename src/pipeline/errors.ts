import { InsightGpuError } from '../core/errors.js';

/** An image could not be decoded or has an unusable size or layout. */
export class ImageError extends InsightGpuError {
  readonly code = 'IMAGE';
  constructor(readonly why: string, readonly source?: string, options?: { cause?: unknown }) {
    super(source === undefined ? `bad image: ${why}` : `bad image '${source}': ${why}`, options);
  }
}

/** The model files do not form a usable face-analysis pack (no detector, unreadable folder, unknown pack name). */
export class ModelPackError extends InsightGpuError {
  readonly code = 'MODEL_PACK';
  constructor(readonly why: string, readonly location?: string, options?: { cause?: unknown }) {
    super(location === undefined ? `model pack: ${why}` : `model pack '${location}': ${why}`, options);
  }
}

/** A model's inputs/outputs do not fit the role it was routed to (e.g. a keypoint-less detector feeding ArcFace). */
export class ModelContractError extends InsightGpuError {
  readonly code = 'MODEL_CONTRACT';
  constructor(readonly taskname: string, readonly why: string) {
    super(`${taskname} model: ${why}`);
  }
}

/** Options passed to FaceAnalysis / CLI are invalid (bad det_size, unknown metric, prepare not called ...). */
export class PipelineOptionError extends InsightGpuError {
  readonly code = 'PIPELINE_OPTION';
  constructor(readonly option: string, readonly why: string) {
    super(`option ${option}: ${why}`);
  }
}
