import type { GpuKernel } from '../kernel/gpu-kernel.js';
import type { ReshapeParams } from './cpu.js';

/** Reshape, Flatten, Squeeze, Unsqueeze: the output is the input's buffer under new dims. */
export const reshapeGpu: GpuKernel<ReshapeParams> = {
  lower() {
    return { kind: 'alias' };
  },
};
