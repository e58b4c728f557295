/** The one-euro filter's parameters (Casiez, Roussel and Vogel, CHI 2012); coordinates in pixels, time in seconds. */
export interface OneEuroParams {
  /** Cutoff frequency (Hz) at rest: lower removes more jitter from a still face. */
  readonly minCutoff: number;
  /** How fast the cutoff rises with speed (Hz per pixel/s): higher lags less behind a moving face. */
  readonly beta: number;
  /** Cutoff frequency (Hz) of the speed estimate itself. */
  readonly dCutoff: number;
}

/** Defaults for pixel coordinates at video rates: strong smoothing at rest, little lag at a few hundred pixels/s. */
export const DEFAULT_ONE_EURO: OneEuroParams = { minCutoff: 1, beta: 0.05, dCutoff: 1 };

/** Smoothing factor of a first-order low-pass filter with this cutoff, for a step of dt seconds. */
function alpha(cutoff: number, dt: number): number {
  const tau = 1 / (2 * Math.PI * cutoff);
  return 1 / (1 + tau / dt);
}

/**
 * A one-euro filter over a vector of coordinates (a box, keypoints, landmarks): each value has its own adaptive
 * cutoff, driven by that value's filtered speed. The first sample passes unchanged.
 */
export class OneEuroFilter {
  private value: Float64Array | undefined;
  private speed: Float64Array | undefined;
  private time = 0;

  constructor(private readonly params: OneEuroParams) {}

  /** Filters one sample taken at `time` seconds; returns the smoothed values (float32, same length). */
  filter(sample: ArrayLike<number>, time: number): Float32Array {
    const prev = this.value;
    const dt = time - this.time;
    // A new length (a track whose landmarks appear) or a non-increasing clock restarts the filter.
    if (!prev || prev.length !== sample.length || !(dt > 0)) {
      this.value = Float64Array.from(sample);
      this.speed = new Float64Array(sample.length);
      this.time = time;
      return Float32Array.from(sample);
    }
    const speed = this.speed!;
    const aSpeed = alpha(this.params.dCutoff, dt);
    for (let i = 0; i < sample.length; i++) {
      const raw = (sample[i]! - prev[i]!) / dt;
      speed[i] = speed[i]! + aSpeed * (raw - speed[i]!);
      const a = alpha(this.params.minCutoff + this.params.beta * Math.abs(speed[i]!), dt);
      prev[i] = prev[i]! + a * (sample[i]! - prev[i]!);
    }
    this.time = time;
    return Float32Array.from(prev);
  }
}
