import { ImageError } from './errors.js';
import { fromRawImage, isBgrImage, isRawImage, type BgrImage, type RawImage } from './image.js';
import type { BrowserImageSource } from './decode-browser.js';

/**
 * Everything `FaceAnalysis.get` accepts: a decoded BGR image, raw pixels with their format, an encoded file
 * (path or bytes; Node decodes with sharp), or a browser image object.
 */
export type ImageInput = BgrImage | RawImage | string | Uint8Array | ArrayBuffer | BrowserImageSource;

/** Turns any accepted input into the pipeline's BGR image. */
export async function loadImage(input: ImageInput): Promise<BgrImage> {
  if (typeof input === 'string') {
    if (input.length === 0) throw new ImageError('empty path');
    const { decodeImageNode } = await import('./decode-node.js');
    return decodeImageNode(input);
  }
  if (input instanceof ArrayBuffer) return loadImage(new Uint8Array(input));
  if (input instanceof Uint8Array) {
    const { decodeImageNode } = await import('./decode-node.js');
    return decodeImageNode(input, '<bytes>');
  }
  if (isRawImage(input)) return fromRawImage(input);
  if (isBgrImage(input)) return input;
  const { decodeBrowserImage, isBrowserImageSource } = await import('./decode-browser.js');
  if (isBrowserImageSource(input)) return decodeBrowserImage(input);
  throw new ImageError('unsupported image input (expected a path, encoded bytes, {data,width,height,format}, or a browser image)');
}
