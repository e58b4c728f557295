import type { BatchNormParams } from './cpu.js';
import type { GpuKernel } from '../kernel/gpu-kernel.js';
import { Storage } from '../kernel/storage.js';
import { elementwiseDispatch, f32 } from '../kernel/wgsl.js';

/**
 * A BatchNormalization left standing after folding: a per-channel affine y = x·a + b. With constant statistics
 * a and b are computed once here exactly as the CPU reference does; otherwise the shader derives them.
 */
export const batchNormGpu: GpuKernel<BatchNormParams> = {
  lower({ params, inputs, outputs, constants, maxWorkgroupsPerDimension, shape, storage: st = Storage.f32 }) {
    if (inputs[0]?.type !== 'float32') return undefined;
    const count = outputs[0]!.dims.reduce((a, d) => a * d, 1);
    const channelOf = `(i / ${shape.u('plane', params.plane)}) % ${shape.u('channels', params.channels)}`;
    const stats = constants.slice(1, 5);
    if (stats.every((s) => s !== undefined)) {
      const [scale, bias, mean, variance] = stats.map((s) => s!.data as Float32Array) as [Float32Array, Float32Array, Float32Array, Float32Array];
      const ab = new Float32Array(2 * params.channels);
      for (let c = 0; c < params.channels; c++) {
        const a = Math.fround(scale[c]! / Math.fround(Math.sqrt(Math.fround(variance[c]! + params.epsilon))));
        ab[2 * c] = a;
        ab[2 * c + 1] = Math.fround(bias[c]! - Math.fround(mean[c]! * a));
      }
      const d = elementwiseDispatch(count, maxWorkgroupsPerDimension, [{ kind: 'input', index: 0 }, { kind: 'output', index: 0 }, { kind: 'data', data: ab }],
        ['x', 'y', 'ab'], ['f32', 'f32', 'f32'], `  let c = ${channelOf};\n  y[i] = ${st.store(`${st.load('x[i]')} * ${st.load('ab[2u * c]')} + ${st.load('ab[2u * c + 1u]')}`)};`, '', shape, st);
      return { kind: 'dispatches', dispatches: [d] };
    }
    const d = elementwiseDispatch(count, maxWorkgroupsPerDimension,
      [{ kind: 'input', index: 0 }, { kind: 'output', index: 0 }, { kind: 'input', index: 1 }, { kind: 'input', index: 2 }, { kind: 'input', index: 3 }, { kind: 'input', index: 4 }],
      ['x', 'y', 'scale', 'bias', 'mean', 'variance'], new Array<string>(6).fill('f32'),
      `  let c = ${channelOf};
  let a = ${st.load('scale[c]')} / sqrt(${st.load('variance[c]')} + ${f32(params.epsilon)});
  y[i] = ${st.store(`${st.load('x[i]')} * a + (${st.load('bias[c]')} - ${st.load('mean[c]')} * a)`)};`, '', shape, st);
    return { kind: 'dispatches', dispatches: [d] };
  },
};
