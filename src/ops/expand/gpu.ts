import type { GpuKernel } from '../kernel/gpu-kernel.js';
import { Storage } from '../kernel/storage.js';
import { elementwiseDispatch, strides, wordType } from '../kernel/wgsl.js';
import type { RepeatParams } from './cpu.js';

/**
 * Expand and Tile of a 32-bit element type, one thread per output: each output coordinate reads the input at
 * (coordinate mod the input's extent), the reference's rule. Axes where the input has extent 1 read coordinate 0
 * and are skipped; axes it spans whole (no repeat) need no modulo.
 */
export const repeatGpu: GpuKernel<RepeatParams> = {
  lower({ params: p, inputs, maxWorkgroupsPerDimension, shape: s, storage: st = Storage.f32 }) {
    const word = inputs[0] && wordType(inputs[0].type);
    if (!word) return undefined;
    const t = st.element(word);
    const count = p.outDims.reduce((a, d) => a * d, 1);
    if (count === 0) return { kind: 'dispatches', dispatches: [] };
    const outStrides = strides(p.outDims);
    const inStrides = strides(p.inDims);
    const lines = p.outDims.flatMap((d, a) => {
      if (p.inDims[a] === 1) return [];
      const coord = `(i / ${s.u(`over${a}`, outStrides[a]!)}) % ${s.u(`dim${a}`, d)}`;
      const wrapped = p.inDims[a] === d ? coord : `(${coord}) % ${s.u(`in${a}`, p.inDims[a]!)}`;
      return [`  o += ${wrapped} * ${s.u(`step${a}`, inStrides[a]!)};`];
    });
    const d = elementwiseDispatch(count, maxWorkgroupsPerDimension, [{ kind: 'input', index: 0 }, { kind: 'output', index: 0 }],
      ['x', 'y'], [t, t], `  var o = 0u;\n${lines.join('\n')}\n  y[i] = x[o];`, '', s);
    return { kind: 'dispatches', dispatches: [d] };
  },
};
