/**
 * FaceIndex on WebGPU (SwiftShader here): the GPU path returns the CPU path's ids and scores, ties and duplicates
 * included; rows upload incrementally; f16 storage keeps the result exact and its raw recall is bounded; the byte
 * bound covers GPU buffers.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { acquireDevice, type GpuDevice } from '../../../src/backends/webgpu/device.js';
import { FaceIndex, IndexMemoryError } from '../../../src/pipeline/identity/index.js';
import { GpuRowSearch, rowScoreError } from '../../../src/pipeline/identity/search-gpu.js';
import type { ExactGpuSearch } from '../../../src/pipeline/identity/search-exact-gpu.js';
import { bestPerIdentity, sumSquares } from '../../../src/pipeline/identity/search-cpu.js';
import { seededRandom } from '../helpers.js';
import { runAgainstModel } from './index-model.js';

process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

let gpu: GpuDevice;
const gpuErrors: string[] = [];
before(async () => {
  gpu = await acquireDevice({ allowSoftwareAdapter: true });
  gpu.device.addEventListener('uncapturederror', (e) => gpuErrors.push((e as GPUUncapturedErrorEvent).error.message));
});
after(() => {
  gpu?.release();
  assert.deepEqual(gpuErrors, [], 'no WebGPU validation errors');
});

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}
function randomVector(rand: () => number, dim: number): Float32Array {
  return Float32Array.from({ length: dim }, () => gaussian(rand));
}

/**
 * `n` rows, mostly two per identity, with ties planted: row 50j+1 repeats row 50j under its own id (`t…`); queries
 * that are exact copies of rows, of a twin's vector, and random ones.
 */
function build(seed: number, n: number, dim: number, options: ConstructorParameters<typeof FaceIndex>[0]): { index: FaceIndex; cpu: FaceIndex; queries: Float32Array[] } {
  const rand = seededRandom(seed);
  const index = new FaceIndex({ dim, ...options });
  const cpu = new FaceIndex({ dim });
  const vectors: Float32Array[] = [];
  for (let r = 0; r < n; r++) {
    const v = r % 50 === 1 ? vectors[r - 1]! : randomVector(rand, dim); // row 50j+1 repeats row 50j under the next id
    vectors.push(v);
    const id = r % 50 === 1 ? `t${String(r).padStart(5, '0')}` : `p${String(Math.floor(r / 2)).padStart(5, '0')}`;
    index.add(id, v);
    cpu.add(id, v);
  }
  const queries = [vectors[0]!, vectors[7]!, vectors[n - 1]!, ...Array.from({ length: 5 }, () => randomVector(rand, dim))];
  return { index, cpu, queries };
}

async function assertSame(index: FaceIndex, cpu: FaceIndex, queries: Float32Array[], k: number): Promise<void> {
  const want = cpu.searchMany(queries, { k });
  const got = await index.searchManyAsync(queries, { k });
  // The GPU only proposes candidates; the CPU's formula scores them, so equality is exact, not within a tolerance.
  assert.deepEqual(got, want);
  assert.equal(got[0]![0]!.score, want[0]![0]!.score);
}

test('2000 × 128: GPU search equals CPU search (ids, scores, tie order), before and after adds and removes', async () => {
  const { index, cpu, queries } = build(1, 2000, 128, { backend: 'webgpu', device: gpu.device });
  assert.equal(await index.activeBackend(), 'webgpu');
  await assertSame(index, cpu, queries, 10);
  assert.equal(index.lastGpuStats!.cpuFallbacks, 0);
  // The twin of query 0 (same vector, other id) ties it at score 1; the lower id comes first.
  const top = await index.searchAsync(queries[0]!, { k: 2 });
  assert.equal(top[0]!.score, top[1]!.score);
  assert.ok(top[0]!.id < top[1]!.id);
  const before = index.memoryBytes.gpu;
  const written = (): number => (index as unknown as { gpuReady: ExactGpuSearch }).gpuReady.mirror.rowsWritten;
  assert.equal(written(), 2000);
  const rand = seededRandom(9);
  for (let i = 0; i < 300; i++) { const v = randomVector(rand, 128); index.add(`q${i}`, v); cpu.add(`q${i}`, v); }
  await assertSame(index, cpu, queries, 10);
  assert.equal(written(), 2300, 'adds upload only the new rows');
  // p00000 and p00500 hold two rows each, p00999 and q17 one: six holes, filled from the end and uploaded alone.
  for (const id of ['p00000', 'p00500', 'p00999', 'q17']) { index.remove(id); cpu.remove(id); }
  await assertSame(index, cpu, [...queries, randomVector(rand, 128)], 10);
  assert.ok(written() - 2300 <= 6, `a remove uploads the moved rows only (${written() - 2300})`);
  assert.ok(index.memoryBytes.gpu >= before);
  // Threshold and k = 1 go through the same proof.
  assert.deepEqual(await index.searchManyAsync(queries, { k: 1, threshold: 0.2 }), cpu.searchMany(queries, { k: 1, threshold: 0.2 }));
  index.dispose();
});

test('more queries than one GPU submission takes (256): two batches, the same answers', async () => {
  const { index, cpu, queries } = build(6, 100, 8, { backend: 'webgpu', device: gpu.device });
  const rand = seededRandom(7);
  const many = Array.from({ length: 260 }, (_, i) => (i % 3 === 0 ? queries[i % queries.length]! : randomVector(rand, 8)));
  await assertSame(index, cpu, many, 3);
  assert.equal(index.lastGpuStats!.rounds, 2);
  index.dispose();
});

test('500 × 512: GPU search equals CPU search, f32 and f16 storage', async () => {
  for (const gpuPrecision of ['f32', 'f16'] as const) {
    const { index, cpu, queries } = build(2, 500, 512, { backend: 'webgpu', device: gpu.device, gpuPrecision });
    await assertSame(index, cpu, queries, 10);
    assert.equal(index.lastGpuStats!.cpuFallbacks, 0);
    assert.equal(index.memoryBytes.gpu, 1024 * 512 * (gpuPrecision === 'f32' ? 4 : 2)); // one CHUNK of rows
    index.dispose();
  }
});

test('raw GPU scores lie within rowScoreError of the exact score; f16 recall@10 against f32', async () => {
  const dim = 128, n = 3000, queries = 8, k = 10;
  const rand = seededRandom(3);
  const rows = new Float32Array(n * dim);
  for (let r = 0; r < n; r++) {
    const v = randomVector(rand, dim);
    const norm = Math.fround(Math.sqrt(sumSquares(v, 0, dim)));
    for (let i = 0; i < dim; i++) rows[r * dim + i] = v[i]! / norm;
  }
  const q = rows.slice(0, queries * dim).map((v, i) => v + 0.3 * Math.sin(i)); // near rows 0..7, not equal
  for (let j = 0; j < queries; j++) {
    const s = Math.fround(Math.sqrt(sumSquares(q, j * dim, dim)));
    for (let i = 0; i < dim; i++) q[j * dim + i] = q[j * dim + i]! / s;
  }
  const rowSq = Float64Array.from({ length: n }, (_, r) => sumSquares(rows, r * dim, dim));
  const exact = new Float64Array(queries * n).fill(-Infinity);
  bestPerIdentity(q, queries, rows, rowSq, Int32Array.from({ length: n }, (_, r) => r), n, dim, n, exact);
  const recall: Record<string, number> = {};
  for (const precision of ['f32', 'f16'] as const) {
    const mirror = new GpuRowSearch(gpu.device, dim, precision);
    mirror.write(rows, 0, 1700);
    mirror.write(rows, 1700, n); // two writes: the second grows the buffer by a GPU copy
    const top = await mirror.topRows(q, queries, k);
    let maxDiff = 0, hits = 0;
    for (let j = 0; j < queries; j++) {
      const truth = [...exact.subarray(j * n, (j + 1) * n).keys()].sort((a, b) => exact[j * n + b]! - exact[j * n + a]! || a - b).slice(0, k);
      for (let t = 0; t < k; t++) {
        const r = top.rows[j * k + t]!;
        maxDiff = Math.max(maxDiff, Math.abs(top.scores[j * k + t]! - exact[j * n + r]!));
        if (truth.includes(r)) hits++;
      }
      for (let t = 1; t < k; t++) assert.ok(top.scores[j * k + t - 1]! >= top.scores[j * k + t]!, 'best first');
    }
    recall[precision] = hits / (queries * k);
    console.log(`${precision}: max |GPU − exact| = ${maxDiff.toExponential(2)} (bound ${rowScoreError(dim, precision).toExponential(2)}), recall@${k} = ${recall[precision]}`);
    assert.ok(maxDiff <= rowScoreError(dim, precision));
    if (precision === 'f32') assert.ok(maxDiff <= 1e-6, `f32 GPU scores within 1e-6 of the exact ones, got ${maxDiff}`);
    mirror.destroy();
  }
  // f32: the top-10 ranks differ only where two exact scores are closer than ~1e-6 (none here).
  assert.equal(recall['f32'], 1);
  // f16 moves a score by at most ~2⁻¹¹·|s| + a few 1e-5 for 128-d unit vectors; random 3000-row neighbours' 10th and
  // 11th scores are ~1e-2 apart, so at most a near-tie or two may swap: recall ≥ 0.95 (at most 4 of 80 lost).
  assert.ok(recall['f16']! >= 0.95, `f16 recall@10 ${recall['f16']}`);
});

test('rows split over several shards (a 1 MiB shard bound: 2048 rows of 128 floats) give the same top rows', async () => {
  const dim = 128, n = 5000, k = 12;
  const rand = seededRandom(5);
  const rows = new Float32Array(n * dim);
  for (let r = 0; r < n; r++) {
    const v = randomVector(rand, dim);
    const s = Math.fround(Math.sqrt(sumSquares(v, 0, dim)));
    for (let i = 0; i < dim; i++) rows[r * dim + i] = v[i]! / s;
  }
  // Queries equal to rows in each shard, so every shard holds some query's best row.
  const picks = [3, 2100, 4999, 4100];
  const q = new Float32Array(picks.length * dim);
  picks.forEach((r, j) => q.set(rows.subarray(r * dim, (r + 1) * dim), j * dim));
  const whole = new GpuRowSearch(gpu.device, dim, 'f32');
  const split = new GpuRowSearch(gpu.device, dim, 'f32', Infinity, 1 << 20);
  for (const m of [whole, split]) { m.write(rows, 0, 3000); m.write(rows, 3000, n); }
  assert.equal(whole.shardCount, 1);
  assert.equal(split.shardCount, 3);
  const a = await whole.topRows(q, picks.length, k);
  const b = await split.topRows(q, picks.length, k);
  assert.deepEqual(b.rows, a.rows);
  assert.deepEqual(b.scores, a.scores);
  picks.forEach((r, j) => assert.equal(b.rows[j * k], r, 'a row is its own best match'));
  whole.destroy();
  split.destroy();
});

test('the byte bound covers the GPU buffers: IndexMemoryError, and the index still answers on the CPU', async () => {
  const dim = 128;
  const rand = seededRandom(4);
  // 2900 rows count 2900 × 532 B = 1,542,800 B on the CPU; the GPU rows take 3 CHUNKs × 1024 × 512 B = 1,572,864 B.
  const index = new FaceIndex({ dim, maxBytes: 1_550_000, backend: 'webgpu', device: gpu.device });
  for (let r = 0; r < 2900; r++) index.add(`r${r}`, randomVector(rand, dim));
  await assert.rejects(index.searchAsync(randomVector(rand, dim)), (e) => e instanceof IndexMemoryError && e.limitBytes === 1_550_000);
  assert.equal(index.search(randomVector(rand, dim), { k: 3 }).length, 3);
  index.dispose();
});

test('gpu: FaceIndex on WebGPU against the naive model over a random add/remove/search run (tiny: 8-d, ~200 rows)', async () => {
  const index = new FaceIndex({ dim: 8, backend: 'webgpu', device: gpu.device });
  let rounds = 0;
  const counts = await runAgainstModel(index, {
    seed: 155, dim: 8, initialRows: 120, steps: 150,
    search: async (i, q, k, threshold) => { const hits = await i.searchManyAsync(q, { k, threshold }); rounds += i.lastGpuStats!.rounds; return hits; },
  });
  assert.ok(counts.removes > 10 && counts.searches > 10, JSON.stringify(counts));
  assert.equal(await index.activeBackend(), 'webgpu');
  assert.ok(rounds > counts.searches / 2, `GPU rounds ${rounds} over ${counts.searches} searches (k = 1000 goes to the CPU)`);
  index.dispose();
});

/** The index's GPU searcher (internal), to act while one of its searches is under way. */
function searcherOf(index: FaceIndex): ExactGpuSearch {
  return (index as unknown as { gpuReady: ExactGpuSearch }).gpuReady;
}

/** Lets microtasks run until `search` has a search under way (its commands submitted, the read-back awaited). */
async function untilInFlight(search: ExactGpuSearch): Promise<void> {
  for (let i = 0; i < 100 && search.inFlight === 0; i++) await null;
  assert.ok(search.inFlight > 0, 'the GPU search is under way');
}

test('gpu: during an async search, a remove makes it search again, an add is seen or not, a sync search and dispose are safe', async () => {
  const { index, queries } = build(23, 600, 32, { backend: 'webgpu', device: gpu.device });
  const few = queries.slice(0, 6);
  const before = index.searchMany(few, { k: 5 });
  assert.deepEqual(await index.searchManyAsync(few, { k: 5 }), before);
  // A remove while the GPU works moves rows under it (the last rows fill the holes): the answer is the index's after
  // the remove, and the removed identity is never in it.
  const top = before[1]![0]!.id;
  const removed = index.searchManyAsync(few, { k: 5 });
  await untilInFlight(searcherOf(index));
  assert.equal(index.remove(top), true);
  const afterRemove = index.searchMany(few, { k: 5 });
  assert.notDeepEqual(afterRemove, before);
  assert.deepEqual(await removed, afterRemove);
  assert.ok((await removed).every((hits) => hits.every((h) => h.id !== top)));
  // An add while the GPU works: the answer is the index's at one moment between call and answer, so either one.
  const added = index.searchManyAsync(few, { k: 5 });
  await untilInFlight(searcherOf(index));
  index.add('late', few[0]!);
  const withLate = index.searchMany(few, { k: 5 });
  const got = await added;
  assert.ok(JSON.stringify(got) === JSON.stringify(afterRemove) || JSON.stringify(got) === JSON.stringify(withLate), JSON.stringify(got[0]));
  assert.equal((await index.searchManyAsync(few, { k: 5 }))[0]![0]!.id, 'late');
  // A sync search while the GPU works answers on the CPU at once, with the same hits.
  const pending = index.searchManyAsync(few, { k: 5 });
  await untilInFlight(searcherOf(index));
  assert.deepEqual(index.searchMany(few, { k: 5 }), withLate);
  assert.deepEqual(await pending, withLate);
  // Dispose while the GPU works: that search still answers exactly (its buffers live until it does); dispose before
  // it reaches the GPU: the CPU answers; a later search uploads every row again.
  const inFlight = index.searchManyAsync(few, { k: 5 });
  const searcher = searcherOf(index);
  await untilInFlight(searcher);
  index.dispose();
  assert.deepEqual(await inFlight, withLate);
  assert.equal(searcher.inFlight, 0);
  assert.equal(searcher.mirror.rowBufferBytes, 0, 'the disposed mirror is freed once its search answers');
  await index.searchManyAsync(few, { k: 5 });
  const early = index.searchManyAsync(few, { k: 5 });
  index.dispose();
  assert.deepEqual(await early, withLate);
  assert.deepEqual(await index.searchManyAsync(few, { k: 5 }), withLate);
  assert.equal(await index.activeBackend(), 'webgpu');
  assert.notEqual(searcherOf(index), searcher);
  const rows = (index as unknown as { store: { count: number } }).store.count;
  assert.equal(searcherOf(index).mirror.rowsWritten, rows, 'a fresh mirror uploads every row');
  index.dispose();
});

test('gpu: an index that acquired its own device keeps it through a search under way at dispose', async () => {
  const { index, queries } = build(29, 300, 16, { backend: 'webgpu' });
  const want = index.searchMany(queries, { k: 3 });
  assert.deepEqual(await index.searchManyAsync(queries, { k: 3 }), want);
  const inFlight = index.searchManyAsync(queries, { k: 3 });
  await untilInFlight(searcherOf(index));
  index.dispose();
  assert.deepEqual(await inFlight, want);
  // Disposed while the device is still being acquired: the CPU answers and the device is released.
  const opening = index.searchManyAsync(queries, { k: 3 });
  index.dispose();
  assert.deepEqual(await opening, want);
  assert.equal(searcherOf(index), undefined);
});
