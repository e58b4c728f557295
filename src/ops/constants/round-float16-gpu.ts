import type { GpuKernel } from '../kernel/gpu-kernel.js';
import { Storage } from '../kernel/storage.js';
import { elementwiseDispatch } from '../kernel/wgsl.js';

/**
 * f32 → nearest f16 value → f32 on the bits, without `shader-f16` (core WGSL's pack2x16float leaves the rounding and
 * out-of-range results to the implementation). Matches `roundToFloat16` bit for bit: NaN kept, |x| ≥ 65520 → ∞,
 * normals keep 10 mantissa bits rounded half to even, subnormals are multiples of 2⁻²⁴ (`round` is half to even).
 */
const ROUND_TO_F16 = /* wgsl */ `
fn round_to_f16(x: f32) -> f32 {
  let bits = bitcast<u32>(x);
  let sign = bits & 0x80000000u;
  let magnitude = bits & 0x7fffffffu;
  var rounded: u32;
  if (magnitude > 0x7f800000u) {
    rounded = magnitude;
  } else if (magnitude >= 0x477ff000u) {
    rounded = 0x7f800000u;
  } else if (magnitude >= 0x38800000u) {
    let lsb = (magnitude >> 13u) & 1u;
    rounded = (magnitude + 0xfffu + lsb) & 0xffffe000u;
  } else {
    rounded = bitcast<u32>(round(bitcast<f32>(magnitude) * 16777216.0) * 5.9604644775390625e-8);
  }
  return bitcast<f32>(sign | rounded);
}
`;

/** The WGSL lowering of RoundToFloat16: one elementwise pass. */
export const roundToFloat16Gpu: GpuKernel<Record<string, never>> = {
  lower({ inputs, outputs, maxWorkgroupsPerDimension, storage = Storage.f32 }) {
    // Other input types (a Cast to FLOAT16 of float64 or integers) round on the CPU.
    if (inputs[0]?.type !== 'float32') return undefined;
    // With f16 storage (precision 'fp16') the value is already held as a half: the cast changes nothing more.
    if (storage.half) return { kind: 'alias' };
    const count = outputs[0]!.dims.reduce((a, d) => a * d, 1);
    if (count === 0) return { kind: 'dispatches', dispatches: [] };
    const d = elementwiseDispatch(count, maxWorkgroupsPerDimension, [{ kind: 'input', index: 0 }, { kind: 'output', index: 0 }],
      ['x', 'y'], ['f32', 'f32'], '  y[i] = round_to_f16(x[i]);', ROUND_TO_F16);
    return { kind: 'dispatches', dispatches: [d] };
  },
};
