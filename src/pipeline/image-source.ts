import { ImageError } from './errors.js';
import { checkImageSize, checkRawImage, cloneImage, fromRawImage, isBgrImage, isRawImage, type BgrImage, type RawImage } from './image.js';
import { decodeBrowserImage, isBrowserImageSource, type BrowserImageSource } from './decode-browser.js';
import { FrameImage, type ExternalFrameSource } from './frames/frame-image.js';

/**
 * Everything `FaceAnalysis.get` accepts: a decoded BGR image, raw pixels with their format, an encoded file
 * (path or bytes; Node decodes with sharp), or a browser image object (ImageBitmap, VideoFrame, HTMLVideoElement,
 * HTMLImageElement, HTMLCanvasElement, OffscreenCanvas, ImageData). On WebGPU a browser image other than ImageData
 * is uploaded with `copyExternalImageToTexture` (sRGB, not premultiplied); see FrameImage.
 */
export type ImageInput = BgrImage | RawImage | string | Uint8Array | ArrayBuffer | BrowserImageSource | FrameImage;

/**
 * The sharp-based decoder, behind a computed specifier: bundlers then leave it (and sharp, libvips and
 * detect-libc behind it) out of browser bundles, where paths and encoded bytes are decoded by the page instead.
 */
async function nodeDecoder(): Promise<typeof import('./decode-node.js')> {
  const moduleName = './decode-node.js';
  return (await import(/* @vite-ignore */ moduleName)) as typeof import('./decode-node.js');
}

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/** In a browser a string is a URL: its bytes are fetched and decoded by the browser. */
async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url).catch((error: unknown) => { throw new ImageError(`fetch failed: ${String(error)}`, url, { cause: error }); });
  if (!response.ok) throw new ImageError(`HTTP ${response.status}`, url);
  return new Uint8Array(await response.arrayBuffer());
}

/** Encoded bytes in a browser: the browser's own decoder (createImageBitmap), read back through a canvas. */
async function decodeBytesInBrowser(bytes: Uint8Array): Promise<BgrImage> {
  if (typeof createImageBitmap !== 'function') throw new ImageError('this environment has no createImageBitmap to decode bytes with', '<bytes>');
  const bitmap = await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>])).catch((error: unknown) => {
    throw new ImageError(`the browser cannot decode these bytes: ${String(error)}`, '<bytes>', { cause: error });
  });
  try {
    return decodeBrowserImage(bitmap);
  } finally {
    bitmap.close();
  }
}

/**
 * Turns any accepted input into the pipeline's BGR image. A browser image other than ImageData becomes a FrameImage,
 * whose pixels are read (through a canvas) only when a CPU stage asks for them.
 */
export async function loadImage(input: ImageInput): Promise<BgrImage> {
  if (input instanceof FrameImage) return input;
  if (typeof input === 'string') {
    if (input.length === 0) throw new ImageError('empty path');
    if (!isNode()) return loadImage(await fetchBytes(input));
    return (await nodeDecoder()).decodeImageNode(input);
  }
  if (input instanceof ArrayBuffer) return loadImage(new Uint8Array(input));
  if (input instanceof Uint8Array) {
    if (input.length === 0) throw new ImageError('no bytes', '<bytes>');
    if (!isNode()) return decodeBytesInBrowser(input);
    return (await nodeDecoder()).decodeImageNode(input, '<bytes>');
  }
  if (isRawImage(input)) return fromRawImage(input);
  if (isBgrImage(input)) {
    // Its length matched width × height × 3, which a negative or fractional pair can also give.
    checkImageSize(input.width, input.height);
    return input;
  }
  if (isBrowserImageSource(input)) {
    return typeof ImageData !== 'undefined' && input instanceof ImageData ? decodeBrowserImage(input) : FrameImage.from(input as ExternalFrameSource);
  }
  throw new ImageError(pixelObjectProblem(input) ?? 'unsupported image input (expected a path, encoded bytes, {data,width,height,format}, or a browser image)');
}

/**
 * The input as it is at the call, for work that runs later (calls on one FaceAnalysis take turns, and a call reads
 * its image at several stages): pixels and encoded bytes in memory are copied (raw pixels converted to BGR, itself a
 * copy), so a caller that reuses its buffer for the next frame, or changes it while the call waits or runs, does not
 * change what the call analyses. Paths, FrameImages and browser images are kept as given. Throws ImageError for raw
 * pixels that do not fit their size or format, as loadImage would.
 */
export function holdInput(input: ImageInput): ImageInput {
  if (input instanceof FrameImage || typeof input === 'string') return input;
  if (input instanceof ArrayBuffer) return input.slice(0);
  // new Uint8Array(view) copies (a Buffer's own slice would share its memory).
  if (input instanceof Uint8Array) return new Uint8Array(input);
  if (isRawImage(input)) return fromRawImage(input);
  if (isBgrImage(input)) {
    checkImageSize(input.width, input.height);
    return cloneImage(input);
  }
  return input;
}

/**
 * Refuses, without decoding, an input loadImage could never read: an empty path or byte array, a value of no
 * image kind, a pixel object whose size, format or data does not fit. The error names `label` (getBatch's
 * `inputs[3]`). Paths and bytes are not opened here: their decode reports its own failure.
 */
export function checkInputKind(input: ImageInput, label: string): void {
  const refuse = (why: string): never => { throw new ImageError(why, label); };
  if (input instanceof FrameImage || input instanceof ArrayBuffer) return;
  if (typeof input === 'string') {
    if (input.length === 0) refuse('empty path');
    return;
  }
  if (input instanceof Uint8Array) {
    if (input.length === 0) refuse('no bytes');
    return;
  }
  if (isRawImage(input)) {
    checkRawImage(input, label);
    return;
  }
  if (isBgrImage(input)) {
    checkImageSize(input.width, input.height, label);
    return;
  }
  if (isBrowserImageSource(input)) return;
  try {
    refuse(pixelObjectProblem(input) ?? 'unsupported image input (expected a path, encoded bytes, {data,width,height,format}, or a browser image)');
  } catch (error) {
    // pixelObjectProblem's own size check names no input.
    if (error instanceof ImageError && error.source === undefined) refuse(error.why);
    throw error;
  }
}

const FORMATS = ['rgb', 'bgr', 'rgba', 'bgra', 'gray'];

/** What is wrong with an object that looks like pixels ({ data, width, height }), so the error says which field to fix. */
function pixelObjectProblem(input: unknown): string | undefined {
  if (input === null || typeof input !== 'object' || !('data' in input) || !('width' in input) || !('height' in input)) return undefined;
  const { data, width, height, format } = input as { data: unknown; width: unknown; height: unknown; format?: unknown };
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray)) {
    const kind = data === null ? 'null' : typeof data === 'object' ? (data as object).constructor?.name ?? 'an object' : typeof data;
    return `pixel data is ${kind}; it must be 8-bit (a Uint8Array or Uint8ClampedArray)`;
  }
  if (typeof width !== 'number' || typeof height !== 'number') return `width and height must be numbers (got ${typeof width} and ${typeof height})`;
  if (format !== undefined) return `format ${JSON.stringify(format)} is not one of ${FORMATS.join(', ')}`;
  checkImageSize(width, height);
  return `BGR data has ${data.length} bytes, ${width}×${height}×3 needs ${width * height * 3} (give format for other layouts)`;
}
