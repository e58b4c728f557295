import type { GpuDevice } from '../backends/webgpu/device.js';
import { analyseImages } from './batch-analysis.js';
import { loadAnalysisPack } from './analysis-pack.js';
import { resolveDetSizes } from './detect-size.js';
import { drawFaces, type DrawOptions } from './draw.js';
import { DEFAULT_GROUP_PIXELS, GET_BATCH_SHAPE, GET_SHAPE, PREPARE_SHAPE, type FaceAnalysisOptions, type GetBatchOptions, type GetOptions, type LoadedModel, type PrepareOptions } from './face-analysis-options.js';
import { FrameReentryError, PipelineOptionError } from './errors.js';
import { insideFrameOf, runInFrameOf } from './frame-scope.js';
import { Face } from './face.js';
import type { FaceModel } from './face-model.js';
import { cloneImage, type BgrImage } from './image.js';
import { checkInputKind, holdInput, loadImage, type ImageInput } from './image-source.js';
import { FrameImage } from './frames/frame-image.js';
import { annotateFaces } from './annotate-faces.js';
import { ANNOTATE_SHAPE, DETECT_FACES_SHAPE, withAnalysisFrame, type AnalysisFrame, type AnnotateOptions, type DetectFacesOptions } from './analysis-frame.js';
import type { Size } from './preprocess/letterbox.js';
import { checkMaxNum, type MaxNumMetric } from './max-num.js';
import { describeValue, optionsObject, requireArray } from './call-options.js';
import { requireBbox, requireKps } from './face-input.js';
import { InputError } from '../core/errors.js';
import { packCompileTimeline, type CreateRecord, type PackCompileTimeline } from './compile-timeline.js';
import type { Preprocessor } from './preprocess/preprocessor.js';
import type { ScrfdDetector } from './scrfd.js';
import { NO_TIMER, recordingTimer, type StageTiming } from './stage-timer.js';

/** InsightFace's FaceAnalysis: detector + every other model of the pack, applied to each detected face. */
export class FaceAnalysis {
  private queue: Promise<unknown> = Promise.resolve();
  private released = false;
  private releasing: Promise<void> | undefined;

  private constructor(
    /**
     * The pack's detector, usable on its own (`detect`, prepared by `prepare`). It holds the detection settings, as
     * InsightFace's `det_model` does: `app.detector.prepare({ detThresh })` changes what `get` runs with too. On WebGPU, await `get` before calling
     * it (or the other models' `get`): GPU pre-processing writes the sessions' input buffers that a concurrent call
     * would also write.
     */
    readonly detector: ScrfdDetector,
    /** Non-detection models in load order (the order they annotate faces). */
    readonly faceModels: readonly FaceModel[],
    /** taskname → model, in InsightFace's insertion order (detection included). */
    readonly models: ReadonlyMap<string, LoadedModel>,
    private readonly preprocessor: Preprocessor,
    /** The device of all its sessions (undefined on the CPU); releasing it destroys only a device acquired here, never a lent one. */
    private readonly gpu: GpuDevice | undefined,
    /** Milliseconds `create` spent decoding the model files (each model's compile phases: its session's compileTimes). */
    readonly decodeMs: number,
    private readonly createRecord: CreateRecord,
  ) {}

  /**
   * Loads the pack (downloading it first when `download` asks), routes each file as InsightFace's ModelRouter
   * does, and compiles every model on one backend; `log` receives InsightFace's loading messages and the backend
   * chosen.
   */
  static async create(options: FaceAnalysisOptions): Promise<FaceAnalysis> {
    if (options === null || typeof options !== 'object') {
      throw new PipelineOptionError('options', `FaceAnalysis.create takes { models, … }, got ${describeValue(options)}`);
    }
    const pack = await loadAnalysisPack(options);
    return new FaceAnalysis(pack.detector, pack.faceModels, pack.models, pack.preprocessor, pack.gpu, pack.decodeMs, pack.createRecord);
  }

  /**
   * Where create and compiling went, per model in load order: its parse, its session's precompiles (kernels asked
   * for ahead: a dynamic-size detector's at the usual size, dynamic-batch heads' per bucket) and its plans so far
   * (static models' at create, a dynamic detector's at its first get()), with passes, lowering, pipelines
   * requested/ready and upload, on `performance.now()`'s clock. Waits for the precompiles in flight.
   */
  compileTimeline(): Promise<PackCompileTimeline> {
    return packCompileTimeline(this.createRecord, this.models);
  }

  /**
   * Detection threshold and input size(s), as InsightFace 1.0.1's `prepare(det_thresh=0.5, det_size=None)`: a call
   * without `detSize`, like no call at all, detects at the automatic sizes ([128, 128] and [640, 640]).
   * Throws PipelineOptionError for a threshold that is not a number or a malformed or oversized size, keeping the
   * settings it had. Calls already made keep the settings they were made under.
   */
  prepare(options?: PrepareOptions): this {
    this.checkLive();
    const { detThresh, detSize } = optionsObject(options, 'prepare', PREPARE_SHAPE);
    const thresh = detThresh ?? 0.5;
    if (typeof thresh !== 'number' || !Number.isFinite(thresh)) throw new PipelineOptionError('detThresh', `${describeValue(thresh)} is not a number`);
    // Both checked before either is set, so a refused call leaves the analysis as it was.
    const sizes = this.detector.checkSizes(resolveDetSizes(detSize ?? 'auto'), 'detSize');
    // As InsightFace's prepare does (det_model.prepare(input_size=det_size, det_thresh=…)). The detector holds the
    // settings, as det_model does in Python: `app.detector.prepare(…)` later changes what `get` runs with too.
    this.detector.prepare({ inputSize: sizes, detThresh: thresh });
    return this;
  }

  /** The sizes detection will run at (the model's own size when its input is fixed). */
  get detSize(): readonly Size[] {
    return this.detector.inputSize;
  }

  /**
   * Detects faces and fills every field the pack's models provide, in InsightFace's face order. Rejects with
   * ImageError for an input that is not a usable image, PipelineOptionError for bad options, InputError after
   * `release`; the analysis stays usable after the first two. An image in memory is copied at the call, so the
   * caller may reuse its buffer at once.
   */
  async get(input: ImageInput, options?: GetOptions): Promise<Face[]> {
    this.checkOutsideFrame('get');
    this.checkLive();
    const { timings, ...picked } = optionsObject(options, 'get', GET_SHAPE);
    if (timings !== undefined) requireArray(timings, 'timings', 'get');
    const maxNum = picked.maxNum ?? 0;
    const metric = picked.metric ?? 'default';
    checkMaxNum(maxNum, metric);
    // Taken now: the call may wait for others, and the caller may reuse its buffer (or call prepare) meanwhile.
    const held = holdInput(input);
    const settings = this.settings();
    const run = this.queue.then(() => this.analyse(held, settings, maxNum, metric, timings));
    // Calls take turns: GPU pre-processing writes the sessions' input buffers, which one call at a time may own.
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * `get` over several images: decodes them, detects on each, then runs the heads on the faces of all of them
   * together (on WebGPU in one submit per group of images under `maxGroupPixels`; a dynamic-batch head's batches hold several images' crops on the CPU and on
   * a software adapter, where a crop's rows do not depend on its batch). Returns one face list per input, in input
   * order, each identical to what `get` returns for that image alone. Throws on the first input that fails (an
   * ImageError for a bad image, whose source is the path, or `inputs[i]` for any other input); to keep going past bad files, call `get` per image. Inputs are read when their
   * group's turn comes (not copied at the call, which would hold them all at once): leave them unchanged until it settles.
   */
  async getBatch(inputs: readonly ImageInput[], options?: GetBatchOptions): Promise<Face[][]> {
    this.checkOutsideFrame('getBatch');
    this.checkLive();
    requireArray(inputs, 'inputs', 'getBatch');
    const picked = optionsObject(options, 'getBatch', GET_BATCH_SHAPE);
    // get's timings have no per-image meaning here (the heads run over several images at once): refused, not ignored.
    if ((picked as { timings?: unknown }).timings !== undefined) throw new PipelineOptionError('timings', 'getBatch records no stage timings; call get per image with timings');
    const maxNum = picked.maxNum ?? 0;
    const metric = picked.metric ?? 'default';
    const maxGroupPixels = picked.maxGroupPixels ?? DEFAULT_GROUP_PIXELS;
    checkMaxNum(maxNum, metric);
    if (typeof maxGroupPixels !== 'number' || !Number.isFinite(maxGroupPixels) || maxGroupPixels < 1) {
      throw new PipelineOptionError('maxGroupPixels', `${describeValue(maxGroupPixels)} is not a positive number`);
    }
    // Every input that could never be read is refused now, naming its index, rather than after the groups before it ran.
    for (let i = 0; i < inputs.length; i++) checkInputKind(inputs[i]!, `inputs[${i}]`);
    const { sizes, threshold } = this.settings();
    const run = this.queue.then(() => analyseImages({
      detector: this.detector, faceModels: this.faceModels, preprocessor: this.preprocessor, sizes, threshold, maxNum, metric, together: this.onWebGpu,
      // Batches across images where rows are batch-independent: the CPU, and a software adapter's direct kernels
      // (a hardware adapter's specialised GEMMs split K by the batch's size).
      acrossImages: !this.onWebGpu || this.gpu?.isSoftware === true,
    }, inputs, maxGroupPixels));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Holds one image on this analysis's pre-processor while `work` runs detection and chosen heads on it (see
   * AnalysisFrame): on WebGPU the image (a browser frame included) is uploaded once for all of them, with no read-back
   * of its pixels. Takes its turn with `get` and the other calls; calling them from inside `work` would wait for
   * `work` itself, so use the frame's methods there.
   *
   * ```ts
   * const faces = await app.withFrame(videoFrame, async (frame) => {
   *   const found = await frame.detect();
   *   await frame.annotate(found, { models: ['landmark_2d_106'] });
   *   return found;
   * });
   * ```
   */
  async withFrame<T>(input: ImageInput, work: (frame: AnalysisFrame) => Promise<T>): Promise<T> {
    this.checkOutsideFrame('withFrame');
    this.checkLive();
    if (typeof work !== 'function') throw new PipelineOptionError('work', `withFrame takes a callback, got ${describeValue(work)}`);
    return this.withHeldFrame(holdInput(input), work);
  }

  /**
   * `withFrame` over an input already held (holdInput) by the caller, which FaceTracker does at its own call: a
   * second copy of the same frame would buy nothing. @internal
   */
  async withHeldFrame<T>(held: ImageInput, work: (frame: AnalysisFrame) => Promise<T>): Promise<T> {
    this.checkOutsideFrame('withFrame');
    this.checkLive();
    const { sizes, threshold } = this.settings();
    const run = this.queue.then(async () => {
      const image = await loadImage(held);
      try {
        return await withAnalysisFrame({
          detector: this.detector, faceModels: this.faceModels, preprocessor: this.preprocessor, sizes, threshold, together: this.onWebGpu,
        }, image, (frame) => runInFrameOf(this, () => work(frame)));
      } finally {
        // As in `get`: a capture made here (of a video element) is closed here; the caller's frame stays open.
        if (image !== held && image instanceof FrameImage) image.release();
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Detection alone, as `get` runs it (pre-processing on this analysis's own path): faces with bbox, kps and det_score. */
  async detectFaces(input: ImageInput, options?: DetectFacesOptions): Promise<Face[]> {
    this.checkOutsideFrame('detectFaces');
    const picked = optionsObject(options, 'detectFaces', DETECT_FACES_SHAPE);
    return this.withFrame(input, (frame) => frame.detect(picked));
  }

  /** Runs the chosen heads (default all) on faces of `input`, writing their fields onto them, as `get` would. */
  async annotate(input: ImageInput, faces: readonly Face[], options?: AnnotateOptions): Promise<void> {
    this.checkOutsideFrame('annotate');
    requireArray(faces, 'faces', 'annotate');
    const picked = optionsObject(options, 'annotate', ANNOTATE_SHAPE);
    return this.withFrame(input, (frame) => frame.annotate(faces, picked));
  }

  /**
   * Refuses a call that would queue behind the frame whose callback makes it (FrameReentryError): on Node anywhere in
   * the callback, elsewhere before its first await. @internal
   */
  checkOutsideFrame(method: string): void {
    if (insideFrameOf(this)) throw new FrameReentryError(method);
  }

  /** Refuses a call on a released analysis before it queues or decodes anything. */
  private checkLive(): void {
    if (this.released) throw new InputError('this FaceAnalysis was released; create a new one');
  }

  /** Whether the models run on WebGPU (where the heads of an image's faces go in one submit). */
  private get onWebGpu(): boolean {
    return this.models.get('detection')!.session.backendName === 'webgpu';
  }

  /**
   * The prepared detection settings as they are now: a call takes them when it is made, so a `prepare` made while it
   * waits for its turn applies to the calls after it, not to that one.
   */
  private settings(): { readonly sizes: readonly Size[]; readonly threshold: number } {
    // InsightFace's get runs det_model.detect, so whatever prepared the detector last (app.prepare or
    // app.detector.prepare) applies, as det_model.det_thresh does in Python.
    return { sizes: this.detector.inputSize, threshold: this.detector.detThresh };
  }

  private async analyse(input: ImageInput, settings: { readonly sizes: readonly Size[]; readonly threshold: number }, maxNum: number, metric: MaxNumMetric, timings: StageTiming[] | undefined): Promise<Face[]> {
    const pre = this.preprocessor;
    const timer = timings ? recordingTimer(timings, async () => pre.settle?.()) : NO_TIMER;
    const image = await timer.time('decode', 'io', () => loadImage(input));
    if (pre.begin) await timer.time('upload', 'io', () => pre.begin!(image));
    try {
      const det = await this.detector.detectRows(image, pre, { sizes: settings.sizes, threshold: settings.threshold, maxNum, metric, timer });
      const faces: Face[] = [];
      for (let i = 0; i < det.count; i++) {
        faces.push(new Face(det.boxes.slice(i * 4, i * 4 + 4), det.kps ? det.kps.slice(i * 10, i * 10 + 10) : undefined, det.scores[i]!));
      }
      await annotateFaces(this.faceModels, image, faces, pre, !timings && this.onWebGpu, timer);
      return faces;
    } finally {
      pre.end?.(image);
      // A FrameImage made here from the caller's frame closes its own capture (a video element's); the caller's stays open.
      if (image !== input && image instanceof FrameImage) image.release();
    }
  }

  /** A copy of the image with InsightFace's `draw_on` annotations (boxes, 5 points, "sex,age"). */
  async drawOn(input: ImageInput, faces: readonly Face[], options?: DrawOptions): Promise<BgrImage> {
    this.checkLive();
    // As annotate: keypoints, where given, are a Face's flat 10 numbers; JSON's nested [[x, y], …] (a face not passed
    // through Face.fromJSON) would read as NaNs and leave the points undrawn without an error.
    for (const face of requireArray(faces, 'faces', 'drawOn')) {
      requireBbox(face, 'drawOn');
      if ((face as { kps?: unknown }).kps != null) requireKps(face, 'drawOn');
    }
    const image = cloneImage(await loadImage(input));
    drawFaces(image, faces, options);
    return image;
  }

  /**
   * Resolves once every model's sessions run their fastest kernels (on WebGPU the first calls use generic ones
   * while the specialised ones compile; see InferenceSession.specialized). Only benchmarks need to wait for it.
   */
  async specialized(): Promise<void> {
    await Promise.all([...this.models.values()].map((m) => m.session.specialized()));
  }

  /**
   * Frees every model's session, the pre-processing and a device acquired here, once the calls already made have
   * finished (their results are kept). Later calls throw InputError; a second release returns the first's promise
   * (resolved once everything is freed).
   */
  release(): Promise<void> {
    if (insideFrameOf(this)) return Promise.reject(new FrameReentryError('release'));
    // A second call returns the first's promise: it too resolves only once the sessions are freed.
    this.releasing ??= (async () => {
      this.released = true;
      await this.queue;
      for (const m of this.models.values()) await m.session.release();
      this.preprocessor.dispose?.();
      this.gpu?.release();
    })();
    return this.releasing;
  }
}
