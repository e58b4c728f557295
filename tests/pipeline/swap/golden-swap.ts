/**
 * The INSwapper golden bed (../shared/swap): the replica model, InsightFace's own output on t1.jpg, and the
 * comparison the issue asks for (≥ 99.5 % of values within ±1 of the golden, none more than 8 off).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeImageNode } from '../../../src/pipeline/decode-node.js';
import type { BgrImage } from '../../../src/pipeline/image.js';
import type { SwapNetwork } from '../../../src/pipeline/swap/inswapper.js';

export const sharedDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared');
export const swapDir = path.join(sharedDir, 'swap');
export const goldenDir = path.join(swapDir, 'golden_t1');
export const replicaPath = path.join(swapDir, 'inswapper_w128_seed1.onnx');
export const t1Path = path.join(sharedDir, 'images/t1.jpg');

export interface GoldenFace {
  readonly bbox: readonly number[];
  /** Flat x0, y0, … x4, y4 (float32 values). */
  readonly kps: Float32Array;
  readonly M: readonly number[];
  readonly crop: string;
}

export interface SwapGolden {
  readonly sourceNormedEmbedding: Float32Array;
  /** Sorted by bbox x, as InsightFace's example sorts them. */
  readonly faces: readonly GoldenFace[];
  readonly all: string;
  readonly one: string;
  readonly oneIndex: number;
}

export function readSwapGolden(): SwapGolden {
  const g = JSON.parse(readFileSync(path.join(goldenDir, 'golden.json'), 'utf8')) as {
    source_normed_embedding: number[];
    images: { faces: { bbox: number[]; kps: number[][]; M: number[][]; crop: string }[]; all: string; one: string; one_index: number }[];
  };
  const image = g.images[0]!;
  const faces = image.faces.map((f) => ({ bbox: f.bbox, kps: Float32Array.from(f.kps.flat()), M: f.M.flat(), crop: f.crop }));
  faces.sort((a, b) => a.bbox[0]! - b.bbox[0]!);
  return { sourceNormedEmbedding: Float32Array.from(g.source_normed_embedding), faces, all: image.all, one: image.one, oneIndex: image.one_index };
}

export async function readGoldenImage(name: string): Promise<BgrImage> {
  return decodeImageNode(path.join(goldenDir, name));
}

export interface Comparison {
  readonly values: number;
  /** Share of values within ±1 of the golden (0 … 1). */
  readonly within1: number;
  readonly maxDiff: number;
  /** Values more than 1 off. */
  readonly over1: number;
  /** Count per absolute difference 0 … 255. */
  readonly histogram: readonly number[];
}

export function compareImages(ours: BgrImage, golden: BgrImage): Comparison {
  if (ours.width !== golden.width || ours.height !== golden.height) throw new Error(`size ${ours.width}×${ours.height} vs golden ${golden.width}×${golden.height}`);
  const histogram = new Array<number>(256).fill(0);
  let maxDiff = 0;
  for (let i = 0; i < ours.data.length; i++) {
    const d = Math.abs(ours.data[i]! - golden.data[i]!);
    histogram[d]!++;
    if (d > maxDiff) maxDiff = d;
  }
  const n = ours.data.length;
  const over1 = n - histogram[0]! - histogram[1]!;
  return { values: n, within1: (n - over1) / n, maxDiff, over1, histogram };
}

export function describe(c: Comparison): string {
  const hist = c.histogram.map((k, d) => (k > 0 && d > 0 ? `${d}:${k}` : '')).filter(Boolean).join(' ');
  return `${(100 * c.within1).toFixed(4)} % within ±1, max ${c.maxDiff}, ${c.over1} values > 1 off${hist ? ` (|diff|:count ${hist})` : ''}`;
}

/** Wraps a network so that each distinct (crop, latent) pair runs once: the golden's passes repeat crops. */
export function memoized(network: SwapNetwork): SwapNetwork & { readonly runs: () => number } {
  const cache = new Map<string, Float32Array>();
  let runs = 0;
  const wrapped = async (target: Float32Array, latent: Float32Array): Promise<Float32Array> => {
    const key = createHash('sha1').update(new Uint8Array(target.buffer, target.byteOffset, target.byteLength))
      .update(new Uint8Array(latent.buffer, latent.byteOffset, latent.byteLength)).digest('hex');
    let out = cache.get(key);
    if (!out) {
      runs++;
      out = await network(target, latent);
      cache.set(key, out);
    }
    return out;
  };
  return Object.assign(wrapped, { runs: () => runs });
}
