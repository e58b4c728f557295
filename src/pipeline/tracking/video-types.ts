import type { BgrImage } from '../image.js';

/** What probeVideo reads from a file's first video stream. */
export interface VideoInfo {
  /**
   * The frames' width, upright (a quarter-turn display rotation swaps the stored width and height) and at display
   * size (a sample aspect ratio ≠ 1:1 scales the stored width by it).
   */
  readonly width: number;
  readonly height: number;
  /** Average frame rate (frames per second). */
  readonly fps: number;
  /** Frame count when the container states it. */
  readonly frames: number | undefined;
  /** Duration in seconds when the container states it. */
  readonly duration: number | undefined;
}

/** One decoded frame: the pipeline's BGR image, its index from 0 and its time in milliseconds (index / fps). */
export interface DecodedFrame {
  readonly image: BgrImage;
  readonly index: number;
  readonly time: number;
}

/** Where the decoder lives and how much to read. */
export interface ReadVideoOptions {
  /** The ffmpeg program (default: `ffmpeg` on PATH). */
  readonly ffmpeg?: string;
  /** The ffprobe program (default: beside an explicit `ffmpeg`, else `ffprobe` on PATH). */
  readonly ffprobe?: string;
  /** Stop after this many frames, an integer ≥ 1 (default: all). */
  readonly maxFrames?: number;
}

/**
 * What a dropped reader leaves for its FinalizationRegistry to end: `stop` kills the decoder, once one runs.
 * @internal
 */
export interface DecoderHandle {
  stop: (() => void) | undefined;
}
