import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatRow, PARITY_BOUND } from './parity.js';
import { runSwapParity } from './swap.js';

// The INSwapper replica (width 128, ~2.7 GMAC) on the cpu backend: ~1.5 s a run on the 2-core box. Its WebGPU run
// (~20 s a run on SwiftShader) is in `npm run parity -- --backend webgpu`.
test('cpu backend matches onnxruntime-node on the INSwapper replica (random and photo target, random and golden source)', { timeout: 5 * 60_000 }, async () => {
  const rows = await runSwapParity('cpu');
  console.log(rows.map(formatRow).join('\n'));
  // 1e-4 relative (max-abs over max-abs) is the project's fp32 bound against onnxruntime.
  assert.deepEqual(rows.filter((r) => !(r.relError <= PARITY_BOUND)).map(formatRow), []);
  assert.deepEqual(rows.map((r) => `${r.input} ${r.output}`), ['random output', 'photo output']);
});
