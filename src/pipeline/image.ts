import { ImageError } from './errors.js';

/**
 * The pipeline's one image type: what OpenCV's `cv2.imread` returns — uint8, H×W×3, interleaved, channel order
 * BGR. Every stage (letterbox, warps, drawing) works on this layout so the arithmetic can follow OpenCV exactly.
 */
export interface BgrImage {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** Pixels as B, G, R bytes, row-major, rows tightly packed. */
  readonly data: Uint8Array;
}

/** Channel order of raw pixels. */
export type PixelFormat = 'rgb' | 'bgr' | 'rgba' | 'bgra' | 'gray';

/** Raw pixels in memory (e.g. a decoded video frame, an ImageData's `data`). Rows are tightly packed unless `stride` says otherwise. */
export interface RawImage {
  /** The pixels' bytes. */
  readonly data: Uint8Array | Uint8ClampedArray;
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** Channel order. */
  readonly format: PixelFormat;
  /** Bytes per row; defaults to width × channels. */
  readonly stride?: number;
}

/** Images larger than this are refused before allocating (same bound as sharp's default, 0x3FFF²). */
export const MAX_IMAGE_PIXELS = 0x3fff * 0x3fff;

const CHANNELS: Readonly<Record<PixelFormat, number>> = { rgb: 3, bgr: 3, rgba: 4, bgra: 4, gray: 1 };

/** Refuses sizes that are empty, not integral or above MAX_IMAGE_PIXELS, with an ImageError. */
export function checkImageSize(width: number, height: number, source?: string): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new ImageError(`size ${width}×${height} is empty or not integral`, source);
  }
  if (width * height > MAX_IMAGE_PIXELS) throw new ImageError(`${width}×${height} exceeds ${MAX_IMAGE_PIXELS} pixels`, source);
}

/** A width×height BGR image: over `data` when given (checked to be width×height×3 bytes), else zeroed. */
export function createBgrImage(width: number, height: number, data?: Uint8Array): BgrImage {
  checkImageSize(width, height);
  const pixels = data ?? new Uint8Array(width * height * 3);
  if (pixels.length !== width * height * 3) throw new ImageError(`BGR data has ${pixels.length} bytes, ${width}×${height}×3 needs ${width * height * 3}`);
  return { width, height, data: pixels };
}

export function isBgrImage(value: unknown): value is BgrImage {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Partial<BgrImage> & { format?: unknown };
  return v.data instanceof Uint8Array && typeof v.width === 'number' && typeof v.height === 'number' && v.format === undefined
    && v.data.length === v.width * v.height * 3;
}

export function isRawImage(value: unknown): value is RawImage {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Partial<RawImage>;
  return (v.data instanceof Uint8Array || v.data instanceof Uint8ClampedArray) && typeof v.width === 'number'
    && typeof v.height === 'number' && typeof v.format === 'string' && Object.hasOwn(CHANNELS, v.format);
}

/** Checks raw pixels' size, format, stride and length (ImageError), without converting them; returns their layout. */
export function checkRawImage(raw: RawImage, source?: string): { channels: number; stride: number } {
  const { width, height, format } = raw;
  checkImageSize(width, height, source);
  const channels = Object.hasOwn(CHANNELS, format) ? CHANNELS[format] : undefined;
  if (channels === undefined) throw new ImageError(`unknown pixel format '${String(format)}'`, source);
  const stride = raw.stride ?? width * channels;
  if (!Number.isInteger(stride) || stride < width * channels) throw new ImageError(`row stride ${stride} is shorter than a row (${width * channels} bytes)`, source);
  const needed = stride * (height - 1) + width * channels;
  if (raw.data.length < needed) throw new ImageError(`${format} data has ${raw.data.length} bytes, ${width}×${height} needs ${needed}`, source);
  return { channels, stride };
}

/**
 * Converts raw pixels to BGR the way `cv2.imread(IMREAD_COLOR)` would present the same picture: grey is replicated
 * into three channels and alpha is dropped (not composited).
 */
export function fromRawImage(raw: RawImage, source?: string): BgrImage {
  const { width, height, format } = raw;
  const { channels, stride } = checkRawImage(raw, source);
  const out = new Uint8Array(width * height * 3);
  const src = raw.data;
  // Offsets of B, G, R inside one source pixel.
  const [b, g, r] = format === 'rgb' || format === 'rgba' ? [2, 1, 0] : format === 'gray' ? [0, 0, 0] : [0, 1, 2];
  for (let y = 0; y < height; y++) {
    let s = y * stride;
    let d = y * width * 3;
    for (let x = 0; x < width; x++, s += channels, d += 3) {
      out[d] = src[s + b]!;
      out[d + 1] = src[s + g]!;
      out[d + 2] = src[s + r]!;
    }
  }
  return { width, height, data: out };
}

/** RGBA copy of a BGR image (for canvases and encoders that want RGB order). */
export function bgrToRgb(image: BgrImage): Uint8Array {
  const out = new Uint8Array(image.data.length);
  const d = image.data;
  for (let i = 0; i < d.length; i += 3) {
    out[i] = d[i + 2]!;
    out[i + 1] = d[i + 1]!;
    out[i + 2] = d[i]!;
  }
  return out;
}

export function cloneImage(image: BgrImage): BgrImage {
  return { width: image.width, height: image.height, data: image.data.slice() };
}
