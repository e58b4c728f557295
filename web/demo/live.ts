/**
 * The live page: webcam frames analysed continuously, in a Worker by default, with boxes, track ids (FaceTracker)
 * and the frame rate, detector ms and heads ms shown. The canvas shows the video itself; only the faces come back
 * from the analysis.
 *
 * URL parameters (used by the Playwright test and `npm run bench:browser -- --video`): pack, backend, det=320,
 * worker=0|1, track=0|1, detectEvery=K and landmarks=frame|recognition (the tracker's detectEvery and landmarksEvery), identify=1 (name tracks from the Identify mode's enrolled faces), modules=detection,genderage (FaceAnalysis's allowedModules), autorun=1 (start at once), frames=N (stop after N frames). The state is on
 * `window.insightgpuLive`. Swap mode: mode=swap, source=/images/t1.jpg, sourceFace=0 (left to right), swapwidth=128
 * (a forged swapper's width when inswapper_128.onnx is not served); it needs a 512-d recognizer (pack packA_r50).
 */
import { IndexedDbIndexStore, type BackendName, type BgrImage, type FaceIndex } from '../../src/index.js';
import { DEFAULT_IDENTIFY_THRESHOLD, DEMO_INDEX_NAME } from './identify.js';
import { DEFAULT_FORGED_SWAPPER_WIDTH, isPackName, loadPack, loadSwapper, type LoadedSwapper } from './model-source.js';
import { drawBgr } from './swap.js';
import { drawFaces, overlayScale } from './overlay.js';
import { createLiveEngine, type LiveEngine, type LiveFace } from './live-engine.js';
import { openCamera } from './camera.js';
import { describeAdapter } from '../lib/gpu-info.js';

export interface LiveState {
  state: 'idle' | 'loading' | 'running' | 'stopped' | 'failed';
  error?: string;
  where?: 'worker' | 'main-thread';
  backend?: string;
  tracking?: boolean;
  frames: number;
  /** Frames per second over the run so far (first frame excluded: it compiles the kernels). */
  fps?: number;
  /** Per-frame latency of every frame, ms. */
  latencyMs: number[];
  /** Detector and heads time of every frame, ms (stage timings of `get`). */
  detectorMs: number[];
  headsMs: number[];
  /** Main-thread tasks over 50 ms seen while running ('longtask' entries), and the longest. */
  longTasks: number;
  longestTaskMs: number;
  /**
   * Each long task with what the page was doing in it: 'capture' (the frame taken from the video), 'draw' (the
   * frame and overlay drawn), or 'other' (anything else: result messages, the browser's own work).
   */
  longTaskLog: { readonly startMs: number; readonly ms: number; readonly during: string; readonly frame: number; readonly culprit?: string }[];
  /** Main-thread time of each frame's capture and drawing, ms. */
  captureMs: number[];
  drawMs: number[];
  /** The last status line shown while running (frames/s, detector ms, heads ms). */
  shown?: string;
  /** The track ids drawn on the last frame. */
  idsDrawn: number[];
  /** Identify mode: how many identities the enrolled index holds, and the names drawn on the last frame. */
  enrolled?: number;
  namesDrawn: string[];
  /** After stop: whether every camera track has ended. */
  cameraTracksEnded?: boolean;
  /** Swap mode: where the swapper came from, and per frame the faces swapped and the swapped picture's size. */
  swapper?: { readonly origin: LoadedSwapper['origin']; readonly width?: number };
  swappedFaces: number[];
  swappedSizes: [number, number][];
  /** The camera's frame size while running (videoWidth × videoHeight). */
  videoSize?: [number, number];
}

declare global {
  interface Window { insightgpuLive: LiveState }
}

window.insightgpuLive = { state: 'idle', frames: 0, latencyMs: [], detectorMs: [], headsMs: [], longTasks: 0, longestTaskMs: 0, longTaskLog: [], captureMs: [], drawMs: [], idsDrawn: [], namesDrawn: [], swappedFaces: [], swappedSizes: [] };

/** The main thread's spans of known work (capture, draw), to tell what a long task was. */
const spans: { readonly name: string; readonly start: number; readonly end: number }[] = [];

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page element #${id} is missing`);
  return el as T;
};
const params = new URLSearchParams(location.search);
const update = (patch: Partial<LiveState>): void => { window.insightgpuLive = { ...window.insightgpuLive, ...patch }; };

for (const [param, id] of [['pack', 'live-pack'], ['backend', 'live-backend'], ['det', 'live-det']] as const) {
  const v = params.get(param);
  if (v) $<HTMLSelectElement>(id).value = v;
}
if (params.get('worker') === '0') $<HTMLInputElement>('live-worker').checked = false;
if (params.get('track') === '0') $<HTMLInputElement>('live-track').checked = false;
if (params.get('identify') === '1') $<HTMLInputElement>('live-identify').checked = true;
const detectEvery = Number(params.get('detectEvery') ?? 1);
const landmarksEvery = params.get('landmarks') === 'recognition' ? 'recognition' : 'frame';
const frameLimit = Number(params.get('frames') ?? 0);
const modules = params.get('modules')?.split(',').filter((m) => m.length > 0);

let session: { stream: MediaStream; engine: LiveEngine; running: boolean; observer: PerformanceObserver } | undefined;

function drawFrame(video: HTMLVideoElement, faces: readonly LiveFace[], swapped: BgrImage | undefined): { ids: number[]; names: string[] } {
  const canvas = $<HTMLCanvasElement>('live-canvas');
  if (swapped) drawBgr(canvas, swapped);
  if (canvas.width !== video.videoWidth) canvas.width = video.videoWidth;
  if (canvas.height !== video.videoHeight) canvas.height = video.videoHeight;
  const ctx = canvas.getContext('2d')!;
  if (!swapped) ctx.drawImage(video, 0, 0);
  const scale = overlayScale(canvas.width, canvas.height);
  drawFaces(ctx, faces, scale);
  const ids: number[] = [];
  const names: string[] = [];
  ctx.font = `bold ${10 * scale + 6}px sans-serif`;
  ctx.textBaseline = 'top';
  for (const face of faces) {
    if (face.trackId === undefined) continue;
    ids.push(face.trackId);
    if (face.identity) names.push(face.identity.id);
    const label = face.identity ? `#${face.trackId} ${face.identity.id} ${face.identity.score.toFixed(2)}` : `#${face.trackId}`;
    const [x1, , , y2] = face.bbox as unknown as [number, number, number, number];
    ctx.fillStyle = 'rgba(0,0,0,0.6)';
    ctx.fillRect(x1, y2 + 2, ctx.measureText(label).width + 6, 12 * scale + 8);
    ctx.fillStyle = '#ffe000';
    ctx.fillText(label, x1 + 3, y2 + 4);
  }
  return { ids, names };
}

async function run(state: NonNullable<typeof session>, video: HTMLVideoElement): Promise<void> {
  let firstDone = 0;
  while (state.running) {
    // A task boundary per frame: on the main thread the analysis is one long chain of microtasks, which would
    // otherwise hold the page (no paint, no input) for the whole run.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const result = await state.engine.analyse(video);
    if (!state.running) break;
    spans.push({ name: 'capture', start: result.captureStart, end: result.captureStart + result.captureMs });
    const drawStart = performance.now();
    const drawn = drawFrame(video, result.faces, result.swapped);
    const drawMs = performance.now() - drawStart;
    spans.push({ name: 'draw', start: drawStart, end: drawStart + drawMs });
    const frames = window.insightgpuLive.frames + 1;
    if (frames === 1) firstDone = performance.now();
    const fps = frames > 1 ? (frames - 1) / ((performance.now() - firstDone) / 1000) : undefined;
    update({
      frames, fps, latencyMs: [...window.insightgpuLive.latencyMs, result.latencyMs],
      detectorMs: [...window.insightgpuLive.detectorMs, result.detectorMs], headsMs: [...window.insightgpuLive.headsMs, result.headsMs], idsDrawn: drawn.ids, namesDrawn: drawn.names,
      captureMs: [...window.insightgpuLive.captureMs, result.captureMs], drawMs: [...window.insightgpuLive.drawMs, drawMs],
      videoSize: [video.videoWidth, video.videoHeight],
    });
    if (result.swapped) {
      update({
        swappedFaces: [...window.insightgpuLive.swappedFaces, result.faces.length],
        swappedSizes: [...window.insightgpuLive.swappedSizes, [result.swapped.width, result.swapped.height]],
      });
    }
    const ms = (v: number): string => (Number.isNaN(v) ? '—' : v.toFixed(0));
    const shown = `${fps === undefined ? '…' : fps.toFixed(2)} frames/s · ${result.latencyMs.toFixed(0)} ms a frame · detector ${ms(result.detectorMs)} ms · heads ${ms(result.headsMs)} ms`
      + ` · ${result.faces.length} faces · ${state.engine.where}${state.engine.tracking ? ', tracked' : ''}`;
    $('live-stats').textContent = shown;
    update({ shown });
    if (frameLimit > 0 && frames >= frameLimit) await stop();
  }
}

async function start(): Promise<void> {
  $<HTMLButtonElement>('live-start').disabled = true;
  for (const p of $('messages').querySelectorAll('.error')) p.remove();
  spans.length = 0;
  update({
    state: 'loading', frames: 0, latencyMs: [], detectorMs: [], headsMs: [], longTasks: 0, longestTaskMs: 0, longTaskLog: [], captureMs: [], drawMs: [],
    idsDrawn: [], namesDrawn: [], error: undefined, cameraTracksEnded: undefined, swapper: undefined, swappedFaces: [], swappedSizes: [], videoSize: undefined,
  });
  let stream: MediaStream | undefined;
  let engine: LiveEngine | undefined;
  try {
    const pack = $<HTMLSelectElement>('live-pack').value;
    if (!isPackName(pack)) throw new Error(`unknown pack ${pack}`);
    // The camera first: a denied permission or a missing camera is known before any model is loaded.
    $('live-stats').textContent = 'opening the camera…';
    stream = await openCamera();
    $('live-stats').textContent = 'loading models…';
    const { files } = await loadPack(pack, (p) => {
      $('live-stats').textContent = `loading models: ${p.file} (${p.fileIndex + 1}/${p.fileCount})${p.fromCache ? ' from the browser cache' : ''}…`;
    });
    const identify = $<HTMLInputElement>('live-identify').checked ? await enrolledIndex() : undefined;
    $('live-stats').textContent = 'creating the sessions…';
    engine = await createLiveEngine({
      swap: params.get('mode') === 'swap' ? await swapSource() : undefined,
      identify: identify && { index: identify, threshold: DEFAULT_IDENTIFY_THRESHOLD },
      files, backend: $<HTMLSelectElement>('live-backend').value as BackendName, detSize: Number($<HTMLSelectElement>('live-det').value),
      worker: $<HTMLInputElement>('live-worker').checked, track: $<HTMLInputElement>('live-track').checked, modules, detectEvery, landmarksEvery,
    });
    const video = $<HTMLVideoElement>('live-video');
    video.srcObject = stream;
    await video.play();
    const observer = new PerformanceObserver((list) => countLongTasks(list.getEntries()));
    observer.observe({ type: 'longtask', buffered: false });
    session = { stream, engine, running: true, observer };
    update({ state: 'running', where: engine.where, backend: engine.backend, tracking: engine.tracking });
    $<HTMLButtonElement>('live-stop').disabled = false;
    // A frame that fails stops the run, so the camera and the engine are not left running unseen.
    void run(session, video).catch((e: unknown) => void stop().finally(() => fail(e)));
  } catch (e) {
    for (const t of stream?.getTracks() ?? []) t.stop();
    $<HTMLVideoElement>('live-video').srcObject = null;
    await engine?.release().catch(() => undefined);
    fail(e);
  }
}

/** The faces enrolled in the demo's Identify mode (IndexedDB); an error saying how to enrol when there are none. */
async function enrolledIndex(): Promise<FaceIndex> {
  const store = await IndexedDbIndexStore.open();
  if (!(await store.has(DEMO_INDEX_NAME))) throw new Error("nobody is enrolled: enrol faces in the demo's Identify mode first (/web/demo/?mode=identify)");
  const index = await store.load(DEMO_INDEX_NAME);
  update({ enrolled: index.size });
  return index;
}

/** Swap mode's swapper (served, else forged) and source picture, from the URL parameters. */
async function swapSource(): Promise<{ swapper: Uint8Array; sourceImage: ImageBitmap; sourceFace: number }> {
  $('live-stats').textContent = 'loading the swapper…';
  const width = Number(params.get('swapwidth') ?? DEFAULT_FORGED_SWAPPER_WIDTH);
  const swapper = await loadSwapper(undefined, width, (text) => { $('live-stats').textContent = text; });
  update({ swapper: { origin: swapper.origin, ...(swapper.width !== undefined ? { width: swapper.width } : {}) } });
  const response = await fetch(params.get('source') ?? '/images/t1.jpg');
  if (!response.ok) throw new Error(`source picture: HTTP ${response.status}`);
  const sourceImage = await createImageBitmap(await response.blob());
  return { swapper: swapper.bytes, sourceImage, sourceFace: Number(params.get('sourceFace') ?? 0) };
}

async function stop(): Promise<void> {
  const s = session;
  if (!s) return;
  session = undefined;
  s.running = false;
  // Entries of the task that just ended are still queued: counted before the observer goes.
  countLongTasks(s.observer.takeRecords());
  s.observer.disconnect();
  for (const t of s.stream.getTracks()) t.stop();
  $<HTMLVideoElement>('live-video').srcObject = null;
  await s.engine.release();
  update({ state: 'stopped', cameraTracksEnded: s.stream.getTracks().every((t) => t.readyState === 'ended') });
  $<HTMLButtonElement>('live-start').disabled = false;
  $<HTMLButtonElement>('live-stop').disabled = true;
  $('live-stats').textContent = `stopped after ${window.insightgpuLive.frames} frames`;
}

function countLongTasks(entries: readonly PerformanceEntry[]): void {
  for (const e of entries) {
    const end = e.startTime + e.duration;
    const during = spans.find((s) => s.start < end && s.end > e.startTime)?.name ?? 'other';
    const live = window.insightgpuLive;
    // The browser's attribution: 'self' for the page's own script, else the frame or worker it blames.
    const culprit = (e as PerformanceEntry & { attribution?: readonly PerformanceEntry[] }).attribution?.map((a) => a.name).join(',');
    const entry = { startMs: e.startTime, ms: e.duration, during, frame: live.frames, culprit };
    update({ longTasks: live.longTasks + 1, longestTaskMs: Math.max(live.longestTaskMs, e.duration), longTaskLog: [...live.longTaskLog, entry] });
  }
}

function fail(e: unknown): void {
  const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  update({ state: 'failed', error: text });
  const p = document.createElement('p');
  p.className = 'error';
  p.textContent = text;
  $('messages').append(p);
  $('live-stats').textContent = 'stopped: the message above says why';
  $<HTMLButtonElement>('live-start').disabled = false;
}

/** Without WebGPU the page says so and starts on the CPU backend (unless the URL chose one). */
async function checkWebGpu(): Promise<void> {
  const adapter = await describeAdapter();
  if (adapter.available) return;
  const p = document.createElement('p');
  p.className = 'warning';
  p.textContent = `WebGPU is not available: ${adapter.reason}. The cpu backend still works, more slowly.`;
  $('messages').append(p);
  if (!params.has('backend')) $<HTMLSelectElement>('live-backend').value = 'cpu';
}

$('live-start').addEventListener('click', () => void start());
$('live-stop').addEventListener('click', () => void stop());
void checkWebGpu().catch(() => undefined).then(() => { if (params.get('autorun') === '1') void start(); });
