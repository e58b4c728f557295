import type { CastParams } from './cpu.js';
import type { GpuKernel } from '../kernel/gpu-kernel.js';
import { elementwiseDispatch, wordType } from '../kernel/wgsl.js';

/** Cast between float32, int32 and uint32 (truncating toward zero like the CPU reference); other types use the CPU. */
export const castGpu: GpuKernel<CastParams> = {
  lower({ params, inputs, outputs, maxWorkgroupsPerDimension }) {
    // A cast to the input's own type (float16 → float32 after widenFloat16) changes nothing.
    if (inputs[0]?.type === params.to) return { kind: 'alias' };
    const from = inputs[0] && wordType(inputs[0].type);
    const to = wordType(params.to);
    if (!from || !to) return undefined;
    const count = outputs[0]!.dims.reduce((a, d) => a * d, 1);
    if (count === 0) return { kind: 'dispatches', dispatches: [] };
    const d = elementwiseDispatch(count, maxWorkgroupsPerDimension, [{ kind: 'input', index: 0 }, { kind: 'output', index: 0 }],
      ['x', 'y'], [from, to], `  y[i] = ${to}(x[i]);`);
    return { kind: 'dispatches', dispatches: [d] };
  },
};
