/**
 * What the live page analyses frames with: FaceAnalysis in a Worker (createFaceAnalysisWorker) or on the page's
 * main thread (the comparison the video benchmark makes), optionally through FaceTracker for track ids (in the
 * Worker, the tracker runs there too).
 */
import {
  createFaceAnalysisWorker, FaceAnalysis, FaceTracker, PipelineOptionError, type BackendName, type FaceIndex, type BgrImage, type Face, type FaceAnalysisWorker, type LandmarkCadence, type StageTiming,
} from '../../src/index.js';

/** A face as the live page draws it: the Face fields, and a track id when a tracker gave one. */
export type LiveFace = Face & { readonly trackId?: number; readonly identity?: { readonly id: string; readonly score: number } };

/** One analysed frame: its faces and where the time went. */
export interface LiveResult {
  readonly faces: readonly LiveFace[];
  readonly latencyMs: number;
  /** When (performance.now) and for how long the main thread took the frame from the video. */
  readonly captureStart: number;
  readonly captureMs: number;
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
  /** FaceTracker's detectEvery (default 1). */
  readonly detectEvery?: number;
  /** FaceTracker's landmarksEvery (default 'frame'). */
  readonly landmarksEvery?: LandmarkCadence;
  /** FaceAnalysis's allowedModules (all when absent). */
  readonly modules?: readonly string[];
  /** Identify mode: FaceTracker names tracks through this index (tracking is then on). */
  readonly identify?: { readonly index: FaceIndex; readonly threshold: number };
  /** Swap mode (Worker only): the swapper's bytes and the picture whose face `sourceFace` (left to right) is put in. */
  readonly swap?: { readonly swapper: Uint8Array; readonly sourceImage: ImageBitmap; readonly sourceFace: number };
}

/** The detector's share (get's 'detection.*' stages, the tracker's 'tracker.detect') or the heads' (the rest but io and the tracker's own work). */
function sumStages(timings: readonly StageTiming[], detector: boolean): number {
  const isDetector = (t: StageTiming): boolean => t.stage.startsWith('detection') || t.stage === 'tracker.detect';
  return timings.filter((t) => isDetector(t) === detector && t.kind !== 'io' && t.stage !== 'tracker.rest').reduce((a, t) => a + t.ms, 0);
}

/** FaceTracker's settings in the live page: recognition every 10 frames, smoothing on. */
const TRACKER_OPTIONS = { recognizeEvery: 10 } as const;

/**
 * The frame the analysis gets: on the Worker path a VideoFrame of the video's current picture, made here so that
 * its main-thread cost is measured (it is transferred, not copied); on the main thread the element itself.
 */
function capture(video: HTMLVideoElement, worker: boolean): { frame: HTMLVideoElement | VideoFrame; captureStart: number; captureMs: number } {
  const captureStart = performance.now();
  const frame = worker && typeof VideoFrame !== 'undefined' ? new VideoFrame(video) : video;
  return { frame, captureStart, captureMs: performance.now() - captureStart };
}

export async function createLiveEngine(options: LiveEngineOptions): Promise<LiveEngine> {
  const models = { files: options.files };
  const detSize: [number, number] = [options.detSize, options.detSize];
  if (options.swap) return createSwapEngine(options, options.swap, detSize);
  const where = options.worker ? 'worker' : 'main-thread';
  const track = options.track || options.identify !== undefined;
  const trackerOptions = { ...TRACKER_OPTIONS, detectEvery: options.detectEvery ?? 1, landmarksEvery: options.landmarksEvery, identifyThreshold: options.identify?.threshold };
  const timed = (faces: readonly LiveFace[], timings: readonly StageTiming[], started: number, shot: ReturnType<typeof capture>): LiveResult => ({
    faces, latencyMs: performance.now() - started, detectorMs: sumStages(timings, true), headsMs: sumStages(timings, false), captureStart: shot.captureStart, captureMs: shot.captureMs,
  });
  if (options.worker) {
    const worker = await createFaceAnalysisWorker({
      models, backend: options.backend, allowSoftwareAdapter: true, allowedModules: options.modules, tracker: track ? { ...trackerOptions, index: options.identify?.index.toBytes() } : undefined,
    });
    await worker.prepare({ detSize });
    return {
      where, backend: worker.info.backend, tracking: track,
      async analyse(video) {
        const started = performance.now();
        const shot = capture(video, true);
        const timings: StageTiming[] = [];
        const faces = track ? await worker.track(shot.frame, { timings }) : await worker.get(shot.frame, { timings });
        return timed(faces, timings, started, shot);
      },
      release: async () => { await worker.release(); },
    };
  }
  const app = await FaceAnalysis.create({ models, backend: options.backend, allowedModules: options.modules, sessionOptions: { webgpu: { allowSoftwareAdapter: true } } });
  app.prepare({ detSize });
  const tracker = track ? new FaceTracker(app, { ...trackerOptions, index: options.identify?.index }) : undefined;
  return {
    where, backend: app.models.get('detection')!.session.backendName, tracking: tracker !== undefined,
    async analyse(video) {
      const started = performance.now();
      const shot = capture(video, false);
      const timings: StageTiming[] = [];
      const faces = tracker ? await tracker.track(shot.frame, { timings }) : await app.get(shot.frame, { timings });
      return timed(faces, timings, started, shot);
    },
    release: () => app.release(),
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
      async analyse(video) {
        const started = performance.now();
        const shot = capture(video, true);
        const timings: StageTiming[] = [];
        const result = await worker.swap(shot.frame, source, { timings });
        // The swapper is the "heads" share of a swap frame.
        return {
          faces: result.faces, swapped: result.image, latencyMs: performance.now() - started, detectorMs: sumStages(timings, true), headsMs: sumStages(timings, false),
          captureStart: shot.captureStart, captureMs: shot.captureMs,
        };
      },
      release: async () => { await worker.release(); },
    };
  } catch (error) {
    worker.terminate();
    throw error;
  }
}
