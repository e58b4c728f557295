import { chooseBackend } from '../backends/choice.js';
import { InferenceSession, type SessionOptions } from '../session/session.js';
import { type BackendName } from '../backends/options.js';
import type { GpuDevice } from '../backends/webgpu/device.js';
import { ArcFaceModel } from './arcface.js';
import { analyseImages } from './batch-analysis.js';
import { AttributeModel } from './attribute.js';
import { resolveDetSizes, AUTO_DET_SIZES, type DetSizeOption } from './detect-size.js';
import { drawFaces, type DrawOptions } from './draw.js';
import { ModelPackError, PipelineOptionError } from './errors.js';
import { Face } from './face.js';
import type { FaceModel } from './face-model.js';
import { cloneImage, type BgrImage } from './image.js';
import { loadImage, type ImageInput } from './image-source.js';
import { FrameImage } from './frames/frame-image.js';
import { LandmarkModel } from './landmark.js';
import type { Size } from './preprocess/letterbox.js';
import { checkMaxNum, type MaxNumMetric } from './max-num.js';
import { loadModelFiles, type ModelSource } from './model-pack.js';
import { probeNormalisation, routeGraph, routeModel } from './model-router.js';
import { parseModel } from '../parser/decode-model.js';
import { CpuPreprocessor, type Preprocessor } from './preprocess/preprocessor.js';
import { ScrfdDetector } from './scrfd.js';
import { NO_TIMER, recordingTimer, type StageTiming } from './stage-timer.js';

const INSWAPPER_IGNORED = 'an INSwapper model (face swapping is not part of face analysis; load it with getModel or INSwapper.create)';

export interface FaceAnalysisOptions {
  /** A folder, an installed pack name ('buffalo_l'), file paths, or `{ files: { name: bytes } }`. */
  readonly models: ModelSource;
  /** Keep only these tasknames (e.g. ['detection', 'recognition']). */
  readonly allowedModules?: readonly string[];
  readonly backend?: BackendName;
  readonly sessionOptions?: Omit<SessionOptions, 'backend'>;
  /**
   * Replaces the image stages. Default: on the webgpu backend the GPU pre-processing (bit-identical to the CPU
   * path, no read-back before results), else the CPU one.
   */
  readonly preprocessor?: Preprocessor;
  /** Receives InsightFace's loading messages (model found / skipped). */
  readonly log?: (message: string) => void;
  /**
   * The most faces a dynamic-batch head (recognition, landmarks, attributes) takes in one forward; a crowd runs in
   * chunks of this many, with the same results. Default 32 (DEFAULT_MAX_HEAD_BATCH).
   */
  readonly headBatch?: number;
}

export interface PrepareOptions {
  readonly detThresh?: number;
  /** (W, H), a list of sizes (multi-size detection), 'auto' or [0, 0] (= [[128,128],[640,640]]). Default [640, 640]. */
  readonly detSize?: DetSizeOption;
}

export interface GetOptions {
  /** Keep at most this many faces (0 = all), chosen by `metric`. */
  readonly maxNum?: number;
  readonly metric?: MaxNumMetric;
  /**
   * Receives the wall time of every stage of this call (decode, upload, each model's pre-processing, forward and
   * decoding). Off when absent; when on, GPU work is waited for at the end of each stage, which serialises it.
   */
  readonly timings?: StageTiming[];
}

/** A loaded model of the pack: which file it came from and what it does. */
export interface LoadedModel {
  readonly taskname: string;
  readonly file: string;
  readonly session: InferenceSession;
}

/** InsightFace's FaceAnalysis: detector + every other model of the pack, applied to each detected face. */
export class FaceAnalysis {
  private detThresh = 0.5;
  private detSizes: Size[] = [...AUTO_DET_SIZES];
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    /**
     * The pack's detector, usable on its own (`detect`, prepared by `prepare`). On WebGPU, await `get` before calling
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
  ) {}

  static async create(options: FaceAnalysisOptions): Promise<FaceAnalysis> {
    const log = options.log ?? (() => undefined);
    const files = await loadModelFiles(options.models);
    // One device for every model (and the GPU pre-processing), so tensors can pass between them on the GPU.
    const { backend, gpu, sessionOptions } = await sharedDevice(options.backend ?? 'auto', options.sessionOptions);
    const models = new Map<string, LoadedModel>();
    const head = { maxBatch: options.headBatch };
    const faceModels: FaceModel[] = [];
    let detector: ScrfdDetector | undefined;
    try {
      for (const file of files) {
        const parsed = parseModel(file.bytes);
        // Routed before compiling: a file FaceAnalysis ignores (an INSwapper, an unknown model) need not compile, nor
        // fail on an op this engine lacks.
        const routed = routeGraph(parsed.graph);
        if (routed === undefined || routed === 'inswapper') {
          log(`model ignored: ${file.name} (${routed === 'inswapper' ? INSWAPPER_IGNORED : 'not recognised'})`);
          continue;
        }
        const session = await InferenceSession.fromModel(parsed, { ...sessionOptions, backend });
        const cls = routeModel(session);
        const norm = cls ? probeNormalisation(session.model.graph.nodes, cls) : undefined;
        let model: ScrfdDetector | FaceModel | undefined;
        if (cls === 'detection') model = new ScrfdDetector(session);
        else if (cls === 'landmark') model = new LandmarkModel(session, norm!, head);
        else if (cls === 'attribute') model = new AttributeModel(session, norm!, head);
        else if (cls === 'recognition') model = new ArcFaceModel(session, norm!, head);
        const taskname = model?.taskname;
        let why: string | undefined;
        if (cls === 'inswapper') why = INSWAPPER_IGNORED;
        else if (!model || taskname === undefined) why = 'not recognised';
        else if (options.allowedModules && !options.allowedModules.includes(taskname)) why = `${taskname} is not in allowedModules`;
        else if (models.has(taskname)) why = `duplicated ${taskname}`;
        if (why !== undefined || !model || taskname === undefined) {
          log(`model ignored: ${file.name} (${why})`);
          await session.release();
          continue;
        }
        const shape = JSON.stringify(session.inputMetadata[0]?.shape);
        log(`find model: ${file.name} ${taskname} ${shape} ${norm?.mean ?? 127.5} ${norm?.std ?? 128}`);
        models.set(taskname, { taskname, file: file.name, session });
        if (model instanceof ScrfdDetector) detector = model;
        else faceModels.push(model);
      }
      if (!detector) throw new ModelPackError('no detection model among the files', files.map((f) => f.name).join(', '));
    } catch (error) {
      for (const m of models.values()) await m.session.release();
      gpu?.release();
      throw error;
    }
    const device = sessionOptions?.webgpu?.device;
    let preprocessor = options.preprocessor;
    if (!preprocessor && device && models.get('detection')!.session.backendName === 'webgpu') {
      const { GpuPreprocessor } = await import('./preprocess/preprocessor-gpu.js');
      preprocessor = new GpuPreprocessor(device);
    }
    return new FaceAnalysis(detector, faceModels, models, preprocessor ?? new CpuPreprocessor(), gpu);
  }

  /** Detection threshold and input size(s); call before `get` (without it InsightFace 1.0.1's auto sizes apply). */
  prepare(options: PrepareOptions = {}): this {
    const thresh = options.detThresh ?? 0.5;
    if (!Number.isFinite(thresh)) throw new PipelineOptionError('detThresh', `${thresh} is not a number`);
    this.detThresh = thresh;
    this.detSizes = resolveDetSizes(options.detSize ?? [640, 640]);
    // As InsightFace's prepare does (det_model.prepare(input_size=det_size, det_thresh=…)): the detector on its own
    // (`app.detector.detect`) then runs with the app's settings.
    this.detector.prepare({ inputSize: this.detSizes, detThresh: thresh });
    return this;
  }

  /** The sizes detection will run at (the model's own size when its input is fixed). */
  get detSize(): readonly Size[] {
    return this.detector.fixedSize ? [this.detector.fixedSize] : this.detSizes;
  }

  /** Detects faces and fills every field the pack's models provide, in InsightFace's face order. */
  async get(input: ImageInput, options: GetOptions = {}): Promise<Face[]> {
    const maxNum = options.maxNum ?? 0;
    const metric = options.metric ?? 'default';
    checkMaxNum(maxNum, metric);
    const run = this.queue.then(() => this.analyse(input, maxNum, metric, options.timings));
    // Calls take turns: GPU pre-processing writes the sessions' input buffers, which one call at a time may own.
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * `get` over several images: decodes them, detects on each, then runs the heads on their faces, each image's crops
   * as one head batch (as `get` runs them, so the results stay identical). Returns one face list per input, in input
   * order, each equal to what `get` returns for that image alone. Throws on the first input that fails (an
   * ImageError for a bad image); to keep going past bad files, call `get` per image.
   */
  async getBatch(inputs: readonly ImageInput[], options: Omit<GetOptions, 'timings'> = {}): Promise<Face[][]> {
    const maxNum = options.maxNum ?? 0;
    const metric = options.metric ?? 'default';
    checkMaxNum(maxNum, metric);
    const run = this.queue.then(() => analyseImages({
      detector: this.detector, faceModels: this.faceModels, preprocessor: this.preprocessor, sizes: this.detSizes, threshold: this.detThresh, maxNum, metric,
    }, inputs));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async analyse(input: ImageInput, maxNum: number, metric: MaxNumMetric, timings: StageTiming[] | undefined): Promise<Face[]> {
    const pre = this.preprocessor;
    const timer = timings ? recordingTimer(timings, async () => pre.settle?.()) : NO_TIMER;
    const image = await timer.time('decode', 'io', () => loadImage(input));
    if (pre.begin) await timer.time('upload', 'io', () => pre.begin!(image));
    try {
      const det = await this.detector.detectRows(image, pre, { sizes: this.detSizes, threshold: this.detThresh, maxNum, metric, timer });
      const faces: Face[] = [];
      for (let i = 0; i < det.count; i++) {
        faces.push(new Face(det.boxes.slice(i * 4, i * 4 + 4), det.kps ? det.kps.slice(i * 10, i * 10 + 10) : undefined, det.scores[i]!));
      }
      for (const model of faces.length > 0 ? this.faceModels : []) await model.annotate(image, faces, pre, timer);
      return faces;
    } finally {
      pre.end?.(image);
      // A FrameImage made here from the caller's frame closes its own capture (a video element's); the caller's stays open.
      if (image !== input && image instanceof FrameImage) image.release();
    }
  }

  /** A copy of the image with InsightFace's `draw_on` annotations (boxes, 5 points, "sex,age"). */
  async drawOn(input: ImageInput, faces: readonly Face[], options?: DrawOptions): Promise<BgrImage> {
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

  async release(): Promise<void> {
    for (const m of this.models.values()) await m.session.release();
    this.preprocessor.dispose?.();
    this.gpu?.release();
  }
}

/**
 * For 'webgpu' and 'auto': one device (the caller's, or one acquired here) lent to every session, chosen as each
 * session would have chosen it (runtime's chooseBackend: 'auto' refuses software adapters unless allowed and falls
 * back to the CPU). The sessions then get the concrete backend, so they cannot decide differently.
 */
async function sharedDevice(
  backend: BackendName, options: Omit<SessionOptions, 'backend'> | undefined,
): Promise<{ backend: BackendName; gpu: GpuDevice | undefined; sessionOptions: Omit<SessionOptions, 'backend'> | undefined }> {
  const choice = await chooseBackend(backend, options?.webgpu);
  if (choice.backend === 'cpu') return { backend: 'cpu', gpu: undefined, sessionOptions: options };
  const { gpu } = choice;
  return { backend: 'webgpu', gpu, sessionOptions: { ...options, webgpu: { ...options?.webgpu, device: gpu.device } } };
}
