import type { GpuKernel } from './kernel-api.gpu.js';
import type { ReshapeParams } from './reshape.js';

/** Reshape, Flatten, Squeeze, Unsqueeze: the output is the input's buffer under new dims. */
export const reshapeGpu: GpuKernel<ReshapeParams> = {
  opTypes: ['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze'],
  lower() {
    return { kind: 'alias' };
  },
};
