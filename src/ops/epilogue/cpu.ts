import type { TensorData } from '../../core/ir.js';
import { unaryFunction } from '../unary/cpu.js';
import type { Epilogue } from './params.js';

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
