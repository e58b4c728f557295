import { nodeLabel } from '../../core/ir.js';
import type { GpuBinding, GpuDispatch } from '../../ops/kernel/gpu-dispatch.js';
import type { PlannedStep, StaticGraph } from '../../graph/specialize.js';
import type { KernelTiers } from '../plan.js';
import { firstTierOf, type LoweredGraph, type Placement } from './lowering.js';
import type { LayoutSignature, PipelineCache } from './pipeline-cache.js';

/** What names a dispatch's pipeline in the cache. */
export interface PipelineKey {
  readonly shader: string;
  readonly signature: LayoutSignature;
  readonly label: string;
  /** The WGSL compiled instead when `shader` fails (GpuDispatch.fallbackShader). */
  readonly fallback?: string;
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
  return Promise.allSettled(tier.flatMap((ds) => ds.map((d) => cache.get(d.shader, d.signature, d.label, d.fallback))));
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

/** How pipelines and bind groups of a step are labelled (errors name the node). */
export function stepLabel(step: PlannedStep): string {
  return `${nodeLabel(step.node)} (${step.node.opType})`;
}

function keyOf(d: GpuDispatch, label: string): PipelineKey {
  const key = { shader: d.shader, signature: d.bindings.map(bindingSignature).join(''), label };
  return d.fallbackShader === undefined ? key : { ...key, fallback: d.fallbackShader };
}

/** The pipelines of the tier a plan runs first, per GPU step: they need only the lowering's WGSL, no buffer. */
export function firstTierKeys(graph: StaticGraph, lowered: LoweredGraph, tier: KernelTiers): PipelineKey[][] {
  return graph.steps.flatMap((step, i) => {
    const l = lowered.dispatches[i];
    if (!l) return [];
    return [firstTierOf(tier, l).map((d) => keyOf(d, stepLabel(step)))];
  });
}

/** The pipelines of the specialised tier, per step that has one (see firstTierKeys). */
export function specializedTierKeys(graph: StaticGraph, lowered: LoweredGraph): PipelineKey[][] {
  return graph.steps.flatMap((step, i) => {
    const ds = lowered.dispatches[i]?.specialized;
    return ds ? [ds.map((d) => keyOf(d, stepLabel(step)))] : [];
  });
}

/** Both tiers' prepared dispatches per GPU step, and the tier a plan runs first. */
export interface PreparedTiers {
  readonly specializedTier: Tier<PreparedDispatch>;
  readonly genericTier: Tier<PreparedDispatch>;
  readonly firstTier: Tier<PreparedDispatch>;
}

/**
 * Prepares (bind groups and buffers, through `prepare`) every GPU step's dispatches of both tiers. With
 * 'specialized' kernels there is no generic lowering, so the generic tier repeats the specialised one; kernels that
 * take no ShapeValues (Concat, Slice…) still give a generic-tier lowering, just with literal numbers.
 */
export function prepareTiers(
  graph: StaticGraph, lowered: LoweredGraph, tier: KernelTiers,
  prepare: (step: PlannedStep, label: string, dispatches: readonly GpuDispatch[] | undefined) => PreparedDispatch[] | undefined,
): PreparedTiers {
  const specializedTier: (readonly PreparedDispatch[])[] = [];
  const genericTier: (readonly PreparedDispatch[])[] = [];
  const firstTier: (readonly PreparedDispatch[])[] = [];
  graph.steps.forEach((step, i) => {
    const l = lowered.dispatches[i];
    if (!l) return;
    const spec = prepare(step, stepLabel(step), l.specialized);
    const gen = prepare(step, stepLabel(step), l.generic);
    if (spec) specializedTier.push(spec);
    genericTier.push(gen ?? spec!);
    firstTier.push(firstTierOf(tier, { specialized: spec, generic: gen }));
  });
  return { specializedTier, genericTier, firstTier };
}
