/**
 * INSwapper's source identity and its checks, in a module of their own: FaceAnalysisWorker's client checks a
 * swap's source on the page with them, without loading the swapper's session code into the page's bundle.
 */
import { PipelineOptionError } from '../errors.js';

/** Length of the identity latent (the second input, [1, 512]) and of the ArcFace embedding emap maps from. */
export const LATENT_SIZE = 512;

/**
 * The identity to put in: a Face (its `normed_embedding`, else its `embedding`, is used) or an embedding as a plain
 * array. A raw embedding is L2-normalised first, as `Face.normed_embedding` does; the latent is normalised again
 * after emap, so an already normed one gives the same latent up to float32 rounding.
 */
export type SwapSource = { readonly normed_embedding?: ArrayLike<number> | undefined; readonly embedding?: ArrayLike<number> | undefined } | ArrayLike<number>;

/** Σ v², in float64. */
export function sumSquares(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return s;
}

/**
 * The source's embedding, checked (a Face's or an array of 512 finite values, not all zero) and unit length;
 * PipelineOptionError otherwise. INSwapper and FaceAnalysisWorker.swap (before it posts the picture) check their
 * source with it.
 * @internal
 */
export function normedEmbedding(source: SwapSource): Float32Array {
  let values: ArrayLike<number> | undefined;
  let normed = false;
  if (source !== null && typeof source === 'object' && !('length' in source)) {
    const face = source as { normed_embedding?: ArrayLike<number>; embedding?: ArrayLike<number> };
    values = face.normed_embedding ?? face.embedding;
    normed = face.normed_embedding !== undefined;
    if (values === undefined) throw new PipelineOptionError('sourceFace', 'has no embedding; run a recognition model on it first (FaceAnalysis with a 512-d ArcFace model)');
  } else if (source !== null && typeof source === 'object') {
    values = source as ArrayLike<number>;
  } else {
    throw new PipelineOptionError('sourceFace', 'expected a Face or an embedding array');
  }
  if (values.length !== LATENT_SIZE) {
    throw new PipelineOptionError('sourceFace', `INSwapper needs a ${LATENT_SIZE}-d ArcFace latent; this embedding gives ${values.length} (use a 512-d recognizer such as buffalo_l's w600k_r50)`);
  }
  const out = Float32Array.from(values);
  for (const v of out) if (!Number.isFinite(v)) throw new PipelineOptionError('sourceFace', 'the embedding holds a non-finite value');
  if (normed) return out;
  const n = Math.fround(Math.sqrt(sumSquares(out)));
  if (!(n > 0)) throw new PipelineOptionError('sourceFace', 'the embedding is all zeros');
  for (let i = 0; i < out.length; i++) out[i] = out[i]! / n;
  return out;
}

/**
 * The identity as it crosses to a worker: the unit-length embedding (normedEmbedding), marked as already normed so
 * the worker's INSwapper takes it as-is. Normed a second time, about one vector in fourteen moves by an ulp, and the
 * worker's swap would not be the page's swap of the same source bit for bit.
 * @internal
 */
export function swapSourceFromWire(latent: Float32Array): SwapSource {
  return { normed_embedding: latent };
}
