import type { TensorData } from '../../core/ir.js';
import type { GpuBinding } from '../kernel/gpu-dispatch.js';
import type { ConvParams } from './params.js';

/**
 * Load-time transforms of a conv's constant data for the GEMM kernels: weights transposed to K-major order and the
 * im2col index table. Both are made once per weight tensor or layer shape and shared by the plan's tiers (the
 * plan uploads each data array once, by identity).
 */

const kMajorCache = new WeakMap<Float32Array, Float32Array>();

/**
 * ONNX conv weights [M][Cg·taps] (per group: Mg rows of K = Cg·taps, channel-major) as [group][K][Mg] with K
 * tap-major (kIdx = tap·Cg + ci): for one K index the output channels are adjacent, so a workgroup's lanes load a
 * K row of its A tile as consecutive words (coalesced, and vec4 when Mg % 4 == 0) and store it to workgroup memory
 * without bank conflicts; and with Cg a multiple of the K tile each K tile lies within one window tap.
 */
export function kMajorWeights(w: Float32Array, group: number, mg: number, cg: number, taps: number): Float32Array {
  const cached = kMajorCache.get(w);
  if (cached) return cached;
  const k = cg * taps;
  const out = new Float32Array(group * k * mg);
  for (let z = 0; z < group; z++) {
    for (let row = 0; row < mg; row++) {
      const src = (z * mg + row) * k;
      for (let ci = 0; ci < cg; ci++) {
        for (let tap = 0; tap < taps; tap++) out[(z * k + tap * cg + ci) * mg + row] = w[src + ci * taps + tap]!;
      }
    }
  }
  kMajorCache.set(w, out);
  return out;
}

/**
 * A constant float32 weight's kMajorWeights as a kernel's data binding, repacked when the plan first uploads it:
 * lowering (and the pipeline requests that follow it) need only the shader text, not the repacked numbers.
 */
export function kMajorBinding(weight: TensorData, group: number, mg: number, cg: number, taps: number): GpuBinding {
  return { kind: 'data', get data(): Float32Array { return kMajorWeights(weight.data as Float32Array, group, mg, cg, taps); } };
}

/** Window taps up to this count get a per-pixel validity mask (one u32); larger windows test each element. */
export const MAX_MASKED_TAPS = 32;

const tableCache = new Map<string, Int32Array>();

/**
 * The im2col gather's index table, one vec4<i32> per K index (tap-major, kIdx = tap·Cg + ci, as kMajorWeights
 * orders K): the input offset ci·H·W + dy·W + dx of that tap relative to the window's corner, the tap, the
 * channel, and 0. The kernel adds the offset to the pixel's corner and tests the tap's bit of a mask it computed
 * once per pixel, so the gather has no division and one bounds test per (pixel, tap).
 */
export function im2colTable(p: ConvParams): Int32Array {
  const [, c, h, w] = p.inDims;
  const [kh, kw] = p.kernel;
  const [dh, dw] = p.dilations;
  const cg = c / p.group;
  const key = [cg, h, w, kh, kw, dh, dw].join();
  const cached = tableCache.get(key);
  if (cached) return cached;
  const taps = kh * kw;
  const table = new Int32Array(cg * taps * 4);
  for (let tap = 0; tap < taps; tap++) {
    const dy = Math.floor(tap / kw) * dh;
    const dx = (tap % kw) * dw;
    for (let ci = 0; ci < cg; ci++) {
      const e = (tap * cg + ci) * 4;
      table[e] = ci * h * w + dy * w + dx;
      table[e + 1] = tap;
      table[e + 2] = ci;
    }
  }
  // Layers of one model repeat a handful of shapes; the cache stays that small.
  if (tableCache.size > 256) tableCache.clear();
  tableCache.set(key, table);
  return table;
}
