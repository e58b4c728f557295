import { implement, type OpFamily } from '../kernel/op-family.js';
import { conv } from './cpu.js';
import { convGpu } from './gpu.js';

export type { ConvParams } from './params.js';
export { conv, convGpu };

export const convFamily: OpFamily = { name: 'conv', implementations: [implement(conv, convGpu)] };
