import type { TensorData } from '../../core/ir.js';
import { unaryFunction } from '../unary/cpu.js';
import type { Epilogue, ResidualUpsample } from './params.js';

/** Applies an epilogue in place on NC(HW) data; `residual` is the extra input when `epilogue.residual`. */
export function applyEpilogue(epilogue: Epilogue, y: Float32Array, channels: number, plane: number, residual?: TensorData): void {
  if (epilogue.residual) {
    const r = residualValues(epilogue, residual!, y.length);
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

/**
 * The residual's values at the producer's output positions: its data, or with `residualUpsample` each output
 * pixel's nearest coarse pixel (so the fused form adds exactly what Resize then Add would).
 */
export function residualValues(epilogue: Epilogue, residual: TensorData, count: number): Float32Array {
  const r = residual.data as Float32Array;
  const up = epilogue.residualUpsample;
  return up ? upsampleNearest(r, up, count) : r;
}

function upsampleNearest(r: Float32Array, up: ResidualUpsample, count: number): Float32Array {
  const { factorY, factorX, inH, inW, outH, outW } = up;
  const out = new Float32Array(count);
  const planes = count / (outH * outW);
  for (let plane = 0; plane < planes; plane++) {
    for (let y = 0; y < outH; y++) {
      const src = (plane * inH + Math.floor(y / factorY)) * inW;
      const dst = (plane * outH + y) * outW;
      for (let x = 0; x < outW; x++) out[dst + x] = r[src + Math.floor(x / factorX)]!;
    }
  }
  return out;
}
