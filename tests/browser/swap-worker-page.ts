/**
 * Page-side checks of the Worker's face swap, loaded by tests/browser/swap-worker.test.ts into a page of vite's dev
 * server (`import('/tests/browser/swap-worker-page.ts')`). The swap bed (replica, photo as BGR bytes, golden.json) is
 * served by the test under /swap-bed/. Each export returns plain data for the Node side to assert on.
 */
import {
  createFaceAnalysisWorker, FaceAnalysis, ImageError, INSwapper, InsightGpuError, PipelineOptionError, type BackendName, type BgrImage, type Face, type StageTiming,
} from '../../src/index.js';

const DETECTOR = 'scrfd_2.5g_bnkps.onnx';
/** The golden's det size: its keypoints, and so its swaps, come from the detector at 640 on the whole photo. */
const DET_SIZE = [640, 640] as const;

async function bytesOf(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

interface SwapBed {
  readonly detector: Uint8Array;
  readonly swapper: Uint8Array;
  /** t1.jpg as Node's decoder gives it (the golden tests' decode), so both sides start from the same pixels. */
  readonly photo: BgrImage;
  readonly source: Float32Array;
}

async function swapBed(): Promise<SwapBed> {
  const [detector, swapper, pixels, size, golden] = await Promise.all([
    bytesOf(`/models/${DETECTOR}`), bytesOf('/swap-bed/inswapper_w128_seed1.onnx'), bytesOf('/swap-bed/t1.bgr'),
    fetch('/swap-bed/t1.size.json').then((r) => r.json() as Promise<{ width: number; height: number }>),
    fetch('/swap-bed/golden.json').then((r) => r.json() as Promise<{ source_normed_embedding: number[] }>),
  ]);
  return { detector, swapper, photo: { ...size, data: pixels }, source: Float32Array.from(golden.source_normed_embedding) };
}

const copyOf = (image: BgrImage): BgrImage => ({ width: image.width, height: image.height, data: image.data.slice() });

/** Bounding box, keypoints and score: what the swap reads of a face, and what both sides must agree on. */
const geometry = (faces: readonly Face[]): string => JSON.stringify(faces.map((f) => [Array.from(f.bbox), Array.from(f.kps ?? []), f.det_score]));

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export interface WorkerSwapReport {
  readonly backend: string;
  readonly workerBackend: string;
  readonly faces: number;
  /** The worker's faces have the same boxes, keypoints and scores as FaceAnalysis.get's on the page. */
  readonly sameFaces: boolean;
  readonly workerGeometry: string;
  /** Bytes in which the worker's picture differs from the page's own swap (FaceAnalysis + INSwapper). */
  readonly differingBytes: number;
  /** The worker's picture, BGR, base64: compared with the golden on the Node side. */
  readonly width: number;
  readonly height: number;
  readonly workerImage: string;
  readonly timingStages: readonly string[];
  /** The photo's buffer moved to the worker (detached here). */
  readonly photoDetached: boolean;
}

/**
 * The same swap twice on `backend`: on the page (FaceAnalysis.get, then INSwapper.get for each face in turn) and by
 * `worker.swap`, on t1.jpg at det size 640 with golden.json's source, keeping `maxNum` faces (0: all).
 */
export async function checkWorkerSwap(backend: BackendName, maxNum: number): Promise<WorkerSwapReport> {
  const bed = await swapBed();
  const app = await FaceAnalysis.create({ models: { files: { [DETECTOR]: bed.detector.slice() } }, backend, allowedModules: ['detection'] });
  app.prepare({ detSize: [...DET_SIZE] });
  const swapper = await INSwapper.create(bed.swapper.slice(), { backend });
  let faces: Face[];
  let ours: BgrImage = bed.photo;
  let mainBackend: string;
  try {
    faces = await app.get(bed.photo, { maxNum });
    for (const face of faces) ours = await swapper.get(ours, face, bed.source);
    mainBackend = app.models.get('detection')!.session.backendName;
  } finally {
    await swapper.release();
    await app.release();
  }

  const worker = await createFaceAnalysisWorker({
    models: { files: { [DETECTOR]: bed.detector } }, backend, allowedModules: ['detection'], swapper: bed.swapper,
  });
  try {
    await worker.prepare({ detSize: [...DET_SIZE] });
    const photo = copyOf(bed.photo);
    const timings: StageTiming[] = [];
    const swapped = await worker.swap(photo, bed.source, { maxNum, timings });
    let differing = swapped.image.data.length === ours.data.length ? 0 : Math.max(swapped.image.data.length, ours.data.length);
    if (differing === 0) for (let i = 0; i < ours.data.length; i++) if (swapped.image.data[i] !== ours.data[i]) differing++;
    return {
      backend: mainBackend, workerBackend: worker.info.backend, faces: faces.length,
      sameFaces: geometry(swapped.faces) === geometry(faces), workerGeometry: geometry(swapped.faces),
      differingBytes: differing, width: swapped.image.width, height: swapped.image.height, workerImage: base64(swapped.image.data),
      timingStages: timings.map((t) => t.stage), photoDetached: photo.data.byteLength === 0,
    };
  } finally {
    await worker.release();
  }
}

/** A thrown value as the Node side sees it: its class (by `instanceof` and by name), code, option and message. */
export interface ErrorSeen {
  readonly name: string;
  readonly code?: string;
  readonly option?: string;
  readonly message: string;
  readonly engineError: boolean;
}

function seen(error: unknown): ErrorSeen | undefined {
  if (error === undefined) return undefined;
  const e = error as { name?: string; code?: string; option?: string; message?: string };
  return { name: String(e.name), code: e.code, option: e.option, message: String(e.message), engineError: error instanceof InsightGpuError };
}

const rejection = (p: Promise<unknown>): Promise<ErrorSeen | undefined> => p.then(() => undefined, (e: unknown) => seen(e));

/** One bad call: what it rejected with, and whether it moved (detached) the caller's image anyway. */
export interface BadCall {
  readonly error?: ErrorSeen;
  readonly isOptionError: boolean;
  readonly isImageError: boolean;
  readonly imageMoved: boolean;
}

export interface SwapErrorsReport {
  /** A worker created without `swapper`. */
  readonly noSwapper: BadCall;
  /** A 128-d source, on t1.jpg and on a picture with no face. */
  readonly shortSource: BadCall;
  readonly shortSourceNoFace: BadCall;
  /** A BgrImage whose buffer an earlier swap moved to the worker, and the page's FaceAnalysis.get on it. */
  readonly reusedPhoto: BadCall;
  readonly reusedPhotoOnPage?: ErrorSeen;
  /** An ImageBitmap an earlier swap transferred (closed here), and the page's FaceAnalysis.get on it. */
  readonly reusedBitmap: BadCall;
  readonly reusedBitmapOnPage?: ErrorSeen;
  /** The same for a VideoFrame. */
  readonly reusedFrame: BadCall;
  readonly reusedFrameOnPage?: ErrorSeen;
  /** A good swap after the bad calls: the worker still answers (faces found on the blank picture). */
  readonly afterwards: number;
}

async function badCall<T extends BgrImage | ImageBitmap | VideoFrame>(image: T, call: (image: T) => Promise<unknown>): Promise<BadCall> {
  const error = await call(image).then(() => undefined, (e: unknown) => e);
  const moved = 'data' in image ? image.data.byteLength === 0 : 'codedWidth' in image ? image.codedWidth === 0 : image.width === 0;
  return { error: seen(error), isOptionError: error instanceof PipelineOptionError, isImageError: error instanceof ImageError, imageMoved: moved };
}

/** worker.swap's bad calls on the CPU backend: each must reject with an engine error class, and the worker go on. */
export async function checkSwapErrors(): Promise<SwapErrorsReport> {
  const bed = await swapBed();
  const blank: BgrImage = { width: 64, height: 64, data: new Uint8Array(64 * 64 * 3).fill(128) };
  const plain = await createFaceAnalysisWorker({ models: { files: { [DETECTOR]: bed.detector.slice() } }, backend: 'cpu', allowedModules: ['detection'] });
  const noSwapper = await badCall(copyOf(bed.photo), (image) => plain.swap(image, bed.source));
  await plain.release();

  const worker = await createFaceAnalysisWorker({
    models: { files: { [DETECTOR]: bed.detector.slice() } }, backend: 'cpu', allowedModules: ['detection'], swapper: bed.swapper.slice(),
  });
  const app = await FaceAnalysis.create({ models: { files: { [DETECTOR]: bed.detector.slice() } }, backend: 'cpu', allowedModules: ['detection'] });
  try {
    await worker.prepare({ detSize: [...DET_SIZE] });
    const short = bed.source.subarray(0, 128);
    const shortSource = await badCall(copyOf(bed.photo), (image) => worker.swap(image, short));
    const shortSourceNoFace = await badCall(copyOf(blank), (image) => worker.swap(image, short));
    const photo = copyOf(blank);
    await worker.swap(photo, bed.source);
    const reusedPhoto = await badCall(photo, (image) => worker.swap(image, bed.source));
    const reusedPhotoOnPage = await rejection(app.get(photo));
    const bitmap = await createImageBitmap(new ImageData(64, 64), { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
    await worker.swap(bitmap, bed.source);
    const reusedBitmap = await badCall(bitmap, (image) => worker.swap(image, bed.source));
    const reusedBitmapOnPage = await rejection(app.get(bitmap));
    const frame = new VideoFrame(new Uint8Array(64 * 64 * 4), { format: 'RGBA', codedWidth: 64, codedHeight: 64, timestamp: 0 });
    await worker.swap(frame, bed.source);
    const reusedFrame = await badCall(frame, (image) => worker.swap(image, bed.source));
    const reusedFrameOnPage = await rejection(app.get(frame));
    const afterwards = (await worker.swap(copyOf(blank), bed.source)).faces.length;
    return { noSwapper, shortSource, shortSourceNoFace, reusedPhoto, reusedPhotoOnPage, reusedBitmap, reusedBitmapOnPage, reusedFrame, reusedFrameOnPage, afterwards };
  } finally {
    await app.release();
    await worker.release();
  }
}
