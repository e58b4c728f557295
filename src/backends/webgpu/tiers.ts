import type { GpuBinding } from '../../ops/kernel/gpu-dispatch.js';
import type { Placement } from './lowering.js';
import type { LayoutSignature, PipelineCache } from './pipeline-cache.js';

/** What names a dispatch's pipeline in the cache. */
export interface PipelineKey {
  readonly shader: string;
  readonly signature: LayoutSignature;
  readonly label: string;
}

/** A dispatch with its bind group made and its pipeline not yet requested. */
export interface PreparedDispatch extends PipelineKey {
  readonly bindGroup: GPUBindGroup;
  readonly workgroups: readonly [number, number, number];
}

export interface CompiledDispatch {
  readonly pipeline: GPUComputePipeline;
  readonly bindGroup: GPUBindGroup;
  readonly workgroups: readonly [number, number, number];
}

/** One tier's work per GPU step, in step order. */
export type Tier<D> = readonly (readonly D[])[];

/** What a run executes, in order: a GPU step's dispatches, or a step's CPU reference. */
export type Item =
  | { readonly kind: 'gpu'; readonly step: number; readonly dispatches: readonly CompiledDispatch[] }
  | { readonly kind: 'cpu'; readonly step: number };

export function bindingSignature(b: GpuBinding): string {
  return b.kind === 'output' || b.kind === 'scratch' ? 'w' : b.kind === 'uniform' ? 'u' : 'r';
}

/**
 * Requests every pipeline of a tier at once (the driver may compile them in parallel). Settled, so a failure waits
 * for whoever assembles the tier instead of becoming an unhandled rejection.
 */
export function requestPipelines(cache: PipelineCache, tier: Tier<PipelineKey>): Promise<PromiseSettledResult<GPUComputePipeline>[]> {
  return Promise.allSettled(tier.flatMap((ds) => ds.map((d) => cache.get(d.shader, d.signature, d.label))));
}

/** The tier's dispatches with the pipelines `requestPipelines` gave for the same tier, or its first failure. */
export async function assembleTier(tier: Tier<PreparedDispatch>, requested: Promise<PromiseSettledResult<GPUComputePipeline>[]>): Promise<CompiledDispatch[][]> {
  const settled = await requested;
  const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
  const pipelines = (settled as PromiseFulfilledResult<GPUComputePipeline>[]).map((r) => r.value);
  let next = 0;
  return tier.map((ds) => ds.map((d) => ({ pipeline: pipelines[next++]!, bindGroup: d.bindGroup, workgroups: d.workgroups })));
}

export function compileTier(cache: PipelineCache, tier: Tier<PreparedDispatch>): Promise<CompiledDispatch[][]> {
  return assembleTier(tier, requestPipelines(cache, tier));
}

/** The run order of a compiled tier: its dispatch lists for 'gpu' steps, CPU references between them. */
export function itemsOf(placement: readonly Placement[], tier: Tier<CompiledDispatch>): Item[] {
  const items: Item[] = [];
  let gpuIndex = 0;
  placement.forEach((where, step) => {
    if (where === 'gpu') items.push({ kind: 'gpu', step, dispatches: tier[gpuIndex++]! });
    else if (where === 'cpu') items.push({ kind: 'cpu', step });
  });
  return items;
}
