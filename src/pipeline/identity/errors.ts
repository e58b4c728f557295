import { InsightGpuError } from '../../core/errors.js';

/** A FaceIndex call was given something it cannot use: wrong dimension, NaN or zero embedding, bad option, full index. */
export class FaceIndexError extends InsightGpuError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'FaceIndexError';
  readonly code = 'FACE_INDEX';
  constructor(readonly why: string, options?: { cause?: unknown }) {
    super(`face index: ${why}`, options);
  }
}

/** Bytes are not a valid face-index file (bad magic, unknown version, truncated, checksum mismatch). */
export class IndexFormatError extends InsightGpuError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'IndexFormatError';
  readonly code = 'INDEX_FORMAT';
  /** The file's path, where the bytes came from one (FaceIndex.load). */
  readonly file: string | undefined;
  constructor(readonly why: string, readonly offset?: number, options?: { cause?: unknown; file?: string }) {
    const name = options?.file === undefined ? '' : ` '${options.file}'`;
    super(offset === undefined ? `invalid face-index file${name}: ${why}` : `invalid face-index file${name} at byte ${offset}: ${why}`, options);
    this.file = options?.file;
  }
}

/** The index would take more memory than its bound (maxBytes) or a device buffer allows. */
export class IndexMemoryError extends FaceIndexError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'IndexMemoryError';
  constructor(why: string, readonly neededBytes: number, readonly limitBytes: number) {
    super(`${why}, above the bound of ${limitBytes} bytes`);
  }
}
