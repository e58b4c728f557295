/**
 * Upper bounds on what each model's WebGPU plan records and moves (`npm run bench -- --plan-stats`), counted from
 * the plan's own lowering with the real-GPU kernel variants, no device: a change that adds dispatches, pipelines,
 * padded multiply-adds, split-K scratch, uploads, read-back or activation memory fails here and has to say why in the bounds.
 * The bounds are the numbers at this commit; lower them when a change improves one.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ensureReplicas } from '../../models/forge/cache.js';
import { modelPlanStats } from '../../bench/node/bench-plan-stats.js';
import { BENCH_MODELS, REPLICA_BENCH_MODELS, type BenchModel } from '../../bench/node/bench-models.js';

const SHARED = path.resolve(import.meta.dirname, '../../../shared');

interface Bounds {
  /** Dispatches per run, generic / specialised tier. */
  readonly dispatches: readonly [number, number];
  /** Pipelines, generic / specialised tier. */
  readonly pipelines: readonly [number, number];
  /** Padded-MAC fraction (share of computed GEMM multiply-adds on tile padding), generic / specialised tier. */
  readonly paddedMacs: readonly [number, number];
  readonly scratchMiB: number;
  readonly uploadMiB: number;
  readonly activationsMiB: number;
}

// The generic tier runs the tiled kernel on a GPU: its padded-MAC fraction is that of three fixed tile shapes (the
// direct kernel it replaced padded only to 8 rows), and a model's generic pipelines are up to three per kernel kind.
// The specialised tier runs the stride-1 3×3 layers as Winograd F(2×2, 3×3) (its multiplies are counted apart, in
// modelPlanStats' winograd field), so its padded-MAC fraction is that of the remaining GEMM layers (1×1, strided,
// grouped, fully connected), which pad more; and those layers' split-K is gone with them.
const BOUNDS: Readonly<Record<string, Bounds>> = {
  // The box scales, score Sigmoids and shortcut AveragePools fold into their convs (9 steps fewer; the pools' 1×1
  // weights spread over 2×2 taps, +0.04 MiB uploaded); the 9 head Transposes become their convs' store order and the
  // 2 FPN Resizes their lateral convs' residual reads (69/75 → 58/64 dispatches, 5/60 → 3/49 pipelines).
  'scrfd_2.5g@640': { paddedMacs: [0.317, 0.228], dispatches: [58, 64], pipelines: [3, 49], scratchMiB: 0.4, uploadMiB: 3.3, activationsMiB: 17.7 },
  mobilefacenet: { paddedMacs: [0.091, 0.093], dispatches: [51, 53], pipelines: [2, 26], scratchMiB: 0.1, uploadMiB: 3.9, activationsMiB: 2.7 },
  // As scrfd_2.5g; the folded AveragePools spread their 1×1 convs' weights over 2×2 taps (+0.3 MiB uploaded)
  // (70/79 → 59/68 dispatches, 5/63 → 3/52 pipelines with the Transposes and Resizes fused).
  'det_10g@640': { paddedMacs: [0.146, 0.209], dispatches: [59, 68], pipelines: [3, 52], scratchMiB: 0.7, uploadMiB: 16.6, activationsMiB: 40.1 },
  // 55 steps, Flatten a view (every BatchNormalization folded: 24 into the convs after them, bn2 and the BN1d into the Gemm); split-K
  // (chunks of at least 16 K steps) adds the rest.
  w600k_r50: { paddedMacs: [0.147, 0.325], dispatches: [54, 58], pipelines: [4, 26], scratchMiB: 0.8, uploadMiB: 166.3, activationsMiB: 6.9 },
  // Batch 8 (issue 14's second w600k_r50 row): the batch fills the tiles the batch-1 GEMV pads.
  'w600k_r50@b8': { paddedMacs: [0.014, 0.058], dispatches: [54, 55], pipelines: [5, 23], scratchMiB: 0.35, uploadMiB: 166.3, activationsMiB: 55.2 },
  '1k3d68': { paddedMacs: [0.199, 0.195], dispatches: [56, 71], pipelines: [4, 35], scratchMiB: 0.6, uploadMiB: 115.5, activationsMiB: 6.8 },
  // 238 nodes as 43 steps: fused instance norms, one merged style Gemm, reflect pads in the convs.
  inswapper_w128: { paddedMacs: [0.163, 0.458], dispatches: [43, 44], pipelines: [9, 28], scratchMiB: 0.1, uploadMiB: 13.6, activationsMiB: 7.0 },
};

const MiB = 2 ** 20;
const replicas = await ensureReplicas(['det_10g', 'w600k_r50', '1k3d68']);
const models: [BenchModel, string][] = [
  ...BENCH_MODELS.filter((m) => m.name in BOUNDS).map((m): [BenchModel, string] => [m, path.join(SHARED, 'models', m.file)]),
  ...REPLICA_BENCH_MODELS.filter((m) => m.name in BOUNDS).map((m): [BenchModel, string] => [m, replicas[m.file.replace(/\.onnx$/, '') as keyof typeof replicas]]),
  [{ name: 'inswapper_w128', file: 'inswapper_w128_seed1.onnx', input: 'target', dims: [1, 3, 128, 128] }, path.join(SHARED, 'swap/inswapper_w128_seed1.onnx')],
];

describe('WebGPU plan statistics stay within their bounds', () => {
  it('covers every bounded model', () => assert.deepEqual(models.map(([m]) => m.name).sort(), Object.keys(BOUNDS).sort()));
  for (const [model, file] of models) {
    it(model.name, () => {
      const s = modelPlanStats(new Uint8Array(readFileSync(file)), model, false);
      const b = BOUNDS[model.name]!;
      assert.equal(s.cpuSteps, 0, 'every step runs on the GPU');
      assert.ok(s.generic.dispatches <= b.dispatches[0] && s.specialized.dispatches <= b.dispatches[1], `dispatches ${s.generic.dispatches}/${s.specialized.dispatches}`);
      assert.ok(s.generic.pipelines <= b.pipelines[0] && s.specialized.pipelines <= b.pipelines[1], `pipelines ${s.generic.pipelines}/${s.specialized.pipelines}`);
      assert.ok(s.generic.paddedMacFraction <= b.paddedMacs[0] && s.specialized.paddedMacFraction <= b.paddedMacs[1],
        `padded-MAC fraction ${s.generic.paddedMacFraction.toFixed(4)}/${s.specialized.paddedMacFraction.toFixed(4)}`);
      assert.ok(Math.max(s.generic.scratchBytes, s.specialized.scratchBytes) <= b.scratchMiB * MiB, `split-K scratch ${s.specialized.scratchBytes}`);
      assert.ok(s.uploadedBytes <= b.uploadMiB * MiB, `uploaded ${s.uploadedBytes}`);
      assert.ok(s.activationBytes <= b.activationsMiB * MiB, `activations ${s.activationBytes}`);
      // A run reads back its outputs and nothing else.
      const outputs = s.readBackBytesPerRun;
      assert.ok(outputs > 0 && outputs <= 1.1 * MiB, `read back ${outputs}`);
    });
  }
});
