/**
 * Parity of our engine with onnxruntime-node: every model in ../shared/models and the five forged buffalo_l
 * replicas, on seeded random inputs and on the real photos (letterboxed as SCRFD does), at several input sizes.
 * Used by `npm run parity` and by the test suite.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { InferenceSession, Tensor } from '../../src/index.js';
import { ensureReplicas } from '../../models/forge/cache.js';
import { Prng } from '../../models/forge/prng.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const sharedDir = path.resolve(repoRoot, '../shared');

/** Max relative error allowed on every output: max|ours − ort| / max|ort| (the project's fp32 bound). */
export const PARITY_BOUND = 1e-4;

export interface ParityCase {
  readonly model: string;
  /** Path of the .onnx file. */
  readonly file: string;
  readonly dims: readonly number[];
  /** How the raw 0–255 RGB image is turned into the input: (x − mean) / std, as InsightFace feeds it. */
  readonly mean: number;
  readonly std: number;
  readonly photo: string;
  /** Which inputs to feed (default both): the test suite feeds the large replicas the photo only, to halve their cost. */
  readonly inputs?: readonly ParityRow['input'][];
}

export interface ParityRow {
  readonly model: string;
  readonly dims: string;
  readonly input: 'random' | 'photo';
  readonly output: string;
  readonly relError: number;
  readonly oursMs: number;
}

const shared = (f: string): string => path.join(sharedDir, f);

/** The default matrix; `small` picks the sizes that stay fast on SwiftShader. */
export function defaultCases(options: { small?: boolean } = {}): ParityCase[] {
  const t1 = shared('images/t1.jpg');
  const hanks = shared('images/Tom_Hanks_54745.png');
  const det = (model: string, h: number, w: number): ParityCase => ({ model, file: shared(`models/${model}.onnx`), dims: [1, 3, h, w], mean: 127.5, std: 128, photo: t1 });
  const head = (model: string, size: number, mean: number, std: number, photo: string): ParityCase => ({ model, file: shared(`models/${model}.onnx`), dims: [1, 3, size, size], mean, std, photo });
  const heads = [
    head('mobilefacenet', 112, 127.5, 127.5, hanks),
    head('tiny_2d106', 192, 0, 1, t1),
    head('tiny_3d68', 192, 0, 1, t1),
    head('tiny_genderage', 96, 0, 1, t1),
  ];
  if (options.small) return [det('scrfd_2.5g_bnkps', 160, 160), det('scrfd_2.5g_bnkps', 192, 256), ...heads];
  return [
    det('scrfd_2.5g_bnkps', 640, 640), det('scrfd_2.5g_bnkps', 320, 320), det('scrfd_2.5g_bnkps', 480, 640),
    det('scrfd_500m_bnkps', 640, 640),
    ...heads,
  ];
}

export type ReplicaSet = 'full' | 'small';

/**
 * The forged buffalo_l replicas (forged into .cache/replicas when missing), fed as InsightFace feeds them: det_10g
 * and w600k_r50 normalise outside the graph, the three MXNet heads take raw 0…255 pixels and normalise in-graph.
 * 'full' is every replica at its real input size (det_10g at 640×640); 'small' is what SwiftShader runs in minutes:
 * genderage, 2d106det and w600k_r50 at their (fixed) sizes and det_10g at 160×160 — 1k3d68 (3 GMAC at 192×192, the
 * same kernels as w600k_r50) is left to the cpu backend there.
 */
export async function replicaCases(set: ReplicaSet = 'full', inputs?: readonly ParityRow['input'][]): Promise<ParityCase[]> {
  const paths = await ensureReplicas();
  const t1 = shared('images/t1.jpg');
  const hanks = shared('images/Tom_Hanks_54745.png');
  const at = (model: keyof typeof paths, dims: number[], mean: number, std: number, photo: string): ParityCase => (
    { model, file: paths[model], dims, mean, std, photo, ...(inputs ? { inputs } : {}) });
  const cases = [
    at('det_10g', set === 'full' ? [1, 3, 640, 640] : [1, 3, 160, 160], 127.5, 128, t1),
    at('2d106det', [1, 3, 192, 192], 0, 1, t1),
    at('genderage', [1, 3, 96, 96], 0, 1, t1),
    at('w600k_r50', [1, 3, 112, 112], 127.5, 127.5, hanks),
  ];
  if (set === 'full') cases.splice(2, 0, at('1k3d68', [1, 3, 192, 192], 0, 1, t1));
  return cases;
}

/** Seeded uniform values in [lo, hi) from the forge's PRNG, so every run feeds the same tensor. */
export function seededUniform(count: number, seed: number, lo: number, hi: number): Float32Array {
  return new Prng(seed).fillRange(count, lo, hi);
}

/** The photo scaled to fit (W, H) keeping its aspect, pasted top-left on black, as NCHW RGB normalised floats. */
export async function letterboxedPhoto(file: string, h: number, w: number, mean: number, std: number): Promise<Float32Array> {
  const { data, info } = await sharp(file).removeAlpha().resize(w, h, { fit: 'inside' }).raw().toBuffer({ resolveWithObject: true });
  const out = new Float32Array(3 * h * w).fill((0 - mean) / std);
  for (let y = 0; y < info.height; y++) {
    for (let x = 0; x < info.width; x++) {
      for (let c = 0; c < 3; c++) out[(c * h + y) * w + x] = (data[(y * info.width + x) * 3 + c]! - mean) / std;
    }
  }
  return out;
}

/**
 * max |ours − reference| / max |reference| over the finite elements. A NaN or ±∞ must sit where the reference has the
 * same (onnxruntime's NaN for a NaN input, say); anywhere else it is an Infinity error, wherever it falls.
 */
export function maxRelativeError(ours: ArrayLike<number>, reference: ArrayLike<number>): number {
  if (ours.length !== reference.length) return Infinity;
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < reference.length; i++) {
    const [a, b] = [ours[i]!, reference[i]!];
    if (!Number.isFinite(a) || !Number.isFinite(b)) {
      if (!(a === b || (Number.isNaN(a) && Number.isNaN(b)))) return Infinity;
      continue;
    }
    maxDiff = Math.max(maxDiff, Math.abs(a - b));
    maxRef = Math.max(maxRef, Math.abs(b));
  }
  return maxRef === 0 ? maxDiff : maxDiff / maxRef;
}

/**
 * Runs every case on our backend and onnxruntime-node. On webgpu `kernels` picks the tier that runs (the
 * specialised kernels unless asked: a tiered session would switch between the two tiers mid-table).
 */
export async function runParity(cases: readonly ParityCase[], backend: 'cpu' | 'webgpu', onRow?: (row: ParityRow) => void,
  kernels: 'specialized' | 'generic' = 'specialized'): Promise<ParityRow[]> {
  const rows: ParityRow[] = [];
  const sessions = new Map<string, [InferenceSession, ort.InferenceSession]>();
  for (const c of cases) {
    let pair = sessions.get(c.file);
    if (!pair) {
      // Cases of one model are consecutive: free the previous model's sessions (the replicas weigh up to 174 MB each).
      await releaseAll(sessions);
      const bytes = readFileSync(c.file);
      pair = [await InferenceSession.create(bytes, { backend, webgpu: { kernels } }), await ort.InferenceSession.create(bytes)];
      sessions.set(c.file, pair);
    }
    const [ours, reference] = pair;
    const count = c.dims.reduce((a, b) => a * b, 1);
    const [, , h, w] = c.dims as [number, number, number, number];
    const kinds = c.inputs ?? ['random', 'photo'];
    for (const kind of kinds) {
      const data = kind === 'random'
        ? seededUniform(count, 0x5eed + count, (0 - c.mean) / c.std, (255 - c.mean) / c.std)
        : await letterboxedPhoto(c.photo, h, w, c.mean, c.std);
      const name = ours.inputNames[0]!;
      const start = performance.now();
      const a = await ours.run({ [name]: new Tensor('float32', data, c.dims) });
      const oursMs = performance.now() - start;
      const b = await reference.run({ [name]: new ort.Tensor('float32', data, c.dims) });
      for (const output of ours.outputNames) {
        const row: ParityRow = {
          model: c.model, dims: c.dims.join('x'), input: kind, output,
          relError: maxRelativeError(a[output]!.data as Float32Array, b[output]!.data as Float32Array), oursMs,
        };
        rows.push(row);
        onRow?.(row);
      }
    }
  }
  await releaseAll(sessions);
  return rows;
}

async function releaseAll(sessions: Map<string, [InferenceSession, ort.InferenceSession]>): Promise<void> {
  for (const [ours, reference] of sessions.values()) {
    await ours.release();
    await reference.release();
  }
  sessions.clear();
}

export function formatRow(r: ParityRow): string {
  const verdict = r.relError <= PARITY_BOUND ? 'ok' : 'FAIL';
  return `${r.model.padEnd(18)} ${r.dims.padEnd(12)} ${r.input.padEnd(6)} ${r.output.padEnd(10)} ${r.relError.toExponential(2).padStart(9)} ${r.oursMs.toFixed(0).padStart(9)}  ${verdict}`;
}
