import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultCases, formatRow, PARITY_BOUND, runParity } from '../parity/parity.js';

// The sizes that stay quick on SwiftShader (CI has no GPU): SCRFD-2.5G at 160×160 and 256×192, mobilefacenet,
// the three tiny heads, each on a seeded random tensor and a real photo.
test('webgpu backend matches onnxruntime-node on every shared model at small sizes', { timeout: 25 * 60_000 }, async () => {
  const rows = await runParity(defaultCases({ small: true }), 'webgpu');
  console.log(rows.map(formatRow).join('\n'));
  // 1e-4 relative (max-abs difference over max-abs reference) is the project's fp32 bound against onnxruntime.
  assert.deepEqual(rows.filter((r) => !(r.relError <= PARITY_BOUND)).map(formatRow), []);
  assert.ok(rows.length >= 2 * (2 * 9 + 4), 'both detector sizes (9 outputs each) and the four heads ran on random and photo inputs');
});

// The generic tier gives every first result of a tiered session, so it answers to the same bound: here the
// detector at 160×160 and the heads (the 256×192 detector adds no kernel the generic tier does not already have).
test('webgpu generic kernels match onnxruntime-node on the shared models at small sizes', { timeout: 25 * 60_000 }, async () => {
  const cases = defaultCases({ small: true }).filter((c) => c.dims.join() !== '1,3,192,256');
  const rows = await runParity(cases, 'webgpu', undefined, 'generic');
  console.log(rows.map(formatRow).join('\n'));
  // 1e-4 relative, as above.
  assert.deepEqual(rows.filter((r) => !(r.relError <= PARITY_BOUND)).map(formatRow), []);
  assert.ok(rows.length >= 2 * (9 + 4), 'the detector (9 outputs) and the four heads ran on random and photo inputs');
});
