import { implement, type OpFamily } from '../kernel/op-family.js';
import { gemm, matMul } from './cpu.js';
import { gemmGpu, matMulGpu } from './gpu.js';

export type { GemmParams, MatMulParams } from './cpu.js';
export { gemm, gemmGpu, matMul, matMulGpu };

export const gemmFamily: OpFamily = { name: 'gemm', implementations: [implement(gemm, gemmGpu), implement(matMul, matMulGpu)] };
