import { InsightGpuError } from '../../src/core/errors.js';

/** The images to analyse cannot be listed: a PATH that does not exist or cannot be read, or two images with one name. */
export class ImageListError extends InsightGpuError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'ImageListError';
  readonly code = 'IMAGE_LIST';
  constructor(readonly why: string, readonly location: string, options?: { cause?: unknown }) {
    super(`images '${location}': ${why}`, options);
  }
}

/**
 * The NDJSON results file cannot be written or continued: it exists without --resume, a complete line of it is not
 * a record, or it was written with other settings. Nothing in it is changed when this is thrown.
 */
export class ResultsFileError extends InsightGpuError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'ResultsFileError';
  readonly code = 'RESULTS_FILE';
  constructor(readonly why: string, readonly file: string, options?: { cause?: unknown }) {
    super(`results file '${file}': ${why}`, options);
  }
}
