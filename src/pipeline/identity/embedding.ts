/** The embeddings FaceIndex and clusterFaces take, and the normalisation they share. */
import type { Face } from '../face.js';
import { FaceIndexError } from './errors.js';

/** An embedding, or a Face whose `embedding` is set. */
export type EmbeddingInput = ArrayLike<number> | Face;

/** Whether the input is a Face (rather than a plain vector). */
export function isFace(x: EmbeddingInput): x is Face {
  return typeof x === 'object' && x !== null && 'det_score' in x && 'bbox' in x;
}

/**
 * The embedding divided by its float32 L2 norm, as float32 (Face.normed_embedding's rule); FaceIndexError for
 * non-finite values or a zero vector.
 */
export function normed32(e: ArrayLike<number>, what: string): Float32Array {
  // A bigint would make Float32Array.from throw a bare TypeError.
  for (let i = 0; i < e.length; i++) if (typeof e[i] === 'bigint') throw new FaceIndexError(`${what}: value ${i} is a bigint, not a number`);
  const f = Float32Array.from(e as ArrayLike<number>);
  let s = 0;
  for (let i = 0; i < f.length; i++) {
    const v = f[i]!;
    if (!Number.isFinite(v)) throw new FaceIndexError(`${what}: value ${i} is ${v}`);
    s += v * v;
  }
  const n = Math.fround(Math.sqrt(s));
  if (!(n > 0) || !Number.isFinite(n)) throw new FaceIndexError(`${what}: zero (or overflowing) embedding, it has no direction`);
  for (let i = 0; i < f.length; i++) f[i] = f[i]! / n;
  return f;
}
