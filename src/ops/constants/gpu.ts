import type { CastParams } from './cpu.js';
import type { GpuKernel } from '../kernel/gpu-kernel.js';
import { Storage } from '../kernel/storage.js';
import { elementwiseDispatch, wordType } from '../kernel/wgsl.js';

/**
 * Float to integer as onnxruntime converts on x86, where WGSL saturates (ONNX leaves out-of-range values undefined;
 * this keeps the WebGPU backend's answer onnxruntime's): truncation toward zero; to int32 a NaN, an infinity or a
 * value outside (-2^31 - 1, 2^31) becomes INT32_MIN, the processor's "integer indefinite"; to uint32 a value in
 * (-2^31, 2^32) gives the low 32 bits of its truncation (-2.7 gives 4294967294, as in the CPU reference), a larger
 * one 0 and a NaN or one from -2^31 down 2^31.
 */
const FLOAT_TO_INT = `fn castI32(v: f32) -> i32 {
  if (isNan(v) || abs(v) >= 2147483648.0f) { return bitcast<i32>(0x80000000u); }
  return i32(v);
}
fn castU32(v: f32) -> u32 {
  if (isNan(v) || v <= -2147483648.0f) { return 0x80000000u; }
  if (v >= 4294967296.0f) { return 0u; }
  return select(u32(v), bitcast<u32>(i32(v)), v < 0.0f);
}`;

/** Cast between float32, int32 and uint32 (truncating toward zero like the CPU reference); other types use the CPU. */
export const castGpu: GpuKernel<CastParams> = {
  lower({ params, inputs, outputs, maxWorkgroupsPerDimension, storage: st = Storage.f32 }) {
    // A cast to the input's own type (float16 → float32 after widenFloat16) changes nothing.
    if (inputs[0]?.type === params.to) return { kind: 'alias' };
    const fromWord = inputs[0] && wordType(inputs[0].type);
    const toWord = wordType(params.to);
    if (!fromWord || !toWord) return undefined;
    // Stored floats convert like any other: f16(i32) and i32(f16) are WGSL conversions too.
    const from = st.element(fromWord);
    const to = st.element(toWord);
    const count = outputs[0]!.dims.reduce((a, d) => a * d, 1);
    if (count === 0) return { kind: 'dispatches', dispatches: [] };
    const floatToInt = fromWord === 'f32' && toWord !== 'f32';
    const value = floatToInt ? `${toWord === 'i32' ? 'castI32' : 'castU32'}(f32(x[i]))` : `${to}(x[i])`;
    const d = elementwiseDispatch(count, maxWorkgroupsPerDimension, [{ kind: 'input', index: 0 }, { kind: 'output', index: 0 }],
      ['x', 'y'], [from, to], `  y[i] = ${value};`, floatToInt ? FLOAT_TO_INT : '');
    return { kind: 'dispatches', dispatches: [d] };
  },
};
