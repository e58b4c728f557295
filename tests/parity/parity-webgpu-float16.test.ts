/**
 * Float16 model files on the webgpu backend (SwiftShader, generic kernels): mobilefacenet at 112×112 and the INSwapper
 * replica at 16×16 (its ops and weights at 1/64 of the compute), within the same FLOAT16_BOUNDS as on the cpu backend
 * (72 s wall on the shared 2-core box at load 20, most of it mobilefacenet).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatFloat16Row, inswapperCase, mobilefacenetCase, rowsOutOfBounds, runFloat16Parity } from './float16.js';

process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

describe('float16 model files on the webgpu backend (SwiftShader)', () => {
  for (const [label, make] of [['mobilefacenet', () => mobilefacenetCase()], ['the INSwapper replica at 16×16', () => inswapperCase(16)]] as const) {
    it(`${label}: within the float16 bounds of onnxruntime and of the float32 model`, { timeout: 300_000 }, async () => {
      const rows = await runFloat16Parity(await make(), 'webgpu');
      console.log(rows.map(formatFloat16Row).join('\n'));
      assert.equal(rows.length, 2);
      assert.deepEqual(rowsOutOfBounds(rows), []);
    });
  }
});
