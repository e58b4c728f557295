import { ImageError } from './errors.js';
import { fromRawImage, isBgrImage, isRawImage, type BgrImage, type RawImage } from './image.js';
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
 * Turns any accepted input into the pipeline's BGR image. A browser image other than ImageData becomes a FrameImage,
 * whose pixels are read (through a canvas) only when a CPU stage asks for them.
 */
export async function loadImage(input: ImageInput): Promise<BgrImage> {
  if (input instanceof FrameImage) return input;
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
  if (isBrowserImageSource(input)) {
    return typeof ImageData !== 'undefined' && input instanceof ImageData ? decodeBrowserImage(input) : FrameImage.from(input as ExternalFrameSource);
  }
  throw new ImageError('unsupported image input (expected a path, encoded bytes, {data,width,height,format}, or a browser image)');
}
