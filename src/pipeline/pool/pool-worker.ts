/**
 * The script of each FaceAnalysisPool worker thread: one FaceAnalysis built from `workerData` (PoolWorkerSetup),
 * analysing the image files the pool sends, one at a time. The decode runs here too, so it spreads over the
 * threads with the inference.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { joinDecodeGate } from '../decode-node.js';
import { ImageError } from '../errors.js';
import { FaceAnalysis } from '../face-analysis.js';
import type { BgrImage } from '../image.js';
import { loadImage } from '../image-source.js';
import { serialiseError } from '../worker/wire-errors.js';
import { facesToWire } from '../worker/wire-faces.js';
import type { PoolReply, PoolRequest, PoolWorkerSetup } from './protocol.js';

const port = parentPort!;
const setup = workerData as PoolWorkerSetup;
// Before any decode: a failed file's retry then runs with no decode in flight in any thread of the pool.
if (setup.decodeSeat) joinDecodeGate(setup.decodeSeat);

function post(reply: PoolReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(reply, transfer);
}

async function analyse(app: FaceAnalysis, request: PoolRequest): Promise<void> {
  let image: BgrImage;
  try {
    image = await loadImage(request.file);
  } catch (error) {
    // Any decode failure is the image's (as the in-process run treats it).
    post({ kind: 'image', id: request.id, error: serialiseError(error) });
    return;
  }
  try {
    const faces = await app.get(image, { maxNum: request.maxNum, metric: request.metric });
    const annotated = request.draw ? await app.drawOn(image, faces, request.draw) : undefined;
    const wire = facesToWire(faces);
    const transfer = annotated ? [...wire.transfer, annotated.data.buffer as ArrayBuffer] : wire.transfer;
    post({ kind: 'faces', id: request.id, width: image.width, height: image.height, faces: wire.faces, annotated }, transfer);
  } catch (error) {
    post({ kind: error instanceof ImageError ? 'image' : 'fatal', id: request.id, error: serialiseError(error) });
  }
}

async function start(): Promise<void> {
  let app: FaceAnalysis;
  try {
    app = await FaceAnalysis.create({ models: setup.models, backend: setup.backend, allowedModules: setup.allowedModules });
    app.prepare(setup.prepare);
  } catch (error) {
    post({ kind: 'startFailed', error: serialiseError(error) });
    return;
  }
  post({ kind: 'ready', info: { models: [...app.models.values()].map((m) => [m.taskname, m.file] as const), detSize: app.detSize } });
  // One image at a time: FaceAnalysis serialises its calls, and the pool sends a worker one image until it answers.
  let queue = Promise.resolve();
  port.on('message', (request: PoolRequest) => {
    queue = queue.then(() => analyse(app, request));
  });
}

void start();
