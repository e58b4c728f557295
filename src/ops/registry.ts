import { argReduceFamily } from './arg-reduce/index.js';
import { batchNormFamily } from './batch-norm/index.js';
import { binaryFamily } from './binary/index.js';
import { concatFamily } from './concat/index.js';
import { constantsFamily } from './constants/index.js';
import { convFamily } from './conv/index.js';
import { expandFamily } from './expand/index.js';
import { gatherFamily } from './gather/index.js';
import { gemmFamily } from './gemm/index.js';
import { instanceNormFamily } from './instance-norm/index.js';
import type { GpuKernel } from './kernel/gpu-kernel.js';
import type { OpFamily } from './kernel/op-family.js';
import type { OpModule } from './kernel/op-module.js';
import { layerNormFamily } from './layer-norm/index.js';
import { mathFamily } from './math/index.js';
import { padFamily } from './pad/index.js';
import { poolFamily } from './pool/index.js';
import { reduceFamily } from './reduce/index.js';
import { reshapeFamily } from './reshape/index.js';
import { resizeFamily } from './resize/index.js';
import { sliceFamily } from './slice/index.js';
import { softmaxFamily } from './softmax/index.js';
import { splitFamily } from './split/index.js';
import { transposeFamily } from './transpose/index.js';
import { unaryFamily } from './unary/index.js';

/** Every op family; the registry below is derived from what each declares. */
export const OP_FAMILIES: readonly OpFamily[] = [
  argReduceFamily, batchNormFamily, binaryFamily, concatFamily, constantsFamily, convFamily, expandFamily, gatherFamily, gemmFamily, instanceNormFamily, layerNormFamily, mathFamily, padFamily, poolFamily,
  reduceFamily, reshapeFamily, resizeFamily, sliceFamily, softmaxFamily, splitFamily, transposeFamily, unaryFamily,
];

/** Where one ONNX op type is implemented: its family, its module, its GPU kernel or why it has none. */
export interface OpSupport {
  readonly opType: string;
  /** '' for ai.onnx; ENGINE_DOMAIN for the ops only the engine's passes make. */
  readonly domain: string;
  readonly family: string;
  readonly module: OpModule<unknown>;
  readonly gpu: GpuKernel<unknown> | undefined;
  /** Why the op runs only on the CPU, when its family marks it so. */
  readonly cpuOnly: string | undefined;
}

/** The registry's key: ai.onnx's op types under their own names, other domains' as `domain.opType`. */
const qualified = (opType: string, domain: string): string => (domain === '' || domain === 'ai.onnx' ? opType : `${domain}.${opType}`);

const BY_OP_TYPE = new Map<string, OpSupport>();
for (const family of OP_FAMILIES) {
  for (const impl of family.implementations) {
    const domain = impl.module.domain ?? '';
    for (const opType of impl.module.opTypes) {
      const cpuOnly = impl.cpuOnly?.opTypes.includes(opType) ? impl.cpuOnly.why : undefined;
      BY_OP_TYPE.set(qualified(opType, domain), {
        opType, domain, family: family.name, module: impl.module as OpModule<unknown>,
        gpu: cpuOnly === undefined ? (impl.gpu as GpuKernel<unknown> | undefined) : undefined, cpuOnly,
      });
    }
  }
}

/** The op module implementing an op type of the default domain (or of ENGINE_DOMAIN), if any. */
export function findOpModule(opType: string, domain = ''): OpModule<unknown> | undefined {
  return BY_OP_TYPE.get(qualified(opType, domain))?.module;
}

/** The WGSL kernel for an op type of the default domain (or of ENGINE_DOMAIN), if there is one. */
export function findGpuKernel(opType: string, domain = ''): GpuKernel<unknown> | undefined {
  return BY_OP_TYPE.get(qualified(opType, domain))?.gpu;
}

/** Every op type the engine accepts, sorted: ai.onnx's by name, the engine's own as `ENGINE_DOMAIN.opType`. */
export function supportedOpTypes(): string[] {
  return [...BY_OP_TYPE.keys()].sort();
}

/** How each accepted op type is implemented, in `supportedOpTypes` order. */
export function opSupport(): OpSupport[] {
  return supportedOpTypes().map((t) => BY_OP_TYPE.get(t)!);
}
