import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultCases, formatRow, PARITY_BOUND, runParity } from './parity.js';

test('cpu backend matches onnxruntime-node on every shared model, size and output', { timeout: 20 * 60_000 }, async () => {
  const rows = await runParity(defaultCases(), 'cpu');
  const failures = rows.filter((r) => !(r.relError <= PARITY_BOUND));
  console.log(rows.map(formatRow).join('\n'));
  // 1e-4 relative (max-abs over max-abs) is the project's fp32 bound against onnxruntime.
  assert.deepEqual(failures.map(formatRow), []);
  assert.ok(rows.length >= 2 * 9 * 4, 'every detector size and head ran on random and photo inputs');
});
