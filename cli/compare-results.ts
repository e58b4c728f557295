import type { FaceRecord, ImageRecord, ResultsFile } from './results-format.js';

/** A results file as compare reads it: with the images the run failed on (--json's "errors", --ndjson's error lines). */
export type ComparedResults = ResultsFile & { readonly errors?: readonly unknown[] };

/** Why a run has no record of `image`, when it recorded a failure for it: ' (the actual run failed on it: ImageError: …)'. */
function failedNote(file: ComparedResults, image: string, side: string): string {
  // Read as the file holds it ({ image, error: { type, message } }), each part checked: it comes from a file.
  const failed = Array.isArray(file.errors)
    ? file.errors.find((e): e is { image: string; error?: { type?: unknown; message?: unknown } } => e !== null && typeof e === 'object' && (e as { image?: unknown }).image === image)
    : undefined;
  if (failed === undefined) return '';
  const type = typeof failed.error?.type === 'string' ? failed.error.type : 'error';
  const message = typeof failed.error?.message === 'string' ? `: ${failed.error.message}` : '';
  return ` (the ${side} run failed on it: ${type}${message})`;
}

/** TESTBED.md's tolerances for a run against a golden. */
export const TOLERANCES = {
  /** Faces are paired by box IoU at least this. */
  matchIou: 0.9,
  bboxPx: 2,
  kpsPx: 2,
  detScore: 0.02,
  landmarkPx: 3,
  landmarkZ: 5,
  poseDeg: 3,
  ageYears: 2,
  embeddingCosine: 0.995,
} as const;

/** Worst difference seen per field; `embedding` is the lowest cosine similarity. */
export interface FieldStats {
  bbox: number;
  kps: number;
  det_score: number;
  landmark_2d_106: number;
  landmark_3d_68_xy: number;
  landmark_3d_68_z: number;
  pose: number;
  gender_mismatches: number;
  age: number;
  embedding_cosine: number;
}

export interface Comparison {
  readonly ok: boolean;
  /** Human-readable reasons the comparison failed (empty when ok). */
  readonly failures: string[];
  readonly worst: FieldStats;
  readonly facesCompared: number;
}

function iou(a: readonly number[], b: readonly number[]): number {
  const w = Math.max(0, Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!));
  const h = Math.max(0, Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!));
  const inter = w * h;
  const union = (a[2]! - a[0]!) * (a[3]! - a[1]!) + (b[2]! - b[0]!) * (b[3]! - b[1]!) - inter;
  return union > 0 ? inter / union : 0;
}

function maxAbs(a: readonly number[], b: readonly number[]): number {
  let m = 0;
  for (let i = 0; i < Math.max(a.length, b.length); i++) m = Math.max(m, Math.abs((a[i] ?? NaN) - (b[i] ?? NaN)));
  return Number.isNaN(m) ? Infinity : m;
}

function maxAbsColumns(a: readonly number[][], b: readonly number[][], cols: readonly number[]): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) for (const c of cols) m = Math.max(m, Math.abs(a[i]![c]! - b[i]![c]!));
  return Number.isNaN(m) ? Infinity : m;
}

function cosine(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) return -Infinity;
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return d / Math.sqrt(na * nb);
}

/** Angle difference with wrap-around (±180° are the same roll). */
function angleDiff(a: number, b: number): number {
  const d = Math.abs(a - b) % 360;
  return Math.min(d, 360 - d);
}

/**
 * Compares two result files (e.g. a run and a golden) with TESTBED.md's tolerances: same images, same face
 * count, faces paired by IoU ≥ 0.9, then each field within its tolerance. A field present on one side only fails.
 */
export function compareResults(actual: ComparedResults, expected: ComparedResults): Comparison {
  const failures: string[] = [];
  const worst: FieldStats = {
    bbox: 0, kps: 0, det_score: 0, landmark_2d_106: 0, landmark_3d_68_xy: 0, landmark_3d_68_z: 0, pose: 0,
    gender_mismatches: 0, age: 0, embedding_cosine: 1,
  };
  let facesCompared = 0;
  // An image name may appear more than once (a --json run over a/x.jpg and b/x.jpg records both as x.jpg): the
  // k-th record of a name pairs with the other file's k-th, and an unpaired one on either side fails.
  const byName = new Map<string, ImageRecord[]>();
  for (const r of actual.results) byName.set(r.image, [...byName.get(r.image) ?? [], r]);
  for (const exp of expected.results) {
    const act = byName.get(exp.image)?.shift();
    if (!act) {
      failures.push(`${exp.image}: missing${failedNote(actual, exp.image, 'actual')}`);
      continue;
    }
    facesCompared += compareImage(act, exp, worst, failures);
  }
  for (const [extra, left] of byName) for (let k = 0; k < left.length; k++) failures.push(`${extra}: not in the expected results${failedNote(expected, extra, 'expected')}`);
  const T = TOLERANCES;
  const check = (value: number, limit: number, what: string, above = true): void => {
    if (above ? !(value <= limit) : !(value >= limit)) failures.push(`${what}: worst ${value} outside ${above ? '≤' : '≥'} ${limit}`);
  };
  check(worst.bbox, T.bboxPx, 'bbox (px)');
  check(worst.kps, T.kpsPx, 'kps (px)');
  check(worst.det_score, T.detScore, 'det_score');
  check(worst.landmark_2d_106, T.landmarkPx, 'landmark_2d_106 (px)');
  check(worst.landmark_3d_68_xy, T.landmarkPx, 'landmark_3d_68 x,y (px)');
  check(worst.landmark_3d_68_z, T.landmarkZ, 'landmark_3d_68 z');
  check(worst.pose, T.poseDeg, 'pose (deg)');
  check(worst.gender_mismatches, 0, 'gender mismatches');
  check(worst.age, T.ageYears, 'age (years)');
  check(worst.embedding_cosine, T.embeddingCosine, 'embedding cosine', false);
  return { ok: failures.length === 0, failures, worst, facesCompared };
}

function compareImage(act: ImageRecord, exp: ImageRecord, worst: FieldStats, failures: string[]): number {
  const name = exp.image;
  if (act.width !== exp.width || act.height !== exp.height) failures.push(`${name}: size ${act.width}×${act.height}, expected ${exp.width}×${exp.height}`);
  if (act.faces.length !== exp.faces.length) failures.push(`${name}: ${act.faces.length} faces, expected ${exp.faces.length}`);
  const used = new Set<number>();
  let compared = 0;
  exp.faces.forEach((e, i) => {
    let best = -1;
    let bestIou = -1;
    act.faces.forEach((a, j) => {
      if (used.has(j)) return;
      const v = iou(a.bbox, e.bbox);
      if (v > bestIou) { bestIou = v; best = j; }
    });
    if (best < 0 || bestIou < TOLERANCES.matchIou) {
      failures.push(`${name}: expected face ${i} has no match with IoU ≥ ${TOLERANCES.matchIou} (best ${bestIou.toFixed(3)})`);
      return;
    }
    used.add(best);
    compared++;
    compareFace(act.faces[best]!, e, worst, (what) => failures.push(`${name} face ${i}: ${what}`));
  });
  return compared;
}

function compareFace(a: FaceRecord, e: FaceRecord, worst: FieldStats, fail: (what: string) => void): void {
  const both = <K extends keyof FaceRecord>(key: K): [NonNullable<FaceRecord[K]>, NonNullable<FaceRecord[K]>] | undefined => {
    const x = a[key];
    const y = e[key];
    if (x === undefined && y === undefined) return undefined;
    if (x === undefined || y === undefined) {
      fail(`${key} present on one side only`);
      return undefined;
    }
    return [x as NonNullable<FaceRecord[K]>, y as NonNullable<FaceRecord[K]>];
  };
  // JSON has no NaN or Infinity: JSON.stringify writes them as null, which arithmetic would read as 0 (a NaN in an
  // embedding then passed). Every value must be a finite number on both sides.
  for (const [side, record] of [['actual', a], ['expected', e]] as const) {
    const bad = nonFiniteField(record);
    if (bad !== undefined) fail(`${side} ${bad}`);
  }
  worst.bbox = Math.max(worst.bbox, maxAbs(a.bbox, e.bbox));
  worst.det_score = Math.max(worst.det_score, Math.abs(a.det_score - e.det_score));
  const kps = both('kps');
  if (kps) worst.kps = Math.max(worst.kps, maxAbsColumns(kps[0], kps[1], [0, 1]));
  const l2 = both('landmark_2d_106');
  if (l2) worst.landmark_2d_106 = Math.max(worst.landmark_2d_106, maxAbsColumns(l2[0], l2[1], [0, 1]));
  const l3 = both('landmark_3d_68');
  if (l3) {
    worst.landmark_3d_68_xy = Math.max(worst.landmark_3d_68_xy, maxAbsColumns(l3[0], l3[1], [0, 1]));
    worst.landmark_3d_68_z = Math.max(worst.landmark_3d_68_z, maxAbsColumns(l3[0], l3[1], [2]));
  }
  const pose = both('pose');
  if (pose) for (let k = 0; k < 3; k++) worst.pose = Math.max(worst.pose, angleDiff(pose[0][k]!, pose[1][k]!));
  const gender = both('gender');
  if (gender && gender[0] !== gender[1]) worst.gender_mismatches++;
  const age = both('age');
  if (age) worst.age = Math.max(worst.age, Math.abs(age[0] - age[1]));
  const emb = both('embedding');
  if (emb) worst.embedding_cosine = Math.min(worst.embedding_cosine, cosine(emb[0], emb[1]));
  // Lists of different lengths (a 512-d recognizer's run against a 128-d one's) are named, not only a worst of ±Infinity.
  for (const key of ['kps', 'landmark_2d_106', 'landmark_3d_68', 'pose', 'embedding'] as const) {
    const x = a[key];
    const y = e[key];
    if (Array.isArray(x) && Array.isArray(y) && x.length !== y.length) fail(`${key} has ${x.length} values, expected ${y.length}`);
  }
}

const NUMERIC_FIELDS = ['bbox', 'kps', 'det_score', 'landmark_2d_106', 'landmark_3d_68', 'pose', 'gender', 'age', 'embedding'] as const;

/** The first field of a face holding something other than finite numbers ('embedding[5] is null'), if any. */
function nonFiniteField(face: FaceRecord): string | undefined {
  for (const key of NUMERIC_FIELDS) {
    const value: unknown = face[key];
    if (value === undefined) continue;
    const bad = firstNonFinite(value, key);
    if (bad !== undefined) return `${bad} (not a finite number; JSON writes NaN and Infinity as null)`;
  }
  return undefined;
}

function firstNonFinite(value: unknown, path: string): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${path} is ${value}`;
  if (!Array.isArray(value)) return `${path} is ${JSON.stringify(value)}`;
  for (const [i, v] of value.entries()) {
    const bad = firstNonFinite(v, `${path}[${i}]`);
    if (bad !== undefined) return bad;
  }
  return undefined;
}

/** One line per field: the worst error and its tolerance. */
export function formatComparison(c: Comparison): string {
  const T = TOLERANCES;
  const w = c.worst;
  const line = (field: string, value: number, limit: string): string => `  ${field.padEnd(20)} ${value.toExponential(3).padStart(11)}   (${limit})`;
  return [
    `${c.facesCompared} face(s) compared: ${c.ok ? 'within tolerance' : 'OUTSIDE tolerance'}`,
    line('bbox px', w.bbox, `≤ ${T.bboxPx}`),
    line('kps px', w.kps, `≤ ${T.kpsPx}`),
    line('det_score', w.det_score, `≤ ${T.detScore}`),
    line('landmark_2d_106 px', w.landmark_2d_106, `≤ ${T.landmarkPx}`),
    line('landmark_3d_68 px', w.landmark_3d_68_xy, `≤ ${T.landmarkPx}`),
    line('landmark_3d_68 z', w.landmark_3d_68_z, `≤ ${T.landmarkZ}`),
    line('pose deg', w.pose, `≤ ${T.poseDeg}`),
    line('gender mismatches', w.gender_mismatches, '= 0'),
    line('age years', w.age, `≤ ${T.ageYears}`),
    line('embedding 1-cosine', 1 - w.embedding_cosine, `≤ ${(1 - T.embeddingCosine).toFixed(3)}`),
    ...c.failures.slice(0, 20).map((f) => `  FAIL ${f}`),
    ...(c.failures.length > 20 ? [`  … ${c.failures.length - 20} more`] : []),
  ].join('\n');
}
