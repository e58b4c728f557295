/**
 * Whether an fp16 plan's GEMMs run on subgroup matrices: the adapter facts that decide it, as plain data, so the
 * choice is tested without a device (tests/webgpu/subgroup-matrix-feature.test.ts).
 */
import type { Precision } from '../plan.js';
import type { SubgroupMatrixChoice, SubgroupMatrixConfig } from '../../ops/tiled-gemm/gpu.js';

/** Dawn's name of the subgroup-matrix feature (tensor-core tiles); it needs 'subgroups' as well. */
export const SUBGROUP_MATRIX_FEATURE = 'chromium-experimental-subgroup-matrix';

/** What the subgroup-matrix choice reads of an adapter (or a device and its adapter info): plain data. */
export interface MatrixAdapterFacts {
  readonly features: { has(name: string): boolean };
  readonly info?: { readonly subgroupMatrixConfigs?: readonly SubgroupMatrixConfig[]; readonly subgroupMaxSize?: number };
}

const positiveInteger = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x > 0;

/**
 * The subgroup-matrix configuration an fp16 plan's GEMMs use, or undefined: only with precision 'fp16', `mode`
 * 'auto' (the default), shader-f16, subgroups and the feature offered, and a configuration of f16 components with
 * f16 or f32 results (f32 results preferred: the sums over K then stay f32 inside the matrices). Other component
 * types (f32, integers) do not fit f16 storage and are never chosen.
 */
export function chooseSubgroupMatrix(adapter: MatrixAdapterFacts, precision: Precision | undefined, mode: 'auto' | 'off' | undefined): SubgroupMatrixChoice | undefined {
  if ((mode ?? 'auto') !== 'auto' || precision !== 'fp16') return undefined;
  if (!['shader-f16', 'subgroups', SUBGROUP_MATRIX_FEATURE].every((f) => adapter.features.has(f))) return undefined;
  const subgroupMaxSize = adapter.info?.subgroupMaxSize;
  if (!positiveInteger(subgroupMaxSize)) return undefined;
  const usable = (adapter.info?.subgroupMatrixConfigs ?? []).filter((c) => c.componentType === 'f16'
    && (c.resultComponentType === 'f16' || c.resultComponentType === 'f32') && positiveInteger(c.M) && positiveInteger(c.N) && positiveInteger(c.K));
  const config = usable.find((c) => c.resultComponentType === 'f32') ?? usable[0];
  if (!config) return undefined;
  return {
    config: { componentType: 'f16', resultComponentType: config.resultComponentType as 'f16' | 'f32', M: config.M, N: config.N, K: config.K },
    subgroupMaxSize,
  };
}
