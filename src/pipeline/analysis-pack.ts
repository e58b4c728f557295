import { chooseBackend } from '../backends/choice.js';
import { checkSessionOptionsBag, describeValue, optionsObject } from './call-options.js';
import { type BackendName } from '../backends/options.js';
import type { GpuDevice } from '../backends/webgpu/device.js';
import { BackendError, InsightGpuError } from '../core/errors.js';
import type { Model } from '../core/ir.js';
import { parseModel } from '../parser/decode-model.js';
import { InferenceSession, type SessionOptions } from '../session/session.js';
import { ArcFaceModel } from './arcface.js';
import { AttributeModel } from './attribute.js';
import type { CreateRecord, TimeSpan } from './compile-timeline.js';
import { ModelPackError, PipelineOptionError } from './errors.js';
import { renameRootOption } from './insightface-root.js';
import { FACE_ANALYSIS_SHAPE, type FaceAnalysisOptions, type LoadedModel } from './face-analysis-options.js';
import type { FaceModel } from './face-model.js';
import { DEFAULT_MAX_HEAD_BATCH, warmHeadBuckets } from './head-model.js';
import { LandmarkModel } from './landmark.js';
import { loadModelFiles, type ModelFile } from './model-pack.js';
import { probeNormalisation, routeGraph, routeModel } from './model-router.js';
import { PACK_DOWNLOAD_SHAPE, progressLines, registeredPackDownloader, type PackDownloadOptions } from './pack-download.js';
import { CpuPreprocessor, type Preprocessor } from './preprocess/preprocessor.js';
// Static: the package's entries export GpuPreprocessor anyway, so a dynamic import would split nothing off.
import { GpuPreprocessor } from './preprocess/preprocessor-gpu.js';
import { ScrfdDetector } from './scrfd.js';

/** The detector size whose kernels `create` compiles ahead of the first get() ((H, W); InsightFace's usual 640). */
const DETECTOR_WARM_SIZE = [640, 640] as const;

const INSWAPPER_IGNORED = 'an INSwapper model (face swapping is not part of face analysis; load it with getModel or INSwapper.create)';

/** What FaceAnalysis.create builds: the routed, compiled models of a pack on one backend. */
export interface AnalysisPack {
  readonly detector: ScrfdDetector;
  /** Non-detection models in load order (the order they annotate faces). */
  readonly faceModels: readonly FaceModel[];
  /** taskname → model, in InsightFace's insertion order (detection included). */
  readonly models: ReadonlyMap<string, LoadedModel>;
  readonly preprocessor: Preprocessor;
  /** The device of all its sessions (undefined on the CPU); acquired here unless the options lent one. */
  readonly gpu: GpuDevice | undefined;
  /** Milliseconds spent decoding the model files. */
  readonly decodeMs: number;
  readonly createRecord: CreateRecord;
}

/**
 * Loads the pack (downloading it first when `download` asks), routes each file as InsightFace's ModelRouter does,
 * and compiles every model on one backend; `log` receives InsightFace's loading messages and the backend chosen.
 * On failure every session compiled so far and a device acquired here are released.
 */
export async function loadAnalysisPack(options: FaceAnalysisOptions): Promise<AnalysisPack> {
  const createStart = performance.now();
  checkPackOptions(options);
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
      const parsed = ofFile(file, () => parseModel(file.bytes));
      parseSpans.set(file.name, { from: parseStart, to: performance.now() });
      // Routed before compiling: a file FaceAnalysis ignores (an INSwapper, an unknown model) need not compile, nor
      // fail on an op this engine lacks.
      const routed = routeGraph(parsed.graph);
      if (routed === undefined || routed === 'inswapper') messages[index]!.push(`model ignored: ${file.name} (${routed === 'inswapper' ? INSWAPPER_IGNORED : 'not recognised'})`);
      else candidates.push({ index, parsed });
    });
    decodeMs = performance.now() - decodeStart;
    const compiled = await Promise.allSettled(candidates.map(async (c) => {
      const session = await ofFileAsync(files[c.index]!, () => InferenceSession.fromModel(c.parsed, { ...sessionOptions, backend }));
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
    if (!detector) {
      const names = files.map((f) => f.name).join(', ');
      // Named by the folder or pack the caller gave, with the files found there.
      if (typeof options.models === 'string') throw new ModelPackError(`no detection model among its files (${names})`, options.models);
      throw new ModelPackError('no detection model among the files', names);
    }
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
  return {
    detector, faceModels, models, preprocessor: preprocessor ?? new CpuPreprocessor(), gpu, decodeMs,
    createRecord: { create: { from: createStart, to: performance.now() }, parse: parseSpans },
  };
}

/**
 * What one file's parse or compile throws, as a ModelPackError naming the file (its path, or the name it was given
 * by) with the engine's reason kept in the message and as the cause: a pack of several files otherwise leaves the
 * caller to guess which one is corrupt. A backend's failure is not the file's and passes unchanged.
 */
function fileError(file: ModelFile, error: unknown): unknown {
  if (!(error instanceof InsightGpuError) || error instanceof BackendError) return error;
  return new ModelPackError(error.message, file.path ?? file.name, { cause: error });
}

function ofFile<T>(file: ModelFile, work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw fileError(file, error);
  }
}

async function ofFileAsync<T>(file: ModelFile, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw fileError(file, error);
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
  const settings: PackDownloadOptions = wanted === true ? {} : wanted;
  // With a root of its own, the pack is looked for where the download puts it (`<root>/models/<name>/`), not
  // under $INSIGHTFACE_HOME, whose copy (another version, another tool's) would otherwise be used instead.
  try {
    return await loadModelFiles(source, typeof settings.root === 'string' ? settings.root : undefined);
  } catch (error) {
    if (!(error instanceof ModelPackError)) throw renameRootOption(error, 'download.root');
  }
  const downloader = settings.downloader ?? registeredPackDownloader();
  if (!downloader) {
    throw new PipelineOptionError('download', "no pack downloader in this build: import FaceAnalysis from 'insightgpu' under Node, or pass download: { downloader }");
  }
  const { downloader: _unused, ...rest } = settings;
  const dir = await downloader(source, { ...rest, onProgress: rest.onProgress ?? progressLines(log) }).catch((error: unknown) => {
    throw renameRootOption(error, 'download.root');
  });
  log(`download_path: ${dir}`);
  return loadModelFiles(dir);
}

/** FaceAnalysis.create's own options, checked before any file is read, under the names the caller used. */
function checkPackOptions(options: FaceAnalysisOptions): void {
  optionsObject(options, 'FaceAnalysis.create', FACE_ANALYSIS_SHAPE);
  // The nested objects are checked here too, under the names the caller used, rather than by each session later.
  const { sessionOptions, download } = options;
  checkSessionOptionsBag(sessionOptions, 'FaceAnalysis.create');
  if (typeof download === 'object') optionsObject(download, 'FaceAnalysis.create', PACK_DOWNLOAD_SHAPE, 'download.');
  const { headBatch, allowedModules } = options;
  if (headBatch !== undefined && (typeof headBatch !== 'number' || !Number.isSafeInteger(headBatch) || headBatch < 1)) {
    throw new PipelineOptionError('headBatch', `${describeValue(headBatch)} is not a positive integer`);
  }
  if (allowedModules !== undefined && (!Array.isArray(allowedModules) || !allowedModules.every((m) => typeof m === 'string'))) {
    throw new PipelineOptionError('allowedModules', `${describeValue(allowedModules)} is not an array of tasknames (e.g. ['detection', 'recognition'])`);
  }
  // InsightFace asserts a detector after filtering; without 'detection' here no pack could pass, and the error would
  // blame the files ("no detection model among the files") for what the option left out.
  if (allowedModules !== undefined && !allowedModules.includes('detection')) {
    throw new PipelineOptionError('allowedModules', `${describeValue(allowedModules)} leaves out 'detection', which FaceAnalysis needs (e.g. ['detection', 'recognition'])`);
  }
  if (options.log !== undefined && typeof options.log !== 'function') {
    throw new PipelineOptionError('log', `${describeValue(options.log)} is not a function (it receives each loading message)`);
  }
  if (options.sessionOptions !== undefined && (options.sessionOptions === null || typeof options.sessionOptions !== 'object' || Array.isArray(options.sessionOptions))) {
    throw new PipelineOptionError('sessionOptions', `${describeValue(options.sessionOptions)} is not an options object`);
  }
}
