import type { GpuKernel } from '../kernel/gpu-kernel.js';
import { ShapeValues } from '../kernel/shape-values.js';
import { Storage } from '../kernel/storage.js';
import { elementwiseDispatch, wordType } from '../kernel/wgsl.js';
import type { SplitParams } from './cpu.js';

/**
 * Split of a 32-bit element type: one copy dispatch per non-empty output, each thread one output element, read from
 * its row's slab of the input. Each output is its own buffer (no views), as each may be consumed and freed apart.
 */
export const splitGpu: GpuKernel<SplitParams> = {
  lower({ params: p, inputs, maxWorkgroupsPerDimension, shape: s, storage: st = Storage.f32 }) {
    const word = inputs[0] && wordType(inputs[0].type);
    if (!word) return undefined;
    const t = st.element(word);
    const dispatches = p.sizes.flatMap((size, k) => {
      const run = size * p.inner;
      const count = p.outer * run;
      if (count === 0) return [];
      // Each dispatch has its own uniforms (count, grid): the context's set would hold one value per name.
      const sk = s.generic ? ShapeValues.uniform() : ShapeValues.literal();
      const body = `  let r = i / ${sk.u('run', run)};
  y[i] = x[r * ${sk.u('row', p.axisSize * p.inner)} + ${sk.u('start', p.starts[k]! * p.inner)} + i % ${sk.u('run', run)}];`;
      return [elementwiseDispatch(count, maxWorkgroupsPerDimension, [{ kind: 'input', index: 0 }, { kind: 'output', index: k }], ['x', 'y'], [t, t], body, '', sk)];
    });
    return { kind: 'dispatches', dispatches };
  },
};
