import { implement, type OpFamily } from '../kernel/op-family.js';
import { softmax } from './cpu.js';
import { softmaxGpu } from './gpu.js';

export type { SoftmaxParams } from './cpu.js';
export { softmax, softmaxGpu };

export const softmaxFamily: OpFamily = { name: 'softmax', implementations: [implement(softmax, softmaxGpu)] };
