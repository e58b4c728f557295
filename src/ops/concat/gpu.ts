import type { ConcatParams } from './cpu.js';
import type { GpuDispatch } from '../kernel/gpu-dispatch.js';
import type { GpuKernel } from '../kernel/gpu-kernel.js';
import { Storage } from '../kernel/storage.js';
import { elementwiseDispatch, wordType } from '../kernel/wgsl.js';

/** Concat of a 32-bit element type: one copy dispatch per input into its slab of the output (any input count). */
export const concatGpu: GpuKernel<ConcatParams> = {
  lower({ params, inputs, outputs, maxWorkgroupsPerDimension, storage: st = Storage.f32 }) {
    const word = wordType(outputs[0]!.type);
    const t = word && st.element(word);
    if (!t) return undefined;
    const { axis, outDims } = params;
    const inner = outDims.slice(axis + 1).reduce((a, d) => a * d, 1);
    const outRow = outDims[axis]! * inner;
    const dispatches: GpuDispatch[] = [];
    let offset = 0;
    inputs.forEach((v, index) => {
      if (!v) return;
      const row = v.dims[axis]! * inner;
      const count = v.dims.reduce((a, d) => a * d, 1);
      if (count > 0) {
        dispatches.push(elementwiseDispatch(count, maxWorkgroupsPerDimension, [{ kind: 'input', index }, { kind: 'output', index: 0 }],
          ['x', 'y'], [t, t], `  y[(i / ${row}u) * ${outRow}u + ${offset}u + i % ${row}u] = x[i];`));
      }
      offset += row;
    });
    return { kind: 'dispatches', dispatches };
  },
};
