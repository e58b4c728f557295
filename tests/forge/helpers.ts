/** Shared pieces of the forge tests and `npm run forge:check`: inputs, runs on both engines, error measures. */
import * as ort from 'onnxruntime-node';
import { InferenceSession, Tensor } from '../../src/index.js';
import { seededUniform } from '../parity/parity.js';

export type Outputs = Record<string, { readonly dims: readonly number[]; readonly data: Float32Array }>;

/** A seeded input in the range the model is fed in InsightFace: raw 0…255 pixels when the graph normalises itself. */
export function replicaInput(dims: readonly number[], rawPixels: boolean, seed: number): Float32Array {
  const count = dims.reduce((a, b) => a * b, 1);
  return rawPixels ? seededUniform(count, seed, 0, 255) : seededUniform(count, seed, -1, 1);
}

export async function runOrt(model: Uint8Array | string, inputName: string, dims: readonly number[], data: Float32Array): Promise<Outputs> {
  const session = typeof model === 'string' ? await ort.InferenceSession.create(model) : await ort.InferenceSession.create(model);
  try {
    const result = await session.run({ [inputName]: new ort.Tensor('float32', data, [...dims]) });
    const out: Outputs = {};
    for (const name of session.outputNames) out[name] = { dims: result[name]!.dims, data: result[name]!.data as Float32Array };
    return out;
  } finally {
    await session.release();
  }
}

export async function runOurs(model: Uint8Array, inputName: string, dims: readonly number[], data: Float32Array, backend: 'cpu' | 'webgpu' = 'cpu'): Promise<Outputs> {
  const session = await InferenceSession.create(model, { backend });
  try {
    const result = await session.run({ [inputName]: new Tensor('float32', data, dims) });
    const out: Outputs = {};
    for (const name of session.outputNames) out[name] = { dims: result[name]!.dims, data: result[name]!.data as Float32Array };
    return out;
  } finally {
    await session.release();
  }
}

/** max|a − b| / max|b|: the project's relative error measure against onnxruntime (PARITY_BOUND = 1e-4). */
export function relativeError(ours: Float32Array, reference: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < reference.length; i++) {
    diff = Math.max(diff, Math.abs(ours[i]! - reference[i]!));
    scale = Math.max(scale, Math.abs(reference[i]!));
  }
  return diff / Math.max(scale, Number.MIN_VALUE);
}

export interface ValueStats {
  readonly finite: boolean;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly std: number;
}

export function valueStats(data: Float32Array): ValueStats {
  let finite = true;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sumSq = 0;
  for (const v of data) {
    if (!Number.isFinite(v)) finite = false;
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
    sumSq += v * v;
  }
  const mean = sum / data.length;
  return { finite, min, max, mean, std: Math.sqrt(Math.max(0, sumSq / data.length - mean * mean)) };
}

/**
 * "Sane" for a replica output: finite, bounded by 100 in magnitude (trained buffalo_l outputs are O(1)–O(10):
 * embeddings ~±5, landmarks ±1, box distances a few strides) and not collapsed to a constant (std > 1e-3).
 */
export function isSane(s: ValueStats): boolean {
  return s.finite && Math.max(Math.abs(s.min), Math.abs(s.max)) <= 100 && s.std > 1e-3;
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}
