import type { GpuKernel } from './gpu-kernel.js';
import type { OpModule } from './op-module.js';

/**
 * One op module and its WGSL lowering: which ONNX op types it implements (the module's `opTypes`) and on which
 * backends. Every op type runs on the CPU; it runs on the GPU when `gpu` is given and it is not named in
 * `cpuOnly`, whose reason says why it needs no kernel there.
 */
export interface OpImplementation {
  readonly module: OpModule<never>;
  readonly gpu: GpuKernel<never> | undefined;
  readonly cpuOnly: { readonly opTypes: readonly string[]; readonly why: string } | undefined;
}

/** An op family (a folder of ops/): the implementations it contributes to the registry. */
export interface OpFamily {
  readonly name: string;
  readonly implementations: readonly OpImplementation[];
}

/** Pairs a module with its GPU kernel; both consume the same params, which the types check here. */
export function implement<P>(module: OpModule<P>, gpu: GpuKernel<P> | undefined, cpuOnly?: { readonly opTypes: readonly string[]; readonly why: string }): OpImplementation {
  return { module: module as unknown as OpModule<never>, gpu: gpu as unknown as GpuKernel<never> | undefined, cpuOnly };
}
