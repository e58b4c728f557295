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
import { isPackName, isSwapperFileName, loadPack, readOpenedFiles, type LoadedFiles } from './model-source.js';
import { drawImageWithFaces } from './overlay.js';
import { DemoWebcam } from './webcam.js';
import { JobQueue, decodePhoto } from './photo-input.js';
import { $, errorText } from './page-dom.js';
import { exportJson, renderTimings, showSamplePhotos } from './page-widgets.js';
import { recognizerDims, type SwapReport, type SwapTargetPhoto } from './swap.js';
import { SwapPanel } from './swap-panel.js';

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

const params = new URLSearchParams(location.search);
let pipeline: DemoPipeline | undefined;
let adapter: AdapterReport | undefined;
let gallery: GalleryFace[] = [];
let current: { faces: GalleryFace[]; name: string } | undefined;
let keptCount = 0;
/** The photo last analysed (the swap target) and the files the user opened (which may hold a swapper). */
let photo: SwapTargetPhoto | undefined;
let openedModels: Record<string, Uint8Array> | undefined;
/** Analyses and model reloads, one at a time. */
const jobs = new JobQueue();
const webcam = new DemoWebcam($<HTMLVideoElement>('video'), $<HTMLButtonElement>('webcam'), async (frame) => { await analyseBitmap(frame, 'webcam', true); },
  (text) => { $('analysis-status').textContent = text; });
const swapPanel = new SwapPanel({
  pipeline: () => pipeline,
  photo: () => photo,
  openedModels: () => openedModels,
  analyseFrame: (bitmap, name) => analyseBitmap(bitmap, name),
  grabWebcamFrame: () => webcam.grabFrame(),
  isActive: () => window.insightgpuDemo.mode === 'swap',
  activate: () => setMode('swap'),
  report: () => window.insightgpuDemo.swap,
  updateReport: updateSwap,
  showMessage,
});
const identifyMode = new IdentifyMode($<HTMLCanvasElement>('canvas'), (patch) => update({ identify: { ...window.insightgpuDemo.identify, ...patch } }), showMessage);

function update(patch: Partial<DemoState>): void {
  window.insightgpuDemo = { ...window.insightgpuDemo, ...patch };
}

function updateSwap(patch: Partial<SwapReport>): void {
  update({ swap: { ...window.insightgpuDemo.swap, ...patch } });
}

/** A new action starts: the errors of earlier ones are no longer news (warnings about the browser stay). */
function clearErrors(): void {
  for (const p of $('messages').querySelectorAll('.error')) p.remove();
}

function showMessage(text: string, kind: 'error' | 'warning'): void {
  const p = document.createElement('p');
  p.className = kind;
  p.textContent = text;
  $('messages').append(p);
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
  clearErrors();
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
    const det = Number($<HTMLSelectElement>('det-size').value);
    const thresh = Number($<HTMLInputElement>('det-thresh').value);
    // Queued behind an analysis still running on the old sessions, which must not be released under it.
    pipeline = await jobs.run(async () => {
      await pipeline?.analysis.release();
      pipeline = undefined;
      return createPipeline(loaded.files, backend, det, thresh);
    });
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
    swapPanel.refresh();
    // Loaded at once in Swap mode, so the page says which swapper it has (a failure is shown by prepareSwapper).
    if (window.insightgpuDemo.mode === 'swap') void swapPanel.prepareSwapper().catch(() => undefined);
  } catch (e) {
    $('model-status').textContent = 'models not loaded';
    fail('loading the models failed', e);
  } finally {
    button.disabled = false;
  }
}

async function analyseBitmap(bitmap: ImageBitmap, name: string, quiet = false): Promise<SwapTargetPhoto> {
  return jobs.run(() => analyseNow(bitmap, name, quiet));
}

async function analyseNow(bitmap: ImageBitmap, name: string, quiet: boolean): Promise<SwapTargetPhoto> {
  if (!pipeline) throw new Error('load the models first ("Load models" above)');
  update({ state: 'analysing' });
  if (!quiet) $('analysis-status').textContent = `analysing ${name} (${bitmap.width}×${bitmap.height})…`;
  const run = await analyse(pipeline, bitmap);
  drawImageWithFaces($<HTMLCanvasElement>('canvas'), bitmap, run.faces);
  current = { name, faces: run.faces.map((f, i) => cropFace(bitmap, f, `${name.slice(0, 12)}#${i + 1}`)) };
  showGallery([...gallery, ...current.faces]);
  photo = { image: bitmap, faces: run.faces, name };
  identifyMode.showPhoto(photo);
  if (window.insightgpuDemo.swap.state === 'swapped') updateSwap({ state: 'idle' });
  swapPanel.setTargetChoices(run.faces.length);
  renderTimings(run.timings);
  $<HTMLButtonElement>('keep-faces').disabled = run.faces.length === 0;
  $<HTMLButtonElement>('export-json').disabled = false;
  if (!quiet) $('analysis-status').textContent = `${run.faces.length} face(s) in ${name} (${run.width}×${run.height})`;
  update({ state: 'done', error: undefined, results: toResultsFile(pipeline, name, run), timings: run.timings });
  return photo;
}

function showGallery(faces: readonly GalleryFace[]): void {
  renderGallery($('gallery'), $<HTMLTableElement>('similarity'), faces, { onPick: pickSource, picked: swapPanel.picked?.crop });
}

/** A photo the user opened or picked: decoded, analysed, and the page's status says so at each step. */
async function analysePhoto(name: string, blob: () => Promise<Blob>): Promise<void> {
  clearErrors();
  update({ state: 'analysing', error: undefined });
  $('analysis-status').textContent = `opening ${name}…`;
  try {
    await analyseBitmap(await decodePhoto(await blob(), name), name);
  } catch (e) {
    $('analysis-status').textContent = `${name} was not analysed (the message above says why)`;
    throw e;
  }
}

async function analyseUrl(url: string): Promise<void> {
  await analysePhoto(decodeURIComponent(url.split('/').pop() ?? url), async () => {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    return res.blob();
  });
}

function keepFaces(): void {
  if (!current) return;
  // Re-label kept faces so a later image's faces stay distinguishable from them.
  gallery = [...gallery, ...current.faces.map((f) => ({ ...f, id: `K${++keptCount}` }))];
  showGallery(gallery);
  current = undefined;
  $<HTMLButtonElement>('keep-faces').disabled = true;
}

function setMode(mode: DemoState['mode']): void {
  update({ mode });
  for (const input of document.querySelectorAll<HTMLInputElement>('input[name="mode"]')) input.checked = input.value === mode;
  $('swap-panel').hidden = mode !== 'swap';
  $('identify-panel').hidden = mode !== 'identify';
  identifyMode.setActive(mode === 'identify');
  swapPanel.refresh();
  if (mode === 'swap' && pipeline) void swapPanel.prepareSwapper().catch(() => undefined);
}

/** A gallery face picked: an identity to enrol in Identify mode, else the swap's source. */
function pickSource(face: GalleryFace): void {
  if (window.insightgpuDemo.mode === 'identify') identifyMode.pickGalleryFace(face);
  else swapPanel.pickSource(face);
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
    if (file) analysePhoto(file.name, () => Promise.resolve(file)).catch((e: unknown) => fail('analysis failed', e));
  });
  $('sample-image').addEventListener('click', () => void analyseUrl('/images/t1.jpg').catch((e: unknown) => fail('analysis failed', e)));
  $('webcam').addEventListener('click', () => { clearErrors(); void webcam.toggle().catch((e: unknown) => fail('webcam', e)); });
  $('keep-faces').addEventListener('click', keepFaces);
  $('export-json').addEventListener('click', () => exportJson(window.insightgpuDemo.results));
  for (const input of document.querySelectorAll<HTMLInputElement>('input[name="mode"]')) {
    input.addEventListener('change', () => { if (input.checked) setMode(modeNamed(input.value)); });
  }
  $('swap-run').addEventListener('click', () => { clearErrors(); if (photo) void swapPanel.run(photo).catch((e: unknown) => swapPanel.failed('swap failed', e)); });
  $('swap-webcam').addEventListener('click', () => { clearErrors(); void swapPanel.runOnWebcamFrame().catch((e: unknown) => swapPanel.failed('webcam swap failed', e)); });
  $('swap-width').addEventListener('change', () => { if (pipeline && window.insightgpuDemo.mode === 'swap') void swapPanel.prepareSwapper().catch(() => undefined); });
  $('canvas').addEventListener('click', (ev) => swapPanel.pickTargetAt(ev));
  $('canvas').addEventListener('click', (ev) => identifyMode.pickAt(ev));
  void showSamplePhotos((url) => void analyseUrl(url).catch((e: unknown) => fail('analysis failed', e)));
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
