/**
 * Parity of float16 model files (the forge's `toFloat16Model` variants of mobilefacenet and the INSwapper replica)
 * with onnxruntime-node, which runs the same float16 file on its CPU, and with the float32 file they came from.
 * Shared by the cpu and the webgpu test files.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { InferenceSession, Tensor } from '../../src/index.js';
import { toFloat16Model } from '../../models/forge/float16.js';
import { parseModel } from '../../src/parser/decode-model.js';
import { letterboxedPhoto, maxRelativeError, seededUniform, sharedDir } from './parity.js';
import { SWAP_REPLICA, replicaAtSize, swapInputs } from './swap.js';

/**
 * Bounds of a float16 file run on our float32 kernels, which round only at the file's own casts. onnxruntime's CPU has
 * few float16 kernels: it runs the others in float32 between casts it inserts, and does not round where the file
 * does (its runs of mobilefacenet's float16 file on x and on x rounded to float16 differ by rel 4.3e-4). Measured on the 2-core box (photo
 * and random inputs): ours vs onnxruntime's float16 run, rel 3.6e-4–7.3e-4 (mobilefacenet, cos ≥ 0.9999998) and
 * 1.8e-3–2.5e-3 (INSwapper, cos ≥ 0.9999998); the float16 weights alone move the float32 model's output by rel
 * 4.5e-3–4.7e-3 (cos ≥ 0.999990) and 3.6e-3–4.6e-3 (cos ≥ 0.9999995). The bounds leave 4× room on the relative
 * errors and are far inside the goldens' embedding cosine 0.995.
 */
export const FLOAT16_BOUNDS = {
  versusOrtFloat16: { relError: 1e-2, cosine: 0.9999 },
  versusFloat32: { relError: 2e-2, cosine: 0.999 },
  /** Below this the float16 file would be indistinguishable from the float32 one (its weights not really float16). */
  minFloat32Gap: 1e-4,
} as const;

export interface Float16Row {
  readonly model: string;
  readonly input: string;
  /** Ours on the float16 file vs onnxruntime on the float16 file. */
  readonly versusOrtFloat16: { readonly relError: number; readonly cosine: number };
  /** Ours on the float16 file vs onnxruntime on the float32 file. */
  readonly versusFloat32: { readonly relError: number; readonly cosine: number };
}

export interface Float16Case {
  readonly model: string;
  readonly float32: Uint8Array;
  readonly inputs: readonly { readonly label: string; readonly feeds: Readonly<Record<string, { dims: number[]; data: Float32Array }>> }[];
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i]! * b[i]!; na += a[i]! * a[i]!; nb += b[i]! * b[i]!; }
  return dot / Math.sqrt(na * nb);
}

/** mobilefacenet at 112×112: the aligned Tom Hanks crop and seeded noise, normalised as ArcFace feeds it. */
export async function mobilefacenetCase(): Promise<Float16Case> {
  const file = path.join(sharedDir, 'models/mobilefacenet.onnx');
  const dims = [1, 3, 112, 112];
  const name = parseModel(readFileSync(file)).graph.inputs[0]!.name;
  const photo = await letterboxedPhoto(path.join(sharedDir, 'images/Tom_Hanks_54745.png'), 112, 112, 127.5, 127.5);
  return {
    model: 'mobilefacenet',
    float32: readFileSync(file),
    inputs: [
      { label: 'photo', feeds: { [name]: { dims, data: photo } } },
      { label: 'random', feeds: { [name]: { dims, data: seededUniform(3 * 112 * 112, 0xf16, -1, 1) } } },
    ],
  };
}

/** The INSwapper replica (width 128) at `size`×`size` (128 is its own size), random and photo target. */
export async function inswapperCase(size = 128): Promise<Float16Case> {
  const float32 = size === 128 ? readFileSync(SWAP_REPLICA) : replicaAtSize(readFileSync(SWAP_REPLICA), size);
  const dims = [1, 3, size, size];
  const inputs = (await swapInputs(float32, size)).map((s) => ({
    label: s.input, feeds: { target: { dims, data: s.target }, source: { dims: [1, 512], data: s.source } },
  }));
  return { model: size === 128 ? 'inswapper_w128' : `inswapper_w128@${size}`, float32, inputs };
}

/** Runs the float16 variant of a case on our backend (webgpu: one kernel tier) and onnxruntime (float16 and float32 files). */
export async function runFloat16Parity(c: Float16Case, backend: 'cpu' | 'webgpu', kernels: 'specialized' | 'generic' = 'generic'): Promise<Float16Row[]> {
  const { bytes: float16 } = toFloat16Model(c.float32);
  const ortHalf = await ort.InferenceSession.create(float16);
  const ortFull = await ort.InferenceSession.create(c.float32);
  const ours = await InferenceSession.create(float16, backend === 'webgpu' ? { backend, webgpu: { allowSoftwareAdapter: true, kernels } } : { backend });
  const rows: Float16Row[] = [];
  try {
    for (const input of c.inputs) {
      const ortFeeds = Object.fromEntries(Object.entries(input.feeds).map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.dims)]));
      const ourFeeds = Object.fromEntries(Object.entries(input.feeds).map(([k, v]) => [k, new Tensor('float32', v.data, v.dims)]));
      const half = await ortHalf.run(ortFeeds);
      const full = await ortFull.run(ortFeeds);
      const mine = await ours.run(ourFeeds);
      for (const name of ours.outputNames) {
        const y = mine[name]!.data as Float32Array;
        const h = half[name]!.data as Float32Array;
        const f = full[name]!.data as Float32Array;
        rows.push({
          model: c.model, input: `${input.label} ${name}`,
          versusOrtFloat16: { relError: maxRelativeError(y, h), cosine: cosine(y, h) },
          versusFloat32: { relError: maxRelativeError(y, f), cosine: cosine(y, f) },
        });
      }
    }
  } finally {
    await ours.release();
    await ortHalf.release();
    await ortFull.release();
  }
  return rows;
}

export function formatFloat16Row(r: Float16Row): string {
  const pair = (p: { relError: number; cosine: number }): string => `rel ${p.relError.toExponential(2)} cos ${p.cosine.toFixed(7)}`;
  return `${r.model.padEnd(20)} ${r.input.padEnd(16)} vs ort float16: ${pair(r.versusOrtFloat16)} | vs float32 model: ${pair(r.versusFloat32)}`;
}

/** The rows outside FLOAT16_BOUNDS, formatted (empty when all hold). */
export function rowsOutOfBounds(rows: readonly Float16Row[]): string[] {
  const b = FLOAT16_BOUNDS;
  return rows.filter((r) => !(r.versusOrtFloat16.relError <= b.versusOrtFloat16.relError && r.versusOrtFloat16.cosine >= b.versusOrtFloat16.cosine
    && r.versusFloat32.relError <= b.versusFloat32.relError && r.versusFloat32.cosine >= b.versusFloat32.cosine
    && r.versusFloat32.relError >= b.minFloat32Gap)).map(formatFloat16Row);
}
