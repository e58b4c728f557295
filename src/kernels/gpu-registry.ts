import { batchNormGpu } from './batch-norm.gpu.js';
import { binaryGpu } from './binary.gpu.js';
import { concatGpu } from './concat.gpu.js';
import { castGpu } from './constants.gpu.js';
import { convGpu } from './conv.gpu.js';
import { gatherGpu } from './gather.gpu.js';
import { gemmGpu, matMulGpu } from './gemm.gpu.js';
import type { GpuKernel } from './kernel-api.gpu.js';
import { poolGpu } from './pool.gpu.js';
import { reshapeGpu } from './reshape.gpu.js';
import { resizeGpu } from './resize.gpu.js';
import { sliceGpu } from './slice.gpu.js';
import { transposeGpu } from './transpose.gpu.js';
import { identityGpu, unaryGpu } from './unary.gpu.js';

const KERNELS: readonly GpuKernel<never>[] = [
  batchNormGpu, binaryGpu, concatGpu, castGpu, convGpu, gatherGpu, gemmGpu, matMulGpu, poolGpu, reshapeGpu,
  resizeGpu, sliceGpu, transposeGpu, identityGpu, unaryGpu,
] as unknown as readonly GpuKernel<never>[];

const BY_OP_TYPE = new Map<string, GpuKernel<unknown>>();
for (const k of KERNELS) for (const op of k.opTypes) BY_OP_TYPE.set(op, k as GpuKernel<unknown>);

/** The WGSL kernel for an ONNX op type of the default domain, if there is one. */
export function findGpuKernel(opType: string, domain = ''): GpuKernel<unknown> | undefined {
  if (domain !== '' && domain !== 'ai.onnx') return undefined;
  return BY_OP_TYPE.get(opType);
}
