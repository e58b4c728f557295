import { implement, type OpFamily } from '../kernel/op-family.js';
import { binary } from './cpu.js';
import { binaryGpu } from './gpu.js';

export type { BinaryParams } from './cpu.js';
export { binary, binaryGpu };

export const binaryFamily: OpFamily = {
  name: 'binary',
  implementations: [implement(binary, binaryGpu, {
    opTypes: ['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual'],
    why: 'comparisons give bool masks, which only shape arithmetic uses; that folds at load time',
  })],
};
