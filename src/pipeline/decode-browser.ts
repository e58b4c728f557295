import { ImageError } from './errors.js';
import { fromRawImage, type BgrImage } from './image.js';

/** Browser image objects the pipeline accepts; all are drawable on an OffscreenCanvas. */
export type BrowserImageSource =
  | ImageBitmap | HTMLImageElement | HTMLVideoElement | HTMLCanvasElement | OffscreenCanvas | VideoFrame | ImageData;

const SOURCE_CLASSES = ['ImageBitmap', 'HTMLImageElement', 'HTMLVideoElement', 'HTMLCanvasElement', 'OffscreenCanvas', 'VideoFrame', 'ImageData'];

/** True for any object of the classes in BrowserImageSource (checked by name, so it is false in Node). */
export function isBrowserImageSource(value: unknown): value is BrowserImageSource {
  const g = globalThis as Record<string, unknown>;
  for (const name of SOURCE_CLASSES) {
    const ctor = g[name];
    if (typeof ctor === 'function' && value instanceof (ctor as abstract new (...args: never[]) => unknown)) return true;
  }
  return false;
}

/** The size a browser image is drawn at: a video frame's display size, an element's intrinsic size, else width × height. */
export function browserImageSize(source: BrowserImageSource): { width: number; height: number } {
  if ('displayWidth' in source) return { width: source.displayWidth, height: source.displayHeight };
  if ('videoWidth' in source) return { width: source.videoWidth, height: source.videoHeight };
  if ('naturalWidth' in source) return { width: source.naturalWidth, height: source.naturalHeight };
  return { width: source.width, height: source.height };
}

/**
 * Reads a browser image's pixels through a 2-D canvas in sRGB: the canvas converts other colour spaces to sRGB and
 * `getImageData` returns un-premultiplied colour; alpha is then dropped (as for RawImage).
 */
export function decodeBrowserImage(source: BrowserImageSource): BgrImage {
  if (typeof ImageData !== 'undefined' && source instanceof ImageData) {
    return fromRawImage({ data: source.data, width: source.width, height: source.height, format: 'rgba' });
  }
  if (typeof OffscreenCanvas === 'undefined') throw new ImageError('this environment has no OffscreenCanvas to read pixels with');
  const { width, height } = browserImageSize(source);
  if (!width || !height) throw new ImageError(`image has size ${width}×${height} (not loaded yet, or a closed VideoFrame?)`);
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true, colorSpace: 'srgb' });
  if (!ctx) throw new ImageError('could not create a 2-D canvas context');
  ctx.drawImage(source as CanvasImageSource, 0, 0, width, height);
  const pixels = ctx.getImageData(0, 0, width, height, { colorSpace: 'srgb' });
  return fromRawImage({ data: pixels.data, width, height, format: 'rgba' });
}
