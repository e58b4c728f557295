/**
 * Failures of the model fetchers. Each says what went wrong with enough context to act on it (which URL,
 * which HTTP status, how many bytes arrived, which digest was expected), and all extend InsightGpuError so
 * callers can branch on `instanceof` or `.code`. Browser-safe.
 */
import { InsightGpuError } from '../../src/core/errors.js';

/** Why a transfer failed. 'truncated' is raised as the TruncatedDownloadError subclass. */
export type FetchFailure = 'http-status' | 'network' | 'timeout' | 'aborted' | 'truncated' | 'size-mismatch';

/** A download did not complete: bad HTTP status, network failure, stall timeout, abort. */
export class FetchError extends InsightGpuError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'FetchError';
  readonly code: string = 'FETCH';
  constructor(
    readonly url: string,
    readonly failure: FetchFailure,
    readonly why: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(`download of ${url} failed (${failure}${status === undefined ? '' : ` ${status}`}): ${why}`, options);
  }
}

/**
 * The server sent nothing for the stall timeout. The message names the option as the library takes it
 * (`stallTimeoutMs`, in ms); `describe` words it for another spelling of the same limit (the CLI's `--timeout`, in
 * seconds), so the user reads the number in the unit they gave.
 */
export class StallTimeoutError extends FetchError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'StallTimeoutError';
  constructor(
    url: string,
    /** The silence allowed, in ms. */
    readonly timeoutMs: number,
    /** Whether that is the default (no stallTimeoutMs given). */
    readonly byDefault: boolean,
    /** Bytes of the body received before the stall; undefined when it stalled before the response came. */
    readonly receivedBytes: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(url, 'timeout', stallWords(timeoutMs, byDefault, receivedBytes, 'stallTimeoutMs', 'ms'), undefined, options);
  }

  /**
   * This error's message with the limit named `option` and given in `unit` (seconds: `--timeout 30`).
   * @param option - The option's name as the caller typed it.
   * @param unit - The unit that option takes.
   */
  describe(option: string, unit: 's' | 'ms'): string {
    return `download of ${this.url} failed (timeout): ${stallWords(this.timeoutMs, this.byDefault, this.receivedBytes, option, unit)}`;
  }
}

/** `no data for 30 s (--timeout 30) after 4096 bytes`, in the unit the option takes. */
function stallWords(timeoutMs: number, byDefault: boolean, receivedBytes: number | undefined, option: string, unit: 's' | 'ms'): string {
  const amount = unit === 's' ? timeoutMs / 1000 : timeoutMs;
  const named = byDefault ? `the default of ${option}` : `${option} ${amount}`;
  const where = receivedBytes === undefined ? 'waiting for the response' : `after ${receivedBytes} bytes`;
  return `no data for ${amount} ${unit} (${named}) ${where}`;
}

/** The connection ended before the announced (or expected) number of bytes arrived. */
export class TruncatedDownloadError extends FetchError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'TruncatedDownloadError';
  override readonly code = 'FETCH_TRUNCATED';
  constructor(
    url: string,
    readonly receivedBytes: number,
    readonly expectedBytes: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      url,
      'truncated',
      expectedBytes === undefined
        ? `connection closed after ${receivedBytes} bytes, before the body was complete`
        : `truncated at ${receivedBytes} of ${expectedBytes} bytes`,
      undefined,
      options,
    );
  }
}

/** Downloaded or stored bytes are not the ones the manifest (or the digest recorded on first download) names. */
export class IntegrityError extends InsightGpuError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'IntegrityError';
  readonly code = 'INTEGRITY';
  constructor(
    /** What was checked, e.g. `buffalo_l.zip` or `buffalo_l/det_10g.onnx`. */
    readonly subject: string,
    readonly property: 'sha256' | 'bytes',
    readonly expected: string,
    readonly actual: string,
    /** Where the expected value came from. */
    readonly expectedFrom: 'manifest' | 'recorded',
    /** URL the bytes were downloaded from, when they were (named in the message for single-file models). */
    readonly source?: string,
  ) {
    super(
      `${subject}${source === undefined ? '' : ` from ${source}`}: ${property} mismatch, expected ${expected} (${expectedFrom === 'manifest' ? 'from the manifest' : 'recorded on first download'}), got ${actual}` +
        (expectedFrom === 'recorded' ? '; if the upstream file legitimately changed, delete its entry from digests.json' : ''),
    );
  }
}

/** The zip cannot be read: not a zip, truncated, corrupt entry, unsafe path, unsupported feature. */
export class ArchiveError extends InsightGpuError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'ArchiveError';
  readonly code = 'ARCHIVE';
  constructor(
    readonly archive: string,
    readonly why: string,
    readonly entry?: string,
    options?: { cause?: unknown },
  ) {
    super(`bad zip ${archive}${entry === undefined ? '' : ` (entry '${entry}')`}: ${why}`, options);
  }
}

/** The archive is a valid zip but lacks files the manifest requires. */
export class PackContentError extends InsightGpuError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'PackContentError';
  readonly code = 'PACK_CONTENT';
  constructor(
    readonly pack: string,
    readonly missing: readonly string[],
    readonly found: readonly string[],
  ) {
    super(`pack ${pack} is missing ${missing.join(', ')} (the zip holds: ${found.join(', ') || 'nothing'})`);
  }
}

/** A pack name not in the manifest, or a manifest file that does not describe packs. */
export class ManifestError extends InsightGpuError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'ManifestError';
  readonly code = 'MANIFEST';
  constructor(readonly why: string, options?: { cause?: unknown }) {
    super(`manifest: ${why}`, options);
  }
}

/** digests.json (the record of digests learned on first download) exists but cannot be used. */
export class DigestRecordError extends InsightGpuError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'DigestRecordError';
  readonly code = 'DIGEST_RECORD';
  constructor(readonly path: string, readonly why: string, options?: { cause?: unknown }) {
    super(`digest record ${path}: ${why}`, options);
  }
}
