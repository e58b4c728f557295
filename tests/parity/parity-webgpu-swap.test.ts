import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatRow, PARITY_BOUND } from './parity.js';
import { runSwapParity } from './swap.js';

process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

// The INSwapper replica's graph on WebGPU with the target at 32×32 (every op, attribute and weight of the replica,
// 1/16 of its compute: ~4 s a run on SwiftShader, against ~20 s at 128×128, which `npm run parity -- --backend
// webgpu` runs in both tiers). The generic tier: what a software adapter runs, and where layers of different shapes
// share one pipeline through their uniforms.
test('webgpu backend matches onnxruntime-node on the INSwapper replica\'s graph (target 32×32, generic kernels, photo)', { timeout: 5 * 60_000 }, async () => {
  const rows = await runSwapParity('webgpu', { size: 32, kernels: 'generic', inputs: ['photo'] });
  console.log(rows.map(formatRow).join('\n'));
  // 1e-4 relative (max-abs over max-abs) is the project's fp32 bound against onnxruntime.
  assert.deepEqual(rows.filter((r) => !(r.relError <= PARITY_BOUND)).map(formatRow), []);
  assert.equal(rows.length, 1);
});
