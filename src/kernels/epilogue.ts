import type { TensorData } from '../parser/ir.js';
import { unaryFunction, type UnaryParams } from './unary.js';

/**
 * What graph fusion may append to a producing op (Conv, Gemm): a residual add, then an activation.
 * y = act(y + residual). PRelu carries its per-channel slope.
 */
export type Epilogue =
  | { readonly kind: 'none'; readonly residual?: boolean }
  | { readonly kind: 'unary'; readonly unary: UnaryParams; readonly residual?: boolean }
  | { readonly kind: 'prelu'; readonly slope: Float32Array; readonly residual?: boolean };

/** Applies an epilogue in place on NC(HW) data; `residual` is the extra input when `epilogue.residual`. */
export function applyEpilogue(epilogue: Epilogue, y: Float32Array, channels: number, plane: number, residual?: TensorData): void {
  if (epilogue.residual) {
    const r = residual!.data as Float32Array;
    for (let i = 0; i < y.length; i++) y[i] += r[i]!;
  }
  if (epilogue.kind === 'unary') {
    const f = unaryFunction(epilogue.unary);
    if (epilogue.unary.kind === 'Relu') {
      for (let i = 0; i < y.length; i++) if (y[i]! < 0) y[i] = 0;
    } else {
      for (let i = 0; i < y.length; i++) y[i] = f(y[i]!);
    }
  } else if (epilogue.kind === 'prelu') {
    const slope = epilogue.slope;
    const perChannel = slope.length === channels;
    for (let i = 0; i < y.length; i++) {
      const v = y[i]!;
      if (v < 0) y[i] = v * slope[perChannel ? Math.floor(i / plane) % channels : 0]!;
    }
  }
}
