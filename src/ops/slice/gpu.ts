import type { GpuKernel } from '../kernel/gpu-kernel.js';
import { Storage } from '../kernel/storage.js';
import type { SliceParams } from './cpu.js';
import { elementwiseDispatch, strides, wordType } from '../kernel/wgsl.js';

/** Slice (any steps, negative included) of a 32-bit element type: out[i] = in[base + Σ coord·step·stride]. */
export const sliceGpu: GpuKernel<SliceParams> = {
  lower({ params, inputs, maxWorkgroupsPerDimension, storage: st = Storage.f32 }) {
    const word = inputs[0] && wordType(inputs[0].type);
    const t = word && st.element(word);
    if (!t) return undefined;
    const inStrides = strides(params.inDims);
    const outStrides = strides(params.outDims);
    const count = params.outDims.reduce((a, d) => a * d, 1);
    if (count === 0) return { kind: 'dispatches', dispatches: [] };
    const base = params.starts.reduce((a, s, k) => a + s * inStrides[k]!, 0);
    const terms = params.outDims.map((d, a) => {
      if (d === 1) return '';
      const coord = `i32((i / ${outStrides[a]}u) % ${d}u)`;
      return `  o += ${coord} * ${params.steps[a]! * inStrides[a]!};`;
    }).filter((s) => s !== '');
    const d = elementwiseDispatch(count, maxWorkgroupsPerDimension, [{ kind: 'input', index: 0 }, { kind: 'output', index: 0 }],
      ['x', 'y'], [t, t], `  var o = ${base};\n${terms.join('\n')}\n  y[i] = x[u32(o)];`);
    return { kind: 'dispatches', dispatches: [d] };
  },
};
