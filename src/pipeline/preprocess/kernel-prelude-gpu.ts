import { TABLE_OFFSET } from './normalisation-gpu.js';

/**
 * What both image kernels (letterbox, warp crops) start with, so their bindings and byte handling cannot drift
 * apart: binding 0 the BGR bytes packed four per u32 word, 1 the parameter words (the kernel's header, the
 * normalisation table at TABLE, then its own tables), 2 the float32 output; GpuPreprocessor binds them in this order.
 */
export const IMAGE_KERNEL_PRELUDE = /* wgsl */ `
@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read> params: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

const TABLE: u32 = ${TABLE_OFFSET}u;

// Byte i of the image: WebGPU buffers are little-endian, so byte i is bits 8·(i mod 4) of word i/4.
fn pixel(i: u32) -> i32 {
  return i32((src[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu);
}

// The blob's f32(v − mean)·f32(1/std) for byte value v, looked up in the CPU path's own float32 table.
fn normalised(v: i32) -> f32 {
  return bitcast<f32>(params[TABLE + u32(v)]);
}
`;
