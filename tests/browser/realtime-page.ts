/**
 * Page-side checks of the real-time inputs, loaded by tests/browser/realtime.test.ts into a page of vite's dev server
 * (`import('/tests/browser/realtime-page.ts')`): the same pixels as bytes and as browser frames through FaceAnalysis,
 * and the Worker's API. Each returns plain data for the Node side to assert on.
 */
import {
  createFaceAnalysisWorker, FaceAnalysis, FaceTracker, ImageError, PipelineOptionError, WorkerError, type BackendName, type Face, type RawImage, type StageTiming,
} from '../../src/index.js';

/** Pack A: the test bed's detector, recognizer and tiny heads. */
const PACK_A = ['scrfd_2.5g_bnkps.onnx', 'mobilefacenet.onnx', 'tiny_2d106.onnx', 'tiny_3d68.onnx', 'tiny_genderage.onnx'];
/** Small inputs keep SwiftShader's runs to seconds: t1.jpg scaled to this width, detection at 256×256. */
const WIDTH = 320;
const DET_SIZE = [256, 256] as const;
/**
 * The detector (letterbox kernel) and one tiny head (batched warp kernel) read the uploaded frame; the recognizer
 * would read it the same way and costs SwiftShader a minute per call, so it is left out.
 */
const MODULES = ['detection', 'genderage'];

/** The pack A files, fetched from the test bed server. */
export async function packFiles(): Promise<Record<string, Uint8Array>> {
  const entries = await Promise.all(PACK_A.map(async (name) => {
    const response = await fetch(`/models/${name}`);
    if (!response.ok) throw new Error(`/models/${name}: HTTP ${response.status}`);
    return [name, new Uint8Array(await response.arrayBuffer())] as const;
  }));
  return Object.fromEntries(entries);
}

/** t1.jpg scaled down, opaque, as RGBA bytes: the known pixels every source below is made from. */
export async function knownPixels(): Promise<ImageData> {
  const blob = await (await fetch('/images/t1.jpg')).blob();
  const bitmap = await createImageBitmap(blob);
  const height = Math.round((bitmap.height * WIDTH) / bitmap.width);
  const canvas = new OffscreenCanvas(WIDTH, height);
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0, WIDTH, height);
  bitmap.close();
  return ctx.getImageData(0, 0, WIDTH, height);
}

/** Counts getImageData calls of both 2-D context kinds from now on (a platform hook, not a stand-in for our code). */
function countPixelReads(): { readonly count: () => number } {
  let n = 0;
  for (const proto of [CanvasRenderingContext2D.prototype, OffscreenCanvasRenderingContext2D.prototype]) {
    const original = proto.getImageData as (...args: unknown[]) => ImageData;
    proto.getImageData = function (this: unknown, ...args: unknown[]): ImageData {
      n++;
      return original.apply(this, args);
    } as typeof proto.getImageData;
  }
  return { count: () => n };
}

type SourceName = 'canvas' | 'offscreen-canvas' | 'image-bitmap' | 'video-frame';

async function makeSource(name: SourceName, pixels: ImageData): Promise<CanvasImageSource | VideoFrame | OffscreenCanvas> {
  const { width, height } = pixels;
  switch (name) {
    case 'canvas': {
      const c = document.createElement('canvas');
      c.width = width;
      c.height = height;
      c.getContext('2d')!.putImageData(pixels, 0, 0);
      return c;
    }
    case 'offscreen-canvas': {
      const c = new OffscreenCanvas(width, height);
      c.getContext('2d')!.putImageData(pixels, 0, 0);
      return c;
    }
    case 'image-bitmap':
      return createImageBitmap(pixels, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
    case 'video-frame':
      return new VideoFrame(new Uint8Array(pixels.data), { format: 'RGBA', codedWidth: width, codedHeight: height, timestamp: 0 });
  }
}

/** One source's faces against the bytes' faces. */
export interface FrameComparison {
  readonly source: SourceName;
  readonly faces: number;
  /** JSON.stringify of both face lists is the same (every float32 field exact). */
  readonly identical: boolean;
  /** getImageData calls during this source's `get`. */
  readonly pixelReads: number;
}

export interface FramesReport {
  readonly backend: string;
  readonly width: number;
  readonly height: number;
  readonly bytesFaces: number;
  readonly results: readonly FrameComparison[];
  /** The bytes' faces (JSON), for the Worker check to compare with. */
  readonly bytesJson: string;
}

/** FaceAnalysis on `backend` over the known pixels as a RawImage and as each browser frame kind. */
export async function checkFrames(backend: BackendName, sources: readonly SourceName[]): Promise<FramesReport> {
  const pixels = await knownPixels();
  const app = await FaceAnalysis.create({ models: { files: await packFiles() }, backend, allowedModules: MODULES });
  app.prepare({ detSize: [...DET_SIZE] });
  try {
    const raw: RawImage = { data: pixels.data, width: pixels.width, height: pixels.height, format: 'rgba' };
    const bytesJson = JSON.stringify(await app.get(raw));
    const reads = countPixelReads();
    const results: FrameComparison[] = [];
    for (const name of sources) {
      const source = await makeSource(name, pixels);
      const before = reads.count();
      const faces: Face[] = await app.get(source as ImageBitmap);
      results.push({ source: name, faces: faces.length, identical: JSON.stringify(faces) === bytesJson, pixelReads: reads.count() - before });
      if ('close' in source) source.close();
    }
    return { backend: app.models.get('detection')!.session.backendName, width: pixels.width, height: pixels.height, bytesFaces: (JSON.parse(bytesJson) as unknown[]).length, results, bytesJson };
  } finally {
    await app.release();
  }
}

export interface WorkerReport {
  readonly backend: string;
  /** The worker's faces for an ImageBitmap of the known pixels, as JSON. */
  readonly facesJson: string;
  readonly bitmapDetached: boolean;
  readonly timingStages: readonly string[];
  readonly imageError: { readonly isImageError: boolean; readonly code: string; readonly why: string; readonly message: string };
  readonly optionError: { readonly isOptionError: boolean; readonly option: string };
  readonly release: { readonly hadDevice: boolean; readonly deviceLost?: string };
  readonly afterRelease: { readonly isWorkerError: boolean; readonly message: string };
  readonly terminated: { readonly isWorkerError: boolean; readonly message: string };
  /** Longest main-thread task (ms) seen by a 'longtask' observer while the worker analysed. */
  readonly longestTaskMs: number;
}

/** The Worker's API: a result, typed errors from inside it, and release destroying its GPUDevice. */
export async function checkWorker(backend: BackendName): Promise<WorkerReport> {
  const pixels = await knownPixels();
  const worker = await createFaceAnalysisWorker({ models: { files: await packFiles() }, backend, allowedModules: MODULES });
  await worker.prepare({ detSize: [...DET_SIZE] });
  let longest = 0;
  const observer = new PerformanceObserver((list) => { for (const e of list.getEntries()) longest = Math.max(longest, e.duration); });
  observer.observe({ type: 'longtask', buffered: false });
  const bitmap = await createImageBitmap(pixels, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  const timings: StageTiming[] = [];
  const faces = await worker.get(bitmap, { timings });
  observer.disconnect();
  const imageError = await worker.get({ data: new Uint8Array(5), width: 10, height: 10, format: 'rgb' }).then(() => undefined, (e: unknown) => e);
  const optionError = await worker.prepare({ detThresh: Number.NaN }).then(() => undefined, (e: unknown) => e);
  const release = await worker.release();
  const afterRelease = await worker.get(pixels).then(() => undefined, (e: unknown) => e);

  // A second worker, terminated while its first call is pending.
  const other = await createFaceAnalysisWorker({ models: { files: await packFiles() }, backend: 'cpu', allowedModules: ['detection'] });
  const pending = other.get({ data: pixels.data, width: pixels.width, height: pixels.height, format: 'rgba' }, { transfer: false });
  other.terminate();
  const terminated = await pending.then(() => undefined, (e: unknown) => e);

  const ie = imageError as ImageError;
  const oe = optionError as PipelineOptionError;
  return {
    backend: worker.info.backend,
    facesJson: JSON.stringify(faces),
    bitmapDetached: bitmap.width === 0,
    timingStages: timings.map((t) => t.stage),
    imageError: { isImageError: imageError instanceof ImageError, code: ie?.code, why: ie?.why, message: ie?.message },
    optionError: { isOptionError: optionError instanceof PipelineOptionError, option: oe?.option },
    release,
    afterRelease: { isWorkerError: afterRelease instanceof WorkerError, message: String((afterRelease as Error)?.message) },
    terminated: { isWorkerError: terminated instanceof WorkerError, message: String((terminated as Error)?.message) },
    longestTaskMs: longest,
  };
}

export interface TrackedFramesReport {
  readonly backend: string;
  readonly faces: number;
  /** JSON of every frame's tracked faces equals the JSON of the same tracker run over the bytes. */
  readonly identical: boolean;
  /** getImageData calls while the browser frames were tracked. */
  readonly pixelReads: number;
}

/**
 * FaceTracker over a FaceAnalysis on WebGPU, fed browser frames (an ImageBitmap, then a VideoFrame; the second frame
 * carried by the motion, detectEvery 2), against the same tracker fed the bytes of the same pixels.
 */
export async function checkTrackedFrames(): Promise<TrackedFramesReport> {
  const pixels = await knownPixels();
  const app = await FaceAnalysis.create({ models: { files: await packFiles() }, backend: 'webgpu', allowedModules: MODULES });
  app.prepare({ detSize: [...DET_SIZE] });
  try {
    const options = { detectEvery: 2, smoothing: false } as const;
    const raw: RawImage = { data: pixels.data, width: pixels.width, height: pixels.height, format: 'rgba' };
    const fromBytes = new FaceTracker(app, options);
    const bytesJson = JSON.stringify([await fromBytes.track(raw), await fromBytes.track(raw)]);
    const reads = countPixelReads();
    const fromFrames = new FaceTracker(app, options);
    const bitmap = await makeSource('image-bitmap', pixels) as ImageBitmap;
    const frame = await makeSource('video-frame', pixels) as VideoFrame;
    const framesJson = JSON.stringify([await fromFrames.track(bitmap), await fromFrames.track(frame)]);
    bitmap.close();
    frame.close();
    return { backend: app.models.get('detection')!.session.backendName, faces: (JSON.parse(bytesJson) as unknown[][])[0]!.length, identical: framesJson === bytesJson, pixelReads: reads.count() };
  } finally {
    await app.release();
  }
}
