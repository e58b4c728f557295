import { InsightGpuError } from '../../core/errors.js';

/** A FaceIndex call was given something it cannot use: wrong dimension, NaN or zero embedding, bad option, full index. */
export class FaceIndexError extends InsightGpuError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'FaceIndexError';
  readonly code: string = 'FACE_INDEX';
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

/**
 * A `save` that would replace an index file holding entries this index does not have: the file changed since this
 * index loaded or last saved it (another program's save, `insightgpu index add` or `remove`), or this index never
 * read it (a new index, or one from `fromBytes`, saved over an existing file). Nothing is written. Load the file
 * again and redo the changes on it, or pass `{ overwrite: true }` to replace it knowingly.
 */
export class FaceIndexConflictError extends FaceIndexError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'FaceIndexConflictError';
  override readonly code = 'FACE_INDEX_CONFLICT';
  constructor(
    /** The path given to `save`. */
    readonly file: string,
    /** The file written there, after symbolic links. */
    readonly target: string,
    /** 'changed': written by another since this index loaded or saved it; 'unread': this index never read it. */
    readonly conflict: 'changed' | 'unread',
  ) {
    super(conflict === 'changed'
      ? `'${file}' changed since this index loaded or saved it (another save, or insightgpu index add or remove, wrote it); saving would lose those changes, so nothing was written: load it again and redo this index's changes, or save with { overwrite: true } to replace it`
      : `'${file}' already holds an index this one did not load; saving would replace its entries, so nothing was written: load it and add to that, or save with { overwrite: true } to replace it`);
  }
}
