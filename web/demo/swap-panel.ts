/**
 * The demo's Swap mode panel: the source face picked in the gallery, the target face(s) of the photo shown, the
 * swapper (served, opened or forged) and its result, downloadable as a PNG. The page owns the analysis and the
 * photo; this panel reads them through SwapPanelHost.
 */
import type { DemoPipeline } from './analysis.js';
import type { GalleryFace } from './gallery.js';
import { DEFAULT_FORGED_SWAPPER_WIDTH } from './model-source.js';
import { $, errorText } from './page-dom.js';
import {
  SWAP_EMBEDDING_SIZE, SwapSession, canvasPng, chosenFaces, drawBgr, swapFaces, type SwapReport, type SwapTargetPhoto,
} from './swap.js';

/** What the panel needs of the page. */
export interface SwapPanelHost {
  pipeline(): DemoPipeline | undefined;
  /** The photo last analysed: the swap target. */
  photo(): SwapTargetPhoto | undefined;
  /** The model files the user opened (which may hold a swapper). */
  openedModels(): Record<string, Uint8Array> | undefined;
  /** Analyses a webcam frame as the page does and returns it as a target. */
  analyseFrame(bitmap: ImageBitmap, name: string): Promise<SwapTargetPhoto>;
  /** One frame from the page's webcam (opened for that frame when it is not running). */
  grabWebcamFrame(): Promise<ImageBitmap>;
  isActive(): boolean;
  /** Switches the page to Swap mode. */
  activate(): void;
  report(): SwapReport;
  updateReport(patch: Partial<SwapReport>): void;
  showMessage(text: string, kind: 'error' | 'warning'): void;
}

export class SwapPanel {
  private source: GalleryFace | undefined;
  private downloadUrl: string | undefined;
  private readonly session = new SwapSession();
  /** A webcam frame is being grabbed and analysed for a swap. */
  private grabbing = false;

  constructor(private readonly host: SwapPanelHost) {}

  /** The gallery face that is the swap's source, if any. */
  get picked(): GalleryFace | undefined {
    return this.source;
  }

  /** A gallery face becomes the source; the page switches to Swap mode if it was elsewhere. */
  pickSource(face: GalleryFace): void {
    this.source = face;
    const canvas = $('swap-source').querySelector('canvas')!;
    const ctx = canvas.getContext('2d')!;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(face.crop, 0, 0, canvas.width, canvas.height);
    $('swap-source').querySelector('figcaption')!.textContent = `source: ${face.id}${face.label ? ` ${face.label}` : ''}`;
    for (const fig of $('gallery').querySelectorAll<HTMLElement>('figure')) fig.classList.toggle('picked', fig.querySelector('canvas') === face.crop);
    this.host.updateReport({ source: { id: face.id, dims: face.embedding?.length ?? 0 } });
    if (!this.host.isActive()) this.host.activate();
    else this.refresh();
  }

  /** The target menu for a photo with `count` faces. */
  setTargetChoices(count: number): void {
    const select = $<HTMLSelectElement>('swap-target');
    const previous = select.value;
    const options = [Object.assign(document.createElement('option'), { value: 'all', textContent: `every face (${count})` })];
    for (let i = 0; i < count; i++) options.push(Object.assign(document.createElement('option'), { value: String(i), textContent: `face #${i + 1}` }));
    select.replaceChildren(...options);
    // Kept while it still names a face (webcam frames re-detect every frame).
    if (options.some((o) => o.value === previous)) select.value = previous;
    this.refresh();
  }

  /** Why a swap cannot run now (shown on the page), or undefined when it can. */
  private blocker(): string | undefined {
    const pipeline = this.host.pipeline();
    if (!pipeline) return 'load the models first';
    const dims = this.host.report().recognizerDims;
    if (!pipeline.analysis.models.has('recognition')) return 'the loaded models have no recognizer, so faces have no embedding to swap in';
    if (dims !== undefined && dims !== SWAP_EMBEDDING_SIZE) return `the recognizer gives ${dims}-d embeddings; INSwapper needs ${SWAP_EMBEDDING_SIZE}-d`;
    if (!this.source) return 'pick a source: click a face under “Faces”';
    const sourceDims = this.source.embedding?.length ?? 0;
    if (sourceDims !== SWAP_EMBEDDING_SIZE) return `source ${this.source.id} has a ${sourceDims}-d embedding; INSwapper needs ${SWAP_EMBEDDING_SIZE}-d (analyse its photo again with a 512-d recognizer)`;
    return undefined;
  }

  /** The panel's notes, buttons and status for the current models, source and photo. */
  refresh(): void {
    const pipeline = this.host.pipeline();
    const photo = this.host.photo();
    const note = $('swap-recognizer-note');
    const dims = this.host.report().recognizerDims;
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
    const blocker = this.blocker();
    const state = this.host.report().state;
    const busy = state === 'loading-swapper' || state === 'swapping' || this.grabbing;
    $<HTMLButtonElement>('swap-run').disabled = blocker !== undefined || busy || !photo || photo.faces.length === 0;
    $<HTMLButtonElement>('swap-webcam').disabled = blocker !== undefined || busy;
    // The swapper's loading progress is shown in its own note; the status keeps saying what the swap needs.
    if (state !== 'swapping') {
      const status = $('swap-status');
      if (blocker) status.textContent = blocker;
      else if (!photo) status.textContent = 'open a photo or pick a sample to swap into, or swap into a webcam frame';
      else if (photo.faces.length === 0) status.textContent = `no face in ${photo.name} to swap into`;
      else if (state !== 'swapped') status.textContent = `ready to swap ${this.source!.id} into ${photo.name}`;
    }
  }

  private selectedWidth(): number {
    return Number($<HTMLSelectElement>('swap-width').value) || DEFAULT_FORGED_SWAPPER_WIDTH;
  }

  /** Loads (or forges) the swapper for the current settings and says on the page where it came from. */
  async prepareSwapper(): Promise<Awaited<ReturnType<SwapSession['swapper']>>> {
    const pipeline = this.host.pipeline();
    if (!pipeline) throw new Error('load the models first');
    const backend = pipeline.backend;
    const note = $('swap-swapper-note');
    const previous = this.host.report().state;
    this.host.updateReport({ state: 'loading-swapper', error: undefined });
    this.refresh();
    try {
      const ready = await this.session.swapper(backend, this.host.openedModels(), this.selectedWidth(), (text) => {
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
      this.host.updateReport({
        state: previous === 'swapped' ? 'swapped' : 'idle',
        swapper: {
          file: loaded.file, origin: loaded.origin, bytes: loaded.bytes.byteLength, loadMs: Math.round(loaded.milliseconds),
          createMs: Math.round(createMs), backend: sessionBackend, ...(loaded.width === undefined ? {} : { width: loaded.width }),
        },
      });
      return ready;
    } catch (e) {
      this.failed('loading the swapper failed', e);
      throw e;
    } finally {
      this.refresh();
    }
  }

  /** Shows a failure of the panel's work on the page and in its report. */
  failed(where: string, e: unknown): void {
    const text = `${where}: ${errorText(e)}`;
    this.host.showMessage(text, 'error');
    $('swap-status').textContent = text;
    this.host.updateReport({ state: 'failed', error: text });
    this.refresh();
  }

  /** Swaps the source into the chosen face(s) of `target` and shows the result with its download link. */
  async run(target: SwapTargetPhoto): Promise<void> {
    const blocker = this.blocker();
    if (blocker) throw new Error(blocker);
    const source = this.source!;
    const choice = $<HTMLSelectElement>('swap-target').value;
    const faces = chosenFaces(target.faces, choice === 'all' ? 'all' : Number(choice));
    if (faces.length === 0) throw new Error(`no face in ${target.name} to swap into`);
    const { swapper } = await this.prepareSwapper();
    this.host.updateReport({ state: 'swapping' });
    this.refresh();
    const status = $('swap-status');
    status.textContent = `swapping ${source.id} into ${faces.length} face(s) of ${target.name}…`;
    const t0 = performance.now();
    const swapped = await swapFaces(swapper, target, faces, source);
    const swapMs = performance.now() - t0;
    const canvas = $<HTMLCanvasElement>('swap-canvas');
    drawBgr(canvas, swapped);
    canvas.hidden = false;
    const png = await canvasPng(canvas);
    if (this.downloadUrl) URL.revokeObjectURL(this.downloadUrl);
    this.downloadUrl = URL.createObjectURL(png);
    const download = `${target.name.replace(/\.[^.]*$/, '')}-swapped.png`;
    Object.assign($<HTMLAnchorElement>('swap-download'), { href: this.downloadUrl, download, hidden: false });
    status.textContent = `${source.id} swapped into ${faces.map((i) => `face #${i + 1}`).join(', ')} of ${target.name} `
      + `(${swapped.width}×${swapped.height}) in ${Math.round(swapMs)} ms`;
    this.host.updateReport({ state: 'swapped', result: { target: target.name, width: swapped.width, height: swapped.height, faces, swapMs: Math.round(swapMs), download } });
    this.refresh();
  }

  /** Grabs a webcam frame, analyses it and swaps into it. */
  async runOnWebcamFrame(): Promise<void> {
    const blocker = this.blocker();
    if (blocker) throw new Error(blocker);
    // A second click while the first frame is on its way is ignored (the buttons are disabled meanwhile).
    if (this.grabbing) return;
    this.grabbing = true;
    this.refresh();
    $('swap-status').textContent = 'grabbing a webcam frame…';
    let frame: SwapTargetPhoto;
    try {
      frame = await this.host.analyseFrame(await this.host.grabWebcamFrame(), 'webcam-frame');
    } finally {
      this.grabbing = false;
      this.refresh();
    }
    if (frame.faces.length === 0) {
      $('swap-status').textContent = 'no face in the webcam frame: try again facing the camera';
      return;
    }
    await this.run(frame);
  }

  /** A click on the photo in Swap mode picks the face under it as the one to replace. */
  pickTargetAt(ev: MouseEvent): void {
    const photo = this.host.photo();
    if (!this.host.isActive() || !photo) return;
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
}
