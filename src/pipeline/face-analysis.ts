import { chooseBackend } from '../backends/choice.js';
import { InferenceSession, type SessionOptions } from '../session/session.js';
import { type BackendName } from '../backends/options.js';
import type { GpuDevice } from '../backends/webgpu/device.js';
import { ArcFaceModel } from './arcface.js';
import { analyseImages } from './batch-analysis.js';
import { AttributeModel } from './attribute.js';
import { resolveDetSizes, AUTO_DET_SIZES } from './detect-size.js';
import { drawFaces, type DrawOptions } from './draw.js';
import { DEFAULT_GROUP_PIXELS, type FaceAnalysisOptions, type GetBatchOptions, type GetOptions, type LoadedModel, type PrepareOptions } from './face-analysis-options.js';
import { ModelPackError, PipelineOptionError } from './errors.js';
import { progressLines, registeredPackDownloader, type PackDownloadOptions } from './pack-download.js';
import { Face } from './face.js';
import type { FaceModel } from './face-model.js';
import { cloneImage, type BgrImage } from './image.js';
import { loadImage, type ImageInput } from './image-source.js';
import { FrameImage } from './frames/frame-image.js';
import { LandmarkModel } from './landmark.js';
import { annotateFaces } from './annotate-faces.js';
import { withAnalysisFrame, type AnalysisFrame, type AnnotateOptions, type DetectFacesOptions } from './analysis-frame.js';
import { DEFAULT_MAX_HEAD_BATCH, warmHeadBuckets } from './head-model.js';
import type { Size } from './preprocess/letterbox.js';
import { checkMaxNum, type MaxNumMetric } from './max-num.js';
import { loadModelFiles, type ModelFile } from './model-pack.js';
import { probeNormalisation, routeGraph, routeModel } from './model-router.js';
import { parseModel } from '../parser/decode-model.js';
import { packCompileTimeline, type CreateRecord, type PackCompileTimeline, type TimeSpan } from './compile-timeline.js';
import type { Model } from '../core/ir.js';
import { CpuPreprocessor, type Preprocessor } from './preprocess/preprocessor.js';
// Static: the package's entries export GpuPreprocessor anyway, so a dynamic import would split nothing off.
import { GpuPreprocessor } from './preprocess/preprocessor-gpu.js';
import { ScrfdDetector } from './scrfd.js';
import { NO_TIMER, recordingTimer, type StageTiming } from './stage-timer.js';

/** The detector size whose kernels `create` compiles ahead of the first get() ((H, W); InsightFace's usual 640). */
const DETECTOR_WARM_SIZE = [640, 640] as const;

const INSWAPPER_IGNORED = 'an INSwapper model (face swapping is not part of face analysis; load it with getModel or INSwapper.create)';

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
    const createStart = performance.now();
    const parseSpans = new Map<string, TimeSpan>();
    const log = options.log ?? (() => undefined);
    const files = await loadPack(options, log);
    // One device for every model (and the GPU pre-processing), so tensors can pass between them on the GPU.
    const { backend, gpu, sessionOptions, why } = await sharedDevice(options.backend ?? 'auto', options.sessionOptions);
    log(backend === 'cpu' ? `backend: cpu (${why})` : `backend: webgpu on ${gpu?.description ?? 'a lent device'}`);
    const models = new Map<string, LoadedModel>();
    const head = { maxBatch: options.headBatch };
    const faceModels: FaceModel[] = [];
    let detector: ScrfdDetector | undefined;
    // Decoded first (every file, in order; weights that need a copy, fold or repack are made later, when first
    // read), then compiled all at once: each model requests its pipelines before any of them makes and uploads its
    // weights (WebGpuPlan.compile yields in between), so the driver compiles while they are made and go up.
    const messages: string[][] = files.map(() => []);
    let decodeMs = 0;
    // Compiled sessions not yet adopted into `models` nor released: a failure releases them too.
    const unclaimed = new Set<InferenceSession>();
    try {
      const candidates: { readonly index: number; readonly parsed: Model }[] = [];
      const decodeStart = performance.now();
      files.forEach((file, index) => {
        const parseStart = performance.now();
        const parsed = parseModel(file.bytes);
        parseSpans.set(file.name, { from: parseStart, to: performance.now() });
        // Routed before compiling: a file FaceAnalysis ignores (an INSwapper, an unknown model) need not compile, nor
        // fail on an op this engine lacks.
        const routed = routeGraph(parsed.graph);
        if (routed === undefined || routed === 'inswapper') messages[index]!.push(`model ignored: ${file.name} (${routed === 'inswapper' ? INSWAPPER_IGNORED : 'not recognised'})`);
        else candidates.push({ index, parsed });
      });
      decodeMs = performance.now() - decodeStart;
      const compiled = await Promise.allSettled(candidates.map(async (c) => {
        const session = await InferenceSession.fromModel(c.parsed, { ...sessionOptions, backend });
        // A dynamic-size detector compiles at its first get(): its kernels start now, at the usual size, alongside
        // the other models' (most are the generic tier's, shared by every size). A failure shows at that get().
        // A dynamic-batch head likewise, at every batch it will run as (warmHeadBuckets).
        const input = c.parsed.graph.inputs[0];
        const dynamic = input !== undefined && c.parsed.graph.inputs.length === 1 && input.shape?.some((d) => typeof d !== 'number') === true;
        if (backend !== 'webgpu' || !dynamic) return session;
        const routed = routeGraph(c.parsed.graph);
        if (routed === 'detection') void session.precompile({ [input.name]: [1, 3, ...DETECTOR_WARM_SIZE] }).catch(() => undefined);
        else if (routed === 'landmark' || routed === 'attribute' || routed === 'recognition') {
          warmHeadBuckets(session, input.name, input.shape!.map((d) => d ?? ''), options.headBatch ?? DEFAULT_MAX_HEAD_BATCH, gpu?.isSoftware === false);
        }
        return session;
      }));
      for (const r of compiled) if (r.status === 'fulfilled') unclaimed.add(r.value);
      const failed = compiled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      for (const [k, { index }] of candidates.entries()) {
        const file = files[index]!;
        const session = (compiled[k] as PromiseFulfilledResult<InferenceSession>).value;
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
          messages[index]!.push(`model ignored: ${file.name} (${why})`);
          unclaimed.delete(session);
          await session.release();
          continue;
        }
        const shape = JSON.stringify(session.inputMetadata[0]?.shape);
        messages[index]!.push(`find model: ${file.name} ${taskname} ${shape} ${norm?.mean ?? 127.5} ${norm?.std ?? 128}`);
        models.set(taskname, { taskname, file: file.name, session });
        unclaimed.delete(session);
        if (model instanceof ScrfdDetector) detector = model;
        else faceModels.push(model);
      }
      if (!detector) throw new ModelPackError('no detection model among the files', files.map((f) => f.name).join(', '));
    } catch (error) {
      for (const m of messages.flat()) log(m);
      for (const s of [...unclaimed, ...[...models.values()].map((m) => m.session)]) await s.release();
      gpu?.release();
      throw error;
    }
    for (const m of messages.flat()) log(m);
    const device = sessionOptions?.webgpu?.device;
    let preprocessor = options.preprocessor;
    if (!preprocessor && device && models.get('detection')!.session.backendName === 'webgpu') {
      preprocessor = new GpuPreprocessor(device);
    }
    return new FaceAnalysis(detector, faceModels, models, preprocessor ?? new CpuPreprocessor(), gpu, decodeMs,
      { create: { from: createStart, to: performance.now() }, parse: parseSpans });
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
   * `get` over several images: decodes them, detects on each, then runs the heads on the faces of all of them
   * together (on WebGPU in one submit per group of images under `maxGroupPixels`; a dynamic-batch head's batches hold several images' crops on the CPU and on
   * a software adapter, where a crop's rows do not depend on its batch). Returns one face list per input, in input
   * order, each identical to what `get` returns for that image alone. Throws on the first input that fails (an
   * ImageError for a bad image); to keep going past bad files, call `get` per image.
   */
  async getBatch(inputs: readonly ImageInput[], options: GetBatchOptions = {}): Promise<Face[][]> {
    const maxNum = options.maxNum ?? 0;
    const metric = options.metric ?? 'default';
    checkMaxNum(maxNum, metric);
    const maxGroupPixels = options.maxGroupPixels ?? DEFAULT_GROUP_PIXELS;
    if (!Number.isFinite(maxGroupPixels) || maxGroupPixels < 1) throw new PipelineOptionError('maxGroupPixels', `${maxGroupPixels} is not a positive number`);
    const run = this.queue.then(() => analyseImages({
      detector: this.detector, faceModels: this.faceModels, preprocessor: this.preprocessor, sizes: this.detSizes, threshold: this.detThresh, maxNum, metric, together: this.onWebGpu,
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
    const run = this.queue.then(async () => {
      const image = await loadImage(input);
      try {
        return await withAnalysisFrame({
          detector: this.detector, faceModels: this.faceModels, preprocessor: this.preprocessor, sizes: this.detSizes, threshold: this.detThresh, together: this.onWebGpu,
        }, image, work);
      } finally {
        // As in `get`: a capture made here (of a video element) is closed here; the caller's frame stays open.
        if (image !== input && image instanceof FrameImage) image.release();
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Detection alone, as `get` runs it (pre-processing on this analysis's own path): faces with bbox, kps and det_score. */
  async detectFaces(input: ImageInput, options: DetectFacesOptions = {}): Promise<Face[]> {
    return this.withFrame(input, (frame) => frame.detect(options));
  }

  /** Runs the chosen heads (default all) on faces of `input`, writing their fields onto them, as `get` would. */
  async annotate(input: ImageInput, faces: readonly Face[], options: AnnotateOptions = {}): Promise<void> {
    return this.withFrame(input, (frame) => frame.annotate(faces, options));
  }

  /** Whether the models run on WebGPU (where the heads of an image's faces go in one submit). */
  private get onWebGpu(): boolean {
    return this.models.get('detection')!.session.backendName === 'webgpu';
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

  /** Frees every model's session, the pre-processing and a device acquired here. */
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
): Promise<{ backend: BackendName; gpu: GpuDevice | undefined; sessionOptions: Omit<SessionOptions, 'backend'> | undefined; why?: string }> {
  const choice = await chooseBackend(backend, options?.webgpu);
  if (choice.backend === 'cpu') return { backend: 'cpu', gpu: undefined, sessionOptions: options, why: choice.reason };
  const { gpu } = choice;
  return { backend: 'webgpu', gpu, sessionOptions: { ...options, webgpu: { ...options?.webgpu, device: gpu.device } } };
}

/** The pack's files; a missing installed pack is downloaded first when `download` asks for it. */
async function loadPack(options: FaceAnalysisOptions, log: (message: string) => void): Promise<ModelFile[]> {
  const wanted = options.download;
  const source = options.models;
  const bareName = typeof source === 'string' && /^[A-Za-z0-9_.-]+$/.test(source);
  if (!wanted || !bareName) return loadModelFiles(source);
  try {
    return await loadModelFiles(source);
  } catch (error) {
    if (!(error instanceof ModelPackError)) throw error;
  }
  const settings: PackDownloadOptions = wanted === true ? {} : wanted;
  const downloader = settings.downloader ?? registeredPackDownloader();
  if (!downloader) {
    throw new PipelineOptionError('download', "no pack downloader in this build: import FaceAnalysis from 'insightgpu' under Node, or pass download: { downloader }");
  }
  const { downloader: _unused, ...rest } = settings;
  const dir = await downloader(source, { ...rest, onProgress: rest.onProgress ?? progressLines(log) });
  log(`download_path: ${dir}`);
  return loadModelFiles(dir);
}
