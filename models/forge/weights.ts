/**
 * Weight recipes for replicas. Trained weights are not available, so each tensor is drawn from the seeded
 * PRNG with a scale that keeps activations O(1) through the whole network: He-style fan-in scaling for
 * conv/linear weights, and BatchNorm statistics near the identity. Nothing here tries to be "meaningful".
 */
import type { Prng } from './prng.js';

/** ReLU halves the second moment; a gain of √2 restores it (He et al.). */
export const RELU_GAIN = Math.SQRT2;
/** PReLU with slope a keeps (1 + a²)/2 of the second moment. */
export function preluGain(slope: number): number {
  return Math.sqrt(2 / (1 + slope * slope));
}

/** Conv weight [cout, cinPerGroup, kh, kw] with std gain/√fan_in. */
export function convWeight(prng: Prng, cout: number, cinPerGroup: number, kh: number, kw: number, gain: number): Float32Array {
  const fanIn = cinPerGroup * kh * kw;
  return prng.fill(cout * fanIn, gain / Math.sqrt(fanIn));
}

/** Small biases: real folded biases are not zero, and zero biases would hide bias-handling bugs. */
export function smallBias(prng: Prng, count: number, std = 0.02, mean = 0): Float32Array {
  return prng.fill(count, std, mean);
}

export interface BatchNormStats {
  readonly scale: Float32Array;
  readonly bias: Float32Array;
  readonly mean: Float32Array;
  readonly variance: Float32Array;
}

/**
 * BatchNorm parameters close to the identity (scale ≈ 1, small shift, running mean ≈ 0, variance ≈ 1),
 * varied per channel so that a kernel mixing up channels shows.
 */
export function nearIdentityBatchNorm(prng: Prng, channels: number, options: { scale?: number; meanShift?: number; varianceScale?: number } = {}): BatchNormStats {
  const scale = options.scale ?? 1;
  const meanShift = options.meanShift ?? 0;
  const varianceScale = options.varianceScale ?? 1;
  return {
    scale: prng.fillRange(channels, 0.8 * scale, 1.2 * scale),
    bias: prng.fill(channels, 0.05),
    mean: prng.fill(channels, 0.05 * Math.max(1, Math.sqrt(varianceScale)), meanShift),
    variance: prng.fillRange(channels, 0.8 * varianceScale, 1.2 * varianceScale),
  };
}

/** PReLU slopes around 0.25 (PyTorch's and MXNet's initial value). */
export function preluSlopes(prng: Prng, channels: number): Float32Array {
  return prng.fillRange(channels, 0.2, 0.3);
}
