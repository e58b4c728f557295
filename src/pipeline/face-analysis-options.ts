import type { OptionShape } from '../core/option-shape.js';
import type { InferenceSession, SessionOptions } from '../session/session.js';
import type { BackendName } from '../backends/options.js';
import type { DetSizeOption } from './detect-size.js';
import type { MaxNumMetric } from './max-num.js';
import type { ModelSource } from './model-pack.js';
import type { PackDownloadOptions } from './pack-download.js';
import type { Preprocessor } from './preprocess/preprocessor.js';
import type { StageTiming } from './stage-timer.js';

/** Which models FaceAnalysis.create loads, where from, and on which backend. */
export interface FaceAnalysisOptions {
  /** A folder, an installed pack name ('buffalo_l'), file paths, or `{ files: { name: bytes } }`. */
  readonly models: ModelSource;
  /**
   * Keep only these tasknames (e.g. ['detection', 'recognition']); 'detection' must be among them. A name that no
   * model of the pack has is dropped without an error, as InsightFace's `allowed_modules` drops it.
   */
  readonly allowedModules?: readonly string[];
  /** 'auto' (default): WebGPU on a hardware adapter when one exists, else the CPU backend. */
  readonly backend?: BackendName;
  /** Passed on to every model's InferenceSession (e.g. webgpu adapter choices). */
  readonly sessionOptions?: Omit<SessionOptions, 'backend'>;
  /**
   * Replaces the image stages. Default: on the webgpu backend the GPU pre-processing (bit-identical to the CPU
   * path, no read-back before results), else the CPU one.
   */
  readonly preprocessor?: Preprocessor;
  /**
   * Receives the loading messages: the backend chosen and why (`backend: cpu (…)`), InsightFace's model found /
   * skipped lines, and a download's progress (a line every tenth of the file, unless `download.onProgress` takes it).
   * A function; default none, so a load (a 289 MB download included) says nothing.
   */
  readonly log?: (message: string) => void;
  /**
   * The most faces a dynamic-batch head (recognition, landmarks, attributes) takes in one forward; a crowd runs in
   * chunks of this many, with the same results. Default 32 (DEFAULT_MAX_HEAD_BATCH).
   */
  readonly headBatch?: number;
  /**
   * When `models` names a pack that is not installed ('buffalo_l'), download it first, as InsightFace's
   * `ensure_available` does: `true` uses the Node entry's fetcher (official release, sha256-checked), or give
   * options (a mirror, a root, a progress callback, your own downloader). Default false: a missing pack is a
   * ModelPackError that says how to fetch it.
   */
  readonly download?: boolean | PackDownloadOptions;
}

/** InsightFace's prepare(det_thresh, det_size). */
export interface PrepareOptions {
  /** Detection score threshold (default 0.5). */
  readonly detThresh?: number;
  /** (W, H), a list of sizes (multi-size detection), 'auto' or [0, 0] (= [[128,128],[640,640]]). Default [640, 640]. */
  readonly detSize?: DetSizeOption;
}

/** InsightFace's get(img, max_num), and an optional timing record. */
export interface GetOptions {
  /** Keep at most this many faces (0 = all), chosen by `metric`. */
  readonly maxNum?: number;
  /**
   * How max_num picks faces: 'default' (area, favouring the image centre, as InsightFace) or 'max' (area alone).
   */
  readonly metric?: MaxNumMetric;
  /**
   * Receives the wall time of every stage of this call (decode, upload, each model's pre-processing, forward and
   * decoding). Off when absent; when on, GPU work is waited for at the end of each stage, which serialises it.
   */
  readonly timings?: StageTiming[];
}

/** getBatch's options: `get`'s, less timings, plus how many pixels one group of images may hold. */
export interface GetBatchOptions extends Omit<GetOptions, 'timings'> {
  /**
   * The most pixels of decoded images held at once (default DEFAULT_GROUP_PIXELS, 64 Mi: 192 MiB of BGR on the CPU
   * and 256 MiB uploaded on WebGPU). Inputs are decoded in order into groups under this bound, and each group is
   * detected and its heads run together (one submit on WebGPU) before the next is decoded; an image larger than the
   * bound is a group alone. Results do not depend on it.
   */
  readonly maxGroupPixels?: number;
}

/** The names and value kinds FaceAnalysis.create takes (each value's own rule is checked after). @internal */
export const FACE_ANALYSIS_SHAPE: OptionShape<FaceAnalysisOptions> = {
  models: 'any', allowedModules: 'array', backend: 'string', sessionOptions: 'object',
  preprocessor: 'object', log: 'function', headBatch: 'number', download: ['boolean', 'object'],
};
/** prepare's names and value kinds. @internal */
export const PREPARE_SHAPE: OptionShape<PrepareOptions> = { detThresh: 'number', detSize: 'any' };
/** get's names and value kinds. @internal */
export const GET_SHAPE: OptionShape<GetOptions> = { maxNum: 'number', metric: 'string', timings: 'array' };
/** getBatch's names and value kinds; `timings` is listed so that it is refused with getBatch's own reason. @internal */
export const GET_BATCH_SHAPE: OptionShape<GetBatchOptions & { readonly timings?: unknown }> = { maxNum: 'number', metric: 'string', maxGroupPixels: 'number', timings: 'any' };

/** getBatch's default maxGroupPixels: 64 Mi pixels (e.g. eight 8-megapixel photos, or two 24-megapixel ones). */
export const DEFAULT_GROUP_PIXELS = 64 * 1024 * 1024;

/** A loaded model of the pack: which file it came from and what it does. */
export interface LoadedModel {
  /** InsightFace's taskname ('detection', 'recognition', 'landmark_2d_106', …). */
  readonly taskname: string;
  /** The file it came from. */
  readonly file: string;
  /** Its compiled session. */
  readonly session: InferenceSession;
}
