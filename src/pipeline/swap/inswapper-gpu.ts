import { BackendError } from '../../core/errors.js';
import { Tensor, type GpuTensor } from '../../core/tensor.js';
import { BufferUsage, MapMode } from '../../backends/webgpu/gpu-constants.js';
import { PipelineCache } from '../../backends/webgpu/pipeline-cache.js';
import type { InferenceSession } from '../../session/session.js';
import type { Affine2x3 } from '../affine.js';
import { ModelContractError } from '../errors.js';
import { createBgrImage, type BgrImage } from '../image.js';
import { GpuPreprocessor } from '../preprocess/preprocessor-gpu.js';
import { BLUR_COLUMNS_WGSL, BLUR_ROWS_WGSL } from './blur-gpu.js';
import { ERODE_COLUMNS_WGSL, ERODE_ROWS_WGSL } from './erode-gpu.js';
import { BLEND_WORKGROUP, PASTE_BLEND_WGSL, PASTE_MASK_WGSL } from './paste-back-gpu.js';
import { noCoverageError } from './paste-back.js';
import { initialStats, pasteParams, PASTE_STATS_WORDS, type PasteBox } from './paste-prelude-gpu.js';

/** Threads per workgroup of the output conversion (one word of four crop bytes each). */
const TO_BGR_WORKGROUP = 256;
/** Side of the 8×8 workgroups of the per-pixel paste kernels. */
const TILE = 8;
/** Binding kinds of the paste kernels (PASTE_KERNEL_PRELUDE): params, image, crop read; stats, bufA, bufB, out written. */
const PASTE_SIGNATURE = 'rrrwwww';

/**
 * `clip(255·x, 0, 255).astype(uint8)[:, :, ::-1]` of the network's NCHW RGB output, as outputToBgr: per word of
 * the BGR crop (four bytes), byte i is pixel i / 3, BGR channel i mod 3, read from RGB plane 2 − channel; the
 * product is one float32 multiplication (correctly rounded in WGSL, as Math.fround of the CPU path), truncated.
 */
export const swapOutputWgsl = (side: number): string => /* wgsl */ `
@group(0) @binding(0) var<storage, read> pred: array<f32>;
@group(0) @binding(1) var<storage, read_write> crop: array<u32>;

const SIDE: u32 = ${side}u;

@compute @workgroup_size(${TO_BGR_WORKGROUP}, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let plane = SIDE * SIDE;
  let w = gid.x;
  if (4u * w >= 3u * plane) { return; }
  var packed = 0u;
  for (var b = 0u; b < 4u; b++) {
    let i = 4u * w + b;
    let p = i / 3u;
    let c = i - 3u * p;
    let v = 255.0 * pred[(2u - c) * plane + p];
    // A NaN fails both tests and gives 0, as NumPy's astype(uint8) does on x86.
    var byte = 0u;
    if (v >= 255.0) { byte = 255u; } else if (v > 0.0) { byte = u32(v); }
    packed |= byte << (8u * b);
  }
  crop[w] = packed;
}
`;

/** Where the swap network's inputs and output are, and the crop side (128). */
export interface SwapGpuModel {
  readonly targetName: string;
  readonly latentName: string;
  readonly outputName: string;
  readonly cropSize: number;
}

/** What one GPU swap returns: the swapped crop (when asked) and the pasted image (when asked). */
export interface GpuSwapResult {
  readonly crop?: BgrImage;
  readonly image?: BgrImage;
}

/**
 * INSwapper's `get` on the GPU of a WebGPU session, every stage a WGSL kernel: the crop warp (the pre-processor's
 * batched warp, into the session's input buffer), the network (`runOnGpu`: its output stays where it was computed),
 * the truncation to a BGR uint8 crop, then the paste-back — the white mask's inverse warp and threshold (with its
 * bounding boxes reduced on the GPU, so the kernel sizes never come back to the CPU), the erosion, the Gaussian blur
 * and the blend with the crop's inverse warp. The result is read back once: the image, or the crop, or both from one
 * forward. Bit-identical to the CPU path (integer warps, the same float32 steps; see each kernel).
 * @internal
 */
export class GpuSwap {
  private readonly pre: GpuPreprocessor;
  private readonly cache: PipelineCache;
  private readonly stats: GPUBuffer;
  private readonly cropWords: GPUBuffer;
  private planes: { readonly pixels: number; readonly a: GPUBuffer; readonly b: GPUBuffer; readonly out: GPUBuffer } | undefined;
  private staging: GPUBuffer | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly session: InferenceSession, readonly device: GPUDevice, private readonly model: SwapGpuModel) {
    this.pre = new GpuPreprocessor(device);
    this.cache = PipelineCache.of(device);
    const S = model.cropSize;
    this.stats = device.createBuffer({ size: PASTE_STATS_WORDS * 4, usage: BufferUsage.STORAGE | BufferUsage.COPY_DST | BufferUsage.COPY_SRC, label: 'swap mask stats' });
    this.cropWords = device.createBuffer({ size: Math.ceil((3 * S * S) / 4) * 4, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC, label: 'swap crop' });
  }

  /**
   * One swap of the face that `m` (image → crop, norm_crop2's M) aligns, with `latent` (1×512). Undefined when the
   * GPU kernels cannot reproduce the CPU path for this image and transform (too large for one storage binding, a
   * transform beyond int32 fixed point, a one-pixel-wide image): the caller runs the CPU path then. Throws
   * pasteMask's ImageError when the crop covers no pixel. Calls take turns (they share the session's buffers).
   */
  swap(image: BgrImage, m: Affine2x3, latent: Float32Array, want: { readonly crop: boolean; readonly paste: boolean }): Promise<GpuSwapResult | undefined> {
    const result = this.chain.then(() => this.swapExclusive(image, m, latent, want));
    this.chain = result.catch(() => undefined);
    return result;
  }

  /** Frees the buffers and the pre-processor (not the session). */
  dispose(): void {
    void this.chain.then(() => {
      this.pre.dispose();
      this.stats.destroy();
      this.cropWords.destroy();
      this.freePlanes();
      this.staging?.destroy();
      this.staging = undefined;
    });
  }

  private async swapExclusive(image: BgrImage, m: Affine2x3, latent: Float32Array, want: { readonly crop: boolean; readonly paste: boolean }): Promise<GpuSwapResult | undefined> {
    const { device, model } = this;
    const S = model.cropSize;
    const { width: W, height: H } = image;
    const paste = want.paste ? pasteParams(m, S, W, H) : undefined;
    if (want.paste && (!paste || !this.fits(image, paste.box))) return undefined;
    await this.pre.begin(image);
    let scopeOpen = false;
    try {
      // Straight into the session's input buffer where it can hand one out (the latent's shape is static), else a
      // buffer of the pre-processor that the run copies on the device.
      const direct = this.session.inputMetadata.every((v) => v.name === model.targetName || v.shape.every((d) => typeof d === 'number'));
      const target = await this.pre.alignedCrops(image, [m], S, { mean: 0, std: 255 }, direct ? { session: this.session, name: model.targetName } : undefined);
      const outputs = await this.session.runOnGpu({ [model.targetName]: target, [model.latentName]: new Tensor('float32', latent, [1, latent.length]) }, [model.outputName]);
      const pred = outputs[model.outputName]!;
      if (pred.type !== 'float32' || pred.size !== 3 * S * S) throw new ModelContractError('inswapper', `output is ${pred.type}[${pred.dims.join(', ')}], expected float32 1×3×${S}×${S}`);
      device.pushErrorScope('validation');
      scopeOpen = true;
      const encoder = device.createCommandEncoder({ label: 'swap' });
      const pass = encoder.beginComputePass({ label: 'swap' });
      const cropBytes = 3 * S * S;
      await this.encode(pass, 'swap output', swapOutputWgsl(S), 'rw', [pred, this.cropWords], [Math.ceil(cropBytes / 4 / TO_BGR_WORKGROUP), 1, 1]);
      let paramsBuffer: GPUBuffer | undefined;
      const boxBytes = paste ? 3 * paste.box.width * paste.box.height : 0;
      if (paste) {
        const { words: params, box } = paste;
        const planes = this.planesFor(box.width * box.height);
        paramsBuffer = device.createBuffer({ size: params.byteLength, usage: BufferUsage.STORAGE | BufferUsage.COPY_DST, label: 'paste parameters' });
        device.queue.writeBuffer(paramsBuffer, 0, params.buffer, params.byteOffset, params.byteLength);
        const stats = initialStats(W, H);
        device.queue.writeBuffer(this.stats, 0, stats.buffer, stats.byteOffset, stats.byteLength);
        const bindings = [paramsBuffer, this.pre.imageBuffer(image)!, this.cropWords, this.stats, planes.a, planes.b, planes.out];
        const tiles: [number, number, number] = [Math.ceil(box.width / TILE), Math.ceil(box.height / TILE), 1];
        // Mask (→ bufA, stats), erode rows (→ bufB) and columns (→ bufA), blur rows (→ bufB) and columns (→ bufA), blend.
        for (const [label, code] of [['paste mask', PASTE_MASK_WGSL], ['erode rows', ERODE_ROWS_WGSL], ['erode columns', ERODE_COLUMNS_WGSL], ['blur rows', BLUR_ROWS_WGSL], ['blur columns', BLUR_COLUMNS_WGSL]] as const) {
          await this.encode(pass, label, code, PASTE_SIGNATURE, bindings, tiles);
        }
        const groups = Math.ceil(Math.ceil(boxBytes / 4) / BLEND_WORKGROUP);
        const gx = Math.min(groups, device.limits.maxComputeWorkgroupsPerDimension);
        await this.encode(pass, 'paste blend', PASTE_BLEND_WGSL, PASTE_SIGNATURE, bindings, [gx, Math.ceil(groups / gx), 1]);
      }
      pass.end();
      // The one read-back: the crop and/or the work box's rows of the image, and the mask's statistics.
      const cropAt = 0;
      const cropSpan = want.crop ? this.cropWords.size : 0;
      const imageAt = cropSpan;
      const imageSpan = Math.ceil(boxBytes / 4) * 4;
      const statsAt = imageAt + imageSpan;
      const total = statsAt + (paste ? PASTE_STATS_WORDS * 4 : 0);
      const staging = this.stagingFor(total);
      if (want.crop) encoder.copyBufferToBuffer(this.cropWords, 0, staging, cropAt, cropSpan);
      if (paste) {
        encoder.copyBufferToBuffer(this.planes!.out, 0, staging, imageAt, imageSpan);
        encoder.copyBufferToBuffer(this.stats, 0, staging, statsAt, PASTE_STATS_WORDS * 4);
      }
      device.queue.submit([encoder.finish()]);
      paramsBuffer?.destroy();
      scopeOpen = false;
      const error = await device.popErrorScope();
      if (error) throw new BackendError('webgpu', `the swap's kernels failed: ${error.message}`);
      await staging.mapAsync(MapMode.READ, 0, total);
      const mapped = new Uint8Array(staging.getMappedRange(0, total));
      const crop = want.crop ? createBgrImage(S, S, mapped.slice(cropAt, cropAt + cropBytes)) : undefined;
      let pasted: BgrImage | undefined;
      if (paste) {
        // Outside the work box the result is the image itself.
        const { box } = paste;
        const data = image.data.slice();
        const rowBytes = 3 * box.width;
        for (let j = 0; j < box.height; j++) data.set(mapped.subarray(imageAt + j * rowBytes, imageAt + (j + 1) * rowBytes), 3 * ((box.y0 + j) * W + box.x0));
        pasted = createBgrImage(W, H, data);
      }
      const covered = paste ? new Uint32Array(mapped.buffer, mapped.byteOffset + statsAt, PASTE_STATS_WORDS)[6]! > 0 : true;
      staging.unmap();
      if (!covered) throw noCoverageError(S, W, H);
      return { crop, image: pasted };
    } catch (error) {
      if (scopeOpen) await this.device.popErrorScope().catch(() => undefined);
      throw error;
    } finally {
      this.pre.end(image);
    }
  }

  /** The image and the work box's float32 planes must each fit one storage binding. */
  private fits(image: BgrImage, box: PasteBox): boolean {
    const limit = Math.min(this.device.limits.maxStorageBufferBindingSize, this.device.limits.maxBufferSize);
    return Math.ceil(image.data.length / 4) * 4 <= limit && box.width * box.height * 4 <= limit;
  }

  private async encode(pass: GPUComputePassEncoder, label: string, code: string, signature: string, bindings: readonly (GPUBuffer | GpuTensor)[], groups: readonly [number, number, number]): Promise<void> {
    const pipeline = await this.cache.get(code, signature, label);
    const bindGroup = this.device.createBindGroup({
      layout: this.cache.layout(signature),
      entries: bindings.map((b, binding) => ({
        binding,
        resource: 'location' in b ? { buffer: b.buffer, offset: b.byteOffset, size: Math.ceil(b.byteLength / 4) * 4 } : { buffer: b },
      })),
      label,
    });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(...groups);
  }

  private planesFor(pixels: number): { readonly a: GPUBuffer; readonly b: GPUBuffer; readonly out: GPUBuffer } {
    if (this.planes && this.planes.pixels >= pixels) return this.planes;
    this.freePlanes();
    const usage = BufferUsage.STORAGE | BufferUsage.COPY_SRC;
    const make = (size: number, label: string): GPUBuffer => this.device.createBuffer({ size, usage, label });
    this.planes = { pixels, a: make(pixels * 4, 'paste plane A'), b: make(pixels * 4, 'paste plane B'), out: make(Math.ceil((3 * pixels) / 4) * 4, 'paste result') };
    return this.planes;
  }

  private freePlanes(): void {
    if (!this.planes) return;
    this.planes.a.destroy();
    this.planes.b.destroy();
    this.planes.out.destroy();
    this.planes = undefined;
  }

  private stagingFor(bytes: number): GPUBuffer {
    if (this.staging && this.staging.size >= bytes) return this.staging;
    this.staging?.destroy();
    this.staging = this.device.createBuffer({ size: Math.max(8, Math.ceil(bytes / 8) * 8), usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST, label: 'swap read-back' });
    return this.staging;
  }
}
