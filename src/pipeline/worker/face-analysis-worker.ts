import { DRAW_SHAPE, type DrawOptions } from '../draw.js';
import { describeValue, optionsObject, requireArray } from '../call-options.js';
import { requireBbox, requireKps } from '../face-input.js';
import type { Face } from '../face.js';
import { GET_SHAPE, PREPARE_SHAPE, type GetOptions, type PrepareOptions } from '../face-analysis-options.js';
import { browserImageSize, type BrowserImageSource } from '../decode-browser.js';
import { isBgrImage, isRawImage, type BgrImage } from '../image.js';
import type { ImageInput } from '../image-source.js';
import type { Size } from '../preprocess/letterbox.js';
import type { StageTiming } from '../stage-timer.js';
import type { TrackedFace } from '../tracking/tracked-face.js';
import { TRACKER_SHAPE } from '../tracking/tracker-options.js';
import type {
  WireImage, WorkerCreateOptions, WorkerModelsInfo, WorkerReleaseInfo, WorkerReply, WorkerReplyValue, WorkerRequest,
} from './protocol.js';
import { ImageError, PipelineOptionError } from '../errors.js';
import { normedEmbedding } from '../swap/source-embedding.js';
import { rebuildError, WorkerError } from './wire-errors.js';
import { facesFromWire, facesToWire } from './wire-faces.js';

/** createFaceAnalysisWorker's options: FaceAnalysis's (model bytes, backend, modules) plus where the worker script is. */
export interface FaceAnalysisWorkerOptions extends WorkerCreateOptions {
  /**
   * The worker script (worker-main). Default: the module next to this one, which bundlers that understand
   * `new Worker(new URL(…, import.meta.url))` (vite, webpack 5) package on their own.
   */
  readonly workerUrl?: string | URL;
}

/** `get`'s options in the worker: FaceAnalysis's, plus whether the frame moves to the worker. */
export interface WorkerGetOptions extends GetOptions {
  /**
   * True (default): an ImageBitmap or VideoFrame is transferred (the caller's is closed and the worker closes it
   * after use), and raw pixels' buffer is moved (detached here). False: they are copied.
   */
  readonly transfer?: boolean;
}

/** A request before its id is assigned (distributed over the union, so each kind keeps its own fields). */
type Unsent<T> = T extends unknown ? Omit<T, 'id'> : never;

type Pending = { resolve: (value: WorkerReplyValue) => void; reject: (error: Error) => void };

/**
 * An image as it is posted. `made`: the VideoFrame or ImageBitmap captured here from a DOM element or canvas, which
 * this side closes when the post fails (a posted one moves to the worker, which closes it). `recheck`: checkNotMoved
 * again, at the post itself: another call started at the same moment may have moved the caller's picture since.
 */
interface PostableImage {
  readonly image: WireImage;
  readonly transfer: Transferable[];
  readonly owned: boolean;
  readonly made?: { close(): void };
  readonly recheck?: () => void;
}

/** Whether an ArrayBuffer was detached (transferred); engines without `detached` show a moved buffer as empty. */
function isDetached(buffer: ArrayBufferLike): boolean {
  const flag = (buffer as { detached?: unknown }).detached;
  return typeof flag === 'boolean' ? flag : buffer.byteLength === 0;
}

/**
 * An image whose pixels an earlier call moved to the worker (a detached buffer, a closed ImageBitmap or VideoFrame)
 * cannot be posted again: an ImageError, as FaceAnalysis.get on the page gives for it, rather than postMessage's
 * DataCloneError.
 */
function checkNotMoved(image: ImageInput, is: (name: string) => boolean): void {
  const again = 'moved to the worker by an earlier call (which transfers it unless { transfer: false }) or closed; pass a fresh copy';
  if (is('ImageBitmap') && (image as ImageBitmap).width === 0 && (image as ImageBitmap).height === 0) throw new ImageError(`this ImageBitmap was ${again}`);
  // Not `format === null`: an open frame may have an opaque format too; only a closed one has no size.
  if (is('VideoFrame') && (image as VideoFrame).codedWidth === 0) throw new ImageError(`this VideoFrame was ${again}`);
  const data = image instanceof ArrayBuffer || ArrayBuffer.isView(image) ? image
    : image !== null && typeof image === 'object' && 'data' in image ? (image as { data?: unknown }).data : undefined;
  const buffer = data instanceof ArrayBuffer ? data : ArrayBuffer.isView(data) ? data.buffer : undefined;
  if (buffer && isDetached(buffer)) throw new ImageError(`its pixel buffer is detached: it was ${again}`);
}

/** The images that cannot be posted as they are (DOM elements, canvases): sent as a VideoFrame or an ImageBitmap made here. */
async function postable(image: ImageInput, transfer: boolean): Promise<PostableImage> {
  const g = globalThis as Record<string, unknown>;
  const is = (name: string): boolean => typeof g[name] === 'function' && image instanceof (g[name] as abstract new (...a: never[]) => unknown);
  checkNotMoved(image, is);
  const recheck = (): void => checkNotMoved(image, is);
  const element = is('HTMLVideoElement') || is('HTMLCanvasElement') || is('OffscreenCanvas') || is('HTMLImageElement');
  if (element) {
    // An element with nothing to show (an <img> not loaded, a <video> before its first frame, a canvas of width 0):
    // FaceAnalysis.get's ImageError on the page, rather than the capture's DOMException.
    const { width, height } = browserImageSize(image as BrowserImageSource);
    if (!width || !height) throw new ImageError(`image has size ${width}×${height} (not loaded yet, or a video with no frame yet?)`);
  }
  try {
    if (is('HTMLVideoElement') && typeof VideoFrame !== 'undefined') {
      // The frame the video shows now, without a CPU copy.
      const frame = new VideoFrame(image as HTMLVideoElement);
      return { image: frame, transfer: [frame], owned: true, made: frame };
    }
    if (element) {
      const bitmap = await createImageBitmap(image as ImageBitmapSource, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
      return { image: bitmap, transfer: [bitmap], owned: true, made: bitmap };
    }
  } catch (error) {
    // A source the browser cannot capture (a broken <img>, a tainted canvas): the picture is at fault.
    throw new ImageError(`the browser cannot capture it for the worker: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`, undefined, { cause: error });
  }
  if (is('VideoFrame') || is('ImageBitmap')) {
    return { image: image as VideoFrame | ImageBitmap, transfer: transfer ? [image as VideoFrame | ImageBitmap] : [], owned: transfer, recheck };
  }
  if (typeof image === 'string') {
    // The worker fetches it, as FaceAnalysis.get fetches a URL in a page; resolved here, since a relative URL in the
    // worker would be taken against the worker script's own address.
    const base = (globalThis as { location?: { href?: string } }).location?.href;
    let url: URL;
    try {
      url = new URL(image, base);
    } catch {
      throw new ImageError('not a URL the worker can fetch (a file path needs Node: pass the file\'s bytes)', image);
    }
    return { image: url.href, transfer: [], owned: false };
  }
  const buffers: Transferable[] = [];
  if (transfer) {
    const data = image instanceof ArrayBuffer ? image : image instanceof Uint8Array ? image : isRawImage(image) || isBgrImage(image) ? image.data : undefined;
    const buffer = data instanceof ArrayBuffer ? data : data?.buffer;
    if (buffer instanceof ArrayBuffer) buffers.push(buffer);
  }
  return { image: image as WireImage, transfer: buffers, owned: false, recheck };
}

/**
 * FaceAnalysis in a dedicated module Worker: the same promise-based calls (create → prepare → get / drawOn →
 * release), with frames moved to the worker and faces' arrays moved back. Errors thrown in the worker are rethrown
 * here as the same engine classes (ImageError, PipelineOptionError, BackendError, …) with their fields; a worker
 * that fails or is terminated rejects every pending call with WorkerError.
 */
export class FaceAnalysisWorker {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** The calls made and not yet settled, which release waits for. */
  private readonly started = new Set<Promise<unknown>>();
  /** Set by release: calls made after it are refused rather than posted behind its request. */
  private releaseCalled = false;
  private closed: string | undefined;
  private detSizes: readonly Size[] = [];
  private endedTracks: TrackedFace[] = [];
  private releasing: Promise<WorkerReleaseInfo> | undefined;

  private constructor(private readonly worker: Worker, private built: WorkerModelsInfo, private readonly hasSwapper: boolean) {}

  /** What the worker built: its backend, adapter and models. */
  get info(): WorkerModelsInfo {
    return this.built;
  }

  /** Starts the worker and builds the pipeline in it. The model bytes' buffers are moved to the worker. */
  static async create(options: FaceAnalysisWorkerOptions): Promise<FaceAnalysisWorker> {
    // Checked before a Worker starts, so a wrong call leaves nothing running: Node has no global module Worker, and
    // the worker takes the models' bytes (it reads no files).
    if (typeof Worker === 'undefined') {
      throw new WorkerError('this runtime has no module Worker (a browser API); in Node use FaceAnalysisPool (worker threads) or FaceAnalysis');
    }
    // Every option is checked here, as FaceAnalysis.create and FaceTracker check theirs: the worker builds its
    // pipeline from the fields it knows, so a misspelt one would otherwise be dropped without a word.
    if (options === null || typeof options !== 'object') throw new PipelineOptionError('options', `createFaceAnalysisWorker takes { models, … }, got ${describeValue(options)}`);
    // FaceAnalysis.create's pack names and `download` are what a caller moving to the worker tries first: said as
    // such, rather than "not an object" or "no such option".
    const fromPage = 'the worker reads no files and downloads nothing: load the pack on the page (loadModelFiles from insightgpu/models) and pass its bytes as { models: { files } }';
    const models: unknown = (options as { models?: unknown }).models;
    if (typeof models === 'string' || models instanceof URL) throw new PipelineOptionError('models', `${describeValue(models)} names a pack or a location; ${fromPage}`);
    if ('download' in options) throw new PipelineOptionError('download', fromPage);
    optionsObject(options, 'createFaceAnalysisWorker', {
      models: 'object', allowedModules: 'array', backend: 'string', allowSoftwareAdapter: 'boolean', headBatch: 'number',
      swapper: 'object', tracker: 'object', workerUrl: ['string', 'object'],
    });
    if (options.tracker !== undefined) {
      const { preprocessor: _preprocessor, ...trackerShape } = TRACKER_SHAPE;
      optionsObject(options.tracker, 'createFaceAnalysisWorker', trackerShape, 'tracker.');
    }
    const files = (options as { models?: { files?: unknown } } | null | undefined)?.models?.files;
    if (files === null || typeof files !== 'object') throw new PipelineOptionError('models', 'the worker takes the files\' bytes by name: { files: { name: bytes } } or { files: Map }');
    // A buffer an earlier worker took (createFaceAnalysisWorker twice from one loadModelFiles Map) cannot be posted
    // again: said by file here, before a Worker starts, rather than as postMessage's DataCloneError.
    const named: [string, unknown][] = files instanceof Map ? [...(files as Map<string, unknown>).entries()] : Object.entries(files);
    for (const [name, bytes] of named) {
      const buffer = bytes instanceof ArrayBuffer ? bytes : ArrayBuffer.isView(bytes) ? bytes.buffer : undefined;
      if (buffer && isDetached(buffer)) throw new PipelineOptionError('models', `the bytes of '${name}' were moved to an earlier worker (createFaceAnalysisWorker transfers them); pass a copy (bytes.slice()) to each worker`);
    }
    const swapperBuffer = options.swapper instanceof ArrayBuffer ? options.swapper : ArrayBuffer.isView(options.swapper) ? options.swapper.buffer : undefined;
    if (swapperBuffer && isDetached(swapperBuffer)) throw new PipelineOptionError('swapper', 'its bytes were moved to an earlier worker (createFaceAnalysisWorker transfers them); pass a copy (bytes.slice()) to each worker');
    const { workerUrl, ...create } = options;
    // The default is written as `new Worker(new URL(…, import.meta.url), { type: 'module' })` on its own: the form
    // bundlers (vite, webpack 5) recognise and bundle as a worker entry; inside another expression they copy the
    // file as a plain asset, without its imports.
    const worker = workerUrl
      ? new Worker(workerUrl, { type: 'module', name: 'insightgpu face analysis' })
      : new Worker(new URL('./worker-main.js', import.meta.url), { type: 'module', name: 'insightgpu face analysis' });
    const client = new FaceAnalysisWorker(worker, { backend: 'cpu', models: [], detSize: [] }, create.swapper !== undefined);
    worker.addEventListener('message', (event: MessageEvent<WorkerReply>) => client.receive(event.data));
    worker.addEventListener('error', (event) => client.fail(`the worker failed: ${event.message || 'its script could not be loaded'}`));
    worker.addEventListener('messageerror', () => client.fail('a reply could not be deserialised'));
    const transfer = new Set<ArrayBuffer>();
    const modelBytes = create.models.files instanceof Map ? [...create.models.files.values()] : Object.values(create.models.files);
    for (const bytes of [...modelBytes, ...(create.swapper ? [create.swapper] : [])]) {
      const buffer = bytes instanceof ArrayBuffer ? bytes : bytes.buffer;
      if (buffer instanceof ArrayBuffer) transfer.add(buffer);
    }
    try {
      const reply = await client.call({ kind: 'create', options: create }, [...transfer]);
      if (reply.kind === 'create') {
        client.built = reply.info;
        client.detSizes = reply.info.detSize;
      }
    } catch (error) {
      worker.terminate();
      client.closed = 'create failed';
      throw error;
    }
    return client;
  }

  /** As FaceAnalysis.prepare (asynchronous here). */
  prepare(options: PrepareOptions = {}): Promise<this> {
    return this.kept('prepare', () => this.prepareNow(options));
  }

  private async prepareNow(options: PrepareOptions): Promise<this> {
    optionsObject(options, 'prepare', PREPARE_SHAPE);
    const reply = await this.call({ kind: 'prepare', options }, []);
    if (reply.kind === 'prepare') this.detSizes = reply.detSize;
    return this;
  }

  /** The sizes detection runs at, as of the last `prepare`. */
  get detSize(): readonly Size[] {
    return this.detSizes;
  }

  /** As FaceAnalysis.get; `options.timings`, when given, receives the worker's stage timings. */
  get(image: ImageInput, options: WorkerGetOptions = {}): Promise<Face[]> {
    return this.kept('get', () => this.getNow(image, options));
  }

  private async getNow(image: ImageInput, options: WorkerGetOptions): Promise<Face[]> {
    optionsObject(options, 'get', { ...GET_SHAPE, transfer: 'boolean' });
    const wire = await postable(image, options.transfer ?? true);
    const reply = await this.call({
      kind: 'get', image: wire.image, owned: wire.owned,
      options: { maxNum: options.maxNum, metric: options.metric, timings: options.timings !== undefined },
    }, wire.transfer, wire);
    if (reply.kind !== 'get') throw new WorkerError(`unexpected reply '${reply.kind}' to get`);
    if (options.timings && reply.timings) options.timings.push(...reply.timings);
    return facesFromWire(reply.faces);
  }

  /** As FaceAnalysis.drawOn: the annotated copy comes back as a BgrImage whose buffer was moved from the worker. */
  drawOn(image: ImageInput, faces: readonly Face[], options?: DrawOptions & { readonly transfer?: boolean }): Promise<BgrImage> {
    return this.kept('drawOn', () => this.drawOnNow(image, faces, options));
  }

  private async drawOnNow(image: ImageInput, faces: readonly Face[], options?: DrawOptions & { readonly transfer?: boolean }): Promise<BgrImage> {
    optionsObject(options, 'drawOn', { ...DRAW_SHAPE, transfer: 'boolean' });
    // FaceAnalysis.drawOn's checks, made here before the picture moves: the faces are copied below, where a missing
    // field would be a bare TypeError.
    for (const face of requireArray(faces, 'faces', 'drawOn')) {
      requireBbox(face, 'drawOn');
      if ((face as { kps?: unknown }).kps != null) requireKps(face, 'drawOn');
    }
    const wire = await postable(image, options?.transfer ?? false);
    // The faces are copied (their arrays stay usable here).
    const copies = facesToWire(faces.map(copyFace)).faces;
    const reply = await this.call({ kind: 'drawOn', image: wire.image, owned: wire.owned, faces: copies, options: { landmarks106: options?.landmarks106 } }, wire.transfer, wire);
    if (reply.kind !== 'drawOn') throw new WorkerError(`unexpected reply '${reply.kind}' to drawOn`);
    return reply.image;
  }

  /**
   * FaceTracker.track in the worker (needs the `tracker` option): the frame's tracked faces, as TrackedFace objects.
   * The tracks that ended in this frame are then in `ended`. `timings`, when given, receives the tracker's stage
   * times for the frame (TrackOptions.timings).
   */
  track(image: ImageInput, options: { readonly timestamp?: number; readonly transfer?: boolean; readonly timings?: StageTiming[] } = {}): Promise<TrackedFace[]> {
    return this.kept('track', () => this.trackNow(image, options));
  }

  private async trackNow(image: ImageInput, options: { readonly timestamp?: number; readonly transfer?: boolean; readonly timings?: StageTiming[] }): Promise<TrackedFace[]> {
    optionsObject(options, 'track', { timestamp: 'number', transfer: 'boolean', timings: 'array' });
    const wire = await postable(image, options.transfer ?? true);
    const reply = await this.call({ kind: 'track', image: wire.image, owned: wire.owned, timestamp: options.timestamp, timings: options.timings !== undefined }, wire.transfer, wire);
    if (reply.kind !== 'track') throw new WorkerError(`unexpected reply '${reply.kind}' to track`);
    if (options.timings && reply.timings) options.timings.push(...reply.timings);
    this.endedTracks = facesFromWire(reply.ended) as TrackedFace[];
    return facesFromWire(reply.faces) as TrackedFace[];
  }

  /** The tracks that ended in the last `track` call (FaceTracker.ended), as last seen. */
  ended(): readonly TrackedFace[] {
    return this.endedTracks;
  }

  /**
   * Detects the faces of `image` (the detector only: boxes, keypoints and scores) and puts `source`'s identity onto
   * each (INSwapper, paste-back), in the worker: the faces and the swapped picture come back (moved, not copied);
   * `timings` receives the detector's and the swaps' wall time. Needs the `swapper` option and a 512-d source
   * (a Face from a 512-d recognizer, or its embedding); PipelineOptionError otherwise.
   */
  swap(
    image: ImageInput, source: Face | ArrayLike<number>,
    options: { readonly maxNum?: number; readonly transfer?: boolean; readonly timings?: StageTiming[] } = {},
  ): Promise<{ faces: Face[]; image: BgrImage }> {
    return this.kept('swap', () => this.swapNow(image, source, options));
  }

  private async swapNow(
    image: ImageInput, source: Face | ArrayLike<number>,
    options: { readonly maxNum?: number; readonly transfer?: boolean; readonly timings?: StageTiming[] },
  ): Promise<{ faces: Face[]; image: BgrImage }> {
    optionsObject(options, 'swap', { maxNum: 'number', transfer: 'boolean', timings: 'array' });
    const isFace = source !== null && typeof source === 'object' && 'det_score' in source;
    const vector = isFace ? source.normed_embedding ?? source.embedding : source;
    if (isFace && !vector) throw new PipelineOptionError('source', 'the source face has no embedding (the pack needs a recognition model)');
    // Checked here, before the picture moves to the worker: a call that cannot succeed leaves it with the caller, and
    // a wrong source fails even on a picture with no face (where the worker would never reach INSwapper's check).
    if (!this.hasSwapper) throw new PipelineOptionError('swapper', 'this worker was created without a swapper model (pass swapper: the inswapper_128.onnx bytes to createFaceAnalysisWorker)');
    // The identity INSwapper.get on the page would use (a Face's normed_embedding as it is), posted as that.
    const latent = normedEmbedding(isFace ? source : (vector as ArrayLike<number>));
    const wire = await postable(image, options.transfer ?? true);
    const reply = await this.call({ kind: 'swap', image: wire.image, owned: wire.owned, source: latent, maxNum: options.maxNum }, [...wire.transfer, latent.buffer], wire);
    if (reply.kind !== 'swap') throw new WorkerError(`unexpected reply '${reply.kind}' to swap`);
    options.timings?.push(...reply.timings);
    return { faces: facesFromWire(reply.faces), image: reply.image };
  }

  /**
   * Lets the calls already made finish (their results are kept), then releases the pipeline, destroys the worker's
   * GPUDevice and ends the worker. Resolves with whether the device was lost (destroyed) as a result; a second
   * release resolves with the same. Later calls reject with WorkerError.
   */
  release(): Promise<WorkerReleaseInfo> {
    // A second release while the first runs waits for it and reports the same: ending the worker is one act, and
    // the first release's terminate would otherwise reject the second's request as "terminated".
    this.releasing ??= this.releaseOnce();
    return this.releasing;
  }

  private async releaseOnce(): Promise<WorkerReleaseInfo> {
    if (this.closed !== undefined) return { hadDevice: false };
    // A picture call made before release posts only once its picture is ready (a bitmap made, a URL fetched): its
    // request would reach the worker after release's and be rejected by the terminate. Like FaceAnalysis.release,
    // release lets the calls already made finish first.
    const earlier = [...this.started];
    this.releaseCalled = true;
    await Promise.allSettled(earlier);
    try {
      const reply = await this.call({ kind: 'release' }, []);
      return reply.kind === 'release' ? reply.info : { hadDevice: false };
    } finally {
      this.terminate();
    }
  }

  /** Starts `start`'s call, held in `started` until it settles; after release, refuses it without starting it. */
  private kept<T>(kind: string, start: () => Promise<T>): Promise<T> {
    if (this.releaseCalled) return Promise.reject(new WorkerError(`cannot ${kind}: ${this.closed ?? 'the worker is being released'}`));
    const call = start();
    this.started.add(call);
    const forget = (): void => { this.started.delete(call); };
    call.then(forget, forget);
    return call;
  }

  /** Ends the worker at once (the browser frees its device with it); pending calls reject with WorkerError. */
  terminate(): void {
    this.worker.terminate();
    this.fail('the worker was terminated');
  }

  /**
   * Posts `request`; the picture's frame captured for it (`wire.made`) is closed here when it never reaches the
   * worker, and the caller's own picture is checked once more, at the post (`wire.recheck`).
   */
  private call(request: Unsent<WorkerRequest>, transfer: Transferable[], wire?: PostableImage): Promise<WorkerReplyValue> {
    const made = wire?.made;
    if (this.closed !== undefined) {
      made?.close();
      return Promise.reject(new WorkerError(`cannot ${request.kind}: ${this.closed}`));
    }
    try {
      wire?.recheck?.();
    } catch (error) {
      made?.close();
      return Promise.reject(error instanceof Error ? error : new WorkerError(String(error)));
    }
    const id = this.nextId++;
    return new Promise<WorkerReplyValue>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        this.worker.postMessage({ ...request, id } as WorkerRequest, transfer);
      } catch (e) {
        // Arguments that cannot be cloned (a function in the options, say) never reach the worker: nothing waits.
        this.pending.delete(id);
        made?.close();
        reject(new PipelineOptionError(request.kind, `its arguments cannot be posted to the worker: ${e instanceof Error ? e.message : String(e)}`));
      }
    });
  }

  private receive(reply: WorkerReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.value);
    else p.reject(rebuildError(reply.error));
  }

  private fail(why: string): void {
    if (this.closed === undefined) this.closed = why;
    for (const p of this.pending.values()) p.reject(new WorkerError(why));
    this.pending.clear();
  }
}

/** A face whose arrays are copies, so moving them to the worker leaves the caller's face intact. */
function copyFace(face: Face): Face {
  return facesFromWire([{ ...face, bbox: face.bbox.slice(), kps: face.kps?.slice(), embedding: face.embedding?.slice(),
    landmark_2d_106: face.landmark_2d_106?.slice(), landmark_3d_68: face.landmark_3d_68?.slice(), extra: [] }])[0]!;
}

/**
 * Starts `FaceAnalysis` in a dedicated module Worker (WebGPU or CPU, decided there) and resolves once its models are
 * loaded. See FaceAnalysisWorker.
 */
export function createFaceAnalysisWorker(options: FaceAnalysisWorkerOptions): Promise<FaceAnalysisWorker> {
  return FaceAnalysisWorker.create(options);
}
