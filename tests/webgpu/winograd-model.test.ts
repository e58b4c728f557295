/**
 * A whole model through the Winograd kernel: the INSwapper replica (reflect-padded 3×3 convs of 128–256 channels at
 * width 128, fused residuals and LeakyRelu) on the specialised tier against onnxruntime-node, at the 32×32 target
 * the swap parity test uses on SwiftShader.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { webGpuPlanStats } from '../../src/backends/webgpu/plan-stats.js';
import { optimizeGraph } from '../../src/graph/optimize.js';
import { specializeGraph } from '../../src/graph/specialize.js';
import { parseModel } from '../../src/parser/decode-model.js';
import { ensureReplicas } from '../../models/forge/cache.js';
import { modelPlanStats } from '../../bench/node/bench-plan-stats.js';
import { REPLICA_BENCH_MODELS } from '../../bench/node/bench-models.js';
import { formatRow, PARITY_BOUND } from '../parity/parity.js';
import { replicaAtSize, runSwapParity, SWAP_REPLICA } from '../parity/swap.js';

process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

test('the INSwapper replica runs its 3×3 convs as Winograd and matches onnxruntime-node (target 32×32, specialised kernels)', { timeout: 5 * 60_000 }, async () => {
  const graph = optimizeGraph(specializeGraph(parseModel(replicaAtSize(readFileSync(SWAP_REPLICA), 32)), new Map([
    ['target', { type: 'float32' as const, dims: [1, 3, 32, 32] }], ['source', { type: 'float32' as const, dims: [1, 512] }],
  ])));
  const { winograd } = webGpuPlanStats(graph, { software: true });
  assert.ok(winograd.layers >= 10, `Winograd layers ${winograd.layers}`);
  const rows = await runSwapParity('webgpu', { size: 32, kernels: 'specialized', inputs: ['photo'] });
  console.log(`${winograd.layers} Winograd layers\n${rows.map(formatRow).join('\n')}`);
  // 1e-4 relative (max-abs over max-abs), the project's fp32 bound against onnxruntime.
  assert.deepEqual(rows.filter((r) => !(r.relError <= PARITY_BOUND)).map(formatRow), []);
  assert.equal(rows.length, 1);
});

// The Winograd layers of the conv-heavy models (forged replicas), pinned so a change to the rule or the lowering that
// drops them fails here: every stride-1 3×3 conv of ≥ 16 channels, 2.25× fewer multiplies (less the part-filled
// tiles of odd planes).
test('w600k_r50 and det_10g plans run their stride-1 3×3 convs as Winograd', async () => {
  const replicas = await ensureReplicas(['det_10g', 'w600k_r50']);
  const minimum: Record<string, number> = { w600k_r50: 44, 'det_10g@640': 40 };
  const models = REPLICA_BENCH_MODELS.filter((m) => m.name in minimum);
  assert.deepEqual(models.map((m) => m.name).sort(), Object.keys(minimum).sort());
  for (const model of models) {
    const { winograd } = modelPlanStats(new Uint8Array(readFileSync(replicas[model.file.replace(/\.onnx$/, '') as keyof typeof replicas])), model, false);
    assert.ok(winograd.layers >= minimum[model.name]!, `${model.name}: ${winograd.layers} Winograd layers`);
    assert.ok(winograd.directMacs / winograd.multiplies >= 2.15, `${model.name}: ${winograd.directMacs} MACs → ${winograd.multiplies} multiplies`);
  }
});
