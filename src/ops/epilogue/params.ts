import type { UnaryParams } from '../unary/cpu.js';

/**
 * What graph fusion may append to a producing op (Conv, Gemm): a residual add, then an activation.
 * y = act(y + residual). PRelu carries its per-channel slope.
 */
export type Epilogue =
  | { readonly kind: 'none'; readonly residual?: boolean }
  | { readonly kind: 'unary'; readonly unary: UnaryParams; readonly residual?: boolean }
  | { readonly kind: 'prelu'; readonly slope: Float32Array; readonly residual?: boolean };
