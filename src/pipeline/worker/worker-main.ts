/**
 * The script of the face-analysis Worker (createFaceAnalysisWorker starts it as a module Worker): one FaceAnalysis
 * on a GPUDevice of the worker's own (or the CPU backend), driven by WorkerRequest messages, one at a time.
 */
import { chooseBackend } from '../../backends/choice.js';
import type { GpuDevice } from '../../backends/webgpu/device.js';
import { FaceAnalysis } from '../face-analysis.js';
import { loadImage } from '../image-source.js';
import { INSwapper } from '../swap/inswapper.js';
import { swapSourceFromWire } from '../swap/source-embedding.js';
import { facesFromDetections } from '../scrfd.js';
import { FaceIndex } from '../identity/face-index.js';
import { FaceTracker } from '../tracking/face-tracker.js';
import { PipelineOptionError } from '../errors.js';
import type { ImageInput } from '../image-source.js';
import type { StageTiming } from '../stage-timer.js';
import type { WireImage, WorkerReply, WorkerReplyValue, WorkerRequest } from './protocol.js';
import { serialiseError } from './wire-errors.js';
import { facesFromWire, facesToWire } from './wire-faces.js';

/** The parts of a DedicatedWorkerGlobalScope used here (the project's lib is DOM, not WebWorker). */
interface WorkerScope {
  postMessage(message: WorkerReply, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<WorkerRequest>) => void): void;
}

/** How long release waits for the destroyed device's `lost` promise before reporting it as not lost. */
const LOST_WAIT_MS = 5_000;

let app: FaceAnalysis | undefined;
let gpu: GpuDevice | undefined;
let swapper: INSwapper | undefined;
let tracker: FaceTracker | undefined;

/** Closes a frame the client moved here (its own capture, or the caller's when transferred). */
function closeOwned(image: WireImage, owned: boolean): void {
  if (!owned) return;
  if (typeof VideoFrame !== 'undefined' && image instanceof VideoFrame) image.close();
  else if (typeof ImageBitmap !== 'undefined' && image instanceof ImageBitmap) image.close();
}

function requireApp(): FaceAnalysis {
  if (!app) throw new PipelineOptionError('worker', 'no FaceAnalysis in this worker (create failed or it was released)');
  return app;
}

async function handle(request: WorkerRequest): Promise<{ value: WorkerReplyValue; transfer: Transferable[] }> {
  switch (request.kind) {
    case 'create': {
      if (app) throw new PipelineOptionError('worker', 'create was already called');
      const { models, backend, allowSoftwareAdapter, allowedModules, headBatch } = request.options;
      const swapperBytes = request.options.swapper;
      const choice = await chooseBackend(backend ?? 'auto', { allowSoftwareAdapter });
      gpu = choice.backend === 'webgpu' ? choice.gpu : undefined;
      try {
        // The device is lent, so FaceAnalysis.release leaves it to `release` here, which reports its loss.
        app = await FaceAnalysis.create({
          models, allowedModules, headBatch, backend: choice.backend,
          sessionOptions: gpu ? { webgpu: { device: gpu.device } } : undefined,
        });
        if (request.options.tracker) {
          const { index, ...rest } = request.options.tracker;
          // Frames go through the analysis's own pre-processing: on WebGPU, one upload per frame and no read-back.
          tracker = new FaceTracker(app, { ...rest, index: index ? FaceIndex.fromBytes(index) : undefined });
        }
        if (swapperBytes) {
          swapper = await INSwapper.create(swapperBytes, { backend: choice.backend, sessionOptions: gpu ? { webgpu: { device: gpu.device } } : undefined });
        }
      } catch (error) {
        await app?.release();
        app = undefined;
        gpu?.release();
        gpu = undefined;
        throw error;
      }
      const info = {
        backend: choice.backend, adapter: gpu?.description,
        models: [...app.models.values()].map((m) => [m.taskname, m.file] as const), detSize: app.detSize,
      };
      return { value: { kind: 'create', info }, transfer: [] };
    }
    case 'prepare':
      return { value: { kind: 'prepare', detSize: requireApp().prepare(request.options).detSize }, transfer: [] };
    case 'get': {
      try {
        const timings: StageTiming[] | undefined = request.options.timings ? [] : undefined;
        const faces = await requireApp().get(request.image as ImageInput, { maxNum: request.options.maxNum, metric: request.options.metric, timings });
        const wire = facesToWire(faces);
        return { value: { kind: 'get', faces: wire.faces, timings }, transfer: wire.transfer };
      } finally {
        closeOwned(request.image, request.owned);
      }
    }
    case 'drawOn': {
      try {
        const image = await requireApp().drawOn(request.image as ImageInput, facesFromWire(request.faces), request.options);
        return { value: { kind: 'drawOn', image }, transfer: [image.data.buffer as ArrayBuffer] };
      } finally {
        closeOwned(request.image, request.owned);
      }
    }
    case 'swap': {
      try {
        if (!swapper) throw new PipelineOptionError('swapper', 'this worker was created without a swapper model');
        // One decode for both: the faces are found and replaced in the same picture.
        const image = await loadImage(request.image as ImageInput);
        const t0 = performance.now();
        // The detector alone: INSwapper reads only the keypoints, so the heads would be wasted work here.
        const faces = facesFromDetections(await requireApp().detector.detect(image, { maxNum: request.maxNum }));
        const t1 = performance.now();
        let out = image;
        const source = swapSourceFromWire(request.source);
        for (const face of faces) out = await swapper.get(out, face, source);
        const timings: StageTiming[] = [{ stage: 'detection', kind: 'forward', ms: t1 - t0 }, { stage: 'inswapper', kind: 'forward', ms: performance.now() - t1 }];
        // A frame with no face comes back as its own pixels.
        const result = out === image ? { width: image.width, height: image.height, data: image.data.slice() } : out;
        const wire = facesToWire(faces);
        return { value: { kind: 'swap', faces: wire.faces, image: result, timings }, transfer: [...wire.transfer, result.data.buffer as ArrayBuffer] };
      } finally {
        closeOwned(request.image, request.owned);
      }
    }
    case 'track': {
      try {
        if (!tracker) throw new PipelineOptionError('tracker', 'this worker was created without tracker options');
        const timings: StageTiming[] | undefined = request.timings ? [] : undefined;
        const faces = await tracker.track(request.image as ImageInput, { timestamp: request.timestamp, timings });
        // Copied: the tracker keeps these arrays in its tracks for the next frames.
        const shown = facesToWire(faces, { copy: true });
        const ended = facesToWire(tracker.ended(), { copy: true });
        return { value: { kind: 'track', faces: shown.faces, ended: ended.faces, timings }, transfer: [...shown.transfer, ...ended.transfer] };
      } finally {
        closeOwned(request.image, request.owned);
      }
    }
    case 'release': {
      const hadDevice = gpu !== undefined;
      const device = gpu?.device;
      await app?.release();
      app = undefined;
      await swapper?.release();
      swapper = undefined;
      tracker = undefined;
      gpu?.release();
      gpu = undefined;
      let deviceLost: string | undefined;
      if (device) {
        const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), LOST_WAIT_MS));
        deviceLost = await Promise.race([device.lost.then((info) => info.reason as string), timeout]);
      }
      return { value: { kind: 'release', info: { hadDevice, deviceLost } }, transfer: [] };
    }
  }
}

const scope = globalThis as unknown as WorkerScope;
// Requests run in order: FaceAnalysis serialises its own calls, and create/release must not overlap them.
let queue: Promise<void> = Promise.resolve();
scope.addEventListener('message', (event) => {
  const request = event.data;
  queue = queue.then(async () => {
    try {
      const { value, transfer } = await handle(request);
      scope.postMessage({ id: request.id, ok: true, value }, transfer);
    } catch (error) {
      scope.postMessage({ id: request.id, ok: false, error: serialiseError(error) }, []);
    }
  });
});
