/**
 * What the live page analyses frames with: FaceAnalysis in a Worker (createFaceAnalysisWorker) or on the page's
 * main thread (the comparison the video benchmark makes), optionally behind FaceTracker for track ids.
 */
import { createFaceAnalysisWorker, FaceAnalysis, type BackendName, type Face, type StageTiming } from '../../src/index.js';

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
