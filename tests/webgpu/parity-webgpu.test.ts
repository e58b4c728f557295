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
