import { readNumber } from '../../core/ir.js';
import type { GatherParams } from './cpu.js';
import type { GpuBinding } from '../kernel/gpu-dispatch.js';
import type { GpuKernel } from '../kernel/gpu-kernel.js';
import { Storage } from '../kernel/storage.js';
import { elementwiseDispatch, wordType } from '../kernel/wgsl.js';

/**
 * Gather of a 32-bit element type with indices known at load time (the only case in these models' graphs):
 * the indices are normalised and range-checked once, then uploaded as u32. Run-time indices stay on the CPU.
 */
export const gatherGpu: GpuKernel<GatherParams> = {
  lower({ params, inputs, constants, maxWorkgroupsPerDimension, storage: st = Storage.f32 }) {
    const word = inputs[0] && wordType(inputs[0].type);
    const t = word && st.element(word);
    const idx = constants[1];
    if (!t || !idx) return undefined;
    const axisDim = params.inDims[params.axis]!;
    const values = new Uint32Array(idx.data.length);
    for (let j = 0; j < values.length; j++) {
      let v = readNumber(idx.data, j);
      if (v < 0) v += axisDim;
      // Out-of-range indices are reported by the CPU reference with its own error; defer to it.
      if (v < 0 || v >= axisDim) return undefined;
      values[j] = v;
    }
    const inner = params.inDims.slice(params.axis + 1).reduce((a, d) => a * d, 1);
    const count = values.length;
    const total = params.outDims.reduce((a, d) => a * d, 1);
    if (total === 0) return { kind: 'dispatches', dispatches: [] };
    const bindings: GpuBinding[] = [{ kind: 'input', index: 0 }, { kind: 'output', index: 0 }, { kind: 'data', data: values }];
    const d = elementwiseDispatch(total, maxWorkgroupsPerDimension, bindings, ['x', 'y', 'indices'], [t, t, 'u32'],
      `  let e = i % ${inner}u;
  let j = (i / ${inner}u) % ${count}u;
  let o = i / ${inner * count}u;
  y[i] = x[(o * ${axisDim}u + indices[j]) * ${inner}u + e];`);
    return { kind: 'dispatches', dispatches: [d] };
  },
};
