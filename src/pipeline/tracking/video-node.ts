import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { PipelineOptionError } from '../errors.js';
import { createBgrImage } from '../image.js';
import { VideoDecoderMissingError, VideoError } from './errors.js';
import type { DecodedFrame, DecoderHandle, ReadVideoOptions, VideoInfo } from './video-types.js';

/** The most of a decoder's stderr kept for an error message. */
const STDERR_KEEP = 4000;

/**
 * A program given as a folder (`--ffmpeg /usr/bin`) is refused as such: otherwise ffprobe was looked for beside the
 * folder ('/usr/ffprobe') and reported as FFmpeg not being installed.
 */
function refuseFolders(options: ReadVideoOptions): void {
  for (const key of ['ffmpeg', 'ffprobe'] as const) {
    const program = options[key];
    if (program === undefined) continue;
    let folder = false;
    try { folder = statSync(program).isDirectory(); } catch { /* absent or a bare name: spawn says so */ }
    if (folder) throw new PipelineOptionError(key, `'${program}' is a folder; give the program itself (e.g. ${path.join(program, key)})`);
  }
}

/**
 * The decoder's stderr as one line of an error message, so the CLI prints one line: its lines joined by '; ', and of
 * many (a damaged stream repeats its complaint for every frame) the first two, which say what went wrong first, and
 * the last two, which say why the decoder stopped.
 */
function oneLine(stderr: string): string {
  const lines = stderr.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  if (lines.length === 0) return 'no message';
  if (lines.length <= 4) return lines.join('; ');
  return [...lines.slice(0, 2), `… ${lines.length - 4} more line(s)`, ...lines.slice(-2)].join('; ');
}

/**
 * The name FFmpeg is given for a file: its absolute path, since FFmpeg reads a relative name with a colon
 * ('cam1:0930.mp4') as a protocol ('Protocol not found'); a URL (scheme://…) is passed as it is.
 */
function inputName(file: string): string {
  return isUrl(file) ? file : path.resolve(file);
}

/** Whether `file` names a URL (`scheme://…`) rather than a path. */
function isUrl(file: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(file);
}

/** ffprobe beside an explicitly given ffmpeg (same folder; `besideFfmpeg` names it), else the one on PATH. */
function ffprobeFor(options: ReadVideoOptions): { program: string; besideFfmpeg?: string } {
  refuseFolders(options);
  if (options.ffprobe) return { program: options.ffprobe };
  const ffmpeg = options.ffmpeg;
  return ffmpeg && ffmpeg.includes(path.sep) ? { program: path.join(path.dirname(ffmpeg), 'ffprobe'), besideFfmpeg: ffmpeg } : { program: 'ffprobe' };
}

/** Runs a program to completion and returns its stdout; VideoDecoderMissingError when it does not exist. */
function runToEnd({ program, besideFfmpeg }: { program: string; besideFfmpeg?: string }, args: readonly string[], source: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => { out += s; });
    child.stderr.setEncoding('utf8').on('data', (s: string) => { err = (err + s).slice(-STDERR_KEEP); });
    child.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' ? new VideoDecoderMissingError(program, { cause: e, ...(besideFfmpeg === undefined ? {} : { besideFfmpeg }) }) : new VideoError(`${program}: ${e.message}`, source, { cause: e })));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new VideoError(`${program} exited with ${code}: ${oneLine(err)}`, source))));
  });
}

function parseRate(text: string | undefined): number | undefined {
  const [num, den] = (text ?? '').split('/').map(Number);
  const rate = den === undefined ? num : num! / den;
  return rate !== undefined && Number.isFinite(rate) && rate > 0 ? rate : undefined;
}

/**
 * probeVideo on Node: ffprobe's first video stream. 'V', not 'v': a music file's cover art (an attached picture) is
 * a video stream of one frame at a made-up 90000 fps, not a video. @internal
 */
export async function probeVideoNode(file: string, options: ReadVideoOptions = {}): Promise<VideoInfo> {
  return (await probeStream(file, options)).info;
}

/** A sample aspect ratio ('num:den') as a number; undefined for none, unknown ('0:1') or malformed. */
function parseAspect(text: string | undefined): number | undefined {
  const [num, den] = (text ?? '').split(':').map(Number);
  const ratio = num! / den!;
  return Number.isFinite(ratio) && ratio > 0 ? ratio : undefined;
}

/**
 * The stream's upright display size and rate, and whether its pixels are not square (`anamorphic`: a DVD's or a
 * broadcast's 720×576 shown 16:9), so the reader scales its frames to that display size.
 */
async function probeStream(file: string, options: ReadVideoOptions): Promise<{ info: VideoInfo; anamorphic: boolean }> {
  // -i: the file as an input, so a name that starts with '-' is not read as an option.
  const json = await runToEnd(ffprobeFor(options), [
    '-v', 'error', '-select_streams', 'V:0', '-show_entries',
    'stream=width,height,sample_aspect_ratio,avg_frame_rate,r_frame_rate,nb_frames:stream_side_data=rotation:stream_tags=rotate:format=duration', '-of', 'json', '-i', inputName(file),
  ], file);
  const parsed = JSON.parse(json) as {
    streams?: { width?: number; height?: number; sample_aspect_ratio?: string; avg_frame_rate?: string; r_frame_rate?: string; nb_frames?: string; side_data_list?: { rotation?: number }[]; tags?: { rotate?: string } }[];
    format?: { duration?: string };
  };
  const stream = parsed.streams?.[0];
  if (!stream || !Number.isInteger(stream.width) || !Number.isInteger(stream.height)) throw new VideoError('no video stream', file);
  // A phone's portrait clip is stored landscape with a display rotation, which ffmpeg applies when it decodes (as
  // players and OpenCV's VideoCapture do): a quarter turn swaps the size the frames come in.
  const rotation = stream.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation ?? Number(stream.tags?.rotate ?? 0);
  const quarterTurn = Number.isFinite(rotation) && Math.abs(Math.round(rotation / 90)) % 2 === 1 && Math.abs(rotation / 90 - Math.round(rotation / 90)) * 90 < 1;
  const fps = parseRate(stream.avg_frame_rate) ?? parseRate(stream.r_frame_rate);
  if (fps === undefined) throw new VideoError('the video stream has no frame rate', file);
  const frames = Number(stream.nb_frames);
  const duration = Number(parsed.format?.duration);
  // Non-square pixels are widened (or narrowed) to the display width players show: decoded at the stored size, a
  // 2:1 sample aspect ratio's faces come out half as wide as they are, and the detector misses or misplaces them.
  const aspect = parseAspect(stream.sample_aspect_ratio) ?? 1;
  const anamorphic = Math.abs(aspect - 1) > 1e-6;
  const shownWidth = anamorphic ? Math.max(1, Math.round(stream.width! * aspect)) : stream.width!;
  const info = {
    width: quarterTurn ? stream.height! : shownWidth, height: quarterTurn ? shownWidth : stream.height!, fps,
    frames: Number.isInteger(frames) && frames > 0 ? frames : undefined,
    duration: Number.isFinite(duration) ? duration : undefined,
  };
  return { info, anamorphic };
}

/**
 * The presentation times (ms from the first) of the first video stream's packets, in order: a variable-frame-rate
 * video's frames are not evenly spaced, so the average rate gives a frame the wrong time. Packets, not frames: the
 * demuxer alone reads them, without a second decode. Empty for a constant-rate video. @internal
 */
async function frameTimesNode(file: string, fps: number, options: ReadVideoOptions): Promise<number[]> {
  const csv = await runToEnd(ffprobeFor(options), ['-v', 'error', '-select_streams', 'V:0', '-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0', '-i', inputName(file)], file);
  // A packet flagged D (discard) is decoded but not shown: the frames an edit list cuts away (a stream-copied `-ss`
  // cut starts at the keyframe before it) give no frame, so their times are not frame times.
  const pts = csv.split('\n').map((line) => line.split(','))
    .filter(([, flags]) => !flags?.includes('D'))
    .map(([time]) => Number.parseFloat(time ?? '')).filter((t) => Number.isFinite(t)).sort((a, b) => a - b);
  const times = pts.map((t) => (t - pts[0]!) * 1000);
  // Two packets at one time (files joined byte for byte, each restarting its clock: `cat a.ts b.ts`) make no single
  // timeline: sorted, they would give frames the same and out-of-order times. Such a stream keeps index / fps times.
  if (times.some((t, i) => i > 0 && t <= times[i - 1]!)) return [];
  // A constant-rate video keeps its exact index / fps times: its stored times differ from them only by the
  // container's rounding (1 ms in Matroska).
  return times.every((t, i) => Math.abs(t - (i * 1000) / fps) <= 1) ? [] : times;
}

/**
 * readVideoFrames on Node: ffmpeg decodes to raw BGR on its stdout, read a whole frame at a time. `handle.stop` is
 * set to kill the decoder (for a reader dropped without `return()`). @internal
 */
export async function* readVideoFramesNode(file: string, options: ReadVideoOptions = {}, handle?: DecoderHandle): AsyncGenerator<DecodedFrame> {
  const { info, anamorphic } = await probeStream(file, options);
  const { width, height, fps } = info;
  // A URL may be a live stream (rtsp://, an endless http feed) whose packets never end: it keeps index / fps times.
  const times = isUrl(file) ? [] : await frameTimesNode(file, fps, options);
  const frameBytes = width * height * 3;
  const program = options.ffmpeg ?? 'ffmpeg';
  // Frames come upright (ffmpeg's autorotate), in the size probeVideoNode reports for the rotation. -map 0:V:0: the
  // stream ffprobe read (ffmpeg's own pick is the default or largest one, which may be another size).
  // A stream with non-square pixels is scaled to its display size (after the rotation, which ffmpeg applies first).
  const scale = anamorphic ? ['-vf', `scale=${width}:${height},setsar=1`] : [];
  const child = spawn(program, ['-v', 'error', '-nostdin', '-i', inputName(file), '-map', '0:V:0', ...scale, '-vsync', 'passthrough', '-an', '-sn', '-f', 'rawvideo', '-pix_fmt', 'bgr24', '-'], { stdio: ['ignore', 'pipe', 'pipe'] });
  // Closing the pipe's end too: an ffmpeg blocked writing into a full pipe finishes its write (SIGTERM does not
  // interrupt it) and exits only on the broken pipe.
  const stop = (): void => {
    if (child.exitCode === null) child.kill();
    child.stdout.destroy();
  };
  if (handle) handle.stop = stop;
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr = (stderr + s).slice(-STDERR_KEEP); });
  // The decoder and its pipes keep the process alive only while the reader waits on them: between frames (and for a
  // reader dropped without break or return(), which would otherwise hold the process open forever behind a
  // paused ffmpeg) they are unreferenced, so a script that is done exits.
  const handles = [child, child.stdout, child.stderr] as unknown as { ref(): void; unref(): void }[];
  const waitingOn = async <T>(work: Promise<T>): Promise<T> => {
    for (const h of handles) h.ref();
    try {
      return await work;
    } finally {
      for (const h of handles) h.unref();
    }
  };
  const chunks = (child.stdout as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' ? new VideoDecoderMissingError(program, { cause: e }) : new VideoError(`${program}: ${e.message}`, file, { cause: e })));
    child.on('close', (code) => resolve(code));
  });
  // A spawn failure surfaces through `exited`; keep it from being reported as unhandled before it is awaited.
  exited.catch(() => undefined);
  const limit = options.maxFrames ?? Infinity;
  let index = 0;
  let frame = new Uint8Array(frameBytes);
  let filled = 0;
  try {
    for (;;) {
      const next = await waitingOn(chunks.next());
      if (next.done === true) break;
      const chunk = next.value;
      let at = 0;
      while (at < chunk.length && index < limit) {
        const take = Math.min(frameBytes - filled, chunk.length - at);
        frame.set(chunk.subarray(at, at + take), filled);
        filled += take;
        at += take;
        if (filled === frameBytes) {
          yield { image: createBgrImage(width, height, frame), index, time: times[index] ?? (index * 1000) / fps };
          index++;
          frame = new Uint8Array(frameBytes);
          filled = 0;
        }
      }
      if (index >= limit) break;
    }
    if (index >= limit) return;
    const code = await waitingOn(exited);
    if (code !== 0) throw new VideoError(`${program} exited with ${code}: ${oneLine(stderr)}`, file);
    if (filled !== 0) throw new VideoError(`the stream ended inside a frame (${filled} of ${frameBytes} bytes)`, file);
    // ffprobe found a video stream, so a clean exit with nothing decoded is a stream without frames, or a program
    // that is not an ffmpeg: either way no frame is not a result.
    if (index === 0) throw new VideoError(`${program} decoded no frames`, file);
    // ffmpeg exits 0 on a truncated file, having decoded what it could and said why on stderr (-v error shows only
    // errors): fewer frames than the container states, with errors, is a cut-off video, not a short one.
    if (info.frames !== undefined && index < info.frames && stderr.trim() !== '') {
      throw new VideoError(`decoded ${index} of the ${info.frames} frames the file states (truncated or damaged?): ${oneLine(stderr)}`, file);
    }
  } finally {
    // The consumer may stop early: the decoder must not keep running behind it.
    stop();
  }
}
