import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { computeSim, Face } from '../../../src/pipeline/face.js';
import type { FaceRecord } from '../../../src/pipeline/face.js';
import { FaceIndex, FaceIndexConflictError, FaceIndexError, IndexFormatError, clusterFaces, type JsonValue } from '../../../src/pipeline/identity/index.js';
import { PipelineOptionError } from '../../../src/pipeline/errors.js';
import { seededRandom, sharedPath } from '../helpers.js';

const golden = JSON.parse(readFileSync(sharedPath('golden/packA_det640.json'), 'utf8')) as { results: { image: string; faces: FaceRecord[] }[] };
const t1 = golden.results.find((r) => r.image === 't1.jpg')!.faces.map((f) => Face.fromJSON(f));
const emb = t1.map((f) => f.embedding!);

/** Face.normed_embedding's rule on a plain vector. */
function normed(e: ArrayLike<number>): Float32Array {
  const f = new Face(new Float32Array(4), undefined, 1);
  f.embedding = Float32Array.from(e);
  return f.normed_embedding!;
}

function randomVector(rand: () => number, dim: number): Float32Array {
  return Float32Array.from({ length: dim }, () => rand() * 2 - 1);
}

/** A copy of e plus seeded uniform noise of amplitude `amount` × e's RMS value. */
function noisy(e: Float32Array, rand: () => number, amount: number): Float32Array {
  const rms = Math.sqrt(e.reduce((s, v) => s + v * v, 0) / e.length);
  return e.map((v) => v + (rand() * 2 - 1) * amount * rms);
}

function randomIndex(seed: number, ids: number, perId: number, dim: number): { index: FaceIndex; queries: Float32Array[] } {
  const rand = seededRandom(seed);
  const index = new FaceIndex({ dim });
  for (let i = 0; i < ids; i++) for (let j = 0; j < perId; j++) index.add(`id${String(i).padStart(3, '0')}`, randomVector(rand, dim), { n: i });
  const queries = Array.from({ length: 7 }, () => randomVector(rand, dim));
  return { index, queries };
}

test('search: order and scores equal computeSim on the normed vectors, bit for bit', () => {
  const rand = seededRandom(1);
  const dim = 64;
  const rows = Array.from({ length: 40 }, () => randomVector(rand, dim));
  const index = new FaceIndex();
  rows.forEach((r, i) => index.add(`p${i}`, r));
  assert.equal(index.dim, dim);
  const q = randomVector(rand, dim);
  const hits = index.search(q, { k: 40 });
  const expected = rows.map((r, i) => ({ id: `p${i}`, score: computeSim(normed(q), normed(r)) }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
  assert.deepEqual(hits.map((h) => [h.id, h.score]), expected.map((e) => [e.id, e.score])); // exact: same float32
  for (const h of hits) {
    const raw = computeSim(q, rows[Number(h.id.slice(1))]!);
    assert.ok(Math.abs(h.score - raw) <= 1e-6, `${h.score} vs raw computeSim ${raw}`); // tolerance: float32 rounding of the normed rows
  }
  assert.equal(index.search(q).length, 5); // default k
});

test('ties are broken by id', () => {
  const index = new FaceIndex({ dim: 3 });
  index.add('b', [1, 0, 0]);
  index.add('a', [2, 0, 0]);
  index.add('c', [0, 1, 0]);
  const hits = index.search([1, 0, 0], { k: 3 });
  assert.deepEqual(hits.map((h) => h.id), ['a', 'b', 'c']);
  assert.equal(hits[0]!.score, hits[1]!.score);
});

test('several embeddings per identity: score is the best match; size and entries; meta', () => {
  const index = new FaceIndex({ dim: 3 });
  index.add('x', [1, 0, 0], { name: 'X' });
  index.add('x', [0, 1, 0]);
  index.add('y', [1, 1, 0], { name: 'Y' });
  assert.equal(index.size, 2);
  assert.equal(index.entries, 3);
  const hits = index.search([0, 1, 0], { k: 5 });
  assert.deepEqual(hits.map((h) => h.id), ['x', 'y']);
  assert.equal(hits[0]!.score, 1);
  assert.deepEqual(hits[0]!.meta, { name: 'X' });
  assert.equal(hits[1]!.score, computeSim(normed([0, 1, 0]), normed([1, 1, 0])));
});

test('remove drops all of an identity and reports whether it existed', () => {
  const { index, queries } = randomIndex(2, 20, 3, 32);
  const before = index.search(queries[0]!, { k: 20 });
  const victim = before[0]!.id;
  assert.equal(index.remove(victim), true);
  assert.equal(index.remove(victim), false);
  assert.equal(index.remove('nobody'), false);
  assert.equal(index.size, 19);
  assert.equal(index.entries, 57);
  assert.equal(index.has(victim), false);
  assert.deepEqual(index.search(queries[0]!, { k: 19 }), before.slice(1)); // the others keep their exact scores and order
  index.add(victim, queries[0]!);
  assert.equal(index.search(queries[0]!, { k: 1 })[0]!.id, victim);
});

test('dimension mismatch, NaN, zero and missing embeddings are FaceIndexError', () => {
  const index = new FaceIndex({ dim: 512 });
  assert.throws(() => index.add('a', emb[0]!), (e) => e instanceof FaceIndexError && /128-d embedding for a 512-d index/.test(e.message));
  const fixed = new FaceIndex();
  fixed.add('a', emb[0]!);
  assert.throws(() => fixed.add('b', new Float32Array(512).fill(1)), FaceIndexError);
  assert.throws(() => fixed.search(new Float32Array(512).fill(1)), FaceIndexError);
  const nan = Float32Array.from(emb[0]!); nan[3] = NaN;
  assert.throws(() => fixed.add('b', nan), FaceIndexError);
  assert.throws(() => fixed.add('b', new Float32Array(128)), /zero/);
  assert.throws(() => fixed.search(new Float32Array(128)), FaceIndexError);
  assert.throws(() => fixed.add('b', new Face(new Float32Array(4), undefined, 1)), /no embedding/);
  assert.throws(() => new FaceIndex({ dim: 0 }), FaceIndexError);
  assert.equal(fixed.entries, 1); // refused adds leave nothing behind
});

test('k and threshold', () => {
  const { index, queries } = randomIndex(3, 30, 1, 16);
  const all = index.search(queries[1]!, { k: 30 });
  assert.equal(all.length, 30);
  assert.deepEqual(index.search(queries[1]!, { k: 4 }), all.slice(0, 4));
  assert.deepEqual(index.search(queries[1]!, { k: 0 }), []);
  const t = all[9]!.score;
  assert.deepEqual(index.search(queries[1]!, { k: 30, threshold: t }), all.filter((h) => h.score >= t));
  assert.deepEqual(index.search(queries[1]!, { k: 30, threshold: 1.5 }), []);
  assert.throws(() => index.search(queries[1]!, { k: -1 }), FaceIndexError);
  assert.deepEqual(new FaceIndex().search([1, 2, 3]), []); // empty index
});

test('searchMany equals search for each query (rows spanning several blocks)', () => {
  const { index, queries } = randomIndex(4, 300, 2, 24); // 600 rows > one 256-row block
  const many = index.searchMany(queries, { k: 7, threshold: 0 });
  assert.deepEqual(many, queries.map((q) => index.search(q, { k: 7, threshold: 0 })));
  assert.deepEqual(index.searchMany([]), []);
});

test('toBytes/fromBytes and save/load give identical search results', async () => {
  const { index, queries } = randomIndex(5, 25, 2, 48);
  index.remove('id007');
  const bytes = index.toBytes();
  const back = FaceIndex.fromBytes(bytes);
  assert.equal(back.size, index.size);
  assert.equal(back.entries, index.entries);
  assert.equal(back.dim, 48);
  assert.deepEqual(back.searchMany(queries, { k: 25 }), index.searchMany(queries, { k: 25 }));
  assert.deepEqual(back.toBytes(), bytes); // stable encoding
  const dir = mkdtempSync(path.join(tmpdir(), 'faceindex-'));
  try {
    const file = path.join(dir, 'faces.igfx');
    await index.save(file);
    await index.save(file); // overwrites atomically
    const loaded = await FaceIndex.load(file);
    assert.deepEqual(loaded.searchMany(queries, { k: 25 }), index.searchMany(queries, { k: 25 }));
    loaded.add('new', queries[0]!); // a loaded index stays usable
    assert.equal(loaded.search(queries[0]!, { k: 1 })[0]!.id, 'new');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('truncation and a flipped byte anywhere are IndexFormatError', async () => {
  const { index } = randomIndex(6, 5, 2, 8);
  const bytes = index.toBytes();
  const jsonLength = new DataView(bytes.buffer).getUint32(20, true);
  const offsets = {
    magic: 1, version: 5, dim: 8, count: 12, identities: 16, jsonLength: 20,
    ids: 24 + 5, meta: 24 + jsonLength - 3, owners: 24 + ((jsonLength + 3) & ~3) + 4,
    embeddings: bytes.length - 4 - 4 * 8 * 3, lastEmbeddingByte: bytes.length - 5, checksum: bytes.length - 2,
  };
  for (const [where, at] of Object.entries(offsets)) {
    for (const mask of [0x01, 0x80, 0xff]) {
      const bad = Uint8Array.from(bytes);
      bad[at] = bad[at]! ^ mask;
      assert.throws(() => FaceIndex.fromBytes(bad), IndexFormatError, `flip ${mask} at ${where} (${at})`);
    }
  }
  // Every single byte, one flip each.
  for (let at = 0; at < bytes.length; at++) {
    const bad = Uint8Array.from(bytes);
    bad[at] = bad[at]! ^ 0x10;
    assert.throws(() => FaceIndex.fromBytes(bad), IndexFormatError, `flip at ${at}`);
  }
  for (const length of [0, 3, 24, 27, bytes.length - 40, bytes.length - 4, bytes.length - 1]) {
    assert.throws(() => FaceIndex.fromBytes(bytes.subarray(0, length)), IndexFormatError, `truncated to ${length}`);
  }
  assert.throws(() => FaceIndex.fromBytes(Uint8Array.from([...bytes, 0])), IndexFormatError); // trailing byte
  const dir = mkdtempSync(path.join(tmpdir(), 'faceindex-'));
  try {
    const file = path.join(dir, 'cut.igfx');
    await writeFile(file, bytes.subarray(0, bytes.length - 10));
    // The error names the file, and keeps what was wrong and where.
    await assert.rejects(FaceIndex.load(file), (e) => e instanceof IndexFormatError && e.file === file
      && e.message.startsWith(`invalid face-index file '${file}'`) && e.why.length > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the memory bound (maxEntries) refuses adds beyond it', () => {
  const index = new FaceIndex({ dim: 4, maxEntries: 3 });
  index.add('a', [1, 0, 0, 0]);
  index.add('a', [0, 1, 0, 0]);
  index.add('b', [0, 0, 1, 0]);
  assert.throws(() => index.add('c', [0, 0, 0, 1]), (e) => e instanceof FaceIndexError && /maxEntries is 3/.test(e.message));
  assert.equal(index.entries, 3);
  index.remove('a');
  index.add('c', [0, 0, 0, 1]); // room again after a removal
  assert.equal(index.entries, 2);
  assert.throws(() => new FaceIndex({ maxEntries: 0 }), FaceIndexError);
  // maxBytes: 4-d rows cost 4 × 4 + 20 = 36 bytes (floats, norm², owner, two list links), so 110 bytes hold 3.
  const bytes = new FaceIndex({ maxBytes: 110 });
  for (let i = 0; i < 3; i++) bytes.add(`r${i}`, [1, i, 0, 0]);
  assert.throws(() => bytes.add('r3', [1, 3, 0, 0]), (e) => e instanceof FaceIndexError && /maxBytes 110 holds 3 entries of 36 bytes/.test(e.message));
  // Loading a file larger than the bound is refused, not truncated.
  assert.throws(() => FaceIndex.fromBytes(bytes.toBytes(), { maxEntries: 2 }), FaceIndexError);
  assert.equal(FaceIndex.fromBytes(bytes.toBytes()).entries, 3);
});

test('identification on the t1.jpg golden embeddings: noisy copies find their own identity first', () => {
  const index = new FaceIndex();
  t1.forEach((face, i) => index.add(`face${i}`, face, { bbox: Array.from(face.bbox) }));
  assert.equal(index.dim, 128);
  const rand = seededRandom(15);
  for (let i = 0; i < emb.length; i++) {
    const hits = index.search(noisy(emb[i]!, rand, 0.5), { k: 3 });
    console.log(`face${i}: ${hits.map((h) => `${h.id}=${h.score.toFixed(4)}`).join(' ')}`);
    assert.equal(hits[0]!.id, `face${i}`);
    assert.ok(hits[0]!.score > 0.7, `own score ${hits[0]!.score}`); // uniform noise of ±half the RMS (std 0.29 × RMS) keeps cosine near 1/sqrt(1 + 0.083) = 0.96
    assert.ok(hits[0]!.score - hits[1]!.score > 0.2); // the golden's faces are at most 0.424 alike
  }
});

test('clusterFaces: the six t1 faces and a perturbed copy of each give six clusters of two', () => {
  const rand = seededRandom(48);
  const copies = emb.map((e) => noisy(e, rand, 0.3));
  const labels = clusterFaces([...t1, ...copies]);
  console.log('labels', labels.join(' '));
  assert.deepEqual(labels, [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5]);
  // Interleaved order: labels follow first appearance.
  assert.deepEqual(clusterFaces([copies[3]!, emb[0]!, emb[3]!, copies[0]!]), [0, 1, 0, 1]);
  // Alone, every face is noise; minSamples 1 makes each its own cluster.
  assert.deepEqual(clusterFaces(emb), [-1, -1, -1, -1, -1, -1]);
  assert.deepEqual(clusterFaces(emb, { minSamples: 1 }), [0, 1, 2, 3, 4, 5]);
  // eps 0.6 joins faces 0 and 4 (cosine 0.424, distance 0.576).
  assert.deepEqual(clusterFaces(emb, { eps: 0.6 }), [0, -1, -1, -1, 0, -1]);
  assert.deepEqual(clusterFaces([]), []);
});

test('a plain-JS caller\'s mistakes are typed errors: clusterFaces on a non-array or a null entry, load of a missing file', async () => {
  assert.throws(() => clusterFaces(null as unknown as number[][]), (e) => e instanceof PipelineOptionError && /clusterFaces takes an array, got null/.test(e.message));
  assert.throws(() => clusterFaces([emb[0]!], null as unknown as object), (e) => e instanceof PipelineOptionError && /options object/.test(e.message));
  assert.throws(() => clusterFaces([emb[0]!, null as unknown as number[]]), (e) => e instanceof FaceIndexError && /embedding 1: expected an embedding .* got null/.test(e.message));
  const missing = path.join(tmpdir(), `insightgpu-no-such-index-${process.pid}.igfx`);
  await assert.rejects(FaceIndex.load(missing), (e) => e instanceof FaceIndexError && e.message.includes(`cannot read '${missing}'`)
    && (e.cause as NodeJS.ErrnoException).code === 'ENOENT');
});

test('add refuses a meta the file cannot keep, before changing the index; a JSON meta round-trips', () => {
  const index = new FaceIndex();
  index.add('a', [1, 0, 0], { name: 'Alice', tags: ['x', 1, true, null], nested: { deep: [{ n: -0.5 }] } });
  const cycle: Record<string, unknown> = {};
  cycle['self'] = cycle;
  const bad: [string, unknown, RegExp][] = [
    ['nan', { score: NaN }, /meta\.score is NaN/],
    ['inf', [1, Infinity], /meta\[1\] is Infinity/],
    ['undef', { x: undefined }, /meta\.x is undefined/],
    ['big', { n: 1n }, /meta\.n is a bigint/],
    ['fn', () => 1, /meta is a function/],
    ['date', { when: new Date(0) }, /meta\.when is a Date/],
    ['cycle', cycle, /meta\.self refers back to itself/],
  ];
  for (const [id, meta, message] of bad) {
    assert.throws(() => index.add(id, [0, 1, 0], meta as never), (e: unknown) => e instanceof FaceIndexError && message.test(e.message), id);
    assert.equal(index.has(id), false, `${id}: nothing enrolled`);
  }
  // Replacing an existing identity's meta with a bad one leaves it and its rows as they were.
  assert.throws(() => index.add('a', [0, 0, 1], { score: NaN }), FaceIndexError);
  assert.equal(index.entries, 1);
  const copy = FaceIndex.fromBytes(index.toBytes()); // the index stays writable
  assert.deepEqual(copy.search([1, 0, 0], { k: 1 })[0]!.meta, { name: 'Alice', tags: ['x', 1, true, null], nested: { deep: [{ n: -0.5 }] } });
  const shared = { n: 1 };
  index.add('b', [0, 1, 0], [shared, shared]); // the same object twice is no cycle
  assert.deepEqual(FaceIndex.fromBytes(index.toBytes()).search([0, 1, 0], { k: 1 })[0]!.meta, [{ n: 1 }, { n: 1 }]);
});

test('a plain-JS caller\'s wrong types are FaceIndexError naming the argument, not a TypeError or a silent empty result', async () => {
  const index = new FaceIndex();
  index.add('a', [1, 0, 0]);
  index.add('b', [0.8, 0.6, 0]);
  const refused = (f: () => unknown, message: RegExp, what: string): void => {
    assert.throws(f, (e: unknown) => e instanceof FaceIndexError && message.test(e.message), what);
  };
  const cast = <T>(v: unknown): T => v as T;
  refused(() => new FaceIndex(cast(null)), /FaceIndex takes an options object, got null/, 'constructor null');
  refused(() => index.add('c', cast(null)), /embedding for 'c': expected an embedding .* got null/, 'add null');
  refused(() => index.add('c', cast('abc')), /expected an embedding .* got "abc"/, 'add string');
  refused(() => index.add('c', cast(7)), /expected an embedding .* got 7/, 'add number');
  refused(() => index.search(cast(null)), /query 0: expected an embedding .* got null/, 'search null');
  refused(() => index.search([1, 0, 0], cast(null)), /search takes an options object, got null/, 'search options null');
  refused(() => index.searchMany(cast('abc')), /searchMany takes an array of queries, got "abc"/, 'searchMany string');
  // A string threshold compared by coercion: 'high' matched nothing, silently.
  refused(() => index.search([1, 0, 0], { threshold: cast('high') }), /threshold must be a number, got "high"/, 'threshold string');
  refused(() => index.search([1, 0, 0], { k: cast('3') }), /k must be a non-negative integer, got "3"/, 'k string');
  refused(() => FaceIndex.fromBytes(cast(null)), /fromBytes takes a Uint8Array .* got null/, 'fromBytes null');
  refused(() => FaceIndex.fromBytes(cast(Array.from(index.toBytes()))), /fromBytes takes a Uint8Array/, 'fromBytes number array');
  await assert.rejects(index.searchManyAsync(cast({ length: 1 })), FaceIndexError, 'searchManyAsync object');
  // What is right still works: a Buffer, a Float32Array query, a Face.
  assert.equal(FaceIndex.fromBytes(Buffer.from(index.toBytes())).size, 2);
  assert.deepEqual(index.search(new Float32Array([1, 0, 0]), { k: 1, threshold: 0.5 }).map((h) => h.id), ['a']);
  assert.equal(index.search(t1[0]!.embedding!.slice(0, 3)).length, 2);
});

test('save that cannot write is a FaceIndexError naming the file asked for, and leaves no temporary file', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'insightgpu-index-save-'));
  try {
    const index = new FaceIndex();
    index.add('a', [1, 0, 0]);
    const folder = path.join(dir, 'a folder');
    await index.save(path.join(dir, 'kept.igfx'));
    const { mkdirSync, readdirSync } = await import('node:fs');
    mkdirSync(folder);
    await assert.rejects(index.save(folder), (e: unknown) => e instanceof FaceIndexError && e.message.includes(`cannot write '${folder}'`) && !e.message.includes('.tmp'));
    await assert.rejects(index.save(path.join(dir, 'missing', 'x.igfx')), (e: unknown) => e instanceof FaceIndexError && /cannot write .*missing.*ENOENT/.test(e.message));
    assert.deepEqual(readdirSync(dir).sort(), ['a folder', 'kept.igfx']);
    // A number would be a file descriptor to readFile.
    await assert.rejects(FaceIndex.load(0 as unknown as string), (e: unknown) => e instanceof FaceIndexError && /load takes a file path, got 0/.test(e.message));
    await assert.rejects(index.save(0 as unknown as string), (e: unknown) => e instanceof FaceIndexError && /save takes a file path, got 0/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('save through a symbolic link replaces the file it points to and keeps the link', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'insightgpu-index-link-'));
  try {
    const { symlinkSync, lstatSync } = await import('node:fs');
    const first = new FaceIndex();
    first.add('a', [1, 0, 0]);
    const real = path.join(dir, 'real.igfx');
    await first.save(real);
    const link = path.join(dir, 'people.igfx');
    symlinkSync(real, link);
    // Loaded through the file's own name, saved through the link: one file, so the save replaces the version it read.
    const second = await FaceIndex.load(real);
    second.add('b', [0, 1, 0]);
    await second.save(link);
    assert.ok(lstatSync(link).isSymbolicLink(), 'still a link');
    assert.deepEqual((await FaceIndex.load(real)).identities(), ['a', 'b'], 'the target holds the new index');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('save over an existing file keeps its permissions (a private index stays private)', async (t) => {
  if (process.platform === 'win32') return t.skip('POSIX permissions');
  const dir = mkdtempSync(path.join(tmpdir(), 'insightgpu-index-mode-'));
  try {
    const { chmodSync, statSync } = await import('node:fs');
    const index = new FaceIndex();
    index.add('a', [1, 0, 0]);
    const file = path.join(dir, 'private.igfx');
    await index.save(file);
    chmodSync(file, 0o600);
    index.add('b', [0, 1, 0]);
    await index.save(file);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal((await FaceIndex.load(file)).size, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('save through a dangling symbolic link makes the file it points to, and the link stays', async () => {
  // What cp and a shell redirection do: the link names where the file goes (a relative target, in a folder of its
  // own). The save replaced the link with a regular file, and the file it names stayed missing.
  const dir = mkdtempSync(path.join(tmpdir(), 'insightgpu-index-dangling-'));
  try {
    const { lstatSync, mkdirSync, readlinkSync, readdirSync, symlinkSync } = await import('node:fs');
    mkdirSync(path.join(dir, 'store'));
    const link = path.join(dir, 'people.igfx');
    symlinkSync(path.join('store', 'real.igfx'), link);
    const index = new FaceIndex();
    index.add('a', [1, 0, 0]);
    await index.save(link);
    assert.ok(lstatSync(link).isSymbolicLink(), 'still a link');
    assert.equal(readlinkSync(link), path.join('store', 'real.igfx'));
    assert.deepEqual((await FaceIndex.load(path.join(dir, 'store', 'real.igfx'))).identities(), ['a']);
    assert.deepEqual(readdirSync(path.join(dir, 'store')), ['real.igfx'], 'no temporary file left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('save into a FIFO or a device node writes in place instead of renaming a file over it', async (t) => {
  // A rename over /dev/null (run as root) replaces the system's null device with a regular file; here a FIFO and a
  // null device of the test's own (mknod, where allowed) stand in for it.
  if (process.platform === 'win32') return t.skip('POSIX special files');
  const dir = mkdtempSync(path.join(tmpdir(), 'insightgpu-index-special-'));
  try {
    const { execFileSync } = await import('node:child_process');
    const { lstatSync } = await import('node:fs');
    const { open } = await import('node:fs/promises');
    const index = new FaceIndex();
    index.add('a', [1, 0, 0]);
    const bytes = index.toBytes();
    const fifo = path.join(dir, 'pipe.igfx');
    execFileSync('mkfifo', [fifo]);
    // Opened read-write, the FIFO has a reader at once (no blocking open); the small file fits in the pipe's buffer.
    const reader = await open(fifo, 'r+');
    try {
      await index.save(fifo);
      assert.ok(lstatSync(fifo).isFIFO(), 'the FIFO is still a FIFO');
      const got = new Uint8Array(bytes.length);
      for (let at = 0; at < got.length;) at += (await reader.read(got, at, got.length - at)).bytesRead;
      assert.deepEqual(FaceIndex.fromBytes(got).identities(), ['a']);
    } finally {
      await reader.close();
    }
    const nullDevice = path.join(dir, 'null');
    let made = true;
    try { execFileSync('mknod', ['-m', '666', nullDevice, 'c', '1', '3'], { stdio: 'ignore' }); } catch { made = false; }
    if (made) {
      await index.save(nullDevice);
      assert.ok(lstatSync(nullDevice).isCharacterDevice(), 'the device node is still a device node');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('save to a FIFO no process reads (or a link to one) is a FaceIndexError at once, not a write that waits for a reader', { timeout: 30_000 }, async (t) => {
  if (process.platform === 'win32') return t.skip('POSIX FIFOs');
  const dir = mkdtempSync(path.join(tmpdir(), 'insightgpu-index-save-fifo-'));
  const { execFileSync } = await import('node:child_process');
  const { symlinkSync, lstatSync } = await import('node:fs');
  const { open } = await import('node:fs/promises');
  const fifo = path.join(dir, 'pipe.igfx');
  execFileSync('mkfifo', [fifo]);
  symlinkSync('pipe.igfx', path.join(dir, 'link.igfx'));
  const index = new FaceIndex();
  index.add('a', [1, 0, 0]);
  try {
    for (const given of [fifo, path.join(dir, 'link.igfx')]) {
      const saved = index.save(given).then(() => 'saved', (e: unknown) => e);
      // A save that waits for a reader never settles: 5 s is far above the immediate refusal (an open that fails).
      let timer: ReturnType<typeof setTimeout> | undefined;
      const outcome = await Promise.race([saved, new Promise((resolve) => { timer = setTimeout(() => resolve('still waiting'), 5000); })]);
      clearTimeout(timer);
      if (outcome === 'still waiting') {
        // Unblock the waiting writer (a reader that drains it), so the test process can end, then fail.
        const reader = await open(fifo, 'r');
        await reader.readFile();
        await reader.close();
        await saved;
      }
      assert.ok(outcome instanceof FaceIndexError, `save(${given}) gave ${String(outcome)}`);
      assert.match(outcome.message, /^face index: cannot write '.*\.igfx': ENXIO: a FIFO no process reads \(start its reader first\)$/);
      assert.ok(outcome.message.includes(given));
      assert.ok(lstatSync(fifo).isFIFO(), 'the FIFO is left as it was');
    }
    assert.deepEqual(readdirSync(dir).sort(), ['link.igfx', 'pipe.igfx'], 'no temporary or lock made');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('save to a loop of symbolic links says the links loop, as a write error, not a lock error', { timeout: 20_000 }, async (t) => {
  if (process.platform === 'win32') return t.skip('POSIX links');
  const dir = mkdtempSync(path.join(tmpdir(), 'insightgpu-index-save-loop-'));
  const { symlinkSync } = await import('node:fs');
  try {
    symlinkSync('b.igfx', path.join(dir, 'a.igfx'));
    symlinkSync('a.igfx', path.join(dir, 'b.igfx'));
    const index = new FaceIndex();
    index.add('a', [1, 0, 0]);
    const given = path.join(dir, 'a.igfx');
    await assert.rejects(index.save(given), (e: unknown) => e instanceof FaceIndexError
      && e.message === `face index: cannot write '${given}': its symbolic links loop (too many levels of symbolic links)`
      && (e.cause as NodeJS.ErrnoException | undefined)?.code === 'ELOOP');
    assert.deepEqual(readdirSync(dir).sort(), ['a.igfx', 'b.igfx'], 'nothing made beside the links');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('load of a FIFO, a link to one, or a folder is refused at once with FaceIndexError instead of waiting for a writer', { timeout: 20_000 }, async (t) => {
  if (process.platform === 'win32') return t.skip('POSIX FIFOs');
  const dir = mkdtempSync(path.join(tmpdir(), 'insightgpu-index-load-fifo-'));
  try {
    const { execFileSync } = await import('node:child_process');
    const { symlinkSync } = await import('node:fs');
    const fifo = path.join(dir, 'pipe.igfx');
    execFileSync('mkfifo', [fifo]);
    symlinkSync('pipe.igfx', path.join(dir, 'link.igfx'));
    // With no writer, a blocking open of the FIFO never returns: the test's timeout is what would end it.
    for (const given of [fifo, path.join(dir, 'link.igfx')]) {
      await assert.rejects(FaceIndex.load(given), (e: unknown) => e instanceof FaceIndexError && /FIFO/.test(e.message) && e.message.includes(given));
    }
    await assert.rejects(FaceIndex.load(dir), (e: unknown) => e instanceof FaceIndexError && /folder/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('save never drops what another writer saved since this copy was read: FaceIndexConflictError unless overwrite', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'insightgpu-index-conflict-'));
  try {
    const { chmodSync, readFileSync: read, rmSync: remove } = await import('node:fs');
    const file = path.join(dir, 'people.igfx');
    const origin = new FaceIndex();
    origin.add('x', [1, 0, 0]);
    await origin.save(file);
    await origin.save(file); // this index's own last save: the file is at the version it wrote
    const b = await FaceIndex.load(file);
    const c = await FaceIndex.load(file);
    b.add('y', [0, 1, 0]);
    await b.save(file);
    c.add('z', [0, 0, 1]);
    const stale = (conflict: 'changed' | 'unread') => (e: unknown): boolean => e instanceof FaceIndexConflictError && e instanceof FaceIndexError
      && e.code === 'FACE_INDEX_CONFLICT' && e.conflict === conflict && e.file === file && e.target === file && e.message.includes(`'${file}'`)
      && /nothing was written/.test(e.message) && /overwrite: true/.test(e.message);
    const before = read(file);
    await assert.rejects(c.save(file), stale('changed'));
    assert.deepEqual(read(file), before, 'the file is as b saved it');
    assert.deepEqual((await FaceIndex.load(file)).identities(), ['x', 'y']);
    // A remove is a change too: saving an older copy would bring the removed identity back.
    const d = await FaceIndex.load(file);
    const e = await FaceIndex.load(file);
    d.remove('x');
    await d.save(file);
    await assert.rejects(e.save(file), stale('changed'));
    assert.deepEqual((await FaceIndex.load(file)).identities(), ['y']);
    // A new index, or one from bytes, never read the file: saving it over the file would replace entries unseen.
    const fresh = new FaceIndex();
    fresh.add('new', [1, 1, 0]);
    await assert.rejects(fresh.save(file), stale('unread'));
    await assert.rejects(FaceIndex.fromBytes(origin.toBytes()).save(file), stale('unread'));
    assert.deepEqual((await FaceIndex.load(file)).identities(), ['y']);
    // Knowingly: overwrite replaces it, and the index then knows the version it wrote.
    await c.save(file, { overwrite: true });
    assert.deepEqual((await FaceIndex.load(file)).identities(), ['x', 'z']);
    c.add('w', [1, 0, 1]);
    await c.save(file);
    // A chmod changes no entry: the next save is not a conflict. A file removed since is written anew.
    chmodSync(file, 0o600);
    await c.save(file);
    remove(file);
    await c.save(file);
    assert.deepEqual((await FaceIndex.load(file)).identities(), ['x', 'z', 'w']);
    // The option is checked as every FaceIndex option is.
    await assert.rejects(c.save(file, { overwrite: 'yes' } as unknown as { overwrite: boolean }), (err: unknown) => err instanceof FaceIndexError && /overwrite: "yes" is not true or false/.test(err.message));
    await assert.rejects(c.save(file, { overwite: true } as unknown as { overwrite: boolean }), (err: unknown) => err instanceof FaceIndexError && /did you mean overwrite/.test(err.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('save takes the file\'s lock: a library save waits while another process (index add) holds it', { timeout: 120_000 }, async (t) => {
  if (process.platform === 'win32') return t.skip('POSIX processes');
  const dir = mkdtempSync(path.join(tmpdir(), 'insightgpu-index-save-lock-'));
  const { spawn } = await import('node:child_process');
  const { existsSync } = await import('node:fs');
  const file = path.join(dir, 'people.igfx');
  let child: ReturnType<typeof spawn> & { stdin: NodeJS.WritableStream; stdout: NodeJS.ReadableStream } | undefined;
  try {
    const first = new FaceIndex();
    first.add('first', [1, 0, 0]);
    await first.save(file);
    child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'lock-holder.ts'), file, 'cli'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    const said = (word: string): Promise<void> => new Promise((resolve, reject) => {
      const check = (): void => { if (out.split('\n').includes(word)) resolve(); };
      child!.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); check(); });
      child!.on('close', () => reject(new Error(`the lock holder ended before '${word}': ${out}`)));
      check();
    });
    await said('locked');
    // The library caller's own copy, saved while the other process holds the lock.
    const library = await FaceIndex.load(file);
    library.add('library', [0, 0, 1]);
    let saved = false;
    const save = library.save(file).then(() => { saved = true; }, (e: unknown) => { saved = true; return e; });
    // Long enough for an unlocked save of 3 rows to be written (milliseconds); a locked one waits whatever the time.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(saved, false, 'the save waits for the lock');
    child.stdin.write('go\n');
    await said('done');
    const refused = await save;
    assert.ok(out.includes('unchanged'), `nothing wrote the file inside the other process\'s lock: ${out}`);
    // The other process saved 'cli' after this copy was loaded: replacing the file with this copy would drop it.
    assert.ok(refused instanceof FaceIndexConflictError, `the stale save is refused: ${String(refused)}`);
    assert.equal(refused.conflict, 'changed');
    assert.equal(refused.file, file);
    assert.deepEqual((await FaceIndex.load(file)).identities(), ['first', 'cli'], 'the other process\'s row stays');
    // Asked for knowingly, the save replaces the file (its rows are then the file's).
    await library.save(file, { overwrite: true });
    assert.deepEqual((await FaceIndex.load(file)).identities(), ['first', 'library']);
    assert.equal(existsSync(`${file}.lock`), false, 'no lock is left');
  } finally {
    child?.kill('SIGKILL'); // a failed assertion leaves it waiting on stdin
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a save removes the temporary a killed save of the same file left, and no live writer\'s', { timeout: 120_000 }, async (t) => {
  if (process.platform === 'win32') return t.skip('POSIX signals');
  const dir = mkdtempSync(path.join(tmpdir(), 'insightgpu-index-killed-'));
  const { spawn } = await import('node:child_process');
  const { existsSync, readdirSync, readFileSync: readText, writeFileSync } = await import('node:fs');
  const target = path.join(dir, 'people.igfx');
  const temps = (): string[] => readdirSync(dir).filter((n) => n !== 'people.igfx' && n.includes('people.igfx') && n.endsWith('.tmp'));
  const stopped = (pid: number): boolean => {
    try { return readText(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').startsWith('T'); } catch { return true; }
  };
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'save-forever.ts'), target], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  try {
    const pid = child.pid!;
    // The child saves over and over; it is stopped (SIGSTOP, then waited for) while a temporary of its exists, and
    // only then killed, so the kill lands mid-save for certain rather than by luck.
    const deadline = Date.now() + 90_000;
    for (;;) {
      assert.ok(Date.now() < deadline, 'the child never got to a save');
      if (temps().length > 0) {
        process.kill(pid, 'SIGSTOP');
        while (!stopped(pid)) await new Promise((resolve) => setTimeout(resolve, 1));
        if (temps().length > 0) break;
        process.kill(pid, 'SIGCONT');
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    child.kill('SIGKILL');
    await exited;
    const [left] = temps();
    assert.ok(left !== undefined && left.includes(`.${pid}.`), `the killed save's temporary names its process: ${left}`);
    // A live writer's temporary (the test runner's pid) and another file's stay.
    const live = `.people.igfx.${process.ppid}.0badcafe.tmp`;
    const other = `.other.igfx.${pid}.01234567.tmp`;
    writeFileSync(path.join(dir, live), 'x');
    writeFileSync(path.join(dir, other), 'x');
    const index = new FaceIndex();
    index.add('a', [1, 0, 0]);
    await index.save(target);
    assert.ok(!existsSync(path.join(dir, left)), 'the killed save\'s temporary is gone');
    assert.deepEqual(readdirSync(dir).sort(), [live, other, 'people.igfx'].sort());
    assert.deepEqual((await FaceIndex.load(target)).identities(), ['a']);
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('save to a name of up to 255 bytes works (its temporary takes a shorter name) and sweeps that name\'s leftovers', async () => {
  // 'é' is two bytes in UTF-8: 245 bytes, which a file name may have, and `.NAME.PID.HEX.tmp` would not.
  const dir = mkdtempSync(path.join(tmpdir(), 'insightgpu-index-long-'));
  try {
    const { spawnSync } = await import('node:child_process');
    const { readdirSync, writeFileSync } = await import('node:fs');
    const { tempStem } = await import('../../../src/core/files-node.js');
    const name = `${'é'.repeat(120)}.igfx`;
    const dead = spawnSync(process.execPath, ['-e', '']).pid; // exited: the writer of a killed save
    const stale = `.${tempStem(name)}.${dead}.0123abcd.tmp`;
    assert.ok(Buffer.byteLength(stale) <= 255);
    writeFileSync(path.join(dir, stale), 'half');
    const index = new FaceIndex();
    index.add('a', [1, 0, 0]);
    await index.save(path.join(dir, name));
    assert.deepEqual(readdirSync(dir), [name]);
    assert.deepEqual((await FaceIndex.load(path.join(dir, name))).identities(), ['a']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('save as root over another user\'s private index keeps it theirs (owner, group and mode)', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root (sudo insightgpu index add --index ~/faces.igfx)');
  const dir = mkdtempSync(path.join(tmpdir(), 'insightgpu-index-owner-'));
  try {
    const { chmodSync, chownSync, statSync } = await import('node:fs');
    const file = path.join(dir, 'faces.igfx');
    const index = new FaceIndex();
    index.add('a', [1, 0, 0]);
    await index.save(file);
    chownSync(file, 65534, 65534);
    chmodSync(file, 0o600);
    index.add('b', [0, 1, 0]);
    await index.save(file);
    const info = statSync(file);
    assert.deepEqual([info.uid, info.gid, info.mode & 0o7777], [65534, 65534, 0o600]);
    assert.equal((await FaceIndex.load(file)).size, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('add keeps a copy of the meta: changing the object afterwards changes neither searches nor the file', () => {
  const index = new FaceIndex();
  const meta: Record<string, JsonValue> = { name: 'Alice', score: 1 };
  index.add('a', [1, 0, 0], meta);
  meta['score'] = NaN; // would be saved as null
  meta['self'] = meta as JsonValue; // would make toBytes throw
  assert.deepEqual(index.search([1, 0, 0], { k: 1 })[0]!.meta, { name: 'Alice', score: 1 });
  assert.deepEqual(FaceIndex.fromBytes(index.toBytes()).search([1, 0, 0], { k: 1 })[0]!.meta, { name: 'Alice', score: 1 });
});

test('load reads an index file above 2 GiB (fs.readFile refuses those) and checks the header before reading the rest', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'insightgpu-index-large-'));
  try {
    const { openSync, writeSync, ftruncateSync, closeSync } = await import('node:fs');
    const { readIndexFileBytes } = await import('../../../src/pipeline/identity/index-file-node.js');
    // A sparse file just above 2 GiB whose header describes exactly its size: one identity, dim 1, `count` rows.
    const json = Buffer.from(JSON.stringify({ ids: ['a'], meta: [null] }));
    const jsonEnd = 24 + Math.ceil(json.length / 4) * 4;
    const count = Math.ceil((2 ** 31 + 2 ** 24 - jsonEnd - 4) / 8);
    const size = jsonEnd + 8 * count + 4;
    const head = Buffer.alloc(jsonEnd);
    head.write('IGFX', 0, 'latin1');
    head.writeUInt32LE(1, 4);
    head.writeUInt32LE(1, 8);
    head.writeUInt32LE(count, 12);
    head.writeUInt32LE(1, 16);
    head.writeUInt32LE(json.length, 20);
    json.copy(head, 24);
    const file = path.join(dir, 'large.igfx');
    const fd = openSync(file, 'w');
    writeSync(fd, head, 0, head.length, 0);
    writeSync(fd, Buffer.from([0x5a]), 0, 1, size - 5); // the last row's last byte
    ftruncateSync(fd, size);
    closeSync(fd);
    // Not an index, above 2 GiB: refused from its first bytes, as a format error, not as an unreadable file.
    const other = path.join(dir, 'movie.mp4');
    const fd2 = openSync(other, 'w');
    writeSync(fd2, Buffer.from('....ftypisom'));
    ftruncateSync(fd2, size);
    closeSync(fd2);
    await assert.rejects(FaceIndex.load(other), (e: unknown) => e instanceof IndexFormatError && /movie\.mp4' at byte 0: magic is/.test(e.message));
    const bytes = await readIndexFileBytes(file);
    assert.equal(bytes.length, size);
    assert.equal(bytes[size - 5], 0x5a);
    assert.deepEqual(bytes.subarray(0, jsonEnd), new Uint8Array(head));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a null meta clears the identity\'s meta, and reads the same before and after a save (the file writes no meta as null)', () => {
  const index = new FaceIndex();
  index.add('a', [1, 0, 0], { name: 'Alice' });
  index.add('a', [0.9, 0.1, 0], null);
  index.add('b', [0, 1, 0], null);
  const before = index.searchMany([[1, 0, 0], [0, 1, 0]], { k: 1 }).map((h) => h[0]!);
  const after = FaceIndex.fromBytes(index.toBytes()).searchMany([[1, 0, 0], [0, 1, 0]], { k: 1 }).map((h) => h[0]!);
  assert.deepEqual(before, after);
  assert.equal(before[0]!.meta, undefined, 'null cleared Alice\'s meta');
  assert.equal(before[1]!.meta, undefined);
  assert.ok(!('meta' in before[1]!) || before[1]!.meta === undefined);
});

test('a hole in a query list or in clusterFaces\' input is a FaceIndexError naming it, not a TypeError or a silent noise label', async () => {
  const index = new FaceIndex();
  index.add('a', [1, 0, 0]);
  // eslint-disable-next-line no-sparse-arrays
  const holey = [[1, 0, 0], , [0, 1, 0]] as number[][];
  const isHole = (e: unknown): boolean => e instanceof FaceIndexError && /query 1: expected an embedding .* got undefined/.test(e.message);
  assert.throws(() => index.searchMany(holey), isHole);
  await assert.rejects(index.searchManyAsync(holey), isHole);
  // eslint-disable-next-line no-sparse-arrays
  assert.throws(() => clusterFaces([[1, 0], , [1, 0]] as number[][]), (e) => e instanceof FaceIndexError && /embedding 1: expected an embedding .* got undefined/.test(e.message));
  assert.throws(() => index.add('b', [1n, 0n, 0n] as unknown as number[]), (e) => e instanceof FaceIndexError && /embedding for 'b': value 0 is a bigint/.test(e.message));
});
