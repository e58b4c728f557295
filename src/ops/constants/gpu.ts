import type { CastParams } from './cpu.js';
import type { GpuKernel } from '../kernel/gpu-kernel.js';
import { Storage } from '../kernel/storage.js';
import { elementwiseDispatch, wordType } from '../kernel/wgsl.js';

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
    const d = elementwiseDispatch(count, maxWorkgroupsPerDimension, [{ kind: 'input', index: 0 }, { kind: 'output', index: 0 }],
      ['x', 'y'], [from, to], `  y[i] = ${to}(x[i]);`);
    return { kind: 'dispatches', dispatches: [d] };
  },
};
