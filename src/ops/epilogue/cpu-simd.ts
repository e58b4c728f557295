import type { SimdKernels } from '../wasm/runtime.js';
import type { TensorData } from '../../core/ir.js';
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

/**
 * What a SIMD conv path applies itself: the activation, and the residual (a tensor of the output's shape) added
 * before it. With a residual the path works on its compacted NCHW result, so a PRelu then needs whole v128 planes.
 */
export interface SimdEpilogue {
  readonly act?: SimdActivation;
  readonly residual?: Float32Array;
}

/**
 * The SIMD form of a conv epilogue over `channels` planes of `plane` floats (`outLength` in all), or undefined when the JS epilogue
 * must run (a nearest-upsampled residual, another activation, or a PRelu with a residual on planes that are not
 * whole v128). The residual add is the same single float32 addition as the JS epilogue's, before the activation.
 */
export function simdEpilogue(epilogue: Epilogue, channels: number, plane: number, outLength: number, residual: TensorData | undefined): SimdEpilogue | undefined {
  const act = simdActivation({ ...epilogue, residual: false }, channels);
  if (!epilogue.residual) return act ? { act } : undefined;
  if (epilogue.residualUpsample || !(residual?.data instanceof Float32Array) || residual.data.length !== outLength) return undefined;
  if (epilogue.kind !== 'none' && !act) return undefined;
  if (act?.kind === 'prelu' && plane % 4 !== 0) return undefined;
  return { act, residual: residual.data };
}

/** Arena floats the epilogue takes: the activation's parameters, then one batch item of residual plus a v128 of slack. */
export function epilogueFloats(e: SimdEpilogue | undefined, channels: number, itemFloats: number): number {
  if (!e) return 0;
  return activationFloats(e.act, channels) + (e.residual ? Math.ceil(itemFloats / 4) * 4 + 4 : 0);
}

/**
 * The epilogue on a compacted block of `channels` planes of `plane` floats at float `ptr` (with a v128 of slack
 * after it), channels first…first+channels of batch item `item`: adds the residual's matching block, staged at
 * `off` + the activation's floats for `channels` (as staged), then applies the activation. Does nothing without a residual (the activation
 * then ran on the strided rows already).
 */
export function runCompactEpilogue(
  kernels: SimdKernels, arena: Float32Array, e: SimdEpilogue | undefined, off: number, ptr: number,
  allChannels: number, first: number, channels: number, plane: number, item: number,
): void {
  if (!e?.residual) return;
  const resOff = off + activationFloats(e.act, channels);
  const start = (item * allChannels + first) * plane;
  const count = channels * plane;
  arena.set(e.residual.subarray(start, start + count), resOff);
  const count4 = Math.ceil(count / 4);
  kernels.binary.Add.vv(4 * ptr, 4 * resOff, 4 * ptr, count4);
  if (e.act?.kind === 'clamp') kernels.clamp(4 * ptr, count4, 4 * off);
  else if (e.act) kernels.prelu(4 * ptr, plane / 4, channels, 4 * off, 1);
}
