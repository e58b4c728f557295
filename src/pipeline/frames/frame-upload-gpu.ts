import { BufferUsage, TextureUsage } from '../../backends/webgpu/gpu-constants.js';
import { ImageError } from '../errors.js';
import type { ExternalFrameSource } from './frame-image.js';

/** Threads per workgroup of the packing kernel (one output word each). */
const GROUP = 256;
/** Workgroups along x before the dispatch wraps to y (WebGPU guarantees 65535 per dimension). */
const MAX_GROUPS_X = 32768;

/**
 * Texture → the pre-processing kernels' source layout (IMAGE_KERNEL_PRELUDE): BGR bytes, interleaved, packed four
 * per u32 (byte i in bits 8·(i mod 4) of word i/4). An rgba8unorm texel loads as v/255 in f32, and round(·×255)
 * gives back v exactly, so the bytes equal what the canvas path reads for the same sRGB, opaque pixels.
 */
const PACK_WGSL = /* wgsl */ `
@group(0) @binding(0) var frame: texture_2d<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
// width, height, words, unused.
@group(0) @binding(2) var<uniform> size: vec4<u32>;

// Byte b of the BGR image: pixel b/3, channel b mod 3 (0 = blue, 1 = green, 2 = red).
fn channel(b: u32) -> u32 {
  let p = b / 3u;
  let rgba = textureLoad(frame, vec2<u32>(p % size.x, p / size.x), 0);
  let c = b % 3u;
  let v = select(select(rgba.r, rgba.g, c == 1u), rgba.b, c == 0u);
  return u32(round(v * 255.0));
}

@compute @workgroup_size(${GROUP}, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let w = gid.y * groups.x * ${GROUP}u + gid.x;
  if (w >= size.z) { return; }
  let total = size.x * size.y * 3u;
  var word = 0u;
  for (var k = 0u; k < 4u; k++) {
    let b = w * 4u + k;
    if (b < total) { word |= channel(b) << (8u * k); }
  }
  dst[w] = word;
}
`;

/**
 * Uploads browser frames for the GPU pre-processing: `copyExternalImageToTexture` into an rgba8unorm texture
 * (sRGB, not premultiplied, not flipped), then one dispatch packs it into a storage buffer of the layout the
 * letterbox and warp kernels read. No canvas and no `getImageData` on this path.
 */
export class FrameUploader {
  private pipeline: GPUComputePipeline | undefined;
  /**
   * Whether this browser copies a VideoFrame straight into a texture: undefined until the first frame tells. Some
   * (chromium on SwiftShader) refuse CPU-backed frames; those go through `createImageBitmap`, a copy the browser
   * makes without a canvas.
   */
  private directVideoFrames: boolean | undefined;

  constructor(readonly device: GPUDevice) {}

  /**
   * The frame's BGR bytes in a new storage buffer (the caller destroys it). The texture is freed once the
   * submitted copy and dispatch have used it.
   */
  async upload(source: ExternalFrameSource, width: number, height: number): Promise<GPUBuffer> {
    const { device } = this;
    const words = Math.ceil((width * height * 3) / 4);
    const texture = device.createTexture({
      size: [width, height],
      format: 'rgba8unorm',
      // copyExternalImageToTexture needs RENDER_ATTACHMENT and COPY_DST on its destination.
      usage: TextureUsage.TEXTURE_BINDING | TextureUsage.COPY_DST | TextureUsage.RENDER_ATTACHMENT,
      label: 'pipeline frame',
    });
    try {
      await this.copy(source, texture, width, height);
    } catch (error) {
      texture.destroy();
      throw new ImageError(`the frame could not be copied to the GPU: ${(error as Error).message}`, undefined, { cause: error });
    }
    // COPY_SRC: so a check can read the packed frame back (tests compare it with the browser's own conversions).
    const buffer = device.createBuffer({ size: words * 4, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST, label: 'pipeline image' });
    const uniform = device.createBuffer({ size: 16, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST, label: 'frame size' });
    device.queue.writeBuffer(uniform, 0, new Uint32Array([width, height, words, 0]));
    const pipeline = this.pipeline ??= device.createComputePipeline({
      layout: 'auto', compute: { module: device.createShaderModule({ code: PACK_WGSL, label: 'frame pack' }), entryPoint: 'main' }, label: 'frame pack',
    });
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: texture.createView() },
        { binding: 1, resource: { buffer } },
        { binding: 2, resource: { buffer: uniform } },
      ],
      label: 'frame pack',
    });
    const groups = Math.ceil(words / GROUP);
    const x = Math.min(groups, MAX_GROUPS_X);
    const encoder = device.createCommandEncoder({ label: 'frame pack' });
    const pass = encoder.beginComputePass({ label: 'frame pack' });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, Math.ceil(groups / x), 1);
    pass.end();
    device.queue.submit([encoder.finish()]);
    // WebGPU defers destruction of resources that submitted work still uses.
    texture.destroy();
    uniform.destroy();
    return buffer;
  }

  private async copy(source: ExternalFrameSource, texture: GPUTexture, width: number, height: number): Promise<void> {
    // sRGB and straight alpha: what the canvas path's getImageData returns; the picture is copied at its own size.
    const copy = (from: ExternalFrameSource): void => this.device.queue.copyExternalImageToTexture(
      { source: from, flipY: false },
      { texture, colorSpace: 'srgb', premultipliedAlpha: false },
      [width, height],
    );
    const isVideoFrame = typeof VideoFrame !== 'undefined' && source instanceof VideoFrame;
    if (!isVideoFrame || this.directVideoFrames === true) return copy(source);
    if (this.directVideoFrames === undefined) {
      try {
        copy(source);
        this.directVideoFrames = true;
        return;
      } catch {
        // Refused: this browser's VideoFrames take the bitmap route from now on.
        this.directVideoFrames = false;
      }
    }
    const bitmap = await createImageBitmap(source, { premultiplyAlpha: 'none' });
    try {
      copy(bitmap);
    } finally {
      bitmap.close();
    }
  }
}
