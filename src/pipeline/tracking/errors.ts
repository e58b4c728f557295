import { InsightGpuError } from '../../core/errors.js';

/** A video could not be probed or decoded (unreadable file, no video stream, the decoder failed). */
export class VideoError extends InsightGpuError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'VideoError';
  readonly code: string = 'VIDEO';
  constructor(readonly why: string, readonly source?: string, options?: { cause?: unknown }) {
    super(source === undefined ? `video: ${why}` : `video '${source}': ${why}`, options);
  }
}

/** The external decoder (Debian's ffmpeg / ffprobe) is not installed or not on PATH. */
export class VideoDecoderMissingError extends VideoError {
  /** The class's name, written out: a minifying bundler renames classes, and `name` must stay the same across bundles. */
  override readonly name: string = 'VideoDecoderMissingError';
  override readonly code = 'VIDEO_DECODER_MISSING';
  /**
   * `besideFfmpeg`: the ffmpeg path given, when `program` is the ffprobe looked for in its folder (the error then
   * says where that name came from, since the caller never typed it).
   */
  constructor(readonly program: string, options?: { cause?: unknown; besideFfmpeg?: string }) {
    const where = options?.besideFfmpeg === undefined ? '' : ` (ffprobe is looked for beside the ffmpeg given, '${options.besideFfmpeg}')`;
    super(`'${program}' was not found${where}: video decoding needs FFmpeg; install it with \`apt-get install ffmpeg\` (the Debian/Ubuntu package, which has ffmpeg and ffprobe)`, undefined, options?.cause === undefined ? undefined : { cause: options.cause });
  }
}
