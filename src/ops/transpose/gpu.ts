import type { GpuKernel } from '../kernel/gpu-kernel.js';
import { Storage } from '../kernel/storage.js';
import type { TransposeParams } from './cpu.js';
import { elementwiseDispatch, gatherOffset, strides, wordType } from '../kernel/wgsl.js';

/** Transpose of any 32-bit element type: each output element gathers from the permuted input offset. */
export const transposeGpu: GpuKernel<TransposeParams> = {
  lower({ params, inputs, maxWorkgroupsPerDimension, shape, storage: st = Storage.f32 }) {
    const word = inputs[0] && wordType(inputs[0].type);
    const t = word && st.element(word);
    if (!t) return undefined;
    const inStrides = strides(params.inDims);
    const step = params.perm.map((p) => inStrides[p]!);
    const count = params.outDims.reduce((a, d) => a * d, 1);
    const d = elementwiseDispatch(count, maxWorkgroupsPerDimension, [{ kind: 'input', index: 0 }, { kind: 'output', index: 0 }],
      ['x', 'y'], [t, t], `  var o = 0u;\n${gatherOffset('i', params.outDims, step, 'o', shape)}\n  y[i] = x[o];`, '', shape);
    return { kind: 'dispatches', dispatches: [d] };
  },
};
