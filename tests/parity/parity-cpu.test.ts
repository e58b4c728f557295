import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultCases, formatRow, PARITY_BOUND, replicaCases, runParity } from './parity.js';

test('cpu backend matches onnxruntime-node on every shared model, size and output', { timeout: 20 * 60_000 }, async () => {
  const rows = await runParity(defaultCases(), 'cpu');
  const failures = rows.filter((r) => !(r.relError <= PARITY_BOUND));
  console.log(rows.map(formatRow).join('\n'));
  // 1e-4 relative (max-abs over max-abs) is the project's fp32 bound against onnxruntime.
  assert.deepEqual(failures.map(formatRow), []);
  assert.ok(rows.length >= 2 * 9 * 4, 'every detector size and head ran on random and photo inputs');
});

// The five buffalo_l replicas at their real input sizes (det_10g at 640×640), fed the photo only: ~90 s alone on the
// 2-core box (270 s measured while a SwiftShader run shared the cores), most of it det_10g, w600k_r50 and 1k3d68
// (`npm run parity` also feeds them a seeded random tensor).
test('cpu backend matches onnxruntime-node on the five buffalo_l replicas at full size', { timeout: 10 * 60_000 }, async () => {
  const rows = await runParity(await replicaCases('full', ['photo']), 'cpu');
  console.log(rows.map(formatRow).join('\n'));
  // 1e-4 relative (max-abs over max-abs) is the project's fp32 bound against onnxruntime.
  assert.deepEqual(rows.filter((r) => !(r.relError <= PARITY_BOUND)).map(formatRow), []);
  assert.deepEqual([...new Set(rows.map((r) => r.model))].sort(), ['1k3d68', '2d106det', 'det_10g', 'genderage', 'w600k_r50']);
  assert.equal(rows.length, 9 + 4, "det_10g's nine outputs and each head's one");
});
