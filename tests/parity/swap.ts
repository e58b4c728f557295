/**
 * Parity of the INSwapper replica (../shared/swap/inswapper_w128_seed1.onnx: the real model's topology and I/O at
 * width 128, ~2.7 GMAC) with onnxruntime-node. Two inputs, so it has its own runner beside parity.ts's
 * single-input one; used by the test suite (cpu) and `npm run parity` (both backends).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { InferenceSession, Tensor } from '../../src/index.js';
import { parseModel } from '../../src/parser/decode-model.js';
import { letterboxedPhoto, maxRelativeError, seededUniform, sharedDir, type ParityRow } from './parity.js';

export const SWAP_REPLICA = path.join(sharedDir, 'swap/inswapper_w128_seed1.onnx');
const GOLDEN = path.join(sharedDir, 'swap/golden_t1/golden.json');

/**
 * The replica with `target` and `output` declared size×size instead of 128×128. Every layer is convolutional or
 * per-channel, so the graph runs at any multiple of 4 down to 8 (the encoder's 4× smaller output must be ≥ 2 for
 * onnxruntime's reflect pads): the same ops, attributes and weights at a fraction of the compute (32: 1/16).
 */
export function replicaAtSize(bytes: Uint8Array, size: number): Uint8Array {
  const { onnx } = onnxProto;
  const model = onnx.ModelProto.decode(bytes);
  for (const v of [...model.graph!.input!, ...model.graph!.output!]) {
    if (v.name !== 'target' && v.name !== 'output') continue;
    v.type!.tensorType!.shape = { dim: [1, 3, size, size].map((d) => ({ dimValue: d })) };
  }
  return onnx.ModelProto.encode(model).finish();
}

function unit(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s);
  return v.map((x) => x / n);
}

/**
 * The latent InsightFace feeds as `source`: the golden source face's normed embedding times `emap` (the model's
 * last initializer, used by no node), normalised (spec/inswapper.md, INSwapper.get step 3).
 */
export function goldenLatent(modelBytes: Uint8Array): Float32Array {
  const emb = (JSON.parse(readFileSync(GOLDEN, 'utf8')) as { source_normed_embedding: number[] }).source_normed_embedding;
  const initializers = [...parseModel(modelBytes).graph.initializers.values()];
  const emap = initializers[initializers.length - 1]!;
  if (emap.dims.join('x') !== '512x512' || emap.type !== 'float32') throw new Error(`the last initializer is ${emap.type} ${emap.dims.join('x')}, not the 512×512 emap`);
  const m = emap.data as Float32Array;
  const latent = new Float32Array(512);
  for (let j = 0; j < 512; j++) {
    let s = 0;
    for (let i = 0; i < 512; i++) s += emb[i]! * m[i * 512 + j]!;
    latent[j] = s;
  }
  return unit(latent);
}

export interface SwapInputs {
  readonly input: ParityRow['input'];
  readonly target: Float32Array;
  readonly source: Float32Array;
}

/**
 * 'random': a seeded target in [0, 1) (pixels / 255) and a seeded unit source; 'photo': t1.jpg letterboxed to
 * size×size, / 255, and the golden latent.
 */
export async function swapInputs(modelBytes: Uint8Array, size: number, kinds: readonly ParityRow['input'][] = ['random', 'photo']): Promise<SwapInputs[]> {
  const count = 3 * size * size;
  const out: SwapInputs[] = [];
  for (const input of kinds) {
    out.push(input === 'random'
      ? { input, target: seededUniform(count, 0x5eed + count, 0, 1), source: unit(seededUniform(512, 0x5eed + 512, -1, 1)) }
      : { input, target: await letterboxedPhoto(path.join(sharedDir, 'images/t1.jpg'), size, size, 0, 255), source: goldenLatent(modelBytes) });
  }
  return out;
}

export interface SwapParityOptions {
  /** Another INSwapper file than the test bed's width-128 replica (e.g. the full-size one), with its table label. */
  readonly model?: { readonly label: string; readonly bytes: Uint8Array };
  readonly kernels?: 'specialized' | 'generic';
  readonly inputs?: readonly ParityRow['input'][];
  /** The target's side (default 128, the model's own; see replicaAtSize). */
  readonly size?: number;
  readonly onRow?: (row: ParityRow) => void;
}

/** Runs the replica on our backend and onnxruntime-node for each input set; one row per set (one output). */
export async function runSwapParity(backend: 'cpu' | 'webgpu', options: SwapParityOptions = {}): Promise<ParityRow[]> {
  const size = options.size ?? 128;
  const original = options.model?.bytes ?? readFileSync(SWAP_REPLICA);
  const bytes = size === 128 ? original : replicaAtSize(original, size);
  const dims = [1, 3, size, size];
  const ours = await InferenceSession.create(bytes, { backend, webgpu: { kernels: options.kernels ?? 'specialized' } });
  // Severity 3 (errors only): onnxruntime warns that it drops emap, the initializer no node uses.
  const reference = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  const rows: ParityRow[] = [];
  try {
    for (const { input, target, source } of await swapInputs(bytes, size, options.inputs)) {
      const start = performance.now();
      const a = await ours.run({ target: new Tensor('float32', target, dims), source: new Tensor('float32', source, [1, 512]) });
      const oursMs = performance.now() - start;
      const b = await reference.run({ target: new ort.Tensor('float32', target, dims), source: new ort.Tensor('float32', source, [1, 512]) });
      for (const output of ours.outputNames) {
        const row: ParityRow = {
          model: options.model?.label ?? 'inswapper_w128', dims: dims.join('x'), input, output,
          relError: maxRelativeError(a[output]!.data as Float32Array, b[output]!.data as Float32Array), oursMs,
        };
        rows.push(row);
        options.onRow?.(row);
      }
    }
  } finally {
    await ours.release();
    await reference.release();
  }
  return rows;
}
