import type { TensorData } from '../../core/ir.js';
import { applyEpilogue, residualValues } from './cpu.js';
import { type Epilogue } from './params.js';

/**
 * The same result as `applyEpilogue`, with the common fused activations (Relu, Clip, PRelu, with or without a
 * residual) as one monomorphic pass per channel plane and the per-channel slope hoisted out of the inner loop.
 * Anything else goes to the reference.
 */
export function applyEpilogueFast(epilogue: Epilogue, y: Float32Array, channels: number, plane: number, residual?: TensorData): void {
  const r = epilogue.residual ? residualValues(epilogue, residual!, y.length) : undefined;
  if (epilogue.kind === 'none') {
    if (r) for (let i = 0; i < y.length; i++) y[i] += r[i]!;
    return;
  }
  if (epilogue.kind === 'prelu') {
    const slope = epilogue.slope;
    const perChannel = slope.length === channels;
    for (let start = 0, ch = 0; start < y.length; start += plane, ch = (ch + 1) % channels) {
      const s = slope[perChannel ? ch : 0]!;
      preluPlane(y, start, start + plane, s, r);
    }
    return;
  }
  const { kind, alpha, beta } = epilogue.unary;
  if (kind === 'Relu') clampRange(y, 0, Infinity, r);
  else if (kind === 'Clip') clampRange(y, alpha, beta, r);
  else applyEpilogue(epilogue, y, channels, plane, residual);
}

/** y = clamp(y + r, lo, hi) with Clip's comparison order (NaN passes through). */
function clampRange(y: Float32Array, lo: number, hi: number, r: Float32Array | undefined): void {
  const n = y.length;
  if (r) {
    for (let i = 0; i < n; i++) {
      const v = y[i]! + r[i]!;
      y[i] = v < lo ? lo : v > hi ? hi : v;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = y[i]!;
      y[i] = v < lo ? lo : v > hi ? hi : v;
    }
  }
}

function preluPlane(y: Float32Array, start: number, end: number, slope: number, r: Float32Array | undefined): void {
  for (let i = start; i < end; i++) {
    // Round the residual sum to float32 first, as the reference does by storing it.
    const v = r ? Math.fround(y[i]! + r[i]!) : y[i]!;
    y[i] = v < 0 ? v * slope : v;
  }
}
