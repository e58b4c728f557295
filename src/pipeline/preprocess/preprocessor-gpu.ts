import { GpuTensor } from '../../core/tensor.js';
import { BufferUsage } from '../../backends/webgpu/gpu-constants.js';
import type { Affine2x3 } from '../affine.js';
import type { Normalisation } from './blob.js';
import type { BgrImage } from '../image.js';
import type { Size } from './letterbox.js';
import { CpuPreprocessor, type ImageCrops, type ModelFeed, type ModelInput, type Preprocessor } from './preprocessor.js';
import { letterboxParams, LETTERBOX_WGSL } from './letterbox-gpu.js';
import { FIRST_CROP_WORD, warpCropsParams, WARP_CROPS_WGSL } from './warp-crops-gpu.js';
import { FrameImage } from '../frames/frame-image.js';
import { FrameUploader } from '../frames/frame-upload-gpu.js';

/** Threads per workgroup side of both kernels (8×8 destination pixels). */
const TILE = 8;

/**
 * The pipeline's image stages on the GPU of the WebGPU sessions: the image is uploaded once per `get`, the
 * detector input is one letterbox dispatch and each head's input one batched warp dispatch, both writing straight
 * into the session's own input buffer (`session.gpuInput`), so nothing is read back before the models' results.
 * Bit-identical to the CPU path (same integer taps and float32 table). A browser frame (FrameImage: VideoFrame,
 * ImageBitmap, canvas, video element) is uploaded with `copyExternalImageToTexture` and packed on the GPU, with no
 * canvas read-back. Several images may be held at once (each between its `begin` and `end`), so one head input can
 * hold the crops of all of them (alignedCropsOfImages). Falls back to the CPU path for a session on another
 * backend, an image larger than one storage binding, or a degenerate warp.
 */
export class GpuPreprocessor implements Preprocessor {
  private readonly cpu = new CpuPreprocessor();
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();
  /** Images between `begin` and `end`, each uploaded once; several may be held (FaceAnalysis.getBatch). */
  private readonly held = new Map<BgrImage, GPUBuffer>();
  /** An image used without `begin` (e.g. LandmarkModel.get): held until the next such image or its `end`. */
  private transient: { readonly image: BgrImage; readonly buffer: GPUBuffer } | undefined;
  /** Outputs made without a target session, one per kind, reused (a result is valid until the next of its kind). */
  private readonly scratch = new Map<string, GPUBuffer>();
  /** Where dispatches go while recording (see recordInto). */
  private encoder: GPUCommandEncoder | undefined;
  /** Buffers recorded dispatches use, freed at `end` (after the caller's submit). */
  private readonly recorded: GPUBuffer[] = [];
  private readonly frames: FrameUploader;

  constructor(readonly device: GPUDevice) {
    this.frames = new FrameUploader(device);
  }

  async begin(image: BgrImage): Promise<void> {
    if (!this.fits(image) || this.held.has(image)) return;
    if (this.transient?.image === image) {
      this.held.set(image, this.transient.buffer);
      this.transient = undefined;
      return;
    }
    const frame = image instanceof FrameImage ? image.external : undefined;
    this.held.set(image, frame ? await this.frames.upload(frame, image.width, image.height) : this.upload(image));
  }

  recordInto(encoder?: GPUCommandEncoder): void {
    this.encoder = encoder;
  }

  end(image: BgrImage): void {
    this.encoder = undefined;
    for (const b of this.recorded.splice(0)) b.destroy();
    this.held.get(image)?.destroy();
    this.held.delete(image);
    if (this.transient?.image !== image) return;
    this.transient.buffer.destroy();
    this.transient = undefined;
  }

  settle(): Promise<void> {
    return this.device.queue.onSubmittedWorkDone();
  }

  dispose(): void {
    for (const b of [...this.held.values(), ...this.scratch.values(), ...this.recorded.splice(0)]) b.destroy();
    this.held.clear();
    this.transient?.buffer.destroy();
    this.transient = undefined;
    this.scratch.clear();
    this.encoder = undefined;
    this.pipelines.clear();
  }

  /**
   * With a target on a WebGPU session: written into that session's input buffer. Without one: a GpuTensor in a
   * buffer of this pre-processor (valid until its next detection input), which a session run copies on the device.
   */
  async detectionInput(image: BgrImage, size: Size, norm: Normalisation, target?: ModelInput): Promise<{ tensor: ModelFeed; detScale: number }> {
    if (!this.usable(image, target)) return this.cpu.detectionInput(image, size, norm);
    const { words, detScale } = letterboxParams(image, size, norm);
    const tensor = await this.output('detection', [1, 3, size[1], size[0]], target);
    await this.dispatch('letterbox', LETTERBOX_WGSL, image, words, tensor.buffer, [Math.ceil(size[0] / TILE), Math.ceil(size[1] / TILE), 1]);
    return { tensor, detScale };
  }

  /** All crops in one dispatch; output placed as in `detectionInput`. */
  async alignedCrops(image: BgrImage, transforms: readonly Affine2x3[], size: number, norm: Normalisation, target?: ModelInput): Promise<ModelFeed> {
    const words = this.usable(image, target) && transforms.length > 0 ? warpCropsParams(image, transforms, size, norm) : undefined;
    if (!words) return this.cpu.alignedCrops(image, transforms, size, norm);
    const tensor = await this.output('crops', [transforms.length, 3, size, size], target);
    await this.dispatch('warp-crops', WARP_CROPS_WGSL, image, words, tensor.buffer, [Math.ceil(size / TILE), Math.ceil(size / TILE), transforms.length]);
    return tensor;
  }

  /**
   * Several images' crops in one N×3×S×S tensor, one warp dispatch per image writing at its crops' offset (the
   * images stay uploaded between their `begin` and `end`); each crop is bit-identical to `alignedCrops`'s. Where
   * one image cannot take the GPU path, the whole batch takes the CPU one. Output placed as in `detectionInput`.
   */
  async alignedCropsOfImages(parts: readonly ImageCrops[], size: number, norm: Normalisation, target?: ModelInput): Promise<ModelFeed> {
    const used = parts.filter((p) => p.transforms.length > 0);
    const words = used.map((p) => (this.usable(p.image, target) ? warpCropsParams(p.image, p.transforms, size, norm) : undefined));
    if (used.length === 0 || words.some((w) => w === undefined)) return this.cpu.alignedCropsOfImages(parts, size, norm);
    const total = used.reduce((n, p) => n + p.transforms.length, 0);
    const tensor = await this.output('crops', [total, 3, size, size], target);
    let first = 0;
    for (const [i, part] of used.entries()) {
      const w = words[i]!;
      w[FIRST_CROP_WORD] = first;
      await this.dispatch('warp-crops', WARP_CROPS_WGSL, part.image, w, tensor.buffer, [Math.ceil(size / TILE), Math.ceil(size / TILE), part.transforms.length]);
      first += part.transforms.length;
    }
    return tensor;
  }

  /**
   * The image's BGR bytes on the GPU, packed four per 32-bit word (byte i in bits 8·(i mod 4) of word i/4, as
   * IMAGE_KERNEL_PRELUDE reads them), for later stages' own kernels: uploaded at most once between `begin` and `end`
   * (`end` frees it). Undefined when the image is too large for one storage binding.
   */
  imageBuffer(image: BgrImage): GPUBuffer | undefined {
    return this.fits(image) ? this.source(image) : undefined;
  }

  /** A session on another backend gets CPU tensors; so does an image too large for one storage binding. */
  private usable(image: BgrImage, target: ModelInput | undefined): boolean {
    return (target === undefined || target.session.backendName === 'webgpu') && this.fits(image);
  }

  private async output(kind: string, dims: readonly number[], target: ModelInput | undefined): Promise<GpuTensor> {
    if (target) return target.session.gpuInput(target.name, dims);
    const bytes = dims.reduce((a, b) => a * b, 1) * 4;
    if (this.encoder) {
      const own = this.device.createBuffer({ size: bytes, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST, label: `pipeline ${kind}` });
      this.recorded.push(own);
      return new GpuTensor('float32', dims, own);
    }
    let buffer = this.scratch.get(kind);
    if (!buffer || buffer.size < bytes) {
      buffer?.destroy();
      buffer = this.device.createBuffer({ size: bytes, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST, label: `pipeline ${kind}` });
      this.scratch.set(kind, buffer);
    }
    return new GpuTensor('float32', dims, buffer);
  }

  /** The packed image must fit one storage binding (adapters allow 128 MiB at least, i.e. ~44 Mpx). */
  private fits(image: BgrImage): boolean {
    // From the size, not `data`: reading a FrameImage's data would draw it on a canvas.
    return Math.ceil((image.width * image.height * 3) / 4) * 4 <= this.device.limits.maxStorageBufferBindingSize;
  }

  /** The image's BGR bytes on the GPU, packed four per 32-bit word; uploaded at most once per image. */
  private source(image: BgrImage): GPUBuffer {
    const held = this.held.get(image);
    if (held) return held;
    if (this.transient?.image === image) return this.transient.buffer;
    this.transient?.buffer.destroy();
    this.transient = { image, buffer: this.upload(image) };
    return this.transient.buffer;
  }

  /** A new buffer with the image's packed bytes. */
  private upload(image: BgrImage): GPUBuffer {
    // A frame not uploaded by `begin` is read on the CPU here (`data`) and takes the bytes route.
    const bytes = image.data;
    const size = Math.ceil(bytes.length / 4) * 4;
    const buffer = this.device.createBuffer({ size, usage: BufferUsage.STORAGE | BufferUsage.COPY_DST, label: 'pipeline image' });
    // writeBuffer takes whole words (and Dawn in Node no SharedArrayBuffer views): copy only when needed.
    const shared = typeof SharedArrayBuffer !== 'undefined' && bytes.buffer instanceof SharedArrayBuffer;
    let data: Uint8Array = bytes;
    if (size !== bytes.length || shared) {
      data = new Uint8Array(size);
      data.set(bytes);
    }
    this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, size);
    return buffer;
  }

  private pipeline(name: string, code: string): Promise<GPUComputePipeline> {
    let p = this.pipelines.get(name);
    if (!p) {
      const module = this.device.createShaderModule({ code, label: name });
      p = this.device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: name });
      p.catch(() => this.pipelines.delete(name));
      this.pipelines.set(name, p);
    }
    return p;
  }

  /**
   * One dispatch: (image, parameters) → output; submitted now, so it runs before the session's next submit, or while
   * recording appended to the recording's encoder.
   */
  private async dispatch(name: string, code: string, image: BgrImage, words: Uint32Array, output: GPUBuffer, groups: readonly [number, number, number]): Promise<void> {
    const pipeline = await this.pipeline(name, code);
    const { device } = this;
    const params = device.createBuffer({ size: words.byteLength, usage: BufferUsage.STORAGE | BufferUsage.COPY_DST, label: `${name} parameters` });
    device.queue.writeBuffer(params, 0, words.buffer, words.byteOffset, words.byteLength);
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      // The bindings both kernels declare in IMAGE_KERNEL_PRELUDE.
      entries: [
        { binding: 0, resource: { buffer: this.source(image) } },
        { binding: 1, resource: { buffer: params } },
        { binding: 2, resource: { buffer: output } },
      ],
      label: name,
    });
    const encoder = this.encoder ?? device.createCommandEncoder({ label: name });
    const pass = encoder.beginComputePass({ label: name });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(...groups);
    pass.end();
    if (this.encoder) { this.recorded.push(params); return; }
    device.queue.submit([encoder.finish()]);
    // Freed once the submitted dispatch has used it (WebGPU defers destruction of in-flight buffers).
    params.destroy();
  }
}
