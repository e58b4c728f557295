import { InsightGpuError } from '../core/errors.js';
import type { InferenceSession } from '../session/session.js';
import { describeValue, optionsObject } from './call-options.js';
import type { Normalisation } from './preprocess/blob.js';
import { concatDetections, emptyDetections, takeRows, type Detections } from './detections.js';
import { AUTO_DET_SIZES, resolveDetSizes, type DetSizeOption } from './detect-size.js';
import { ModelContractError, PipelineOptionError } from './errors.js';
import { Face } from './face.js';
import type { BgrImage } from './image.js';
import { loadImage, type ImageInput } from './image-source.js';
import type { Size } from './preprocess/letterbox.js';
import { checkMaxNum, selectMaxNum, type MaxNumMetric } from './max-num.js';
import { nms } from './nms.js';
import { CpuPreprocessor, type Preprocessor } from './preprocess/preprocessor.js';
import { checkScrfdOutputs, decodeScrfd, rescaleDetections, scrfdLayout, type ScrfdLayout } from './scrfd-decode.js';
import { argsortDescending } from './sort-order.js';
import { NO_TIMER, type StageTimer } from './stage-timer.js';

/** What FaceAnalysis passes to the detector's internal entry point (`detectRows`). @internal */
export interface DetectOptions {
  /** Input sizes (W, H) for a dynamic-input model; ignored when the model's input size is fixed. */
  readonly sizes: readonly Size[];
  /** Score threshold (`det_thresh`). */
  readonly threshold: number;
  /** Keep at most this many rows (0 = all), chosen by `metric`. */
  readonly maxNum: number;
  /** How maxNum ranks the rows. */
  readonly metric: MaxNumMetric;
  /** NMS IoU threshold (default: the detector's prepared nms_thresh, initially 0.4). */
  readonly nmsThreshold?: number;
  /** Stage timings (off by default). */
  readonly timer?: StageTimer;
}

/** `ScrfdDetector.prepare`'s settings (InsightFace's `SCRFD.prepare(ctx_id, input_size=…, det_thresh=…, nms_thresh=…)`). */
export interface ScrfdPrepareOptions {
  /**
   * InsightFace's `input_size`: one (W, H), a list of them (multi-size detection, InsightFace 1.0.1), `'auto'` or
   * [0, 0] (= [[128, 128], [640, 640]]). Ignored when the model's input size is fixed (as InsightFace does).
   * Default: unchanged (before any prepare: 'auto').
   */
  readonly inputSize?: DetSizeOption;
  /** Score threshold (`det_thresh`); a score equal to it is kept. Default: unchanged (initially 0.5). */
  readonly detThresh?: number;
  /** NMS IoU threshold (`nms_thresh`); an IoU equal to it survives. Default: unchanged (initially 0.4). */
  readonly nmsThresh?: number;
}

/** `ScrfdDetector.detect`'s options (InsightFace's `detect(img, input_size=None, max_num=0, metric='default')`). */
export interface ScrfdDetectOptions {
  /** Sizes for this call only (same forms as `prepare`'s `inputSize`); default: the prepared ones. */
  readonly inputSize?: DetSizeOption;
  /** Keep at most this many faces (0, the default, keeps all), chosen by `metric`; they are then in metric order. */
  readonly maxNum?: number;
  /** 'default' (big faces near the image centre) or 'max' (big faces). */
  readonly metric?: MaxNumMetric;
}

/**
 * `ScrfdDetector.detect`'s result, Python's `(bboxes, kpss)` as arrays of rows: `bboxes[i]` is face i's row
 * `[x1, y1, x2, y2, det_score]` (float32, length 5; n×5 in all), `kpss[i]` its five keypoints flat
 * `[x0, y0, … x4, y4]` (float32, length 10, the layout of `Face.kps`; n×5×2 in all), or `kpss` is null when the
 * model has no keypoint outputs. Rows are in InsightFace's order (score order after NMS; metric order after maxNum).
 */
export interface ScrfdDetectResult {
  /** One `[x1, y1, x2, y2, score]` row per face. */
  readonly bboxes: Float32Array[];
  /** One 10-value keypoint row per face, or null for a detector without keypoints. */
  readonly kpss: Float32Array[] | null;
}

/** InsightFace 1.0.1's SCRFD class (RetinaFace in 0.7.3 decodes the same way), including multi-size detection. */
export class ScrfdDetector {
  /** InsightFace's taskname for every detector. */
  readonly taskname = 'detection';
  /** Pyramid levels, anchors per cell and whether keypoints are predicted (from the output count). */
  readonly layout: ScrfdLayout;
  /** InsightFace's `input_mean` / `input_std` for detectors (never probed): 127.5 / 128. */
  readonly norm: Normalisation = { mean: 127.5, std: 128 };
  /** The model's own (W, H) when its input is static. */
  readonly fixedSize: Size | undefined;
  private readonly inputName: string;
  private sizes: Size[] = [...AUTO_DET_SIZES];
  private threshold = 0.5;
  private nmsThreshold = 0.4;
  private readonly pre = new CpuPreprocessor();
  /** Sizes already found to suit the model ('W×H'). */
  private readonly suitedSizes = new Set<string>();

  /** A detector over a compiled session (getModel builds one from a file); throws ModelContractError for a non-SCRFD output count. */
  constructor(private readonly session: InferenceSession) {
    const layout = scrfdLayout(session.outputNames.length);
    if (!layout) throw new ModelContractError('detection', `${session.outputNames.length} outputs; SCRFD/RetinaFace exports have 6, 9, 10 or 15`);
    this.layout = layout;
    const input = session.inputMetadata[0];
    if (!input) throw new ModelContractError('detection', 'the model has no input');
    this.inputName = input.name;
    const [, , h, w] = input.shape;
    this.fixedSize = typeof h === 'number' && typeof w === 'number' ? [w, h] : undefined;
  }

  /** InsightFace's `det_thresh` as prepared (default 0.5). */
  get detThresh(): number { return this.threshold; }
  /** InsightFace's `nms_thresh` as prepared (default 0.4). */
  get nmsThresh(): number { return this.nmsThreshold; }
  /** The sizes `detect` runs at: the model's own size when its input is fixed, else the prepared ones. */
  get inputSize(): readonly Size[] { return this.fixedSize ? [this.fixedSize] : this.sizes; }

  /**
   * InsightFace's `prepare`: sets the input size(s) and thresholds for later `detect` calls; options left out keep
   * their value. Throws PipelineOptionError for a non-finite threshold or a malformed size.
   */
  prepare(prepareOptions?: ScrfdPrepareOptions): this {
    const options = optionsObject(prepareOptions, 'prepare', { inputSize: 'any', detThresh: 'number', nmsThresh: 'number' });
    const detThresh = options.detThresh ?? this.threshold;
    const nmsThresh = options.nmsThresh ?? this.nmsThreshold;
    if (typeof detThresh !== 'number' || !Number.isFinite(detThresh)) throw new PipelineOptionError('detThresh', `${describeValue(detThresh)} is not a number`);
    if (typeof nmsThresh !== 'number' || !Number.isFinite(nmsThresh)) throw new PipelineOptionError('nmsThresh', `${describeValue(nmsThresh)} is not a number`);
    const sizes = options.inputSize === undefined ? this.sizes : this.checkSizes(resolveDetSizes(options.inputSize), 'inputSize');
    this.threshold = detThresh;
    this.nmsThreshold = nmsThresh;
    this.sizes = sizes;
    return this;
  }

  /**
   * InsightFace's `detect(img, input_size, max_num, metric)`: the faces of one image as `{ bboxes, kpss }` rows (see
   * ScrfdDetectResult), at the prepared thresholds. Pre-processing runs on the CPU (OpenCV's arithmetic).
   * Throws ImageError for an input that is not an image, PipelineOptionError for bad options.
   */
  async detect(image: ImageInput, detectOptions?: ScrfdDetectOptions): Promise<ScrfdDetectResult> {
    const options = optionsObject(detectOptions, 'detect', { inputSize: 'any', maxNum: 'number', metric: 'string' });
    const maxNum = options.maxNum ?? 0;
    const metric = options.metric ?? 'default';
    checkMaxNum(maxNum, metric);
    const sizes = options.inputSize === undefined ? this.sizes : this.checkSizes(resolveDetSizes(options.inputSize), 'inputSize');
    const img = await loadImage(image);
    const det = await this.detectRows(img, this.pre, { sizes, threshold: this.threshold, nmsThreshold: this.nmsThreshold, maxNum, metric });
    const bboxes: Float32Array[] = [];
    const kpss: Float32Array[] | null = det.kps ? [] : null;
    for (let i = 0; i < det.count; i++) {
      const row = new Float32Array(5);
      row.set(det.boxes.subarray(i * 4, i * 4 + 4));
      row[4] = det.scores[i]!;
      bboxes.push(row);
      kpss?.push(det.kps!.slice(i * 10, i * 10 + 10));
    }
    return { bboxes, kpss };
  }

  /** Releases the session (its backend and compiled plans); the detector cannot run afterwards. */
  async release(): Promise<void> {
    await this.session.release();
  }

  /**
   * Refuses, as a PipelineOptionError naming `option`, a size the model cannot run at or whose outputs do not fit
   * InsightFace's anchor grid (found by the model's own shape inference, so every size that runs passes: SCRFD-2.5G
   * takes 33×65 and 321×321, but not 31×31, whose stride-8 map has ⌈31/8⌉² cells for the grid's ⌊31/8⌋², nor 16×16,
   * too small for its pooling); otherwise the first detection at that size failed. A fixed-size model ignores the
   * sizes, as InsightFace does. Returns the sizes. @internal
   */
  checkSizes(sizes: readonly Size[], option: string): Size[] {
    if (this.fixedSize) return [...sizes];
    for (const [w, h] of sizes) {
      const key = `${w}×${h}`;
      if (this.suitedSizes.has(key)) continue;
      try {
        const outputs = this.session.outputTypesFor(new Map([[this.inputName, { type: 'float32', dims: [1, 3, h, w] }]]));
        checkScrfdOutputs(outputs, this.layout, w, h);
      } catch (error) {
        if (!(error instanceof InsightGpuError)) throw error;
        throw new PipelineOptionError(option, `${key} does not suit this detector (${error.message})`);
      }
      this.suitedSizes.add(key);
    }
    return [...sizes];
  }

  /**
   * FaceAnalysis's entry point: boxes, scores and keypoints in image coordinates: per size letterbox → forward →
   * decode → ÷ det_scale → score sort; all sizes concatenated and re-sorted; one NMS (0.4); then max_num.
   * @internal
   */
  async detectRows(image: BgrImage, pre: Preprocessor, options: DetectOptions): Promise<Detections> {
    const sizes = this.fixedSize ? [this.fixedSize] : options.sizes;
    const timer = options.timer ?? NO_TIMER;
    const perSize: Detections[] = [];
    for (const size of sizes) {
      const { tensor, detScale } = await timer.time('detection.pre', 'pre', () => pre.detectionInput(image, size, this.norm, { session: this.session, name: this.inputName }));
      const results = await timer.time('detection.forward', 'forward', () => this.session.run({ [this.inputName]: tensor }));
      const decoded = await timer.time('detection.decode', 'post', async () => {
        // Outputs by name in graph order: numeric names would reorder a plain object's keys.
        const outputs = this.session.outputNames.map((n) => results[n]!);
        return rescaleDetections(decodeScrfd(outputs, this.layout, size[0], size[1], options.threshold), detScale);
      });
      if (decoded.count === 0) continue;
      perSize.push(takeRows(decoded, argsortDescending(decoded.scores)));
    }
    if (perSize.length === 0) return emptyDetections(this.layout.useKps);
    return timer.time('detection.nms', 'post', async () => {
      const all = concatDetections(perSize, this.layout.useKps);
      const sorted = takeRows(all, argsortDescending(all.scores));
      let det = takeRows(sorted, nms(sorted.boxes, sorted.scores, options.nmsThreshold ?? this.nmsThreshold));
      if (options.maxNum > 0 && det.count > options.maxNum) {
        det = takeRows(det, selectMaxNum(det.boxes, image.width, image.height, options.maxNum, options.metric));
      }
      return det;
    });
  }
}

/**
 * One Face per detected row, as InsightFace's FaceAnalysis builds them: `Face(bbox=bboxes[i][0:4], kps=kpss[i],
 * det_score=bboxes[i][4])`.
 */
export function facesFromDetections(result: ScrfdDetectResult): Face[] {
  return result.bboxes.map((row, i) => new Face(row.slice(0, 4), result.kpss?.[i]?.slice(), row[4]!));
}
