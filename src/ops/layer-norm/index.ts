import { implement, type OpFamily } from '../kernel/op-family.js';
import { layerNorm } from './cpu.js';
import { layerNormGpu } from './gpu.js';

export type { LayerNormParams } from './cpu.js';
export { layerNorm, layerNormGpu };

export const layerNormFamily: OpFamily = { name: 'layer-norm', implementations: [implement(layerNorm, layerNormGpu)] };
