/**
 * The demo's Swap mode: a face of the gallery is the source, a photo (opened, a sample, or one webcam frame) is the
 * target, and INSwapper puts the source's identity onto the target's faces. The result is drawn on its own canvas
 * and offered as a PNG download. The swapper is a served or opened inswapper_128.onnx, else a forged replica.
 */
import type { BackendName } from '../../src/index.js';
import { INSwapper, loadImage, type BgrImage, type Face, type FaceAnalysis } from '../../src/pipeline/index.js';
import type { GalleryFace } from './gallery.js';
import { loadSwapper, type LoadedSwapper } from './model-source.js';

/** INSwapper's identity input: a 512-d ArcFace embedding (buffalo_l's w600k_r50). */
export const SWAP_EMBEDDING_SIZE = 512;

/** A photo to swap into: the image the faces were detected on, and those faces. */
export interface SwapTargetPhoto {
  readonly image: ImageBitmap;
  readonly faces: readonly Face[];
  readonly name: string;
}

export interface SwapReport {
  state: 'idle' | 'loading-swapper' | 'swapping' | 'swapped' | 'failed';
  error?: string;
  /** The source face's gallery id and embedding length. */
  source?: { id: string; dims: number };
  swapper?: { file: string; origin: LoadedSwapper['origin']; width?: number; bytes: number; loadMs: number; createMs: number; backend: string };
  /** The embedding length of the loaded recognizer (undefined: none loaded). */
  recognizerDims?: number;
  result?: { target: string; width: number; height: number; faces: number[]; swapMs: number; download: string };
}

/** The recognizer's embedding length, from its output's declared shape (undefined when unknown or absent). */
export function recognizerDims(analysis: FaceAnalysis): number | undefined {
  const shape = analysis.models.get('recognition')?.session.outputMetadata[0]?.shape;
  const last = shape?.[shape.length - 1];
  return typeof last === 'number' && last > 0 ? last : undefined;
}

/** Which faces of the target a swap replaces: every one, or one by index (InsightFace's example swaps every face). */
export type TargetChoice = 'all' | number;

export function chosenFaces(faces: readonly Face[], choice: TargetChoice): number[] {
  if (choice === 'all') return faces.map((_, i) => i);
  return choice >= 0 && choice < faces.length ? [choice] : [];
}

/** BGR → an opaque RGBA ImageData, drawn on `canvas` at the image's own size. */
export function drawBgr(canvas: HTMLCanvasElement, image: BgrImage): void {
  canvas.width = image.width;
  canvas.height = image.height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2-D canvas context');
  const rgba = new ImageData(image.width, image.height);
  const src = image.data;
  const dst = rgba.data;
  for (let i = 0, j = 0; i < src.length; i += 3, j += 4) {
    dst[j] = src[i + 2]!;
    dst[j + 1] = src[i + 1]!;
    dst[j + 2] = src[i]!;
    dst[j + 3] = 255;
  }
  ctx.putImageData(rgba, 0, 0);
}

export function canvasPng(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the canvas gave no PNG'))), 'image/png'));
}

/** The loaded swapper and what it was loaded for; a different backend, width or opened file loads anew. */
interface SwapperEntry {
  readonly key: string;
  readonly ready: Promise<{ swapper: INSwapper; loaded: LoadedSwapper; createMs: number }>;
}

export class SwapSession {
  private entry: SwapperEntry | undefined;

  /** The swapper for these settings, loading (or forging) it on first use. */
  swapper(backend: BackendName, opened: Readonly<Record<string, Uint8Array>> | undefined, forgeWidth: number, onProgress: (text: string) => void): SwapperEntry['ready'] {
    const openedKey = Object.keys(opened ?? {}).sort().join(',');
    const key = `${backend}|${forgeWidth}|${openedKey}`;
    if (this.entry?.key === key) return this.entry.ready;
    const previous = this.entry;
    const ready = (async () => {
      if (previous) await previous.ready.then((p) => p.swapper.release(), () => undefined);
      const loaded = await loadSwapper(opened, forgeWidth, onProgress);
      onProgress(`creating the ${loaded.file} session…`);
      const t0 = performance.now();
      const swapper = await INSwapper.create(loaded.bytes, { backend });
      return { swapper, loaded, createMs: performance.now() - t0 };
    })();
    this.entry = { key, ready };
    // A failed load is not kept: the next swap tries again.
    ready.catch(() => { if (this.entry?.ready === ready) this.entry = undefined; });
    return ready;
  }

  async release(): Promise<void> {
    const entry = this.entry;
    this.entry = undefined;
    await entry?.ready.then((p) => p.swapper.release(), () => undefined);
  }
}

/** Swaps `source` onto each chosen face in turn, each swap working on the previous one's result (as InsightFace's example does). */
export async function swapFaces(swapper: INSwapper, target: SwapTargetPhoto, faceIndices: readonly number[], source: GalleryFace): Promise<BgrImage> {
  if (!source.embedding) throw new Error(`face ${source.id} has no embedding: the loaded models have no recognizer`);
  let image = await loadImage(target.image);
  for (const i of faceIndices) image = await swapper.get(image, target.faces[i]!, source.embedding);
  return image;
}
