import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InferenceSession } from '../../src/session/session.js';
import { Tensor } from '../../src/core/tensor.js';
import { headSpec, runHead } from '../../src/pipeline/head-model.js';
import { CpuPreprocessor } from '../../src/pipeline/preprocess/preprocessor.js';
import type { Affine2x3 } from '../../src/pipeline/affine.js';
import { imageFrom } from './helpers.js';

/** A head whose output row is the crop's mean value per channel; records the batch size of every run. */
function fakeHead(batch: number | string, calls: number[], backendName: 'cpu' | 'webgpu' = 'cpu'): InferenceSession {
  const fake = {
    backendName,
    inputMetadata: [{ name: 'data', isTensor: true, type: 'float32', shape: [batch, 3, 4, 4] }],
    outputNames: ['fc1'],
    async run(feeds: Record<string, Tensor>) {
      const t = feeds['data']!;
      const n = t.dims[0]!;
      calls.push(n);
      const out = new Float32Array(n * 3);
      const data = t.data as Float32Array;
      for (let i = 0; i < n * 3; i++) {
        let s = 0;
        for (let k = 0; k < 16; k++) s += data[i * 16 + k]!;
        out[i] = s / 16;
      }
      return { fc1: new Tensor('float32', out, [n, 3]) };
    },
  };
  return fake as unknown as InferenceSession;
}

describe('runHead batching', () => {
  // Crops at different offsets of a horizontal ramp: each crop's mean tells which transform produced it.
  const image = imageFrom(32, 4, (x) => x * 8);
  const shifts: Affine2x3[] = [0, 8, 16].map((dx) => [1, 0, -dx, 0, 1, 0] as const);
  const expectedMeans = [0, 8, 16].map((dx) => (dx + 1.5) * 8);

  for (const [batch, expectedCalls] of [['None', [3]], [1, [1, 1, 1]]] as const) {
    it(`${typeof batch === 'string' ? 'dynamic batch: one run for all faces' : 'static batch 1: one run per face'}`, async () => {
      const calls: number[] = [];
      const spec = headSpec('test', fakeHead(batch, calls), { mean: 0, std: 1 });
      assert.equal(spec.dynamicBatch, typeof batch === 'string');
      const rows = await runHead(spec, new CpuPreprocessor(), image, shifts);
      assert.deepEqual(calls, expectedCalls);
      assert.deepEqual(rows.map((r) => Array.from(r)), expectedMeans.map((m) => [m, m, m]));
    });
  }

  it('dynamic batch: a crowd runs in chunks of maxBatch, rows in face order', async () => {
    const calls: number[] = [];
    const spec = headSpec('test', fakeHead('None', calls), { mean: 0, std: 1 }, { maxBatch: 2 });
    const rows = await runHead(spec, new CpuPreprocessor(), image, shifts);
    assert.deepEqual(calls, [2, 1]);
    assert.deepEqual(rows.map((r) => Array.from(r)), expectedMeans.map((m) => [m, m, m]));
  });

  it('dynamic batch on WebGPU: each chunk runs as a power-of-two batch (padding rows dropped)', async () => {
    const calls: number[] = [];
    const five: Affine2x3[] = [0, 4, 8, 12, 16].map((dx) => [1, 0, -dx, 0, 1, 0] as const);
    const spec = headSpec('test', fakeHead('None', calls, 'webgpu'), { mean: 0, std: 1 }, { maxBatch: 4 });
    const rows = await runHead(spec, new CpuPreprocessor(), image, five);
    // 5 faces, at most 4 a run: 4, then 1 (a power of two already); 3 faces would run as 4.
    assert.deepEqual(calls, [4, 1]);
    assert.deepEqual(rows.map((r) => Array.from(r)), [0, 4, 8, 12, 16].map((dx) => { const m = (dx + 1.5) * 8; return [m, m, m]; }));
    calls.length = 0;
    const three = await runHead(spec, new CpuPreprocessor(), image, shifts);
    assert.deepEqual(calls, [4]);
    assert.deepEqual(three.map((r) => Array.from(r)), expectedMeans.map((m) => [m, m, m]));
  });

  it('refuses a maxBatch that is not a positive integer', () => {
    assert.throws(() => headSpec('test', fakeHead('None', []), { mean: 0, std: 1 }, { maxBatch: 0 }), /maxBatch/);
  });
});
