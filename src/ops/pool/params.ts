/** Pooling parameters, resolved for concrete shapes (shared by the CPU paths and the WGSL lowering). */
export interface PoolParams {
  readonly kind: 'max' | 'average';
  readonly global: boolean;
  readonly kernel: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly dilations: readonly [number, number];
  readonly pads: readonly [number, number, number, number];
  readonly countIncludePad: boolean;
  readonly inDims: readonly [number, number, number, number];
  readonly outDims: readonly [number, number, number, number];
  readonly rank: number;
}
