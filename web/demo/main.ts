/**
 * The demo page: load a model pack (Cache API after the first time), open an image or the webcam, and show
 * FaceAnalysis's results drawn over the picture, a face gallery with pairwise similarities, and per-stage timings.
 *
 * Swap mode (./swap.ts): click a face in the gallery to make it the source, then swap it into the photo shown or a
 * webcam frame; the result can be downloaded as a PNG.
 *
 * Identify mode (./identify.ts): enrol faces under names, then identify the faces of any photo or webcam frame; the
 * enrolled faces are kept in IndexedDB across reloads.
 *
 * URL parameters (used by the Playwright tests): pack=packA|packB|buffalo_l|packA_r50, backend=webgpu|cpu|auto,
 * det=320, thresh=0.5, image=/images/t1.jpg, autorun=1 (load the models and analyse `image` right away),
 * mode=analyse|swap|identify, swapwidth=128 (a forged swapper's width). The state and the last results (in the CLI's JSON
 * format) are on `window.insightgpuDemo`.
 */
import type { ResultsFile } from '../../cli/results-format.js';
import type { BackendName } from '../../src/index.js';
import { adapterLabel, describeAdapter, type AdapterReport } from '../lib/gpu-info.js';
import { analyse, createPipeline, toResultsFile, type DemoPipeline, type StageTiming } from './analysis.js';
import { cropFace, renderGallery, type GalleryFace } from './gallery.js';
import { IdentifyMode, type IdentifyReport } from './identify.js';
import { DEFAULT_FORGED_SWAPPER_WIDTH, isPackName, isSwapperFileName, loadPack, readOpenedFiles, type LoadedFiles } from './model-source.js';
import { drawImageWithFaces } from './overlay.js';
import {
  SWAP_EMBEDDING_SIZE, SwapSession, canvasPng, chosenFaces, drawBgr, recognizerDims, swapFaces, type SwapReport, type SwapTargetPhoto,
} from './swap.js';

export interface DemoState {
  state: 'idle' | 'loading-models' | 'ready' | 'analysing' | 'done' | 'failed';
  error?: string;
  adapter?: AdapterReport;
  models?: { count: number; bytes: number; fromCache: number; loadMs: number; createMs: number; backend: BackendName; forged: string[] };
  results?: ResultsFile;
  timings?: StageTiming[];
  mode: 'analyse' | 'swap' | 'identify';
  swap: SwapReport;
  identify: IdentifyReport;
}

declare global {
  interface Window { insightgpuDemo: DemoState }
}

window.insightgpuDemo = { state: 'idle', mode: 'analyse', swap: { state: 'idle' }, identify: { state: 'idle', enrolled: [] } };

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page element #${id} is missing`);
  return el as T;
};

const params = new URLSearchParams(location.search);
let pipeline: DemoPipeline | undefined;
let adapter: AdapterReport | undefined;
let gallery: GalleryFace[] = [];
let current: { faces: GalleryFace[]; name: string } | undefined;
let keptCount = 0;
let webcam: { stream: MediaStream; running: boolean } | undefined;
/** The photo last analysed (the swap target) and the files the user opened (which may hold a swapper). */
let photo: SwapTargetPhoto | undefined;
let openedModels: Record<string, Uint8Array> | undefined;
let swapSource: GalleryFace | undefined;
let swapDownloadUrl: string | undefined;
const swapSession = new SwapSession();
const identifyMode = new IdentifyMode($<HTMLCanvasElement>('canvas'), (patch) => update({ identify: { ...window.insightgpuDemo.identify, ...patch } }), showMessage);

function update(patch: Partial<DemoState>): void {
  window.insightgpuDemo = { ...window.insightgpuDemo, ...patch };
}

function updateSwap(patch: Partial<SwapReport>): void {
  update({ swap: { ...window.insightgpuDemo.swap, ...patch } });
}

function showMessage(text: string, kind: 'error' | 'warning'): void {
  const p = document.createElement('p');
  p.className = kind;
  p.textContent = text;
  $('messages').append(p);
}

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

function fail(where: string, e: unknown): void {
  const text = `${where}: ${errorText(e)}`;
  showMessage(text, 'error');
  update({ state: 'failed', error: text });
}

function selectedBackend(): BackendName {
  return $<HTMLSelectElement>('backend').value as BackendName;
}

async function loadModels(): Promise<void> {
  const button = $<HTMLButtonElement>('load-models');
  button.disabled = true;
  update({ state: 'loading-models', error: undefined });
  const bar = $<HTMLProgressElement>('model-bar');
  const text = $('model-progress-text');
  $('model-progress').hidden = false;
  try {
    const backend = selectedBackend();
    if (backend === 'webgpu' && adapter && !adapter.available) {
      throw new Error(`WebGPU is not available (${adapter.reason}). Choose the cpu backend, or open the page in a browser with WebGPU.`);
    }
    const opened = $<HTMLInputElement>('model-files').files;
    let loaded: LoadedFiles;
    openedModels = undefined;
    if (opened && opened.length > 0) {
      loaded = await readOpenedFiles(opened);
      openedModels = loaded.files;
      // A swapper among the opened files is Swap mode's; FaceAnalysis would only parse it to skip it.
      const files = Object.fromEntries(Object.entries(loaded.files).filter(([name]) => !isSwapperFileName(name)));
      loaded = { ...loaded, files, bytes: Object.values(files).reduce((n, f) => n + f.byteLength, 0) };
    } else {
      const pack = $<HTMLSelectElement>('pack').value;
      if (!isPackName(pack)) throw new Error(`unknown pack '${pack}'`);
      loaded = await loadPack(pack, (p) => {
        bar.value = p.fraction;
        text.textContent = `${p.file} (${p.fileIndex + 1}/${p.fileCount})${p.fromCache ? ' from cache' : ''}`;
      });
    }
    bar.value = 1;
    text.textContent = 'creating sessions…';
    await pipeline?.analysis.release();
    pipeline = undefined;
    const det = Number($<HTMLSelectElement>('det-size').value);
    const thresh = Number($<HTMLInputElement>('det-thresh').value);
    pipeline = await createPipeline(loaded.files, backend, det, thresh);
    const models = {
      count: Object.keys(loaded.files).length, bytes: loaded.bytes, fromCache: loaded.fromCache,
      loadMs: Math.round(loaded.milliseconds), createMs: Math.round(pipeline.createMs), backend, forged: [...loaded.forged],
    };
    const tasks = [...pipeline.analysis.models.values()].map((m) => `${m.taskname}: ${m.file}`).join(', ');
    $('model-status').textContent = `${models.count} files, ${(models.bytes / 1e6).toFixed(1)} MB `
      + `(${models.fromCache} from the browser cache) in ${models.loadMs} ms; sessions on ${pipeline.analysis.models.get('detection')?.session.backendName ?? backend} `
      + `in ${models.createMs} ms — ${tasks}`
      + (models.forged.length > 0 ? `; forged in the page (random weights, not trained): ${models.forged.join(', ')}` : '');
    text.textContent = 'ready';
    update({ state: 'ready', models });
    updateSwap({ recognizerDims: recognizerDims(pipeline.analysis) });
    refreshSwapControls();
    // Loaded at once in Swap mode, so the page says which swapper it has (a failure is shown by prepareSwapper).
    if (window.insightgpuDemo.mode === 'swap') void prepareSwapper().catch(() => undefined);
  } catch (e) {
    $('model-status').textContent = 'models not loaded';
    fail('loading the models failed', e);
  } finally {
    button.disabled = false;
  }
}

async function bitmapOf(blob: Blob): Promise<ImageBitmap> {
  // No colour conversion: the pipeline must see the file's own pixel values, as OpenCV does.
  return createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
}

async function analyseBitmap(bitmap: ImageBitmap, name: string, quiet = false): Promise<SwapTargetPhoto> {
  if (!pipeline) throw new Error('load the models first');
  update({ state: 'analysing' });
  const run = await analyse(pipeline, bitmap);
  drawImageWithFaces($<HTMLCanvasElement>('canvas'), bitmap, run.faces);
  current = { name, faces: run.faces.map((f, i) => cropFace(bitmap, f, `${name.slice(0, 12)}#${i + 1}`)) };
  showGallery([...gallery, ...current.faces]);
  photo = { image: bitmap, faces: run.faces, name };
  identifyMode.showPhoto(photo);
  if (window.insightgpuDemo.swap.state === 'swapped') updateSwap({ state: 'idle' });
  setTargetChoices(run.faces.length);
  renderTimings(run.timings);
  $<HTMLButtonElement>('keep-faces').disabled = run.faces.length === 0;
  $<HTMLButtonElement>('export-json').disabled = false;
  if (!quiet) $('analysis-status').textContent = `${run.faces.length} face(s) in ${name} (${run.width}×${run.height})`;
  update({ state: 'done', results: toResultsFile(pipeline, name, run), timings: run.timings });
  return photo;
}

function showGallery(faces: readonly GalleryFace[]): void {
  renderGallery($('gallery'), $<HTMLTableElement>('similarity'), faces, { onPick: pickSource, picked: swapSource?.crop });
}

function renderTimings(timings: readonly StageTiming[]): void {
  $<HTMLTableElement>('timings').tBodies[0]!.replaceChildren(...timings.map((t) => {
    const tr = document.createElement('tr');
    tr.append(Object.assign(document.createElement('td'), { textContent: t.stage }), Object.assign(document.createElement('td'), { textContent: `${t.ms.toFixed(1)} ms` }));
    return tr;
  }));
}

async function analyseUrl(url: string): Promise<void> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  await analyseBitmap(await bitmapOf(await res.blob()), url.split('/').pop() ?? url);
}

async function toggleWebcam(): Promise<void> {
  const button = $<HTMLButtonElement>('webcam');
  if (webcam) {
    webcam.running = false;
    for (const t of webcam.stream.getTracks()) t.stop();
    webcam = undefined;
    button.textContent = 'Start webcam';
    return;
  }
  if (!navigator.mediaDevices?.getUserMedia) throw new Error('this browser gives the page no camera access (navigator.mediaDevices is missing)');
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
  const video = $<HTMLVideoElement>('video');
  video.srcObject = stream;
  await video.play();
  webcam = { stream, running: true };
  button.textContent = 'Stop webcam';
  const state = webcam;
  let frames = 0;
  const t0 = performance.now();
  // One frame at a time: the next is grabbed only when the previous analysis finished, so frames never queue up.
  while (state.running) {
    const bitmap = await createImageBitmap(video);
    await analyseBitmap(bitmap, 'webcam', true);
    frames++;
    $('analysis-status').textContent = `webcam: ${(frames / ((performance.now() - t0) / 1000)).toFixed(1)} frames/s`;
    await new Promise((r) => requestAnimationFrame(r));
  }
}

function keepFaces(): void {
  if (!current) return;
  // Re-label kept faces so a later image's faces stay distinguishable from them.
  gallery = [...gallery, ...current.faces.map((f) => ({ ...f, id: `K${++keptCount}` }))];
  showGallery(gallery);
  current = undefined;
  $<HTMLButtonElement>('keep-faces').disabled = true;
}

// ---- Swap mode ----

function setMode(mode: DemoState['mode']): void {
  update({ mode });
  for (const input of document.querySelectorAll<HTMLInputElement>('input[name="mode"]')) input.checked = input.value === mode;
  $('swap-panel').hidden = mode !== 'swap';
  $('identify-panel').hidden = mode !== 'identify';
  identifyMode.setActive(mode === 'identify');
  refreshSwapControls();
  if (mode === 'swap' && pipeline) void prepareSwapper().catch(() => undefined);
}

function pickSource(face: GalleryFace): void {
  if (window.insightgpuDemo.mode === 'identify') {
    identifyMode.pickGalleryFace(face);
    return;
  }
  swapSource = face;
  const canvas = $('swap-source').querySelector('canvas')!;
  const ctx = canvas.getContext('2d')!;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(face.crop, 0, 0, canvas.width, canvas.height);
  $('swap-source').querySelector('figcaption')!.textContent = `source: ${face.id}${face.label ? ` ${face.label}` : ''}`;
  for (const fig of $('gallery').querySelectorAll<HTMLElement>('figure')) fig.classList.toggle('picked', fig.querySelector('canvas') === face.crop);
  updateSwap({ source: { id: face.id, dims: face.embedding?.length ?? 0 } });
  if (window.insightgpuDemo.mode !== 'swap') setMode('swap');
  else refreshSwapControls();
}

function setTargetChoices(count: number): void {
  const select = $<HTMLSelectElement>('swap-target');
  const previous = select.value;
  const options = [Object.assign(document.createElement('option'), { value: 'all', textContent: `every face (${count})` })];
  for (let i = 0; i < count; i++) options.push(Object.assign(document.createElement('option'), { value: String(i), textContent: `face #${i + 1}` }));
  select.replaceChildren(...options);
  // Kept while it still names a face (webcam frames re-detect every frame).
  if (options.some((o) => o.value === previous)) select.value = previous;
  refreshSwapControls();
}

/** Why a swap cannot run now (shown on the page), or undefined when it can. */
function swapBlocker(): string | undefined {
  if (!pipeline) return 'load the models first';
  const dims = window.insightgpuDemo.swap.recognizerDims;
  if (!pipeline.analysis.models.has('recognition')) return 'the loaded models have no recognizer, so faces have no embedding to swap in';
  if (dims !== undefined && dims !== SWAP_EMBEDDING_SIZE) return `the recognizer gives ${dims}-d embeddings; INSwapper needs ${SWAP_EMBEDDING_SIZE}-d`;
  if (!swapSource) return 'pick a source: click a face under “Faces”';
  const sourceDims = swapSource.embedding?.length ?? 0;
  if (sourceDims !== SWAP_EMBEDDING_SIZE) return `source ${swapSource.id} has a ${sourceDims}-d embedding; INSwapper needs ${SWAP_EMBEDDING_SIZE}-d (analyse its photo again with a 512-d recognizer)`;
  return undefined;
}

function refreshSwapControls(): void {
  const note = $('swap-recognizer-note');
  const dims = window.insightgpuDemo.swap.recognizerDims;
  const recognizer = pipeline?.analysis.models.get('recognition');
  if (pipeline && recognizer && dims !== undefined && dims !== SWAP_EMBEDDING_SIZE) {
    note.textContent = `The loaded recognizer (${recognizer.file}) gives ${dims}-d embeddings, but INSwapper needs a ${SWAP_EMBEDDING_SIZE}-d ArcFace embedding `
      + "(buffalo_l's w600k_r50). Load the pack “test bed pack A + w600k_r50” or buffalo_l, or open a 512-d recognizer with “or files”, to swap faces.";
    note.hidden = false;
  } else if (pipeline && !recognizer) {
    note.textContent = `The loaded models have no recognizer: INSwapper needs each source face's ${SWAP_EMBEDDING_SIZE}-d ArcFace embedding.`;
    note.hidden = false;
  } else {
    note.hidden = true;
  }
  const blocker = swapBlocker();
  const state = window.insightgpuDemo.swap.state;
  const busy = state === 'loading-swapper' || state === 'swapping';
  $<HTMLButtonElement>('swap-run').disabled = blocker !== undefined || busy || !photo || photo.faces.length === 0;
  $<HTMLButtonElement>('swap-webcam').disabled = blocker !== undefined || busy;
  // The swapper's loading progress is shown in its own note; the status keeps saying what the swap needs.
  if (state !== 'swapping') {
    const status = $('swap-status');
    if (blocker) status.textContent = blocker;
    else if (!photo) status.textContent = 'open a photo or pick a sample to swap into, or swap into a webcam frame';
    else if (photo.faces.length === 0) status.textContent = `no face in ${photo.name} to swap into`;
    else if (window.insightgpuDemo.swap.state !== 'swapped') status.textContent = `ready to swap ${swapSource!.id} into ${photo.name}`;
  }
}

function selectedSwapWidth(): number {
  return Number($<HTMLSelectElement>('swap-width').value) || DEFAULT_FORGED_SWAPPER_WIDTH;
}

/** Loads (or forges) the swapper for the current settings and says on the page where it came from. */
async function prepareSwapper(): Promise<Awaited<ReturnType<SwapSession['swapper']>>> {
  if (!pipeline) throw new Error('load the models first');
  const backend = pipeline.backend;
  const note = $('swap-swapper-note');
  const previous = window.insightgpuDemo.swap.state;
  updateSwap({ state: 'loading-swapper', error: undefined });
  refreshSwapControls();
  try {
    const ready = await swapSession.swapper(backend, openedModels, selectedSwapWidth(), (text) => {
      note.className = 'muted';
      note.textContent = `Swapper: ${text}`;
    });
    const { loaded, swapper, createMs } = ready;
    const sessionBackend = swapper.session?.backendName ?? backend;
    const size = `${(loaded.bytes.byteLength / 1e6).toFixed(1)} MB`;
    if (loaded.origin === 'forged') {
      note.className = 'warning';
      note.textContent = `Swapper: no ${loaded.file} is served next to the models, so the page forged a replica (width ${loaded.width}, ${size}, `
        + 'seeded random weights). It runs every layer of the real model but is not trained: the swapped face is coloured noise shaped like the face. '
        + `Serve a real ${loaded.file} in /models/ (or open it with “or files”) for a real swap.`;
    } else {
      note.className = 'muted';
      note.textContent = `Swapper: ${loaded.file} (${size}, ${loaded.origin === 'opened' ? 'opened file' : `served from /models/${loaded.fromCache ? ', from the browser cache' : ''}`}).`;
    }
    note.textContent += ` Session on ${sessionBackend}, created in ${Math.round(createMs)} ms.`;
    updateSwap({
      state: previous === 'swapped' ? 'swapped' : 'idle',
      swapper: {
        file: loaded.file, origin: loaded.origin, bytes: loaded.bytes.byteLength, loadMs: Math.round(loaded.milliseconds),
        createMs: Math.round(createMs), backend: sessionBackend, ...(loaded.width === undefined ? {} : { width: loaded.width }),
      },
    });
    return ready;
  } catch (e) {
    swapFailed('loading the swapper failed', e);
    throw e;
  } finally {
    refreshSwapControls();
  }
}

function swapFailed(where: string, e: unknown): void {
  const text = `${where}: ${errorText(e)}`;
  showMessage(text, 'error');
  $('swap-status').textContent = text;
  updateSwap({ state: 'failed', error: text });
  refreshSwapControls();
}

async function runSwap(target: SwapTargetPhoto): Promise<void> {
  const blocker = swapBlocker();
  if (blocker) throw new Error(blocker);
  const source = swapSource!;
  const choice = $<HTMLSelectElement>('swap-target').value;
  const faces = chosenFaces(target.faces, choice === 'all' ? 'all' : Number(choice));
  if (faces.length === 0) throw new Error(`no face in ${target.name} to swap into`);
  const { swapper } = await prepareSwapper();
  updateSwap({ state: 'swapping' });
  refreshSwapControls();
  const status = $('swap-status');
  status.textContent = `swapping ${source.id} into ${faces.length} face(s) of ${target.name}…`;
  const t0 = performance.now();
  const swapped = await swapFaces(swapper, target, faces, source);
  const swapMs = performance.now() - t0;
  const canvas = $<HTMLCanvasElement>('swap-canvas');
  drawBgr(canvas, swapped);
  canvas.hidden = false;
  const png = await canvasPng(canvas);
  if (swapDownloadUrl) URL.revokeObjectURL(swapDownloadUrl);
  swapDownloadUrl = URL.createObjectURL(png);
  const download = `${target.name.replace(/\.[^.]*$/, '')}-swapped.png`;
  Object.assign($<HTMLAnchorElement>('swap-download'), { href: swapDownloadUrl, download, hidden: false });
  status.textContent = `${source.id} swapped into ${faces.map((i) => `face #${i + 1}`).join(', ')} of ${target.name} `
    + `(${swapped.width}×${swapped.height}) in ${Math.round(swapMs)} ms`;
  updateSwap({ state: 'swapped', result: { target: target.name, width: swapped.width, height: swapped.height, faces, swapMs: Math.round(swapMs), download } });
  refreshSwapControls();
}

/** One frame from the webcam: the live one if it is running, else the camera is opened for that frame only. */
async function grabWebcamFrame(): Promise<ImageBitmap> {
  const video = $<HTMLVideoElement>('video');
  if (webcam) return createImageBitmap(video);
  if (!navigator.mediaDevices?.getUserMedia) throw new Error('this browser gives the page no camera access (navigator.mediaDevices is missing)');
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
  try {
    video.srcObject = stream;
    await video.play();
    return await createImageBitmap(video);
  } finally {
    for (const t of stream.getTracks()) t.stop();
    video.srcObject = null;
  }
}

async function swapWebcamFrame(): Promise<void> {
  const blocker = swapBlocker();
  if (blocker) throw new Error(blocker);
  $('swap-status').textContent = 'grabbing a webcam frame…';
  const frame = await analyseBitmap(await grabWebcamFrame(), 'webcam-frame');
  if (frame.faces.length === 0) {
    $('swap-status').textContent = 'no face in the webcam frame: try again facing the camera';
    return;
  }
  await runSwap(frame);
}

/** A click on the photo in Swap mode picks the face under it as the one to replace. */
function pickTargetAt(ev: MouseEvent): void {
  if (window.insightgpuDemo.mode !== 'swap' || !photo) return;
  const canvas = ev.currentTarget as HTMLCanvasElement;
  const r = canvas.getBoundingClientRect();
  const x = (ev.clientX - r.left) * canvas.width / r.width;
  const y = (ev.clientY - r.top) * canvas.height / r.height;
  const hit = photo.faces.findIndex((f) => { const [x1, y1, x2, y2] = f.bbox as unknown as number[]; return x >= x1! && x <= x2! && y >= y1! && y <= y2!; });
  if (hit >= 0) {
    $<HTMLSelectElement>('swap-target').value = String(hit);
    $('swap-status').textContent = `will replace face #${hit + 1} of ${photo.name}`;
  }
}

/** The sample photos the site serves (its /images/ listing; t1.jpg where there is none). */
async function showSamplePhotos(): Promise<void> {
  let names = ['t1.jpg'];
  try {
    const res = await fetch('/images/index.json', { cache: 'no-store' });
    if (res.ok) {
      const listing = await res.json() as { images?: unknown };
      if (Array.isArray(listing.images)) names = listing.images.filter((n): n is string => typeof n === 'string');
    }
  } catch {
    // No listing: keep the default.
  }
  $('photos').replaceChildren(...names.map((name) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.title = `analyse ${name}`;
    button.dataset.photo = name;
    button.append(Object.assign(document.createElement('img'), { src: `/images/${encodeURIComponent(name)}`, alt: name }));
    button.addEventListener('click', () => void analyseUrl(`/images/${encodeURIComponent(name)}`).catch((e: unknown) => fail('analysis failed', e)));
    return button;
  }));
}

function exportJson(): void {
  const results = window.insightgpuDemo.results;
  if (!results) return;
  const url = URL.createObjectURL(new Blob([JSON.stringify(results, null, 1)], { type: 'application/json' }));
  Object.assign(document.createElement('a'), { href: url, download: 'insightgpu-faces.json' }).click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function modeNamed(name: string): DemoState['mode'] {
  return name === 'swap' || name === 'identify' ? name : 'analyse';
}

function applyParams(): void {
  const set = (id: string, param: string): void => {
    const v = params.get(param);
    if (v !== null) ($(id) as HTMLInputElement | HTMLSelectElement).value = v;
  };
  set('pack', 'pack');
  set('backend', 'backend');
  set('det-size', 'det');
  set('det-thresh', 'thresh');
  set('swap-width', 'swapwidth');
}

async function init(): Promise<void> {
  applyParams();
  adapter = await describeAdapter();
  update({ adapter });
  if (!adapter.available) {
    showMessage(`WebGPU is not available: ${adapter.reason}. The cpu backend still works, more slowly.`, 'warning');
    if (!params.has('backend')) $<HTMLSelectElement>('backend').value = 'cpu';
  } else {
    $('model-status').textContent = `models not loaded — WebGPU adapter: ${adapterLabel(adapter)}`;
  }
  $('load-models').addEventListener('click', () => void loadModels());
  $('image-file').addEventListener('change', (ev) => {
    const file = (ev.target as HTMLInputElement).files?.[0];
    if (file) bitmapOf(file).then((b) => analyseBitmap(b, file.name)).catch((e: unknown) => fail('analysis failed', e));
  });
  $('sample-image').addEventListener('click', () => void analyseUrl('/images/t1.jpg').catch((e: unknown) => fail('analysis failed', e)));
  $('webcam').addEventListener('click', () => void toggleWebcam().catch((e: unknown) => fail('webcam', e)));
  $('keep-faces').addEventListener('click', keepFaces);
  $('export-json').addEventListener('click', exportJson);
  for (const input of document.querySelectorAll<HTMLInputElement>('input[name="mode"]')) {
    input.addEventListener('change', () => { if (input.checked) setMode(modeNamed(input.value)); });
  }
  $('swap-run').addEventListener('click', () => { if (photo) void runSwap(photo).catch((e: unknown) => swapFailed('swap failed', e)); });
  $('swap-webcam').addEventListener('click', () => void swapWebcamFrame().catch((e: unknown) => swapFailed('webcam swap failed', e)));
  $('swap-width').addEventListener('change', () => { if (pipeline && window.insightgpuDemo.mode === 'swap') void prepareSwapper().catch(() => undefined); });
  $('canvas').addEventListener('click', pickTargetAt);
  $('canvas').addEventListener('click', (ev) => identifyMode.pickAt(ev));
  void showSamplePhotos();
  const restored = identifyMode.restore();
  if (params.has('mode')) setMode(modeNamed(params.get('mode')!));
  await restored;
  if (params.get('autorun') === '1') {
    await loadModels();
    const image = params.get('image');
    if (pipeline && image) await analyseUrl(image).catch((e: unknown) => fail('analysis failed', e));
  }
}

init().catch((e: unknown) => fail('page start-up failed', e));
