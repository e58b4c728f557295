/**
 * The threaded CPU search (FaceIndex `threads`) against the one-thread search of the same index: ids, scores and
 * metadata must be identical (compared as JSON, so bit for bit), through ties, large k, thresholds, several
 * embeddings per identity, searchMany, removes, growth after threads started, and a file round trip.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FaceIndex, FaceIndexError } from '../../../src/pipeline/identity/index.js';
import { threadsAvailable } from '../../../src/pipeline/identity/search-threads.js';
import { ROW_BOOKKEEPING_BYTES } from '../../../src/pipeline/identity/identity-rows.js';
import { seededRandom } from '../helpers.js';

const DIM = 16;

function randomVector(rand: () => number, dim = DIM): Float32Array {
  return Float32Array.from({ length: dim }, () => rand() * 2 - 1);
}

/** The same adds into a one-thread index and a three-thread one (threads at any size). */
function pair(): { one: FaceIndex; three: FaceIndex; add: (id: string, v: Float32Array) => void } {
  const one = new FaceIndex({ dim: DIM, threads: 1 });
  const three = new FaceIndex({ dim: DIM, threads: 3 });
  return { one, three, add: (id, v) => { one.add(id, v, { id }); three.add(id, v, { id }); } };
}

const same = (a: FaceIndex, b: FaceIndex, queries: Float32Array[], k: number, threshold?: number): void => {
  const opts = threshold === undefined ? { k } : { k, threshold };
  assert.equal(JSON.stringify(b.searchMany(queries, opts)), JSON.stringify(a.searchMany(queries, opts)), `k=${k} threshold=${threshold}`);
};

test('threads: the machine runs them (else the rest of this file checks nothing)', () => {
  assert.ok(threadsAvailable(), 'Node with worker_threads and SharedArrayBuffer');
  assert.equal(new FaceIndex({ dim: DIM, threads: 3 }).threads.count, 3);
  assert.equal(new FaceIndex({ dim: DIM, threads: 1 }).threads.count, 1);
});

test('threads: identical hits to one thread, with ties, several rows per identity, k beyond a range, thresholds', () => {
  const rand = seededRandom(15);
  const { one, three, add } = pair();
  // 5000 rows over 1700 identities (ids interleaved so each identity spans ranges), and 300 identities holding one
  // shared vector, spread over every range: exact ties, ordered by id, some cut at the k-th place of a range.
  const tie = randomVector(rand);
  for (let r = 0, t = 0; r < 5300; r++) {
    if (r % 17 === 5 && t < 300) add(`tie${(t++ * 37) % 300}`, tie);
    else add(`id${(r * 7) % 1700}`, randomVector(rand));
  }
  const queries = [tie, ...Array.from({ length: 4 }, () => randomVector(rand))];
  assert.equal(three.threads.workers, 0, 'workers start on the first search');
  for (const k of [1, 5, 64, 299, 301, 2000, 5000]) same(one, three, queries, k);
  assert.equal(three.threads.workers, 2, 'five ranges of ≥ 1024 rows: the caller and two workers');
  for (const threshold of [0.2, 0.5, 0.99, 1.5]) same(one, three, queries, 10, threshold);
  same(one, three, queries, 0);
  assert.equal(three.search(tie, { k: 300 }).every((h) => h.id.startsWith('tie')), true);
  assert.deepEqual(three.search(queries[1]!, { k: 3 }), one.search(queries[1]!, { k: 3 }));
});

test('threads: identical after removes, and after adds that grow the shared memory while threads run', () => {
  const rand = seededRandom(16);
  const { one, three, add } = pair();
  for (let r = 0; r < 4000; r++) add(`p${r % 900}`, randomVector(rand));
  const queries = Array.from({ length: 3 }, () => randomVector(rand));
  same(one, three, queries, 20); // threads start here
  for (const id of ['p0', 'p450', 'p899', 'p17', 'nobody']) assert.equal(three.remove(id), one.remove(id));
  same(one, three, queries, 20);
  const before = three.memoryBytes.cpu;
  for (let r = 0; r < 6000; r++) add(`q${r % 5000}`, randomVector(rand));
  assert.ok(three.memoryBytes.cpu > before, 'the rows grew');
  same(one, three, queries, 20);
  same(one, three, queries, 3000);
  for (let i = 0; i < 5000; i += 97) { one.remove(`q${i}`); three.remove(`q${i}`); }
  same(one, three, queries, 50);
  const loaded = FaceIndex.fromBytes(three.toBytes(), { threads: 2 });
  same(one, loaded, queries, 50);
  loaded.dispose();
});

test('threads: dispose ends them, and a later search starts them again with the same hits', () => {
  const rand = seededRandom(17);
  const { one, three, add } = pair();
  for (let r = 0; r < 3500; r++) add(`d${r}`, randomVector(rand));
  const queries = [randomVector(rand)];
  same(one, three, queries, 7);
  assert.equal(three.threads.workers, 2);
  three.dispose();
  assert.equal(three.threads.workers, 0);
  same(one, three, queries, 7);
  assert.equal(three.threads.workers, 2);
  three.dispose();
});

test('threads: bad values are a FaceIndexError', () => {
  for (const threads of [0, -2, 1.5, Number.NaN, 'many']) {
    assert.throws(() => new FaceIndex({ threads: threads as number }), FaceIndexError, String(threads));
  }
});

test('threads: rows beyond wasm32 shared memory fall back to one thread; maxBytes still bounds adds', () => {
  // 3M × 512 floats is 6 GiB, beyond a 4 GiB shared memory: the rows stay one thread's (and are not allocated yet).
  const big = new FaceIndex({ dim: 512, maxEntries: 3_000_000, threads: 2 });
  big.add('a', randomVector(seededRandom(1), 512));
  assert.equal(big.threads.count, 1);
  assert.equal(big.search(randomVector(seededRandom(2), 512))[0]!.id, 'a');
  const bounded = new FaceIndex({ dim: DIM, threads: 2, maxBytes: 10 * (DIM * 4 + ROW_BOOKKEEPING_BYTES) });
  for (let i = 0; i < 10; i++) bounded.add(`b${i}`, randomVector(seededRandom(i + 3)));
  assert.throws(() => bounded.add('b10', randomVector(seededRandom(99))), FaceIndexError);
  assert.equal(bounded.entries, 10);
});

test('threads: an index never disposed does not keep the process alive', () => {
  const module = fileURLToPath(new URL('../../../src/pipeline/identity/index.ts', import.meta.url));
  const script = `import { FaceIndex } from ${JSON.stringify(module)};
    const index = new FaceIndex({ dim: 8, threads: 2 });
    for (let i = 0; i < 3000; i++) index.add('x' + i, Float32Array.from({ length: 8 }, (_, j) => Math.sin(i * 8 + j + 1)));
    console.log(index.search(Float32Array.from({ length: 8 }, (_, j) => j + 1), { k: 1 })[0].id);`;
  // The timeout only guards the test run against a hang; the check is that the child exits by itself, status 0.
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(child.signal, null, 'exited on its own');
  assert.equal(child.status, 0, child.stderr);
  assert.match(child.stdout, /^x\d+\n$/);
});

/** 40k rows of 64-d over 20k identities, and 96 queries: each worker's range takes tens of ms to score. */
function busyIndex(seed: number): { index: FaceIndex; queries: Float32Array[] } {
  const rand = seededRandom(seed);
  const index = new FaceIndex({ dim: 64, threads: 2 });
  for (let r = 0; r < 40_000; r++) index.add(`b${r % 20_000}`, randomVector(rand, 64));
  return { index, queries: Array.from({ length: 96 }, () => randomVector(rand, 64)) };
}

test('threads: searchManyAsync leaves the event loop running (setImmediate fires before it resolves), hits equal searchMany', async () => {
  const { index, queries } = busyIndex(18);
  const want = JSON.stringify(index.searchMany(queries, { k: 10 }));
  const order: string[] = [];
  const search = index.searchManyAsync(queries, { k: 10 }).then((hits) => { order.push('search'); return hits; });
  setImmediate(() => order.push('immediate'));
  const got = await search;
  // Blocking until the workers finish (Atomics.wait) would resolve the search first: the immediate would come second.
  assert.deepEqual(order, ['immediate', 'search']);
  assert.equal(JSON.stringify(got), want);
  assert.equal(index.threads.workers, 2, 'both ranges on workers, none on the caller');
  index.dispose();
});

test('threads: during an async search, a sync search keeps to its thread, an add is not seen, a remove makes it search again, dispose falls back', async () => {
  const { index, queries } = busyIndex(19);
  const few = queries.slice(0, 8);
  const before = JSON.stringify(index.searchMany(few, { k: 10 }));
  // A sync search while the workers are busy: the one-thread path, the same hits.
  const pending = index.searchManyAsync(few, { k: 10 });
  assert.equal(JSON.stringify(index.searchMany(few, { k: 10 })), before);
  assert.equal(JSON.stringify(await pending), before);
  // An add right after the call is not in its answer: the search covers the rows present at the call.
  const added = index.searchManyAsync(few, { k: 10 });
  index.add('late', few[0]!);
  assert.equal(JSON.stringify(await added), before);
  const withLate = JSON.stringify(index.searchMany(few, { k: 10 }));
  assert.equal(JSON.parse(withLate)[0][0].id, 'late');
  // A remove during the wait moves rows under the workers: the answer is the index's after the remove.
  const removed = index.searchManyAsync(few, { k: 10 });
  const top = (JSON.parse(withLate) as { id: string }[][])[1]![0]!.id;
  assert.equal(index.remove(top), true);
  assert.equal(JSON.stringify(await removed), JSON.stringify(index.searchMany(few, { k: 10 })));
  assert.ok((await index.searchManyAsync(few, { k: 10 }))[1]!.every((h) => h.id !== top));
  // Two async searches at once take the workers in turn; dispose during one: it answers from the caller's thread.
  const both = await Promise.all([index.searchManyAsync(few, { k: 4 }), index.searchManyAsync(few, { k: 9 })]);
  assert.deepEqual(both, [index.searchMany(few, { k: 4 }), index.searchMany(few, { k: 9 })]);
  const disposed = index.searchManyAsync(few, { k: 10 });
  index.dispose();
  assert.deepEqual(await disposed, index.searchMany(few, { k: 10 }));
  index.dispose();
});
