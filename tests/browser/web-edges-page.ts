/**
 * Page-side halves of tests/browser/web-edges.test.ts: the worker client and IndexedDbIndexStore used as a demanding
 * caller would (two calls on one picture at once, release twice, bad faces, unready elements, reused model bytes,
 * another connection deleting the database, an aborted model load). Loaded into a page of vite's dev server; each export returns plain data for the Node side to assert on.
 */
import {
  createFaceAnalysisWorker, FaceIndex, ImageError, IndexedDbIndexStore, PipelineOptionError, type BgrImage, type Face, type FaceAnalysisWorker,
} from '../../src/index.js';

const DETECTOR = 'scrfd_2.5g_bnkps.onnx';

/** What a call gave: 'ok', or the class and message of its rejection. */
export interface Outcome {
  readonly ok: boolean;
  readonly name?: string;
  readonly message?: string;
  readonly isImageError?: boolean;
  readonly isOptionError?: boolean;
}

function outcome(p: Promise<unknown>): Promise<Outcome> {
  return p.then(() => ({ ok: true }), (e: unknown) => ({
    ok: false, name: (e as Error).name, message: (e as Error).message, isImageError: e instanceof ImageError, isOptionError: e instanceof PipelineOptionError,
  }));
}

async function cpuWorker(): Promise<FaceAnalysisWorker> {
  const response = await fetch(`/models/${DETECTOR}`);
  if (!response.ok) throw new Error(`/models/${DETECTOR}: HTTP ${response.status}`);
  const worker = await createFaceAnalysisWorker({ models: { files: { [DETECTOR]: new Uint8Array(await response.arrayBuffer()) } }, backend: 'cpu', allowedModules: ['detection'] });
  await worker.prepare({ detSize: [160, 160] });
  return worker;
}

const grey = (): BgrImage => ({ width: 64, height: 64, data: new Uint8Array(64 * 64 * 3).fill(100) });

export interface ConcurrentReport {
  /** worker.get twice at once on one BgrImage (transferred by the first). */
  readonly samePixels: readonly Outcome[];
  /** worker.get and worker.drawOn at once on one BgrImage. */
  readonly getAndDraw: readonly Outcome[];
  /** worker.get twice at once on one ImageBitmap. */
  readonly sameBitmap: readonly Outcome[];
  /** A call after them: the worker still answers. */
  readonly afterwards: Outcome;
}

/** Two calls started together on one picture that the first moves to the worker. */
export async function checkConcurrentSamePicture(): Promise<ConcurrentReport> {
  const worker = await cpuWorker();
  try {
    const pixels = grey();
    const samePixels = await Promise.all([outcome(worker.get(pixels)), outcome(worker.get(pixels))]);
    const other = grey();
    const getAndDraw = await Promise.all([outcome(worker.get(other)), outcome(worker.drawOn(other, []))]);
    const bitmap = await createImageBitmap(new ImageData(64, 64));
    const sameBitmap = await Promise.all([outcome(worker.get(bitmap)), outcome(worker.get(bitmap))]);
    const afterwards = await outcome(worker.get(grey()));
    return { samePixels, getAndDraw, sameBitmap, afterwards };
  } finally {
    worker.terminate();
  }
}

export interface DrawAndReleaseReport {
  /** worker.drawOn with faces that are not an array, and with a face without a bbox. */
  readonly facesUndefined: Outcome;
  readonly faceWithoutBbox: Outcome;
  /** The picture of those calls stays with the caller (nothing was posted). */
  readonly pictureKept: boolean;
  /** worker.release twice at once, then once more. */
  readonly releasedTogether: readonly Outcome[];
  readonly releasedAgain: Outcome;
  readonly getAfterRelease: Outcome;
}

export async function checkDrawAndRelease(): Promise<DrawAndReleaseReport> {
  const worker = await cpuWorker();
  const picture = grey();
  const facesUndefined = await outcome(worker.drawOn(picture, undefined as unknown as Face[], { transfer: true }));
  const faceWithoutBbox = await outcome(worker.drawOn(picture, [{ det_score: 0.9 } as unknown as Face], { transfer: true }));
  const pictureKept = picture.data.byteLength === 64 * 64 * 3;
  const releasedTogether = await Promise.all([outcome(worker.release()), outcome(worker.release())]);
  const releasedAgain = await outcome(worker.release());
  const getAfterRelease = await outcome(worker.get(grey()));
  return { facesUndefined, faceWithoutBbox, pictureKept, releasedTogether, releasedAgain, getAfterRelease };
}

export interface DeletedStoreReport {
  /** list() and has() right after another connection (another tab) deleted the database. */
  readonly listedAfterDelete: Outcome & { readonly names?: readonly string[] };
  readonly hadAfterDelete: Outcome & { readonly value?: boolean };
  /** A save after that, and a fresh store's view of it. */
  readonly savedAfterDelete: Outcome;
  readonly seenByFreshStore: readonly string[];
  /** After the caller's own close(), calls still fail. */
  readonly afterClose: Outcome;
}

function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
  });
}

/** An IndexedDbIndexStore whose database another connection deletes, as a second tab clearing it does. */
export async function checkStoreDeletedElsewhere(database: string): Promise<DeletedStoreReport> {
  const index = new FaceIndex();
  index.add('ann', new Float32Array(128).fill(0.1));
  const store = await IndexedDbIndexStore.open({ database });
  await store.save('before', index);
  await deleteDatabase(database);
  const listing = await store.list().then((l) => l.map((i) => i.name), (e: unknown) => e);
  const listedAfterDelete = Array.isArray(listing) ? { ok: true, names: listing } : await outcome(Promise.reject(listing));
  const having = await store.has('before').then((v) => ({ v }), (e: unknown) => ({ e }));
  const hadAfterDelete = 'v' in having ? { ok: true, value: having.v } : await outcome(Promise.reject(having.e));
  const savedAfterDelete = await outcome(store.save('after', index));
  const fresh = await IndexedDbIndexStore.open({ database });
  const seenByFreshStore = (await fresh.list()).map((i) => i.name);
  fresh.close();
  store.close();
  const afterClose = await outcome(store.list());
  await deleteDatabase(database);
  return { listedAfterDelete, hadAfterDelete, savedAfterDelete, seenByFreshStore, afterClose };
}

export interface LoaderReport {
  /** loadModelFiles with a signal aborted before the call, once the file is cached. */
  readonly abortedBeforeCacheHit: Outcome & { readonly failure?: string };
  /** Aborted while the cached file is read (from its progress report), with a second file still to load. */
  readonly abortedDuringCacheHit: Outcome & { readonly failure?: string };
  /** `files` not an array, and an entry that is neither a name nor a { name }. */
  readonly filesNotArray: Outcome;
  readonly entryNull: Outcome;
}

/** loadModelFiles (models/fetch/browser-loader.ts, `insightgpu/models`) with an aborted signal and bad lists. */
export async function checkLoader(cacheName: string): Promise<LoaderReport> {
  // Imported here: the dev server answers /models/<name> with test-bed files, so this goes by the file's own path.
  const { loadModelFiles } = await import('../../models/fetch/browser-loader.js');
  const failureOf = (p: Promise<unknown>): Promise<Outcome & { readonly failure?: string }> => p.then(() => ({ ok: true }), async (e: unknown) => ({
    ...await outcome(Promise.reject(e)), failure: (e as { failure?: string }).failure,
  }));
  await caches.delete(cacheName);
  try {
    await loadModelFiles('/models/', [DETECTOR], { cacheName });
    const aborted = new AbortController();
    aborted.abort();
    const abortedBeforeCacheHit = await failureOf(loadModelFiles('/models/', [DETECTOR], { cacheName, signal: aborted.signal }));
    const during = new AbortController();
    const abortedDuringCacheHit = await failureOf(loadModelFiles('/models/', [DETECTOR, 'det_10g.onnx'], {
      cacheName, signal: during.signal, onProgress: (p) => { if (p.fromCache) during.abort(); },
    }));
    const filesNotArray = await outcome(loadModelFiles('/models/', DETECTOR as unknown as string[], { cacheName }));
    const entryNull = await outcome(loadModelFiles('/models/', [null as unknown as string], { cacheName }));
    return { abortedBeforeCacheHit, abortedDuringCacheHit, filesNotArray, entryNull };
  } finally {
    await caches.delete(cacheName);
  }
}

export interface UnreadyElementsReport {
  /** worker.get on a canvas of width 0, an <img> not loaded, a <video> with no frame yet. */
  readonly zeroCanvas: Outcome;
  readonly unloadedImage: Outcome;
  readonly emptyVideo: Outcome;
  /** A call after them: the worker still answers. */
  readonly afterwards: Outcome;
}

/** DOM pictures with nothing to show yet, given to the worker (which captures them as a VideoFrame or ImageBitmap). */
export async function checkUnreadyElements(): Promise<UnreadyElementsReport> {
  const worker = await cpuWorker();
  try {
    const canvas = document.createElement('canvas');
    canvas.width = 0;
    const zeroCanvas = await outcome(worker.get(canvas));
    const unloadedImage = await outcome(worker.get(new Image()));
    const emptyVideo = await outcome(worker.get(document.createElement('video')));
    const afterwards = await outcome(worker.get(grey()));
    return { zeroCanvas, unloadedImage, emptyVideo, afterwards };
  } finally {
    worker.terminate();
  }
}

export interface MovedModelsReport {
  /** A second worker created from the same files map, whose buffers the first worker took. */
  readonly secondWorker: Outcome & { readonly option?: string };
  /** The same for the swapper's bytes. */
  readonly secondSwapper: Outcome & { readonly option?: string };
}

/** createFaceAnalysisWorker twice from one loadModelFiles-style Map (the first moves its buffers to its worker). */
export async function checkMovedModels(): Promise<MovedModelsReport> {
  const response = await fetch(`/models/${DETECTOR}`);
  const files = new Map([[DETECTOR, new Uint8Array(await response.arrayBuffer())]]);
  const swapper = new Uint8Array(16);
  const first = await createFaceAnalysisWorker({ models: { files }, backend: 'cpu', allowedModules: ['detection'] });
  await first.release();
  const withOption = (p: Promise<unknown>): Promise<Outcome & { readonly option?: string }> => p.then(() => ({ ok: true }), async (e: unknown) => ({
    ...await outcome(Promise.reject(e)), option: (e as { option?: string }).option,
  }));
  const secondWorker = await withOption(createFaceAnalysisWorker({ models: { files }, backend: 'cpu', allowedModules: ['detection'] }).then((w) => w.release()));
  // The swapper moved by a post of its own, as a first worker would have taken it.
  structuredClone(swapper.buffer, { transfer: [swapper.buffer] });
  const fresh = new Map([[DETECTOR, new Uint8Array(await (await fetch(`/models/${DETECTOR}`)).arrayBuffer())]]);
  const secondSwapper = await withOption(createFaceAnalysisWorker({ models: { files: fresh }, backend: 'cpu', allowedModules: ['detection'], swapper }).then((w) => w.release()));
  return { secondWorker, secondSwapper };
}

export interface ReleaseWhilePendingReport {
  /** worker.get on an ImageBitmap ({ transfer: false }: a copy is made before the post) and on raw pixels, then release at once. */
  readonly pending: readonly Outcome[];
  readonly release: Outcome;
  /** A call made after release, before it resolved. */
  readonly madeDuringRelease: Outcome;
}

/** release() right after calls whose pictures are still being readied: those calls finish first, as on the page. */
export async function checkReleaseWhilePending(): Promise<ReleaseWhilePendingReport> {
  const worker = await cpuWorker();
  const bitmap = await createImageBitmap(new ImageData(64, 64));
  const pending = Promise.all([outcome(worker.get(bitmap, { transfer: false })), outcome(worker.get(grey()))]);
  const release = outcome(worker.release());
  const madeDuringRelease = outcome(worker.get(grey()));
  return { pending: await pending, release: await release, madeDuringRelease: await madeDuringRelease };
}
