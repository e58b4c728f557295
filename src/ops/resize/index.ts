import { implement, type OpFamily } from '../kernel/op-family.js';
import { resize } from './cpu.js';
import { resizeGpu } from './gpu.js';

export type { ResizeParams } from './cpu.js';
export { resize, resizeGpu };

export const resizeFamily: OpFamily = { name: 'resize', implementations: [implement(resize, resizeGpu)] };
