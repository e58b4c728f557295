import { PipelineOptionError } from '../errors.js';
import { describeValue, optionsObject, requireArray } from '../call-options.js';
import { isFace, normed32, type EmbeddingInput } from './embedding.js';
import { FaceIndexError } from './errors.js';
import { sumSquares } from './search-cpu.js';

/** Options of clusterFaces. */
export interface ClusterOptions {
  /** Largest cosine distance (1 − cosine similarity) between neighbours (default 0.48). */
  eps?: number;
  /** Neighbours (the point itself included) that make a core point (default 2). */
  minSamples?: number;
}

/**
 * DBSCAN on cosine distance (1 − cosine of the normed embeddings), as InsightFace's GUI groups faces. Returns one
 * label per embedding: −1 for noise, clusters numbered 0, 1, … in order of first appearance. Neighbours are those
 * with distance ≤ eps; O(n²) time, O(n) memory beyond the normed rows.
 */
export function clusterFaces(embeddings: readonly EmbeddingInput[], options: ClusterOptions = {}): number[] {
  requireArray(embeddings, 'embeddings', 'clusterFaces');
  const { eps = 0.48, minSamples = 2 } = optionsObject(options, 'clusterFaces', { eps: 'number', minSamples: 'number' });
  if (!(eps >= 0)) throw new PipelineOptionError('eps', `must be ≥ 0, got ${eps}`);
  if (!(Number.isInteger(minSamples) && minSamples >= 1)) throw new PipelineOptionError('minSamples', `must be a positive integer, got ${minSamples}`);
  const n = embeddings.length;
  if (n === 0) return [];
  // By index, not map: map skips a sparse array's holes, whose zero rows would then be labelled noise unseen.
  const vecs = Array.from({ length: n }, (_, i) => {
    const x = embeddings[i]!;
    const face = isFace(x);
    const e = face ? x.embedding : x;
    if (face && e === undefined) throw new FaceIndexError(`embedding ${i}: the face has no embedding`);
    if (e === null || typeof e !== 'object' || typeof (e as ArrayLike<number>).length !== 'number') {
      throw new FaceIndexError(`embedding ${i}: expected an embedding (an array of numbers) or a face, got ${describeValue(e)}`);
    }
    return normed32(e, `embedding ${i}`);
  });
  const dim = vecs[0]!.length;
  const rows = new Float32Array(n * dim);
  vecs.forEach((v, i) => {
    if (v.length !== dim) throw new FaceIndexError(`embedding ${i}: dimension mismatch, ${v.length}-d among ${dim}-d`);
    rows.set(v, i * dim);
  });
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) norms[i] = Math.sqrt(sumSquares(rows, i * dim, dim));
  const neighbours = (p: number): number[] => {
    const out: number[] = [];
    const po = p * dim;
    for (let j = 0; j < n; j++) {
      const jo = j * dim;
      let dot = 0;
      for (let i = 0; i < dim; i++) dot += rows[po + i]! * rows[jo + i]!;
      const sim = Math.fround(dot / (norms[p]! * norms[j]!));
      if (1 - sim <= eps) out.push(j);
    }
    return out;
  };
  const labels = new Array<number>(n).fill(-2); // −2: not visited yet
  let next = 0;
  for (let p = 0; p < n; p++) {
    if (labels[p] !== -2) continue;
    const seeds = neighbours(p);
    if (seeds.length < minSamples) {
      labels[p] = -1;
      continue;
    }
    const c = next++;
    labels[p] = c;
    const queue = seeds.filter((q) => q !== p);
    for (let h = 0; h < queue.length; h++) {
      const q = queue[h]!;
      if (labels[q] === -1) labels[q] = c; // noise reached from a core point becomes a border point
      if (labels[q] !== -2) continue;
      labels[q] = c;
      const more = neighbours(q);
      if (more.length >= minSamples) for (const m of more) if (labels[m] === -2 || labels[m] === -1) queue.push(m);
    }
  }
  // Clusters are created in first-appearance order already (points are visited in order and a cluster is
  // numbered when its first point is met), but renumber defensively.
  const remap = new Map<number, number>();
  return labels.map((l) => {
    if (l < 0) return -1;
    if (!remap.has(l)) remap.set(l, remap.size);
    return remap.get(l)!;
  });
}
