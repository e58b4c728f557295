import { ImageError } from './errors.js';
import { fromRawImage, type BgrImage } from './image.js';

/** Browser image objects the pipeline accepts; all are drawable on an OffscreenCanvas. */
export type BrowserImageSource = ImageBitmap | HTMLImageElement | HTMLCanvasElement | OffscreenCanvas | VideoFrame | ImageData;

export function isBrowserImageSource(value: unknown): value is BrowserImageSource {
  const g = globalThis as Record<string, unknown>;
  for (const name of ['ImageBitmap', 'HTMLImageElement', 'HTMLCanvasElement', 'OffscreenCanvas', 'VideoFrame', 'ImageData']) {
    const ctor = g[name];
    if (typeof ctor === 'function' && value instanceof (ctor as abstract new (...args: never[]) => unknown)) return true;
  }
  return false;
}

/** Reads a browser image's pixels through a 2-D canvas (no colour management beyond what the browser applied on decode). */
export function decodeBrowserImage(source: BrowserImageSource): BgrImage {
  if (typeof ImageData !== 'undefined' && source instanceof ImageData) {
    return fromRawImage({ data: source.data, width: source.width, height: source.height, format: 'rgba' });
  }
  if (typeof OffscreenCanvas === 'undefined') throw new ImageError('this environment has no OffscreenCanvas to read pixels with');
  const width = 'displayWidth' in source ? source.displayWidth : 'naturalWidth' in source ? source.naturalWidth : source.width;
  const height = 'displayHeight' in source ? source.displayHeight : 'naturalHeight' in source ? source.naturalHeight : source.height;
  if (!width || !height) throw new ImageError(`image has size ${width}×${height} (not loaded yet?)`);
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new ImageError('could not create a 2-D canvas context');
  ctx.drawImage(source as CanvasImageSource, 0, 0);
  const pixels = ctx.getImageData(0, 0, width, height);
  return fromRawImage({ data: pixels.data, width, height, format: 'rgba' });
}
