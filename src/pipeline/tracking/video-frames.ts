import type { ReadVideoOptions, DecodedFrame, VideoInfo } from './video-types.js';

/**
 * Size, frame rate and length of a video file (Node: Debian's ffprobe). Throws VideoDecoderMissingError when
 * FFmpeg is not installed, VideoError for a file without a readable video stream.
 */
export async function probeVideo(file: string, options: ReadVideoOptions = {}): Promise<VideoInfo> {
  const { probeVideoNode } = await videoNode();
  return probeVideoNode(file, options);
}

/**
 * The frames of a video file, decoded by Debian's ffmpeg to BGR (Node), one at a time as the loop asks for them;
 * breaking out of the loop stops the decoder. Feed them to `FaceTracker.track(frame.image, { timestamp: frame.time })`.
 * Throws VideoDecoderMissingError when FFmpeg is not installed, VideoError when decoding fails.
 */
export async function* readVideoFrames(file: string, options: ReadVideoOptions = {}): AsyncGenerator<DecodedFrame> {
  const { readVideoFramesNode } = await videoNode();
  yield* readVideoFramesNode(file, options);
}

/** The ffmpeg reader, behind a computed specifier so browser bundles hold no Node modules (video files are Node-only). */
async function videoNode(): Promise<typeof import('./video-node.js')> {
  const moduleName = './video-node.js';
  return (await import(/* @vite-ignore */ moduleName)) as typeof import('./video-node.js');
}
