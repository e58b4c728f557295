/**
 * The bound the fp16 path (WebGPU precision 'fp16') is held to against the fp32 path, per model: max relative error
 * of every output (max |fp16 − fp32| / max |fp32|), and the goldens' own tolerances for what the pipeline compares.
 * Where the numbers come from: `npx tsx bench/node/bench-fp16-bound.ts` (the CPU emulation, every stored value
 * rounded to binary16, f32 arithmetic) measured, at full size on the goldens' photo:
 *   scrfd_2.5g@640 6.9e-3, scrfd_500m@640 2.0e-2, mobilefacenet 5.3e-3, tiny heads ≤ 5.4e-4, inswapper_w128 5.6e-3;
 *   forged replicas (seeded inputs): w600k_r50 1.3e-3, det_10g@640 6.6e-3, 1k3d68 6.9e-4, 2d106det 6.7e-4, genderage 1.1e-4;
 *   t1.jpg: 6/6 faces both ways, boxes ≤ 0.061 px, keypoints ≤ 0.059 px, det_score ≤ 2.8e-4; embedding cosine ≥ 0.99997.
 * Each relative bound is about twice the emulated error (f16's unit roundoff is 2⁻¹¹ ≈ 4.9e-4 per stored value, and
 * a GPU sums in another order than the CPU reference, which the fp32 parity bound of 1e-4 already allows for).
 */
export const FP16_RELATIVE_BOUND: Readonly<Record<string, number>> = {
  scrfd: 4e-2,
  mobilefacenet: 1e-2,
  tiny: 1.5e-3,
  inswapper: 1.2e-2,
};

/** The goldens' tolerances (../shared/docs/TESTBED.md), which fp16 results must keep against fp32 ones. */
export const GOLDEN_TOLERANCE = { boxPx: 2, kpsPx: 2, score: 0.02, cosine: 0.995 } as const;
