import { PipelineOptionError } from './errors.js';
import { describeValue } from './call-options.js';
import type { Pose } from './pose.js';

/**
 * One face in InsightFace's JSON form (the goldens' format, ../shared/docs/TESTBED.md): plain arrays, points as
 * [x, y] or [x, y, z] rows, InsightFace's field names; fields the pack lacks are omitted.
 */
export interface FaceRecord {
  /** [x1, y1, x2, y2] in image pixels. */
  bbox: number[];
  /** The 5 keypoints (eyes, nose, mouth corners) as [x, y] rows. */
  kps?: number[][];
  /** The detector's score. */
  det_score: number;
  /** 106 [x, y] points (2d106det). */
  landmark_2d_106?: number[][];
  /** 68 [x, y, z] points (1k3d68). */
  landmark_3d_68?: number[][];
  /** [pitch, yaw, roll] in degrees, from the 68 points. */
  pose?: number[];
  /** 0 female, 1 male (genderage). */
  gender?: number;
  /** Age in years (genderage). */
  age?: number;
  /** The recognizer's embedding, not normalised. */
  embedding?: number[];
}

/**
 * One detected face with InsightFace's field names. Detector fields are always set; model fields only when
 * the pack has that model (undefined otherwise, where Python reads None). Arrays are float32 and flat:
 * kps 5×2, landmark_2d_106 106×2, landmark_3d_68 68×3.
 */
export class Face {
  /** The 5 keypoints, flat 5×2. */
  kps: Float32Array | undefined;
  /** The recognizer's embedding (512 for w600k_r50), not normalised. */
  embedding: Float32Array | undefined;
  /** 106 points, flat 106×2. */
  landmark_2d_106: Float32Array | undefined;
  /** 68 points, flat 68×3. */
  landmark_3d_68: Float32Array | undefined;
  /** Pitch, yaw and roll in degrees, from the 68 points. */
  pose: Pose | undefined;
  /** 0 female, 1 male. */
  gender: number | undefined;
  /** Age in years. */
  age: number | undefined;
  /** Outputs of models other than the five standard ones (e.g. `landmark_2d_98`, `attribute_7`), by taskname. */
  readonly extra = new Map<string, Float32Array>();

  /**
   * @param bbox - [x1, y1, x2, y2] in image pixels.
   * @param kps - The 5 keypoints, flat 5×2, when the detector gives them.
   * @param det_score - The detector's score.
   */
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

  /**
   * The face in InsightFace's JSON form (FaceRecord), so `JSON.stringify(face)` writes the goldens' format: keys
   * in their order, float32 values as their exact doubles. `extra` outputs are not part of it.
   */
  toJSON(): FaceRecord {
    // Built key by key so JSON.stringify keeps the goldens' key order (kps sits between bbox and det_score).
    const ordered = { bbox: Array.from(this.bbox) } as FaceRecord;
    if (this.kps) ordered.kps = rows(this.kps, 2);
    ordered.det_score = this.det_score;
    if (this.landmark_2d_106) ordered.landmark_2d_106 = rows(this.landmark_2d_106, 2);
    if (this.landmark_3d_68) ordered.landmark_3d_68 = rows(this.landmark_3d_68, 3);
    if (this.pose) ordered.pose = [...this.pose];
    if (this.gender !== undefined) ordered.gender = this.gender;
    if (this.age !== undefined) ordered.age = this.age;
    if (this.embedding) ordered.embedding = Array.from(this.embedding);
    return ordered;
  }

  /**
   * A Face from its JSON form (a golden's face, or `JSON.parse(JSON.stringify(face))`); PipelineOptionError when
   * malformed, a value that is not a finite number (NaN, Infinity, null) included.
   */
  static fromJSON(record: FaceRecord): Face {
    const numbers = (v: unknown, what: string, length?: number): number[] => {
      // Finite: a NaN or Infinity (which JSON.stringify would write back as null) is no coordinate or score.
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x)) || (length !== undefined && v.length !== length)) {
        throw new PipelineOptionError(`face.${what}`, `expected ${length === undefined ? 'an array of' : length === 1 ? 'a' : `${length}`} finite number${length === 1 ? '' : 's'}, got ${shortValue(length === 1 && Array.isArray(v) ? v[0] : v)}`);
      }
      return v as number[];
    };
    const points = (v: unknown, what: string, count: number, width: number): Float32Array | undefined => {
      if (v === undefined) return undefined;
      if (!Array.isArray(v) || v.length !== count) throw new PipelineOptionError(`face.${what}`, `expected ${count} points`);
      return Float32Array.from(v.flatMap((p, k) => numbers(p, `${what}[${k}]`, width)));
    };
    if (record === null || typeof record !== 'object') throw new PipelineOptionError('face', 'expected an object');
    if (typeof record.det_score !== 'number' || !Number.isFinite(record.det_score)) throw new PipelineOptionError('face.det_score', `expected a finite number, got ${describeValue(record.det_score)}`);
    const face = new Face(Float32Array.from(numbers(record.bbox, 'bbox', 4)), points(record.kps, 'kps', 5, 2), record.det_score);
    face.landmark_2d_106 = points(record.landmark_2d_106, 'landmark_2d_106', 106, 2);
    face.landmark_3d_68 = points(record.landmark_3d_68, 'landmark_3d_68', 68, 3);
    if (record.pose !== undefined) face.pose = numbers(record.pose, 'pose', 3) as Pose;
    if (record.gender !== undefined) face.gender = numbers([record.gender], 'gender', 1)[0];
    if (record.age !== undefined) face.age = numbers([record.age], 'age', 1)[0];
    if (record.embedding !== undefined) face.embedding = Float32Array.from(numbers(record.embedding, 'embedding'));
    return face;
  }
}

/** describeValue cut to a line's worth (a 512-value embedding would fill a screen). */
function shortValue(value: unknown): string {
  const text = describeValue(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

function rows(flat: ArrayLike<number>, width: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < flat.length; i += width) out.push(Array.from({ length: width }, (_, k) => flat[i + k]!));
  return out;
}

function l2norm(v: Float32Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.fround(Math.sqrt(s));
}

/** The model results a Face holds besides its detection (what a copy of a face carries over). */
export type FaceResults = Partial<Pick<Face, 'embedding' | 'landmark_2d_106' | 'landmark_3d_68' | 'pose' | 'gender' | 'age'>>;

/** Sets `target`'s model results (arrays shared, not copied) and extra outputs from `source`. @internal */
export function assignResults(target: Face, source: FaceResults, extra: Iterable<readonly [string, Float32Array]>): void {
  target.embedding = source.embedding;
  target.landmark_2d_106 = source.landmark_2d_106;
  target.landmark_3d_68 = source.landmark_3d_68;
  target.pose = source.pose;
  target.gender = source.gender;
  target.age = source.age;
  for (const [k, v] of extra) target.extra.set(k, v);
}

/**
 * Cosine similarity of two embeddings (InsightFace's `compute_sim`), float32. PipelineOptionError when the lengths
 * differ or are zero: embeddings of two recognizers have no similarity, and a common prefix's would look like one.
 */
export function computeSim(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length === 0 || a.length !== b.length) throw new PipelineOptionError('embedding', `lengths ${a.length} and ${b.length} differ or are empty`);
  let dot = 0, na = 0, nb = 0;
  const n = a.length;
  for (let i = 0; i < n; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return Math.fround(dot / (Math.sqrt(na) * Math.sqrt(nb)));
}
