import { implement, type OpFamily } from '../kernel/op-family.js';
import { transpose } from './cpu.js';
import { transposeGpu } from './gpu.js';

export type { TransposeParams } from './cpu.js';
export { transpose, transposeGpu };

export const transposeFamily: OpFamily = { name: 'transpose', implementations: [implement(transpose, transposeGpu)] };
