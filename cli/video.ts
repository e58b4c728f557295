import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { once } from 'node:events';
import {
  FaceAnalysis, FaceTracker, PipelineOptionError, probeVideo, readVideoFrames, type BackendName,
} from '../src/index.js';
import { parseDetSizes } from '../src/pipeline/detect-size.js';
import { asksForHelp, optionValue, parseArgs, parseCountOption, parseNumberOption, parseRangeOption } from './args.js';
import { loadIndexFile } from './index-faces.js';
import { ResultsFileError } from './batch/errors.js';
import { firstLine, OutputFileError, prepareOutputFile } from './output-file.js';

export const VIDEO_USAGE = `insightgpu video IN.mp4 --models DIR --ndjson OUT.ndjson [--every 10] [--detect-every 1] [--det-size 640|WxH]
                   [--det-thresh 0.5] [--backend auto|webgpu|cpu] [--index FACES.igfx] [--max-frames N] [--no-smoothing]
                   [--ffmpeg PATH] [--quiet]`;

const VIDEO_HELP = `usage: ${VIDEO_USAGE}
  Tracks the faces of a video (decoded by Debian's ffmpeg: apt-get install ffmpeg) and writes one JSON line per
  frame: {"frame": i, "time": seconds, "faces": [{"trackId", "trackAge", "lostFrames", …the golden fields, "identity"?}],
  "ended"?: [trackIds that ended in this frame]}. OUT "-" writes to stdout; an OUT that exists and is not empty is
  refused, as analyze --ndjson refuses one (a video run has no --resume).
  --every N          re-run recognition and attributes on a tracked face every N frames (sooner on a large move/turn)
  --detect-every K   run the detector every K frames; landmarks (or the motion) carry the boxes in between
  --index FILE       name tracks (and re-identify ended ones) through a saved FaceIndex
  --max-frames N     stop after the first N frames (default 0: every frame)
  --no-smoothing     return the raw boxes and landmarks (default: one-euro smoothing)
  --ffmpeg PATH      the ffmpeg program (ffprobe is taken from the same folder); default: the one on PATH`;

/** `insightgpu video …`: returns the exit code. */
export async function videoCommand(argv: readonly string[]): Promise<number> {
  if (asksForHelp(argv)) { process.stdout.write(`${VIDEO_HELP}\n`); return 0; }
  const args = parseArgs(argv, ['models', 'ndjson', 'every', 'detect-every', 'det-size', 'det-thresh', 'backend', 'index', 'max-frames', 'ffmpeg'], ['no-smoothing', 'quiet']);
  const models = optionValue(args, 'models');
  if (!models) throw new PipelineOptionError('--models', 'is required (a folder of .onnx files or an installed pack name)');
  const ndjson = optionValue(args, 'ndjson');
  if (!ndjson) throw new PipelineOptionError('--ndjson', 'is required (where to write one JSON line per frame, or - for stdout)');
  if (args.positional.length !== 1) throw new PipelineOptionError('IN', `give exactly one video file (got ${args.positional.length})`);
  const input = args.positional[0]!;
  const backend = (optionValue(args, 'backend') ?? 'auto') as BackendName;
  if (!['auto', 'webgpu', 'cpu'].includes(backend)) throw new PipelineOptionError('--backend', `'${backend}' is not auto, webgpu or cpu`);
  const maxFrames = parseNumberOption(args, 'max-frames', 0, true);
  if (maxFrames < 0) throw new PipelineOptionError('--max-frames', 'must be ≥ 0 (0 = all)');
  const decoder = { ffmpeg: optionValue(args, 'ffmpeg'), maxFrames: maxFrames > 0 ? maxFrames : undefined };
  const quiet = args.flags.has('quiet');
  const detSizes = parseDetSizes(optionValue(args, 'det-size') ?? '640');
  const detThresh = parseRangeOption(args, 'det-thresh', 0.5, 0, 1);
  const recognizeEvery = parseCountOption(args, 'every', 10, 1);
  const detectEvery = parseCountOption(args, 'detect-every', 1, 1);
  if (ndjson !== '-') await refuseNonEmpty(ndjson);
  const indexFile = optionValue(args, 'index');
  // The decoder is checked before the models load: the first frame is decoded now, so a missing ffmpeg, a program
  // that is not one, or a video with no frames fails at once rather than after the pack has loaded.
  const info = await probeVideo(input, decoder);
  const frames = readVideoFrames(input, decoder);
  const first = await frames.next();
  let app: FaceAnalysis | undefined;
  const out = new LineSink(ndjson);
  try {
    const index = indexFile ? await loadIndexFile(indexFile) : undefined;
    app = await FaceAnalysis.create({ models, backend, log: quiet ? undefined : (m) => process.stderr.write(`${m}\n`) });
    app.prepare({ detThresh, detSize: detSizes });
    let tracker: FaceTracker;
    try {
      tracker = new FaceTracker(app, { recognizeEvery, detectEvery, index, smoothing: args.flags.has('no-smoothing') ? false : undefined, fps: info.fps });
    } catch (error) {
      // FaceTracker names its option 'index' (an index of another recognizer's dim, a pack with no recognizer); the
      // user typed --index FILE: the line names the flag and the file, as index add and index search do.
      if (error instanceof PipelineOptionError && error.option === 'index' && indexFile) {
        throw new PipelineOptionError('--index', `${indexFile} ${error.why}`, { cause: error });
      }
      throw error;
    }
    const started = performance.now();
    let count = 0;
    for (let next = first; !next.done; next = await frames.next()) {
      const frame = next.value;
      const faces = await tracker.track(frame.image, { timestamp: frame.time });
      const ended = tracker.ended().map((t) => t.trackId);
      const line = { frame: frame.index, time: frame.time / 1000, faces, ...(ended.length > 0 ? { ended } : {}) };
      await out.write(`${JSON.stringify(line)}\n`);
      count++;
      if (!quiet && count % 30 === 0) process.stderr.write(`video: ${count}${info.frames ? `/${info.frames}` : ''} frames\n`);
    }
    if (!quiet) {
      const s = tracker.stats;
      const seconds = (performance.now() - started) / 1000;
      process.stderr.write(`${count} frame(s) of ${info.width}×${info.height} at ${info.fps.toFixed(2)} fps in ${seconds.toFixed(1)} s; `
        + `${s.tracksStarted} track(s), ${s.detectorRuns} detector runs, ${s.recognitions} recognitions → ${ndjson}\n`);
    }
    return 0;
  } finally {
    // Stops the decoder when the run ends early (a model or index that fails to load, a failed frame).
    await frames.return(undefined);
    out.close();
    await app?.release();
  }
}

/**
 * An earlier run's lines are never overwritten: an existing, non-empty OUT is refused before any work (an empty one,
 * e.g. from `touch` or a run stopped before its first frame, is reused).
 */
async function refuseNonEmpty(file: string): Promise<void> {
  await prepareOutputFile(file);
  let size = 0;
  try { size = statSync(file).size; } catch { /* absent: made when the first frame is written */ }
  if (size > 0) throw new ResultsFileError('exists and is not empty; remove it or give another name (a video run has no --resume)', file);
}

/**
 * Where the lines go: stdout for "-", else OUT, made at the first line and appended with synchronous writes, so a
 * write that fails (a full disk) is an OutputFileError at that line, and a kill leaves only whole lines.
 */
class LineSink {
  private fd: number | undefined;

  constructor(private readonly file: string) {}

  async write(text: string): Promise<void> {
    if (this.file === '-') {
      if (!process.stdout.write(text)) await once(process.stdout, 'drain');
      return;
    }
    try {
      this.fd ??= openSync(this.file, 'w');
      const bytes = Buffer.from(text);
      for (let at = 0; at < bytes.length;) at += writeSync(this.fd, bytes, at);
    } catch (error) {
      throw new OutputFileError(firstLine(error), this.file, { cause: error });
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
