/**
 * FaceIndex against a naive model (a Map of id → embeddings scored the obvious way, index-model.ts) over seeded
 * random runs of adds, removes and searches: the same ids, order and metadata, scores within 1e-6, on one thread,
 * on threads searched synchronously, and on threads awaited by searchManyAsync. (WebGPU: face-index-gpu.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FaceIndex } from '../../../src/pipeline/identity/index.js';
import { runAgainstModel } from './index-model.js';

const DIM = 16;

test('model: one thread, 600 random steps from an empty index', async () => {
  const index = new FaceIndex({ threads: 1 });
  const counts = await runAgainstModel(index, { seed: 151, dim: DIM, initialRows: 0, steps: 600, search: (i, q, k, threshold) => i.searchMany(q, { k, threshold }) });
  assert.ok(counts.removes > 50 && counts.searches > 50, JSON.stringify(counts));
});

test('model: one thread over 2500 rows, removes interleaved with more adds', async () => {
  const index = new FaceIndex({ threads: 1 });
  await runAgainstModel(index, { seed: 152, dim: DIM, initialRows: 2500, steps: 400, search: (i, q, k, threshold) => i.searchMany(q, { k, threshold }) });
});

test('model: three threads, synchronous searches (ranges of ≥ 1024 rows, so the workers take part)', async () => {
  const index = new FaceIndex({ dim: DIM, threads: 3 });
  await runAgainstModel(index, { seed: 153, dim: DIM, initialRows: 3500, steps: 400, search: (i, q, k, threshold) => i.searchMany(q, { k, threshold }) });
  assert.equal(index.threads.workers, 2, 'the caller and two workers searched');
  index.dispose();
});

test('model: three threads, searchManyAsync awaiting the workers', async () => {
  const index = new FaceIndex({ dim: DIM, threads: 3 });
  await runAgainstModel(index, { seed: 154, dim: DIM, initialRows: 3500, steps: 400, search: (i, q, k, threshold) => i.searchManyAsync(q, { k, threshold }) });
  assert.equal(index.threads.workers, 3, 'three workers searched, the caller none');
  index.dispose();
});
