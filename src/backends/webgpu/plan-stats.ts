import { BYTES_PER_ELEMENT, elementCount } from '../../core/ir.js';
import type { GpuDispatch } from '../../ops/kernel/gpu-dispatch.js';
import type { StaticGraph } from '../../graph/specialize.js';
import type { KernelTiers } from '../plan.js';
import { planBuffers } from './buffer-plan.js';
import { lowerGraph, type TieredDispatches } from './lowering.js';
import { activationRequests, isStoredFloat, paddedBytes, storedBytes } from './memory.js';
import { Storage } from '../../ops/kernel/storage.js';
import type { Precision } from '../plan.js';
import { isWinogradDispatch } from '../../ops/conv/winograd-gpu.js';
import { winogradMacs } from '../../ops/conv/winograd.js';
import type { ConvParams } from '../../ops/conv/params.js';
import type { SubgroupMatrixChoice } from '../../ops/tiled-gemm/gpu.js';

/** What one tier of a WebGPU plan costs, counted from its lowering (no device needed). */
export interface TierStats {
  /** Dispatches one run records. */
  readonly dispatches: number;
  /** Distinct WGSL texts: the pipelines the tier compiles. */
  readonly pipelines: number;
  /** The largest split-K scratch binding (the plan backs all of them with one buffer of this size). */
  readonly scratchBytes: number;
  /** Multiply-adds of the GEMM-shaped dispatches (convs, Gemm, MatMul) as the layers need them. */
  readonly usefulMacs: number;
  /** The same dispatches' multiply-adds as their grids compute them: partial tiles in M, N and K computed whole. */
  readonly computedMacs: number;
  /**
   * The share of computed multiply-adds that is tile padding, (computed − useful) / computed: 0 when every tile
   * fits its layer, 0.5 when half the GEMM work is spent on rows, columns or K steps past the layer's edges.
   */
  readonly paddedMacFraction: number;
  /** Dispatches that run on subgroup matrices (each with the normal tile as its fallback). */
  readonly subgroupMatrixDispatches: number;
}

/** A plan's numbers before it runs: per tier, plus memory and the bytes that cross the bus. */
export interface PlanStats {
  readonly steps: number;
  /** Steps without a WGSL kernel for their types, run on the CPU between GPU segments. */
  readonly cpuSteps: number;
  readonly generic: TierStats;
  readonly specialized: TierStats;
  /** Weights, folded constants and kernel data uploaded once, at compile (as the precision stores them). */
  readonly uploadedBytes: number;
  /** Graph inputs written per run. */
  readonly inputBytesPerRun: number;
  /** Graph outputs read back per run. */
  readonly readBackBytesPerRun: number;
  /** The pooled activation slots, plus with fp16 the float32 buffers at the boundary (inputs' twins, outputs' copies). */
  readonly activationBytes: number;
  /**
   * Conv layers the specialised tier runs as Winograd F(2×2, 3×3): how many, their MACs in direct form, and the
   * multiplies of their Winograd form (output tiles past the plane's edge included).
   */
  readonly winograd: { readonly layers: number; readonly directMacs: number; readonly multiplies: number };
}

function tierStats(lowered: readonly (TieredDispatches | undefined)[], pick: (l: TieredDispatches) => readonly GpuDispatch[] | undefined): TierStats {
  const all = lowered.flatMap((l) => (l ? pick(l) ?? [] : []));
  const usefulMacs = all.reduce((sum, d) => sum + (d.macs?.useful ?? 0), 0);
  const computedMacs = all.reduce((sum, d) => sum + (d.macs?.computed ?? 0), 0);
  return {
    usefulMacs,
    computedMacs,
    paddedMacFraction: computedMacs === 0 ? 0 : (computedMacs - usefulMacs) / computedMacs,
    dispatches: all.length,
    subgroupMatrixDispatches: all.filter((d) => d.fallbackShader !== undefined).length,
    pipelines: new Set(all.map((d) => d.shader)).size,
    scratchBytes: all.reduce((most, d) => d.bindings.reduce((m, b) => (b.kind === 'scratch' ? Math.max(m, b.bytes) : m), most), 0),
  };
}

/**
 * The numbers a WebGPU plan of `graph` would have (`npm run bench -- --plan-stats`), from the same lowering and
 * buffer planning as WebGpuPlan.compile, on an adapter of the given kind: `software` picks the simple kernel
 * variants as SwiftShader does; `precision` 'fp16' counts the plan that stores weights and activations as halves,
 * with `subgroupMatrix` as a device offering that configuration would run it.
 */
export function webGpuPlanStats(graph: StaticGraph, options: {
  readonly software: boolean; readonly maxWorkgroupsPerDimension?: number; readonly precision?: Precision; readonly subgroupMatrix?: SubgroupMatrixChoice;
}): PlanStats {
  const tier: KernelTiers = 'tiered';
  const storage = options.precision === 'fp16' ? Storage.f16 : Storage.f32;
  const lowered = lowerGraph(graph, tier, options.software, options.maxWorkgroupsPerDimension ?? 65535, storage, options.subgroupMatrix);
  const used = new Set<string>();
  const data = new Set<object>();
  let uploadedBytes = 0;
  graph.steps.forEach((step, i) => {
    const l = lowered.dispatches[i];
    if (!l) return;
    for (const d of [...(l.specialized ?? []), ...(l.generic ?? [])]) {
      for (const b of d.bindings) {
        if (b.kind === 'input') {
          const name = step.inputs[b.index]!;
          const root = lowered.roots.get(name);
          if (root?.kind === 'const' && !used.has(root.name)) { used.add(root.name); uploadedBytes += storedBytes(lowered.types.get(root.name)!, storage); }
        } else if ((b.kind === 'data' || b.kind === 'uniform') && !data.has(b.data)) {
          data.add(b.data);
          const half = b.kind === 'data' && storage.half && b.exact !== true && b.data instanceof Float32Array;
          uploadedBytes += Math.ceil((half ? b.data.length * 2 : b.data.byteLength) / 4) * 4;
        }
      }
    }
  });
  const winograd = { layers: 0, directMacs: 0, multiplies: 0 };
  graph.steps.forEach((step, i) => {
    if (!lowered.dispatches[i]?.specialized?.some(isWinogradDispatch)) return;
    const macs = winogradMacs(step.params as ConvParams);
    winograd.layers++;
    winograd.directMacs += macs.direct;
    winograd.multiplies += macs.winograd;
  });
  const bytesOf = (name: string): number => { const t = lowered.types.get(name)!; return elementCount(t.dims) * BYTES_PER_ELEMENT[t.type]; };
  return {
    steps: graph.steps.length,
    cpuSteps: lowered.placement.filter((p) => p === 'cpu').length,
    generic: tierStats(lowered.dispatches, (l) => l.generic ?? l.specialized),
    specialized: tierStats(lowered.dispatches, (l) => l.specialized),
    uploadedBytes,
    inputBytesPerRun: graph.inputs.reduce((s, v) => s + elementCount(v.type.dims) * BYTES_PER_ELEMENT[v.type.type], 0),
    readBackBytesPerRun: graph.outputs.filter((o) => lowered.roots.get(o)?.kind !== 'const').reduce((s, o) => s + bytesOf(o), 0),
    activationBytes: planBuffers(activationRequests(graph, lowered, storage).requests, graph.steps.length).peakBytes
      + graph.inputs.reduce((s, v) => s + (isStoredFloat(v.type, storage) ? storedBytes(v.type, storage) : 0), 0)
      + [...new Set(graph.outputs)].reduce((s, o) => {
        const t = lowered.types.get(o)!;
        return s + (lowered.roots.get(o)?.kind === 'slot' && isStoredFloat(t, storage) ? paddedBytes(t) : 0);
      }, 0),
    winograd,
  };
}
