import { elementCount, type TensorData } from '../../core/ir.js';
import { findGpuKernel } from '../../ops/registry.js';
import type { GpuDispatch } from '../../ops/kernel/gpu-dispatch.js';
import type { GpuLowering } from '../../ops/kernel/gpu-kernel.js';
import type { ValueType } from '../../ops/kernel/op-module.js';
import { ShapeValues } from '../../ops/kernel/shape-values.js';
import { Storage } from '../../ops/kernel/storage.js';
import { withNodeContext, type StaticGraph } from '../../graph/specialize.js';
import type { KernelTiers } from '../plan.js';
import { withSubgroupMatrix, type SubgroupMatrixChoice } from '../../ops/tiled-gemm/gpu.js';

/** Where a value lives: an activation slot, a graph input's buffer, or a constant (weights, folded values). */
export type Root = { readonly kind: 'slot'; readonly name: string } | { readonly kind: 'input'; readonly name: string } | { readonly kind: 'const'; readonly name: string };

/** A step runs dispatches, its CPU reference, or nothing (a relabelled view of its input's buffer). */
export type Placement = 'gpu' | 'cpu' | 'alias';

/** A step's dispatches in each tier the plan compiles (undefined for a tier it does not). */
export interface TieredDispatches<T = readonly GpuDispatch[]> {
  readonly specialized?: T;
  readonly generic?: T;
}

/** Every step of a graph lowered for the tiers a plan compiles, with where each value lives. */
export interface LoweredGraph {
  /** Per step: its dispatches per tier when it is placed on the GPU, else undefined. */
  readonly dispatches: readonly (TieredDispatches | undefined)[];
  readonly placement: readonly Placement[];
  readonly roots: ReadonlyMap<string, Root>;
  readonly types: ReadonlyMap<string, ValueType>;
}

/** The dispatches of the tier a plan runs first: the specialised ones when those are all it compiles. */
export function firstTierOf<T>(tier: KernelTiers, l: TieredDispatches<T>): T {
  return tier === 'specialized' ? l.specialized! : (l.generic ?? l.specialized!);
}

/**
 * Lowers every step for each tier the plan compiles: dispatches, a buffer alias, or the CPU reference. The choice
 * between those three depends on types only, so both tiers make the same one. The generic tier asks for the
 * simple kernel variants: they compile fastest. `storage` is what float32 values are stored as; with f16 every
 * shader starts with its `enable f16;` directive. `matrix`, on an f16 plan whose device has subgroup matrices, lets the
 * specialised GEMMs run on them (each such dispatch carries the normal kernel as its fallbackShader).
 */
export function lowerGraph(graph: StaticGraph, tier: KernelTiers, software: boolean, maxWorkgroupsPerDimension: number, storage = Storage.f32,
  matrix?: SubgroupMatrixChoice): LoweredGraph {
  const types = new Map<string, ValueType>();
  const roots = new Map<string, Root>();
  for (const input of graph.inputs) { types.set(input.name, input.type); roots.set(input.name, { kind: 'input', name: input.name }); }
  for (const [name, t] of graph.constants) { types.set(name, { type: t.type, dims: t.dims }); roots.set(name, { kind: 'const', name }); }
  const placement: Placement[] = [];
  const dispatches = graph.steps.map((step): TieredDispatches | undefined => {
    step.outputs.forEach((o, k) => { if (o) types.set(o, step.outputTypes[k]!); });
    const kernel = findGpuKernel(step.node.opType, step.node.domain);
    // A step whose every output is empty (a zero dim) writes nothing, so it needs no kernel: lowered, kernels would
    // divide by that zero in their index arithmetic (Transpose, Resize: a shader-creation error), negate a u32
    // (MatMul with no rows) or bind an input smaller than their vector element (Conv of a zero batch).
    const empty = step.outputTypes.length > 0 && step.outputTypes.every((t) => elementCount(t.dims) === 0);
    const lower = (generic: boolean): GpuLowering | undefined => kernel && empty ? { kind: 'dispatches', dispatches: [] } : kernel && withDirective(storage, withNodeContext(step.node, () => withSubgroupMatrix(generic || !storage.half ? undefined : matrix, () => kernel.lower({
      node: step.node, params: step.params, outputs: step.outputTypes, maxWorkgroupsPerDimension,
      software: generic || software, softwareAdapter: software, shape: generic ? ShapeValues.uniform() : ShapeValues.literal(),
      inputs: step.inputs.map((n) => (n ? types.get(n) : undefined)),
      constants: step.inputs.map((n): TensorData | undefined => (n ? graph.constants.get(n) : undefined)),
      storage,
    }))));
    const specialized = tier === 'generic' ? undefined : lower(false);
    const generic = tier === 'specialized' ? undefined : lower(true);
    const lowering = specialized ?? generic;
    if (lowering?.kind === 'alias') {
      roots.set(step.outputs[0]!, roots.get(step.inputs[0]!)!);
    } else {
      step.outputs.forEach((o) => { if (o) roots.set(o, { kind: 'slot', name: o }); });
    }
    placement.push(lowering === undefined ? 'cpu' : lowering.kind === 'alias' ? 'alias' : 'gpu');
    if (lowering?.kind !== 'dispatches') return undefined;
    return {
      specialized: specialized?.kind === 'dispatches' ? specialized.dispatches : undefined,
      generic: generic?.kind === 'dispatches' ? generic.dispatches : undefined,
    };
  });
  return { dispatches, placement, roots, types };
}

/** The lowering with the storage's directive at the top of every shader (WGSL wants directives before anything). */
function withDirective(storage: Storage, lowering: GpuLowering | undefined): GpuLowering | undefined {
  if (!storage.half || lowering?.kind !== 'dispatches') return lowering;
  return {
    kind: 'dispatches',
    dispatches: lowering.dispatches.map((d) => ({
      ...d, shader: storage.directive + d.shader, ...(d.fallbackShader === undefined ? {} : { fallbackShader: storage.directive + d.fallbackShader }),
    })),
  };
}
