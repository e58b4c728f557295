/**
 * `npx tsx bench/node/bench-fp16-bound.ts [--json FILE] [--det-size N] [--replicas DIR]`: the bound the WebGPU fp16 path is held to,
 * measured on the CPU by emulating it (bench/node/fp16-emulation.ts) against the fp32 path on every test-bed model:
 * max relative error per model output, and on the goldens' photos what the pipeline compares (detections of t1.jpg:
 * face count, box and keypoint shifts in px, det_score; embeddings: cosine of the Tom Hanks crop and of t1's faces).
 * With `--replicas DIR` (a folder of the forged buffalo_l replicas, models/forge) their relative errors too, on seeded
 * inputs (their weights are random, so their detections mean nothing). Takes a minute or two on one core (both detectors at 640 twice); tests/webgpu/fp16-bound.test.ts checks the same
 * quantities at small sizes in CI.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TensorData } from '../../src/core/ir.js';
import { decodeImageNode } from '../../src/pipeline/decode-node.js';
import { letterbox } from '../../src/pipeline/preprocess/letterbox.js';
import { blobFromImages } from '../../src/pipeline/preprocess/blob.js';
import { warpAffine } from '../../src/pipeline/preprocess/warp-affine.js';
import { estimateNorm } from '../../src/pipeline/norm-crop.js';
import { Prng } from '../../models/forge/prng.js';
import { detectionBound, type DetectionBound } from './fp16-detection.js';
import { cosine, loadGraph, maxRelativeError, runGraph } from './fp16-emulation.js';

const SHARED = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared');

/** One model's emulated fp16 error against fp32. */
export interface Fp16BoundRow {
  readonly model: string;
  readonly input: string;
  /** max |fp16 − fp32| / max |fp32| per output, by name. */
  readonly outputs: Record<string, number>;
}

function seeded(dims: number[], seed: number, lo: number, hi: number): TensorData {
  const prng = new Prng(seed);
  const data = new Float32Array(dims.reduce((a, d) => a * d, 1));
  for (let i = 0; i < data.length; i++) data[i] = lo + (hi - lo) * prng.uniform();
  return { type: 'float32', dims, data };
}

/** Emulated fp16 against fp32 for one model on one set of feeds. */
export function boundRow(model: string, file: string, feeds: ReadonlyMap<string, TensorData>, input: string): { row: Fp16BoundRow; wide: Map<string, TensorData>; half: Map<string, TensorData> } {
  const graph = loadGraph(file, new Map([...feeds].map(([n, t]) => [n, { type: t.type, dims: t.dims }])));
  const wide = runGraph(graph, feeds, false);
  const half = runGraph(graph, feeds, true);
  const outputs: Record<string, number> = {};
  for (const [name, t] of wide) outputs[name] = maxRelativeError(half.get(name)!, t);
  return { row: { model, input, outputs }, wide, half };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { json: { type: 'string' }, 'det-size': { type: 'string', default: '640' }, replicas: { type: 'string' } } });
  const det = Number(values['det-size']);
  const t1 = await decodeImageNode(path.join(SHARED, 'images/t1.jpg'));
  const hanks = await decodeImageNode(path.join(SHARED, 'images/Tom_Hanks_54745.png'));
  const rows: Fp16BoundRow[] = [];
  const detections: (DetectionBound & { model: string })[] = [];
  let faceKps: Float32Array[] = [];
  for (const [name, file, size] of [['scrfd_2.5g', 'scrfd_2.5g_bnkps.onnx', det], ['scrfd_500m', 'scrfd_500m_bnkps.onnx', 640]] as const) {
    const { image, detScale } = letterbox(t1, [size, size]);
    const blob = blobFromImages([image], { mean: 127.5, std: 128 });
    const r = boundRow(`${name}@${size}`, path.join(SHARED, 'models', file), new Map([['input.1', blob]]), `t1.jpg letterboxed to ${size}`);
    rows.push(r.row);
    const bound = detectionBound(r.wide, r.half, size, detScale);
    detections.push({ model: `${name}@${size}`, ...bound });
    if (faceKps.length === 0) faceKps = bound.referenceKps;
  }
  // Embeddings: the aligned Tom Hanks crop and t1's faces aligned by the fp32 detector's keypoints.
  const crops = [hanks, ...faceKps.map((kps) => warpAffine(t1, estimateNorm(kps, 112), 112, 112))];
  const rec = boundRow('mobilefacenet', path.join(SHARED, 'models/mobilefacenet.onnx'), new Map([['input', blobFromImages(crops, { mean: 127.5, std: 127.5 })]]),
    `Tom Hanks crop + ${faceKps.length} t1 faces`);
  rows.push(rec.row);
  const w = rec.wide.values().next().value!.data as Float32Array;
  const h = rec.half.values().next().value!.data as Float32Array;
  const dim = w.length / crops.length;
  const cosines = crops.map((_, k) => cosine(w.subarray(k * dim, (k + 1) * dim), h.subarray(k * dim, (k + 1) * dim)));
  for (const [name, size] of [['tiny_2d106', 192], ['tiny_3d68', 192], ['tiny_genderage', 96]] as const) {
    rows.push(boundRow(name, path.join(SHARED, 'models', `${name}.onnx`), new Map([['data', seeded([1, 3, size, size], 7, 0, 255)]]), 'seeded pixels 0..255').row);
  }
  rows.push(boundRow('inswapper_w128', path.join(SHARED, 'swap/inswapper_w128_seed1.onnx'),
    new Map([['target', seeded([1, 3, 128, 128], 11, 0, 1)], ['source', seeded([1, 512], 13, -0.08, 0.08)]]), 'seeded target 0..1, source ±0.08').row);

  if (values.replicas) {
    for (const [name, input, dims, lo, hi] of [['w600k_r50', 'input.1', [1, 3, 112, 112], -1, 1], ['1k3d68', 'data', [1, 3, 192, 192], 0, 255],
      ['2d106det', 'data', [1, 3, 192, 192], 0, 255], ['genderage', 'data', [1, 3, 96, 96], 0, 255], ['det_10g', 'input.1', [1, 3, det, det], -1, 1]] as const) {
      rows.push(boundRow(`${name} (replica)`, path.join(values.replicas, `${name}.onnx`), new Map([[input, seeded([...dims], 17, lo, hi)]]), `seeded ${lo}..${hi}`).row);
    }
  }
  console.log('fp16 emulated on the CPU against fp32 (max |fp16 − fp32| / max |fp32| per output)');
  for (const r of rows) {
    const errs = Object.values(r.outputs);
    console.log(`${r.model.padEnd(16)} ${r.input.padEnd(34)} worst ${Math.max(...errs).toExponential(2)}  (${errs.map((e) => e.toExponential(1)).join(' ')})`);
  }
  console.log('\ndetections of t1.jpg (faces matched by IoU ≥ 0.9; goldens allow 2 px and 0.02)');
  for (const d of detections) {
    console.log(`${d.model.padEnd(16)} faces fp32/fp16 ${d.faces[0]}/${d.faces[1]}  matched ${d.matched}  box ≤ ${d.boxPx.toFixed(3)} px  kps ≤ ${d.kpsPx.toFixed(3)} px  score ≤ ${d.score.toExponential(2)}`);
  }
  console.log(`\nembedding cosine fp16 vs fp32 (goldens allow ≥ 0.995): min ${Math.min(...cosines).toFixed(6)} over ${cosines.length} crops`);
  if (values.json) writeFileSync(values.json, JSON.stringify({ rows, detections: detections.map(({ referenceKps: _, ...d }) => d), cosines }, null, 2));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((error: unknown) => { console.error(error); process.exitCode = 1; });
}
