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
  if (!Number.isInteger(stride)) throw new ImageError(`row stride ${stride} is not a whole number of bytes`, source);
  if (stride < width * channels) throw new ImageError(`row stride ${stride} is shorter than a row (${width * channels} bytes)`, source);
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
  // One byte view whatever the caller's type: a loop that sees both Uint8Array and Uint8ClampedArray is slower.
  const src = raw.data instanceof Uint8Array ? raw.data : new Uint8Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength);
  const tight = stride === width * channels;
  // Tightly packed rows convert as one run; padded rows convert a row at a time.
  const rows = tight ? 1 : height;
  const run = tight ? width * height : width;
  for (let y = 0; y < rows; y++) {
    const s = y * stride;
    const d = y * width * 3;
    if (format === 'bgr') out.set(src.subarray(s, s + run * 3), d);
    else if (format === 'rgb' && tight && LITTLE_ENDIAN && src.byteOffset % 4 === 0) rgbWords(src, out, run);
    else if (format === 'rgb') swap3(src, s, out, d, run);
    else if (format === 'gray' && tight && LITTLE_ENDIAN && src.byteOffset % 4 === 0) greyWords(src, out, run);
    else if (format === 'gray') grey(src, s, out, d, run);
    else if (format === 'rgba' && tight && LITTLE_ENDIAN && src.byteOffset % 4 === 0) rgbaWords(src, out, run);
    else if (format === 'bgra' && tight && LITTLE_ENDIAN && src.byteOffset % 4 === 0) bgraWords(src, out, run);
    else drop4(src, s, out, d, run, format === 'rgba');
  }
  return { width, height, data: out };
}

/** n RGB pixels from src[s] to BGR at out[d]. */
function swap3(src: Uint8Array, s: number, out: Uint8Array, d: number, n: number): void {
  const end = d + n * 3;
  for (; d < end; s += 3, d += 3) {
    out[d] = src[s + 2]!;
    out[d + 1] = src[s + 1]!;
    out[d + 2] = src[s]!;
  }
}

/** n grey pixels from src[s] replicated to BGR at out[d]. */
function grey(src: Uint8Array, s: number, out: Uint8Array, d: number, n: number): void {
  const end = d + n * 3;
  for (; d < end; s++, d += 3) {
    const v = src[s]!;
    out[d] = v;
    out[d + 1] = v;
    out[d + 2] = v;
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * n tightly packed RGBA pixels from the start of src to BGR at the start of out, four pixels (four 32-bit reads)
 * to three 32-bit writes at a time; the last n % 4 pixels go byte by byte. Little-endian layout only.
 */
function rgbaWords(src: Uint8Array, out: Uint8Array, n: number): void {
  const quads = n >>> 2;
  const from = new Uint32Array(src.buffer, src.byteOffset, quads * 4);
  const to = new Uint32Array(out.buffer, out.byteOffset, quads * 3);
  for (let q = 0, i = 0, o = 0; q < quads; q++, i += 4, o += 3) {
    const a = from[i]!;
    const b = from[i + 1]!;
    const c = from[i + 2]!;
    const d = from[i + 3]!;
    // Bytes out: B0 G0 R0 B1 | G1 R1 B2 G2 | R2 B3 G3 R3 (each word read is R | G << 8 | B << 16 | A << 24).
    to[o] = ((a >>> 16) & 0xff) | (a & 0xff00) | ((a & 0xff) << 16) | (((b >>> 16) & 0xff) << 24);
    to[o + 1] = ((b >>> 8) & 0xff) | ((b & 0xff) << 8) | (c & 0xff0000) | ((c & 0xff00) << 16);
    to[o + 2] = (c & 0xff) | ((d >>> 8) & 0xff00) | ((d & 0xff00) << 8) | ((d & 0xff) << 24);
  }
  drop4(src, quads * 16, out, quads * 12, n - quads * 4, true);
}

/** rgbaWords for BGRA (a canvas's or a video frame's order on some platforms): the bytes keep their order. */
function bgraWords(src: Uint8Array, out: Uint8Array, n: number): void {
  const quads = n >>> 2;
  const from = new Uint32Array(src.buffer, src.byteOffset, quads * 4);
  const to = new Uint32Array(out.buffer, out.byteOffset, quads * 3);
  for (let q = 0, i = 0, o = 0; q < quads; q++, i += 4, o += 3) {
    const a = from[i]!;
    const b = from[i + 1]!;
    const c = from[i + 2]!;
    const d = from[i + 3]!;
    // Each word read is B | G << 8 | R << 16 | A << 24; out: B0 G0 R0 B1 | G1 R1 B2 G2 | R2 B3 G3 R3.
    to[o] = (a & 0xffffff) | ((b & 0xff) << 24);
    to[o + 1] = ((b >>> 8) & 0xffff) | ((c & 0xffff) << 16);
    to[o + 2] = ((c >>> 16) & 0xff) | ((d & 0xffffff) << 8);
  }
  drop4(src, quads * 16, out, quads * 12, n - quads * 4, false);
}

/** n tightly packed grey pixels to BGR: four pixels (one 32-bit read) to three 32-bit writes. */
function greyWords(src: Uint8Array, out: Uint8Array, n: number): void {
  const quads = n >>> 2;
  const from = new Uint32Array(src.buffer, src.byteOffset, quads);
  const to = new Uint32Array(out.buffer, out.byteOffset, quads * 3);
  for (let q = 0, o = 0; q < quads; q++, o += 3) {
    const g = from[q]!;
    const v0 = g & 0xff;
    const v1 = (g >>> 8) & 0xff;
    const v2 = (g >>> 16) & 0xff;
    const v3 = g >>> 24;
    // Out: g0 g0 g0 g1 | g1 g1 g2 g2 | g2 g3 g3 g3.
    to[o] = v0 | (v0 << 8) | (v0 << 16) | (v1 << 24);
    to[o + 1] = v1 | (v1 << 8) | (v2 << 16) | (v2 << 24);
    to[o + 2] = v2 | (v3 << 8) | (v3 << 16) | (v3 << 24);
  }
  grey(src, quads * 4, out, quads * 12, n - quads * 4);
}

/** rgbaWords for tightly packed RGB: four pixels are three 32-bit words in and three out. */
function rgbWords(src: Uint8Array, out: Uint8Array, n: number): void {
  const quads = n >>> 2;
  const from = new Uint32Array(src.buffer, src.byteOffset, quads * 3);
  const to = new Uint32Array(out.buffer, out.byteOffset, quads * 3);
  for (let i = 0, end = quads * 3; i < end; i += 3) {
    const a = from[i]!;
    const b = from[i + 1]!;
    const c = from[i + 2]!;
    // In: R0 G0 B0 R1 | G1 B1 R2 G2 | B2 R3 G3 B3; out: B0 G0 R0 B1 | G1 R1 B2 G2 | R2 B3 G3 R3.
    to[i] = ((a >>> 16) & 0xff) | (a & 0xff00) | ((a & 0xff) << 16) | ((b & 0xff00) << 16);
    to[i + 1] = (b & 0xff) | ((a >>> 24) << 8) | ((c & 0xff) << 16) | (b & 0xff000000);
    to[i + 2] = ((b >>> 16) & 0xff) | ((c >>> 16) & 0xff00) | (c & 0xff0000) | ((c & 0xff00) << 16);
  }
  swap3(src, quads * 12, out, quads * 12, n - quads * 4);
}

/** n RGBA (swap) or BGRA pixels from src[s] to BGR at out[d], alpha dropped. */
function drop4(src: Uint8Array, s: number, out: Uint8Array, d: number, n: number, swap: boolean): void {
  const end = d + n * 3;
  const b = swap ? 2 : 0;
  const r = swap ? 0 : 2;
  for (; d < end; s += 4, d += 3) {
    out[d] = src[s + b]!;
    out[d + 1] = src[s + 1]!;
    out[d + 2] = src[s + r]!;
  }
}

/** RGB copy of a BGR image, 3 bytes a pixel (for encoders that want RGB order; a canvas's ImageData takes RGBA). */
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
