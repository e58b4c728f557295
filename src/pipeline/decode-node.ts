import { stat } from 'node:fs/promises';
import { MissingPackageError } from '../core/errors.js';
import { ImageError } from './errors.js';
import { DecodeGate } from './decode-gate.js';
import { checkImageSize, fromRawImage, type BgrImage, type PixelFormat } from './image.js';

/** This thread's gate: its own, or (in a FaceAnalysisPool worker) the one of the thread that started the pool. */
let decodeGate = DecodeGate.create();

/** A seat at this thread's decode gate, for a worker thread to join (the buffer is shared, not copied). @internal */
export interface DecodeSeat {
  readonly buffer: SharedArrayBuffer;
  readonly seat: number;
}

/** Reserves a seat at this thread's decode gate for a worker thread about to start; undefined when none is free. @internal */
export function reserveDecodeSeat(): DecodeSeat | undefined {
  const seat = decodeGate.reserveSeat();
  return seat === undefined ? undefined : { buffer: decodeGate.buffer, seat };
}

/** Frees a seat once its worker has ended (or failed to start), with anything it left in flight. @internal */
export function releaseDecodeSeat(seat: DecodeSeat): void {
  if (seat.buffer === decodeGate.buffer) decodeGate.releaseSeat(seat.seat);
  else DecodeGate.join(seat.buffer, seat.seat).releaseSeat(seat.seat);
}

/** Whether a seat is held (tests watch a pool give its seats back). @internal */
export function decodeSeatTaken(seat: DecodeSeat): boolean {
  return DecodeGate.join(seat.buffer, seat.seat).isTaken(seat.seat);
}

/** Makes this thread's decodes keep to the gate the seat belongs to; called by a pool worker before it decodes. @internal */
export function joinDecodeGate(seat: DecodeSeat): void {
  decodeGate = DecodeGate.join(seat.buffer, seat.seat);
}

/**
 * Decodes an encoded image (path or bytes) with sharp, presenting it like `cv2.imread(path, IMREAD_COLOR)`:
 * EXIF orientation applied, embedded ICC profile ignored (OpenCV does not colour-manage), 16-bit samples reduced
 * to 8, grey replicated to three channels, alpha dropped without compositing.
 */
export async function decodeImageNode(input: string | Uint8Array, label?: string): Promise<BgrImage> {
  const source = label ?? (typeof input === 'string' ? input : undefined);
  if (typeof input !== 'string' && input.length === 0) throw new ImageError('no bytes', source);
  let sharpModule: typeof import('sharp');
  try {
    sharpModule = await import('sharp');
  } catch (error) {
    throw new MissingPackageError('sharp', `decoding the image file${source ? ` '${source}'` : ''}`, { cause: error });
  }
  const sharp = sharpModule.default;
  const decode = (): Promise<BgrImage> => decodeWithSharp(sharp, input, source);
  try {
    return await decodeGate.shared(decode);
  } catch (error) {
    if (error instanceof ImageError) throw error;
    // libvips keeps one error buffer per process, which decodes running side by side clear and fill for each other
    // (a truncated JPEG then fails as "Unknown error" about one time in four). A failed file decodes once more with
    // nothing else in flight, in this thread or in the pool workers that joined its gate, so its message is its own
    // and the same in every run (a resumed run's error line equals the clean run's, with --workers too).
    try {
      return await decodeGate.alone(decode);
    } catch (again) {
      if (again instanceof ImageError) throw again;
      // libvips says "unsupported image format" for a folder and an empty file alike: the path's own kind says more.
      const what = typeof input === 'string' ? await pathProblem(input) : undefined;
      throw new ImageError(what ?? (again instanceof Error ? again.message : String(again)), source, { cause: again });
    }
  }
}

/** Why a path that failed to decode is no image file at all (a folder, an empty file), if it is one of those. */
async function pathProblem(file: string): Promise<string | undefined> {
  const info = await stat(file).catch(() => undefined);
  if (info?.isDirectory()) return 'is a folder, not an image file';
  if (info?.isFile() && info.size === 0) return 'the file is empty';
  return undefined;
}

/** One decode; sharp's own failures are thrown as they come, the checks of the result as ImageError. */
async function decodeWithSharp(sharp: typeof import('sharp').default, input: string | Uint8Array, source: string | undefined): Promise<BgrImage> {
  let pipeline = sharp(input, { autoOrient: true, ignoreIcc: true, failOn: 'error' });
  const meta = await pipeline.metadata();
  // CMYK (and other non-RGB spaces) need libvips' conversion; RGB/grey stay untouched so no profile math happens.
  if (meta.space !== undefined && meta.space !== 'srgb' && meta.space !== 'b-w' && meta.space !== 'rgb16' && meta.space !== 'grey16') {
    pipeline = pipeline.toColourspace('srgb');
  }
  const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  checkImageSize(info.width, info.height, source);
  const formats: Record<number, PixelFormat | undefined> = { 1: 'gray', 3: 'rgb', 4: 'rgba' };
  if (info.channels === 2) return fromRawImage({ data: dropSecondChannel(data), width: info.width, height: info.height, format: 'gray' }, source);
  const format = formats[info.channels];
  if (format === undefined) throw new ImageError(`${info.channels} channels after decoding`, source);
  return fromRawImage({ data, width: info.width, height: info.height, format }, source);
}

/** Grey + alpha → grey. */
function dropSecondChannel(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = data[2 * i]!;
  return out;
}
