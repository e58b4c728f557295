import type { UnaryParams } from '../unary/cpu.js';

/**
 * What graph fusion may append to a producing op (Conv, Gemm): a residual add, then an activation.
 * y = act(y + residual). PRelu carries its per-channel slope.
 */
export type Epilogue =
  | { readonly kind: 'none'; readonly residual?: boolean; readonly residualUpsample?: ResidualUpsample }
  | { readonly kind: 'unary'; readonly unary: UnaryParams; readonly residual?: boolean; readonly residualUpsample?: ResidualUpsample }
  | { readonly kind: 'prelu'; readonly slope: Float32Array; readonly residual?: boolean; readonly residualUpsample?: ResidualUpsample };

/**
 * The residual is a coarser map read by nearest upsampling: output pixel (y, x) of each plane adds residual pixel
 * (⌊y / factorY⌋, ⌊x / factorX⌋) of the same plane. A nearest Resize whose mapping graph/fuse-resize-into-residual.ts
 * proved to be this one (the FPN top-down path: lateral 1×1 conv + upsampled coarser level) joins the Add this way.
 */
export interface ResidualUpsample {
  readonly factorY: number;
  readonly factorX: number;
  /** The residual's plane. */
  readonly inH: number;
  readonly inW: number;
  /** The producer's output plane. */
  readonly outH: number;
  readonly outW: number;
}
