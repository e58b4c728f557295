import type { Pose } from './pose.js';

/**
 * One detected face with InsightFace's field names. Detector fields are always set; model fields only when
 * the pack has that model (undefined otherwise, where Python reads None). Arrays are float32 and flat:
 * kps 5×2, landmark_2d_106 106×2, landmark_3d_68 68×3.
 */
export class Face {
  kps: Float32Array | undefined;
  embedding: Float32Array | undefined;
  landmark_2d_106: Float32Array | undefined;
  landmark_3d_68: Float32Array | undefined;
  pose: Pose | undefined;
  gender: number | undefined;
  age: number | undefined;
  /** Outputs of models other than the five standard ones (e.g. `landmark_2d_98`, `attribute_7`), by taskname. */
  readonly extra = new Map<string, Float32Array>();

  constructor(readonly bbox: Float32Array, kps: Float32Array | undefined, readonly det_score: number) {
    this.kps = kps;
  }

  /** L2 norm of the embedding (float32). */
  get embedding_norm(): number | undefined {
    return this.embedding ? l2norm(this.embedding) : undefined;
  }

  /** The embedding divided by its norm (float32). */
  get normed_embedding(): Float32Array | undefined {
    const e = this.embedding;
    if (!e) return undefined;
    const n = Math.fround(l2norm(e));
    return e.map((v) => v / n);
  }

  /** 'M' for gender 1, 'F' for gender 0. */
  get sex(): 'M' | 'F' | undefined {
    return this.gender === undefined ? undefined : this.gender === 1 ? 'M' : 'F';
  }
}

function l2norm(v: Float32Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.fround(Math.sqrt(s));
}

/** Cosine similarity of two embeddings (InsightFace's `compute_sim`), float32. */
export function computeSim(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0, na = 0, nb = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return Math.fround(dot / (Math.sqrt(na) * Math.sqrt(nb)));
}
