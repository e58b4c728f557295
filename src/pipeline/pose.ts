import { MEANSHAPE_68_ROWS } from './data/meanshape-68.js';

/** InsightFace's 68-point 3-D mean face (meanshape_68.pkl), float32, rows of (x, y, z). */
export const MEANSHAPE_68: Float32Array = Float32Array.from(MEANSHAPE_68_ROWS.flat());

/** Head pose in degrees, InsightFace's order. */
export type Pose = [pitch: number, yaw: number, roll: number];

/**
 * Head pose from 68 3-D landmarks (spec §11): least-squares affine fit mean shape → landmarks, rotation from the
 * normalised first two rows of the fitted matrix, then Euler angles. `landmarks` and `meanshape` are flat n×3.
 */
export function estimatePose(landmarks: ArrayLike<number>, meanshape: ArrayLike<number> = MEANSHAPE_68): Pose {
  const p = fitAffine3d(meanshape, landmarks);
  const r1 = normalise([p[0]![0]!, p[0]![1]!, p[0]![2]!]);
  const r2 = normalise([p[1]![0]!, p[1]![1]!, p[1]![2]!]);
  const r3 = [r1[1] * r2[2] - r1[2] * r2[1], r1[2] * r2[0] - r1[0] * r2[2], r1[0] * r2[1] - r1[1] * r2[0]] as const;
  const R = [r1, r2, r3];
  const sy = Math.sqrt(R[0]![0] * R[0]![0] + R[1]![0] * R[1]![0]);
  let pitch: number, yaw: number, roll: number;
  if (sy >= 1e-6) {
    pitch = Math.atan2(R[2]![1], R[2]![2]);
    yaw = Math.atan2(-R[2]![0], sy);
    roll = Math.atan2(R[1]![0], R[0]![0]);
  } else {
    pitch = Math.atan2(-R[1]![2], R[1]![1]);
    yaw = Math.atan2(-R[2]![0], sy);
    roll = 0;
  }
  const deg = 180 / Math.PI;
  return [Math.fround(pitch * deg), Math.fround(yaw * deg), Math.fround(roll * deg)];
}

function normalise(v: [number, number, number]): [number, number, number] {
  const n = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / n, v[1] / n, v[2] / n];
}

/**
 * Solves min ‖[X | 1]·Pᵀ − Y‖² (X, Y flat n×3) for the 3×4 matrix P, float64, via Householder QR of the n×4
 * design matrix — the same optimum as NumPy's SVD-based lstsq for full-rank X.
 */
export function fitAffine3d(X: ArrayLike<number>, Y: ArrayLike<number>): number[][] {
  const n = X.length / 3;
  const cols = 4;
  const a: number[][] = Array.from({ length: n }, (_, i) => [X[i * 3]!, X[i * 3 + 1]!, X[i * 3 + 2]!, 1]);
  const b: number[][] = Array.from({ length: n }, (_, i) => [Y[i * 3]!, Y[i * 3 + 1]!, Y[i * 3 + 2]!]);
  for (let k = 0; k < cols; k++) {
    let norm = 0;
    for (let i = k; i < n; i++) norm += a[i]![k]! ** 2;
    norm = Math.sqrt(norm);
    if (norm === 0) continue;
    const alpha = a[k]![k]! > 0 ? -norm : norm;
    const v = new Float64Array(n);
    for (let i = k; i < n; i++) v[i] = a[i]![k]!;
    v[k]! -= alpha;
    let vv = 0;
    for (let i = k; i < n; i++) vv += v[i]! * v[i]!;
    if (vv === 0) continue;
    const reflect = (m: number[][], width: number, from: number): void => {
      for (let j = from; j < width; j++) {
        let dot = 0;
        for (let i = k; i < n; i++) dot += v[i]! * m[i]![j]!;
        const f = (2 * dot) / vv;
        for (let i = k; i < n; i++) m[i]![j]! -= f * v[i]!;
      }
    };
    reflect(a, cols, k);
    reflect(b, 3, 0);
  }
  // Back-substitution R·P_colᵀ = (Qᵀb)[0:4].
  const sol: number[][] = Array.from({ length: cols }, () => [0, 0, 0]);
  for (let j = 0; j < 3; j++) {
    for (let k = cols - 1; k >= 0; k--) {
      let s = b[k]![j]!;
      for (let c = k + 1; c < cols; c++) s -= a[k]![c]! * sol[c]![j]!;
      sol[k]![j] = s / a[k]![k]!;
    }
  }
  // sol is 4×3; P = solᵀ (3×4).
  return [0, 1, 2].map((r) => [sol[0]![r]!, sol[1]![r]!, sol[2]![r]!, sol[3]![r]!]);
}
