/**
 * What the live page analyses frames with: FaceAnalysis in a Worker (createFaceAnalysisWorker) or on the page's
 * main thread (the comparison the video benchmark makes), optionally behind FaceTracker for track ids.
 */
import {
  createFaceAnalysisWorker, FaceAnalysis, PipelineOptionError, type BackendName, type BgrImage, type Face, type FaceAnalysisWorker, type StageTiming,
} from '../../src/index.js';

/** A face as the live page draws it: the Face fields, and a track id when a tracker gave one. */
export type LiveFace = Face & { readonly trackId?: number; readonly identity?: unknown };

/** One analysed frame: its faces and where the time went. */
export interface LiveResult {
  readonly faces: readonly LiveFace[];
  readonly latencyMs: number;
  /** Detector stages (letterbox, forward, decoding). */
  readonly detectorMs: number;
  /** Every head's stages (crops, forward, decoding). */
  readonly headsMs: number;
  /** In swap mode: the frame with the source identity on every face. */
  readonly swapped?: BgrImage;
}

export interface LiveEngine {
  readonly where: 'worker' | 'main-thread';
  readonly backend: string;
  /** True when FaceTracker assigns track ids. */
  readonly tracking: boolean;
  analyse(frame: HTMLVideoElement): Promise<LiveResult>;
  release(): Promise<void>;
}

export interface LiveEngineOptions {
  readonly files: Record<string, Uint8Array>;
  readonly backend: BackendName;
  readonly detSize: number;
  readonly worker: boolean;
  readonly track: boolean;
  /** FaceAnalysis's allowedModules (all when absent). */
  readonly modules?: readonly string[];
  /** Swap mode (Worker only): the swapper's bytes and the picture whose face `sourceFace` (left to right) is put in. */
  readonly swap?: { readonly swapper: Uint8Array; readonly sourceImage: ImageBitmap; readonly sourceFace: number };
}

/** The part of FaceAnalysis (or FaceAnalysisWorker) the page and FaceTracker call. */
interface FaceSource {
  get(image: HTMLVideoElement | VideoFrame, options: { timings: StageTiming[] }): Promise<Face[]>;
}

/** FaceTracker's announced API (src/pipeline/tracking/), typed here until that module is part of this branch. */
interface TrackerLike {
  track(frame: HTMLVideoElement | VideoFrame): Promise<LiveFace[]>;
}
type TrackerClass = new (app: FaceSource, options: { recognizeEvery?: number; detectEvery?: number; smoothing?: boolean }) => TrackerLike;

/** Where FaceTracker lives; imported by URL so that the page runs (without ids) while it is not there. */
const TRACKING_MODULE = '../../src/pipeline/tracking/index.ts';

async function loadTracker(): Promise<TrackerClass | undefined> {
  try {
    const module = (await import(/* @vite-ignore */ TRACKING_MODULE)) as { FaceTracker?: TrackerClass };
    return module.FaceTracker;
  } catch {
    return undefined;
  }
}

function sumStages(timings: readonly StageTiming[], detector: boolean): number {
  return timings.filter((t) => t.stage.startsWith('detection') === detector && t.kind !== 'io').reduce((a, t) => a + t.ms, 0);
}

export async function createLiveEngine(options: LiveEngineOptions): Promise<LiveEngine> {
  const models = { files: options.files };
  const detSize: [number, number] = [options.detSize, options.detSize];
  let source: FaceSource;
  let release: () => Promise<void>;
  let backend: string;
  if (options.swap) return createSwapEngine(options, options.swap, detSize);
  if (options.worker) {
    const worker = await createFaceAnalysisWorker({ models, backend: options.backend, allowSoftwareAdapter: true, allowedModules: options.modules });
    await worker.prepare({ detSize });
    source = worker;
    backend = worker.info.backend;
    release = async () => { await worker.release(); };
  } else {
    const app = await FaceAnalysis.create({ models, backend: options.backend, allowedModules: options.modules, sessionOptions: { webgpu: { allowSoftwareAdapter: true } } });
    app.prepare({ detSize });
    source = app;
    backend = app.models.get('detection')!.session.backendName;
    release = () => app.release();
  }
  const Tracker = options.track ? await loadTracker() : undefined;
  // The tracker's own calls to `get` are timed through this wrapper.
  let timings: StageTiming[] = [];
  const timed: FaceSource = { get: (image) => source.get(image, { timings }) };
  const tracker = Tracker ? new Tracker(timed, { recognizeEvery: 10, smoothing: true }) : undefined;
  return {
    where: options.worker ? 'worker' : 'main-thread',
    backend,
    tracking: tracker !== undefined,
    async analyse(frame) {
      timings = [];
      const started = performance.now();
      const faces = tracker ? await tracker.track(frame) : await timed.get(frame, { timings });
      return { faces, latencyMs: performance.now() - started, detectorMs: sumStages(timings, true), headsMs: sumStages(timings, false) };
    },
    release,
  };
}

/** Swap mode: the Worker finds the faces of each frame and puts the source face's identity onto every one. */
async function createSwapEngine(options: LiveEngineOptions, swap: NonNullable<LiveEngineOptions['swap']>, detSize: [number, number]): Promise<LiveEngine> {
  const worker: FaceAnalysisWorker = await createFaceAnalysisWorker({
    models: { files: options.files }, backend: options.backend, allowSoftwareAdapter: true, allowedModules: options.modules, swapper: swap.swapper,
  });
  try {
    await worker.prepare({ detSize });
    const faces = (await worker.get(swap.sourceImage)).sort((a, b) => a.bbox[0]! - b.bbox[0]!);
    const source = faces[swap.sourceFace];
    if (!source) throw new PipelineOptionError('sourceFace', `face ${swap.sourceFace} asked for, the source picture has ${faces.length}`);
    return {
      where: 'worker',
      backend: worker.info.backend,
      tracking: false,
      async analyse(frame) {
        const started = performance.now();
        const result = await worker.swap(frame, source);
        // The swap's stages are not timed one by one: the whole call is the heads' share.
        const latencyMs = performance.now() - started;
        return { faces: result.faces, swapped: result.image, latencyMs, detectorMs: 0, headsMs: latencyMs };
      },
      release: async () => { await worker.release(); },
    };
  } catch (error) {
    worker.terminate();
    throw error;
  }
}
