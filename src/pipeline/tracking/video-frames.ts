import { runsOnNode } from '../../core/node-only.js';
import { describeValue, optionsObject } from '../call-options.js';
import { VideoError } from './errors.js';
import { PipelineOptionError } from '../errors.js';
import type { ReadVideoOptions, DecodedFrame, DecoderHandle, VideoInfo } from './video-types.js';

/**
 * Size (upright: a display rotation by a quarter turn swaps it, as readVideoFrames' frames are turned), frame rate
 * and length of a video file (Node: Debian's ffprobe). Throws VideoDecoderMissingError when
 * FFmpeg is not installed, VideoError for a file without a readable video stream.
 */
export async function probeVideo(file: string, options?: ReadVideoOptions): Promise<VideoInfo> {
  const checked = checkedOptions(options, 'probeVideo');
  const { probeVideoNode } = await videoNode('probeVideo', file);
  return probeVideoNode(file, checked);
}

/**
 * The frames of a video file, decoded by Debian's ffmpeg to BGR (Node), one at a time as the loop asks for them, upright
 * where the file has a display rotation;
 * breaking out of the loop stops the decoder. Feed them to `FaceTracker.track(frame.image, { timestamp: frame.time })`.
 * Throws VideoDecoderMissingError when FFmpeg is not installed, VideoError when decoding fails or the decoder ends
 * without a single frame (a video with no frames, or a program that is not an ffmpeg), PipelineOptionError for bad
 * options. A reader dropped without break or `return()` does not keep the process alive, and its decoder is killed
 * once the reader is garbage-collected.
 */
export function readVideoFrames(file: string, options?: ReadVideoOptions): AsyncGenerator<DecodedFrame> {
  const handle: DecoderHandle = { stop: undefined };
  const frames = (async function* (): AsyncGenerator<DecodedFrame> {
    const checked = checkedOptions(options, 'readVideoFrames');
    const { readVideoFramesNode } = await videoNode('readVideoFrames', file);
    yield* readVideoFramesNode(file, checked, handle);
  })();
  dropped.register(frames, handle);
  return frames;
}

/** Kills the decoder of a reader collected while its decoder still ran (never stopped by break or return()). */
const dropped = new FinalizationRegistry<DecoderHandle>((handle) => handle.stop?.());

/**
 * The options as a plain-JS caller may pass them: not an object, a program that is not a string, or a maxFrames that
 * is not a whole count is a PipelineOptionError (a string or a fraction would otherwise be coerced, and -1 read as 0).
 */
function checkedOptions(options: ReadVideoOptions | undefined, call: string): ReadVideoOptions {
  const checked = optionsObject(options, call, { ffmpeg: 'string', ffprobe: 'string', maxFrames: 'number' });
  for (const key of ['ffmpeg', 'ffprobe'] as const) {
    const program = checked[key];
    if (program !== undefined && (typeof program !== 'string' || program === '')) {
      throw new PipelineOptionError(key, `${describeValue(program)} is not a program name or path`);
    }
  }
  const max = checked.maxFrames;
  if (max !== undefined && !(Number.isInteger(max) && max >= 1)) {
    throw new PipelineOptionError('maxFrames', `${describeValue(max)} is not an integer ≥ 1 (leave it out for every frame)`);
  }
  return checked;
}

/** The ffmpeg reader, behind a computed specifier so browser bundles hold no Node modules (video files are Node-only). */
async function videoNode(call: string, file: string): Promise<typeof import('./video-node.js')> {
  if (!runsOnNode()) {
    throw new VideoError(`${call} decodes files with FFmpeg, which needs Node; in a browser give FaceTracker.track the frames themselves (a <video>, a VideoFrame)`, file);
  }
  const moduleName = './video-node.js';
  return (await import(/* @vite-ignore */ moduleName)) as typeof import('./video-node.js');
}
