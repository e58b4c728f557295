/**
 * Page side of tests/browser/yuv.test.ts: a VideoFrame made from I420 bytes (limited range, BT.601 or BT.709)
 * through the pipeline's frame upload (FrameUploader: the path FaceAnalysis takes on WebGPU), against the browser's
 * own conversions of the same frame to RGBA (VideoFrame.copyTo with format 'RGBA', and a 2-D canvas), and a
 * float64 evaluation of the matrix as a yardstick. Returns plain data for the Node side to assert on.
 */
import { FaceAnalysis, type RawImage } from '../../src/index.js';
import { FrameUploader } from '../../src/pipeline/frames/frame-upload-gpu.js';
import { BufferUsage, MapMode } from '../../src/backends/webgpu/gpu-constants.js';
import { knownPixels, packFiles } from './realtime-page.js';

/** The YCbCr matrices tested, as VideoColorSpace names and their (Kr, Kb). */
const MATRICES = { bt601: { space: 'smpte170m', kr: 0.299, kb: 0.114 }, bt709: { space: 'bt709', kr: 0.2126, kb: 0.0722 } } as const;
export type MatrixName = keyof typeof MATRICES;

/** How far two RGB renderings of the frame are apart. */
export interface PixelDiff {
  /** Largest |a − b| over the R, G and B values. */
  readonly maxAbs: number;
  /** How many of the R, G, B values differ at all. */
  readonly differing: number;
  /** Mean |a − b| over the R, G and B values. */
  readonly meanAbs: number;
}

export interface YuvReport {
  readonly matrix: MatrixName;
  readonly width: number;
  readonly height: number;
  /** Whether copyTo with format 'RGBA' worked here (else its comparisons are absent). */
  readonly copyToRgba: boolean;
  /** Whether the upload copied the VideoFrame straight into a texture (false: through createImageBitmap). */
  readonly directCopy: boolean | undefined;
  readonly values: number;
  readonly uploadVsCopyTo?: PixelDiff;
  readonly uploadVsCanvas: PixelDiff;
  readonly copyToVsCanvas?: PixelDiff;
  readonly uploadVsFormula: PixelDiff;
  readonly canvasVsFormula: PixelDiff;
  /** The canvas against the formula with the other matrix: how far a wrong matrix would be. */
  readonly canvasVsOtherMatrix: PixelDiff;
  /** Every alpha value of the browser's RGBA conversions is 255 (I420 has no alpha: premultiplying changes nothing). */
  readonly opaque: boolean;
  /** Faces of `get(VideoFrame)` equal (JSON) those of `get` on the canvas conversion's bytes / copyTo's bytes. */
  readonly facesVsCanvasBytes: boolean;
  readonly facesVsCopyToBytes?: boolean;
  readonly faces: number;
}

/** RGBA (straight, opaque) → I420 planes, limited range: Y in 16–235, Cb/Cr in 16–240, chroma the 2×2 mean. */
function toI420(rgba: Uint8ClampedArray, width: number, height: number, kr: number, kb: number): Uint8Array {
  const kg = 1 - kr - kb;
  const out = new Uint8Array((width * height * 3) / 2);
  const cw = width / 2;
  const yOf = (i: number): number => (kr * rgba[i]! + kg * rgba[i + 1]! + kb * rgba[i + 2]!) / 255;
  for (let p = 0; p < width * height; p++) out[p] = Math.round(16 + 219 * yOf(p * 4));
  for (let cy = 0; cy < height / 2; cy++) {
    for (let cx = 0; cx < cw; cx++) {
      let cb = 0, cr = 0;
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
        const i = ((2 * cy + dy) * width + 2 * cx + dx) * 4;
        const y = yOf(i);
        cb += (rgba[i + 2]! / 255 - y) / (2 * (1 - kb));
        cr += (rgba[i]! / 255 - y) / (2 * (1 - kr));
      }
      out[width * height + cy * cw + cx] = Math.round(128 + 224 * (cb / 4));
      out[width * height * 1.25 + cy * cw + cx] = Math.round(128 + 224 * (cr / 4));
    }
  }
  return out;
}

/** The textbook inverse in float64 (limited range, nearest chroma sample), rounded and clamped: RGB per pixel. */
function fromI420(i420: Uint8Array, width: number, height: number, kr: number, kb: number): Uint8Array {
  const kg = 1 - kr - kb;
  const rgb = new Uint8Array(width * height * 3);
  const cw = width / 2;
  const clamp = (v: number): number => Math.min(255, Math.max(0, Math.round(v)));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = (y >> 1) * cw + (x >> 1);
      const l = (i420[y * width + x]! - 16) / 219;
      const cb = (i420[width * height + c]! - 128) / 224, cr = (i420[width * height * 1.25 + c]! - 128) / 224;
      const r = l + 2 * (1 - kr) * cr, b = l + 2 * (1 - kb) * cb;
      const g = (l - kr * r - kb * b) / kg;
      const o = (y * width + x) * 3;
      rgb[o] = clamp(255 * r); rgb[o + 1] = clamp(255 * g); rgb[o + 2] = clamp(255 * b);
    }
  }
  return rgb;
}

function rgbOfRgba(rgba: Uint8Array | Uint8ClampedArray): Uint8Array {
  const rgb = new Uint8Array((rgba.length / 4) * 3);
  for (let p = 0; p < rgba.length / 4; p++) rgb.set(rgba.subarray(p * 4, p * 4 + 3), p * 3);
  return rgb;
}

function diff(a: Uint8Array, b: Uint8Array): PixelDiff {
  let maxAbs = 0, differing = 0, sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d > 0) differing++;
    if (d > maxAbs) maxAbs = d;
    sum += d;
  }
  return { maxAbs, differing, meanAbs: sum / a.length };
}

/** The frame as FaceAnalysis's WebGPU path sees it: FrameUploader's packed BGR words, read back, as RGB. */
async function uploadedRgb(device: GPUDevice, uploader: FrameUploader, frame: VideoFrame, width: number, height: number): Promise<Uint8Array> {
  const buffer = await uploader.upload(frame, width, height);
  const staging = device.createBuffer({ size: buffer.size, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(buffer, 0, staging, 0, buffer.size);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(MapMode.READ);
  const bgr = new Uint8Array(staging.getMappedRange().slice(0));
  staging.destroy();
  buffer.destroy();
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) { rgb[p * 3] = bgr[p * 3 + 2]!; rgb[p * 3 + 1] = bgr[p * 3 + 1]!; rgb[p * 3 + 2] = bgr[p * 3]!; }
  return rgb;
}

/**
 * One I420 frame of t1.jpg (320 px wide) encoded with `matrix`, through each conversion; with `faces`, also
 * FaceAnalysis at det 256 on WebGPU over the frame and over each conversion's bytes. `transfer` overrides the frame's
 * transfer characteristics (default the matrix's own).
 */
export async function checkYuv(matrix: MatrixName, options: { faces?: boolean; transfer?: VideoTransferCharacteristics } = {}): Promise<YuvReport> {
  const { transfer } = options;
  const { kr, kb, space } = MATRICES[matrix];
  const other = MATRICES[matrix === 'bt601' ? 'bt709' : 'bt601'];
  const pixels = await knownPixels();
  const { width, height } = pixels;
  if (width % 2 || height % 2) throw new Error(`I420 needs even sides, not ${width}×${height}`);
  const i420 = toI420(pixels.data, width, height, kr, kb);
  const colorSpace: VideoColorSpaceInit = { matrix: space, primaries: space, transfer: transfer ?? (space === 'bt709' ? 'bt709' : 'smpte170m'), fullRange: false };
  const frame = new VideoFrame(i420, { format: 'I420', codedWidth: width, codedHeight: height, timestamp: 0, colorSpace });

  let copied: Uint8Array | undefined;
  try {
    copied = new Uint8Array(width * height * 4);
    await frame.copyTo(copied, { format: 'RGBA', colorSpace: 'srgb' } as VideoFrameCopyToOptions);
  } catch {
    copied = undefined;
  }
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { colorSpace: 'srgb' })!;
  ctx.drawImage(frame, 0, 0);
  const drawn = ctx.getImageData(0, 0, width, height, { colorSpace: 'srgb' }).data;

  const adapter = await navigator.gpu.requestAdapter();
  const device = await adapter!.requestDevice();
  const uploader = new FrameUploader(device);
  const uploaded = await uploadedRgb(device, uploader, frame, width, height);
  const directCopy = (uploader as unknown as { directVideoFrames?: boolean }).directVideoFrames;
  device.destroy();

  const formula = fromI420(i420, width, height, kr, kb);
  const canvasRgb = rgbOfRgba(drawn);
  const copyRgb = copied ? rgbOfRgba(copied) : undefined;
  const alphaOk = (rgba: Uint8Array | Uint8ClampedArray | undefined): boolean => !rgba || rgba.every((v, i) => i % 4 !== 3 || v === 255);

  // The faces (SwiftShader detection, tens of seconds) only when asked: the pixels above already decide them.
  let facesJson = '[]', canvasJson = '[]', copyJson: string | undefined;
  if (options.faces) {
    const app = await FaceAnalysis.create({ models: { files: await packFiles() }, backend: 'webgpu', allowedModules: ['detection'] });
    app.prepare({ detSize: [256, 256] });
    try {
      facesJson = JSON.stringify(await app.get(frame));
      const raw = (data: Uint8Array | Uint8ClampedArray): RawImage => ({ data, width, height, format: 'rgba' });
      canvasJson = JSON.stringify(await app.get(raw(drawn)));
      copyJson = copied ? JSON.stringify(await app.get(raw(copied))) : undefined;
    } finally {
      await app.release();
    }
  }
  frame.close();
  return {
    matrix, width, height, copyToRgba: copied !== undefined, directCopy, values: width * height * 3,
    uploadVsCopyTo: copyRgb && diff(uploaded, copyRgb),
    uploadVsCanvas: diff(uploaded, canvasRgb),
    copyToVsCanvas: copyRgb && diff(copyRgb, canvasRgb),
    uploadVsFormula: diff(uploaded, formula),
    canvasVsFormula: diff(canvasRgb, formula),
    canvasVsOtherMatrix: diff(canvasRgb, fromI420(i420, width, height, other.kr, other.kb)),
    opaque: alphaOk(drawn) && alphaOk(copied),
    facesVsCanvasBytes: facesJson === canvasJson,
    facesVsCopyToBytes: copyJson === undefined ? undefined : facesJson === copyJson,
    faces: (JSON.parse(facesJson) as unknown[]).length,
  };
}
