import type { SimdKernels } from '../wasm/runtime.js';
import type { Epilogue } from './params.js';

/**
 * An epilogue a SIMD kernel path applies itself, in the arena, before copying its result out: a clamp (Relu,
 * Clip) or a PRelu with one slope per output channel. Only epilogues without a residual qualify.
 */
export type SimdActivation =
  | { readonly kind: 'clamp'; readonly bounds: readonly [number, number] }
  | { readonly kind: 'prelu'; readonly slope: Float32Array };

/**
 * The SIMD form of an epilogue over `channels` output channels, or undefined when it has a residual or another
 * activation (the caller then runs the JS epilogue). Semantics match `applyEpilogueFast`: clamp as
 * `v < lo ? lo : v > hi ? hi : v`, PRelu as `v < 0 ? v · slope : v`.
 */
export function simdActivation(epilogue: Epilogue, channels: number): SimdActivation | undefined {
  if (epilogue.residual) return undefined;
  if (epilogue.kind === 'prelu') {
    const { slope } = epilogue;
    if (slope.length === channels) return { kind: 'prelu', slope };
    return slope.length === 1 ? { kind: 'prelu', slope: new Float32Array(channels).fill(slope[0]!) } : undefined;
  }
  if (epilogue.kind !== 'unary') return undefined;
  const { kind, alpha, beta } = epilogue.unary;
  if (kind === 'Relu') return { kind: 'clamp', bounds: [0, Infinity] };
  if (kind === 'Clip') return { kind: 'clamp', bounds: [alpha, beta] };
  return undefined;
}

/** Arena floats an activation's parameters take for `channels` channels (a multiple of 4). */
export function activationFloats(act: SimdActivation | undefined, channels: number): number {
  if (!act) return 0;
  return act.kind === 'clamp' ? 4 : Math.ceil(channels / 4) * 4;
}

/** Writes the parameters at `off`: the bounds, or the slopes of channels first…first+channels (zero past the last). */
export function stageActivation(arena: Float32Array, off: number, act: SimdActivation | undefined, first: number, channels: number): void {
  if (!act) return;
  if (act.kind === 'clamp') {
    arena.set(act.bounds, off);
    return;
  }
  const end = Math.min(act.slope.length, first + channels);
  arena.set(act.slope.subarray(first, end), off);
  arena.fill(0, off + end - first, off + activationFloats(act, channels));
}

/**
 * Applies the activation in place to `repeats` × `channels` rows of `count4` v128 from float `ptr`, row i being
 * channel i mod channels, with the parameters staged at float `off`.
 */
export function runActivation(kernels: SimdKernels, act: SimdActivation | undefined, off: number, ptr: number, count4: number, channels: number, repeats: number): void {
  if (!act) return;
  if (act.kind === 'clamp') kernels.clamp(4 * ptr, count4 * channels * repeats, 4 * off);
  else kernels.prelu(4 * ptr, count4, channels, 4 * off, repeats);
}
