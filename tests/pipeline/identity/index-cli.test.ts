/**
 * `insightgpu index add|remove|search|info|cluster` round trip on the real pack A models (det 320, CPU): enrol t1.jpg's
 * faces, identify a noisy copy's, inspect the file, list a faceless image as an error entry, cluster an
 * NDJSON results file with an error line and a torn last line.
 */
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { main } from '../../../cli/main.js';
import { writePng } from '../../../cli/encode-png.js';
import { createBgrImage, FaceIndex, loadImage, type FaceRecord } from '../../../src/pipeline/index.js';
import { captureOutput } from '../capture-output.js';
import { seededRandom, sharedPath } from '../helpers.js';
import { flippedCopy, noisyCopy } from './image-variants.js';
import { encodeIndex } from '../../../src/pipeline/identity/index-file.js';
import { withFileLock } from '../../../cli/index-faces.js';

const repo = fileURLToPath(new URL('../../..', import.meta.url));

const dir = mkdtempSync(path.join(tmpdir(), 'insightgpu-index-cli-'));
const indexFile = path.join(dir, 'people.igfx');
const models = ['--models', sharedPath('models'), '--backend', 'cpu', '--det-size', '320'];

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const { result, out } = await captureOutput(() => main(argv));
  return { code: result, out };
}
async function runJson<T>(argv: string[]): Promise<T> {
  const { code, out } = await run(argv);
  assert.equal(code, 0, out);
  return JSON.parse(out) as T;
}

describe('insightgpu index', () => {
  it('add, info, search: a noisy copy\'s faces find their own enrolled identity first', async () => {
    const t1 = await loadImage(sharedPath('images', 't1.jpg'));
    await writePng(noisyCopy(t1, 12, 15), path.join(dir, 'noisy.png'));
    await writePng(flippedCopy(t1), path.join(dir, 'flipped.png'));
    const added = await runJson<{ added: { id: string }[] }>(['index', 'add', '--index', indexFile, ...models, '--all-faces', sharedPath('images', 't1.jpg')]);
    assert.deepEqual(added.added.map((a) => a.id), ['t1#0', 't1#1', 't1#2', 't1#3', 't1#4', 't1#5']);
    // Without --id: the file's stem, the largest face.
    const second = await runJson<{ added: { id: string }[]; identities: number }>(['index', 'add', '--index', indexFile, ...models, path.join(dir, 'flipped.png')]);
    assert.deepEqual(second.added.map((a) => a.id), ['flipped']);
    assert.equal(second.identities, 7);
    const info = await runJson<{ dim: number; identities: number; entries: number; formatVersion: number; fileBytes: number; ids: string[] }>(['index', 'info', indexFile]);
    assert.equal(info.dim, 128);
    assert.equal(info.identities, 7);
    assert.equal(info.entries, 7);
    assert.equal(info.formatVersion, 1);
    assert.equal(info.fileBytes, readFileSync(indexFile).length);
    assert.deepEqual(info.ids, ['t1#0', 't1#1', 't1#2', 't1#3', 't1#4', 't1#5', 'flipped']);
    type Search = { results: { faces: { bbox: number[]; matches: { id: string; score: number }[] }[] }[] };
    const found = await runJson<Search>(['index', 'search', '--index', indexFile, ...models, '--k', '2', path.join(dir, 'noisy.png')]);
    const faces = found.results[0]!.faces;
    assert.equal(faces.length, 6);
    faces.forEach((f, i) => {
      console.log(`noisy face ${i}: ${f.matches.map((m) => `${m.id}=${m.score.toFixed(4)}`).join(' ')}`);
      assert.equal(f.matches[0]!.id, `t1#${i}`, 'left to right, the same people as the enrolled faces');
      assert.ok(f.matches.every((m) => m.score >= 0.3), 'the default threshold is 0.3');
    });
    // 'flipped' holds the mirror of t1's largest face (face 2, 108 × 151 px): that person's second match.
    assert.equal(faces[2]!.matches[1]!.id, 'flipped');
    const strict = await runJson<Search>(['index', 'search', '--index', indexFile, ...models, '--threshold', '0.999', path.join(dir, 'noisy.png')]);
    assert.ok(strict.results[0]!.faces.every((f) => f.matches.length === 0));
  });

  it('an image without a face is an error entry as an unreadable one (exit 3, the others saved, alone: the file unchanged); a corrupted file is refused', async () => {
    const blank = createBgrImage(96, 96);
    blank.data.fill(128);
    const blankFile = path.join(dir, 'blank.png');
    await writePng(blank, blankFile);
    const before = readFileSync(indexFile);
    const failed = await run(['index', 'add', '--index', indexFile, ...models, '--id', 'x', blankFile]);
    assert.equal(failed.code, 3, failed.out);
    assert.match(failed.out, /1 of 1 image\(s\) failed:\n {2}.*blank\.png: NoFaceError: .*no face found/);
    assert.deepEqual(readFileSync(indexFile), before);
    // With a good image: that one is enrolled and saved, the faceless one listed under "errors".
    const mixedFile = path.join(dir, 'mixed.igfx');
    const tom = sharedPath('images', 'Tom_Hanks_54745.png');
    const mixed = await run(['index', 'add', '--index', mixedFile, ...models, blankFile, tom]);
    assert.equal(mixed.code, 3, mixed.out);
    const doc = JSON.parse(mixed.out.split('\n').find((l) => l.startsWith('{"index"'))!) as { added: { id: string }[]; errors?: { image: string; error: { type: string } }[] };
    assert.deepEqual(doc.added.map((a) => a.id), ['Tom_Hanks_54745']);
    assert.deepEqual(doc.errors?.map((e) => [e.image, e.error.type]), [[blankFile, 'NoFaceError']]);
    assert.deepEqual((await FaceIndex.load(mixedFile)).identities(), ['Tom_Hanks_54745'], 'the good image is saved');
    // search: a faceless image is a result with no faces (nothing to identify), not an error.
    const search = await runJson<{ results: { image: string; faces: unknown[] }[] }>(['index', 'search', '--index', mixedFile, ...models, blankFile]);
    assert.deepEqual(search.results.map((r) => [r.image, r.faces.length]), [[blankFile, 0]]);
    const bad = Buffer.from(before);
    bad[bad.length - 10]! ^= 0x10;
    writeFileSync(path.join(dir, 'bad.igfx'), bad);
    const refused = await run(['index', 'info', path.join(dir, 'bad.igfx')]);
    assert.equal(refused.code, 1);
    assert.match(refused.out, /checksum mismatch/);
    // An unknown sub-command is an unknown command: exit 2 (README: exit codes), with the usage.
    const unknown = await run(['index', 'frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.out, /unknown sub-command 'frobnicate'[^]*index add --index FILE/);
    const missing = await run(['index', 'info', path.join(dir, 'none.igfx')]);
    assert.equal(missing.code, 1);
    assert.match(missing.out, /no such index file/);
  });

  it('cluster: six golden faces and a noisy copy of each give six clusters of two; error and torn lines are skipped', async () => {
    const golden = JSON.parse(readFileSync(sharedPath('golden', 'packA_det640.json'), 'utf8')) as { results: { image: string; width: number; height: number; faces: FaceRecord[] }[] };
    const t1 = golden.results[0]!;
    const rand = seededRandom(48);
    // Noise of ±0.3 × the RMS value keeps each copy's cosine to its face near 0.97, far inside eps 0.48.
    const copy = t1.faces.map((f) => {
      const e = f.embedding!;
      const rms = Math.sqrt(e.reduce((s, v) => s + v * v, 0) / e.length);
      return { ...f, embedding: e.map((v) => v + (rand() * 2 - 1) * 0.3 * rms) };
    });
    const lines = [
      JSON.stringify(t1),
      JSON.stringify({ image: 'broken.jpg', error: { type: 'ImageError', message: 'truncated' } }),
      JSON.stringify({ ...t1, image: 'copy.jpg', faces: copy }),
      '{"image":"torn.jpg","wid',
    ];
    const file = path.join(dir, 'results.ndjson');
    writeFileSync(file, lines.join('\n'));
    type Clusters = { faces: number; skippedErrorLines: number; tornLastLine: boolean; clusters: { size: number; members: { image: string; face: number }[] }[]; noise: unknown[] };
    const out = await runJson<Clusters>(['index', 'cluster', file]);
    assert.equal(out.faces, 12);
    assert.equal(out.skippedErrorLines, 1);
    assert.equal(out.tornLastLine, true);
    assert.equal(out.clusters.length, 6);
    assert.deepEqual(out.noise, []);
    for (const c of out.clusters) {
      assert.deepEqual(c.members.map((m) => m.image), ['t1.jpg', 'copy.jpg']);
      assert.equal(c.members[0]!.face, c.members[1]!.face);
    }
    // min-samples 3: pairs are not dense enough, every face is noise.
    assert.equal((await runJson<Clusters>(['index', 'cluster', file, '--min-samples', '3'])).noise.length, 12);
  });

  it('every sub-command takes --help', async () => {
    for (const sub of ['add', 'remove', 'search', 'info', 'cluster']) {
      const { code, out } = await run(['index', sub, '--help']);
      assert.equal(code, 0, out);
      assert.match(out, new RegExp(`usage: insightgpu index ${sub}`));
    }
    assert.match((await run(['index', '--help'])).out, /index add --index FILE/);
  });

  it('an error names the sub-command that failed; a name that is no sub-command is exit 2, not a crash', async () => {
    const missing = path.join(dir, 'missing.igfx');
    for (const [argv, message] of [
      [['add', '--index', missing], /^insightgpu index add: option IMAGE: give at least one image\n$/],
      [['search', '--index', missing, '--models', sharedPath('models'), sharedPath('images', 't1.jpg')], /^insightgpu index search: .*missing\.igfx: no such index file/],
      [['remove', '--index', missing, 'ann'], /^insightgpu index remove: .*missing\.igfx: no such index file/],
      [['info', missing], /^insightgpu index info: .*missing\.igfx: no such index file/],
      [['cluster', path.join(dir, 'missing.ndjson')], /^insightgpu index cluster: /],
    ] as const) {
      const { code, out } = await run(['index', ...argv]);
      assert.equal(code, 1, out);
      assert.match(out, message);
    }
    // Names that an object has without being given one (Object.prototype's) used to be called as sub-commands.
    for (const sub of ['toString', 'constructor', '__proto__']) {
      const { code, out } = await run(['index', sub]);
      assert.equal(code, 2, out);
      assert.match(out, new RegExp(`^insightgpu index: unknown sub-command '${sub}'`));
    }
  });
});

describe('insightgpu index: files made by the library', () => {
  it('info: rowBytes is what the loaded index holds (dim × 4 + 20 bytes per embedding)', async () => {
    const rand = seededRandom(7);
    const index = new FaceIndex({ dim: 32 });
    for (let i = 0; i < 20; i++) index.add(`p${i % 5}`, Array.from({ length: 32 }, () => rand() - 0.5));
    const file = path.join(dir, 'library.igfx');
    await index.save(file);
    const info = await runJson<{ entries: number; rowBytes: number }>(['index', 'info', file]);
    assert.equal(info.entries, 20);
    assert.equal(info.rowBytes, 20 * (32 * 4 + 20));
  });

  it('cluster: a damaged face in a results line is a one-line error naming its line, not a crash', async () => {
    const good = JSON.stringify({ image: 'a.jpg', faces: [{ bbox: [0, 0, 1, 1], embedding: [1, 0, 0] }, { embedding: [0.9, 0.1, 0] }] });
    const cases: [string, unknown[], RegExp][] = [
      ['null face', [null], /:3: face 0 is not a face object/],
      ['string values', [{ embedding: ['x', 0, 0] }], /:3: face 0: the embedding is not a list of finite numbers/],
      ['null values', [{ embedding: [1, null, 0] }], /:3: face 0: the embedding is not a list of finite numbers/],
      ['other dim', [{ embedding: [1, 0] }], /:3: face 0: a 2-d embedding among 3-d ones/],
      ['zeros', [{ embedding: [0, 0, 0] }], /:3: face 0: the embedding is all zeros/],
    ];
    for (const [what, faces, message] of cases) {
      const file = path.join(dir, 'damaged.ndjson');
      writeFileSync(file, `${good}\n${good}\n${JSON.stringify({ image: 'b.jpg', faces })}\n`);
      const { code, out } = await run(['index', 'cluster', file]);
      assert.equal(code, 1, `${what}: ${out}`);
      assert.match(out, message, what);
      assert.equal(out.trim().split('\n').length, 1, `${what}: one line`);
    }
  });

  it('add and search check every image path before opening the index or the models', async () => {
    const file = path.join(dir, 'checked.igfx');
    await new FaceIndex({ dim: 128 }).save(file);
    const before = readFileSync(file);
    const missing = path.join(dir, 'no such photo.jpg');
    // --models names no folder: had the images been read after it, the error would be the model pack's.
    const noModels = ['--models', path.join(dir, 'no-models'), '--backend', 'cpu'];
    for (const sub of ['add', 'search']) {
      const gone = await run(['index', sub, '--index', file, ...noModels, sharedPath('images', 't1.jpg'), missing]);
      assert.equal(gone.code, 1, gone.out);
      assert.match(gone.out, /no such photo\.jpg: no such image file/, sub);
      const folder = await run(['index', sub, '--index', file, ...noModels, dir]);
      assert.equal(folder.code, 1, folder.out);
      assert.match(folder.out, /is a folder, not an image/, sub);
    }
    assert.deepEqual(readFileSync(file), before);
  });

  it('an unreadable image gets an error entry, the others their results, exit 3 (add saves the good ones)', async () => {
    const text = path.join(dir, 'notes.jpg');
    writeFileSync(text, 'not an image\n');
    const torn = path.join(dir, 'torn.jpg');
    writeFileSync(torn, readFileSync(sharedPath('images', 't1.jpg')).subarray(0, 3000));
    const tom = sharedPath('images', 'Tom_Hanks_54745.png');
    const file = path.join(dir, 'partial.igfx');
    type Add = { added: { id: string }[]; identities: number; errors?: { image: string; error: { type: string; message: string } }[] };
    // Every image unreadable: nothing to enrol, so the file is not even made.
    const none = await run(['index', 'add', '--index', file, ...models, text]);
    assert.equal(none.code, 3, none.out);
    assert.equal(existsSync(file), false);
    const add = await run(['index', 'add', '--index', file, ...models, text, tom, torn]);
    assert.equal(add.code, 3, add.out);
    const added = JSON.parse(add.out.split('\n').find((l) => l.startsWith('{"index"'))!) as Add;
    assert.deepEqual(added.added.map((a) => a.id), ['Tom_Hanks_54745']);
    assert.deepEqual(added.errors?.map((e) => [e.image, e.error.type]), [[text, 'ImageError'], [torn, 'ImageError']]);
    assert.match(add.out, /2 of 3 image\(s\) failed:\n {2}.*notes\.jpg: ImageError: [^]*torn\.jpg: ImageError: /);
    assert.deepEqual((await FaceIndex.load(file)).identities(), ['Tom_Hanks_54745'], 'the good image is saved');
    const before = readFileSync(file);
    assert.equal((await run(['index', 'add', '--index', file, ...models, '--id', 'x', torn])).code, 3);
    assert.deepEqual(readFileSync(file), before, 'an add whose every image failed leaves the file as it was');
    const search = await run(['index', 'search', '--index', file, ...models, '--k', '1', torn, tom, text]);
    assert.equal(search.code, 3, search.out);
    const doc = JSON.parse(search.out.slice(0, search.out.indexOf('\n}\n') + 2)) as { results: { image: string; faces?: { matches: { id: string }[] }[]; error?: { type: string; message: string } }[] };
    assert.deepEqual(doc.results.map((r) => r.image), [torn, tom, text]);
    assert.match(doc.results[0]!.error!.message, /premature end of JPEG/);
    assert.equal(doc.results[1]!.faces![0]!.matches[0]!.id, 'Tom_Hanks_54745');
    assert.equal(doc.results[2]!.error!.type, 'ImageError');
    assert.match(search.out, /2 of 3 image\(s\) failed:/);
  });

  it('remove: every embedding of each id goes; an unknown id removes nothing (exit 1, naming it)', async () => {
    const rand = seededRandom(11);
    const file = path.join(dir, 'remove.igfx');
    const library = new FaceIndex({ dim: 8 });
    for (const id of ['ann', 'bob', 'ann', 'cy', 'ann', '-dash']) library.add(id, Array.from({ length: 8 }, () => rand() - 0.5), { name: id });
    await library.save(file);
    const before = readFileSync(file);
    const unknown = await run(['index', 'remove', '--index', file, 'ann', 'nobody', 'bob', 'no one']);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.out.trim().split('\n').length, 1, unknown.out);
    assert.match(unknown.out, /holds no identity "nobody", "no one"; nothing removed/);
    assert.deepEqual(readFileSync(file), before, 'nothing removed');
    type Removed = { removed: { id: string; entries: number }[]; identities: number; entries: number };
    const out = await runJson<Removed>(['index', 'remove', '--index', file, 'ann', 'cy', 'ann', '--', '-dash']);
    assert.deepEqual(out.removed, [{ id: 'ann', entries: 3 }, { id: 'cy', entries: 1 }, { id: '-dash', entries: 1 }]);
    assert.deepEqual([out.identities, out.entries], [1, 1]);
    const left = await FaceIndex.load(file);
    assert.deepEqual(left.identities(), ['bob']);
    assert.deepEqual(left.search(Array.from({ length: 8 }, () => 1), { k: 1, threshold: -1 })[0]!.meta, { name: 'bob' }, 'the kept identity keeps its meta');
    assert.equal(existsSync(`${file}.lock`), false, 'the lock is gone');
    for (const [argv, message] of [
      [['--index', file], /give at least one identity/],
      [['bob'], /--index: is required/],
      [['--index', path.join(dir, 'none.igfx'), 'bob'], /no such index file/],
    ] as const) {
      const refused = await run(['index', 'remove', ...argv]);
      assert.equal(refused.code, 1, refused.out);
      assert.match(refused.out, message);
    }
  });

  it('remove and add on one file at the same time keep both changes', async () => {
    const file = path.join(dir, 'remove-add.igfx');
    await runJson(['index', 'add', '--index', file, ...models, '--id', 'group', sharedPath('images', 't1.jpg')]);
    await runJson(['index', 'add', '--index', file, ...models, '--id', 'gone', sharedPath('images', 'Tom_Hanks_54745.png')]);
    // The add opens the file before the remove saves and saves after it: it must not bring 'gone' back.
    const { result } = await captureOutput(() => Promise.all([
      main(['index', 'add', '--index', file, ...models, '--id', 'tom', sharedPath('images', 'Tom_Hanks_54745.png')]),
      main(['index', 'remove', '--index', file, 'gone']),
    ]));
    assert.deepEqual(result, [0, 0]);
    assert.deepEqual((await FaceIndex.load(file)).identities().sort(), ['group', 'tom']);
  });

  it('add and search refuse an index made with another recognizer before reading any image', async () => {
    const file = path.join(dir, 'other-recognizer.igfx');
    await new FaceIndex({ dim: 512 }).save(file);
    const before = readFileSync(file);
    // A faceless image first: no face would ever reach the index's own dimension check.
    const blank = createBgrImage(64, 64);
    blank.data.fill(90);
    const blankFile = path.join(dir, 'blank-first.png');
    await writePng(blank, blankFile);
    for (const sub of ['add', 'search']) {
      const { code, out } = await run(['index', sub, '--index', file, ...models, blankFile, sharedPath('images', 't1.jpg')]);
      assert.equal(code, 1, `${sub}: ${out}`);
      assert.match(out, /holds 512-d embeddings, but the recognizer in .* makes 128-d ones/, sub);
    }
    assert.deepEqual(readFileSync(file), before);
  });

  it('add --all-faces refuses two images that would share NAME#0, NAME#1, … before reading them', async () => {
    const file = path.join(dir, 'all-faces.igfx');
    const t1 = sharedPath('images', 't1.jpg');
    const tom = sharedPath('images', 'Tom_Hanks_54745.png');
    mkdirSync(path.join(dir, 'copy'), { recursive: true });
    copyFileSync(t1, path.join(dir, 'copy', 't1.jpg'));
    for (const images of [['--id', 'team', t1, tom], [t1, path.join(dir, 'copy', 't1.jpg')]]) {
      const { code, out } = await run(['index', 'add', '--index', file, ...models, '--all-faces', ...images]);
      assert.equal(code, 1, out);
      assert.match(out, /would both enrol (team|t1)#0/);
      assert.equal(existsSync(file), false, 'nothing written');
    }
    // One image per NAME is fine, and --id without --all-faces still gathers several images under one identity.
    const one = await runJson<{ identities: number; entries: number }>(['index', 'add', '--index', file, ...models, '--id', 'tom', tom, tom]);
    assert.deepEqual([one.identities, one.entries], [1, 2]);
  });

  it('add and search refuse an empty or non-numeric --det-thresh instead of reading it as 0', async () => {
    const file = path.join(dir, 'det-thresh.igfx');
    await new FaceIndex({ dim: 128 }).save(file);
    // --models names no folder: the threshold is checked before the models load, so its error comes first.
    const noModels = ['--models', path.join(dir, 'no-models'), '--backend', 'cpu'];
    for (const sub of ['add', 'search']) {
      for (const bad of ['--det-thresh=', '--det-thresh= ', '--det-thresh=abc', '--det-thresh=1.5']) {
        const { code, out } = await run(['index', sub, '--index', file, ...noModels, bad, sharedPath('images', 't1.jpg')]);
        assert.equal(code, 1, out);
        assert.match(out, /option --det-thresh: /, `${sub} ${bad}`);
      }
    }
  });

  it('info reads a valid file of more entries than the library\'s default bound (made with a larger maxEntries)', async () => {
    const n = 1_000_001;
    const file = path.join(dir, 'large.igfx');
    // One identity of n one-dimensional rows: 8 MB, written by the format's own encoder.
    writeFileSync(file, encodeIndex({ dim: 1, ids: ['many'], meta: [undefined], owner: new Int32Array(n), rows: new Float32Array(n).fill(1) }));
    await assert.rejects(FaceIndex.load(file), /above this index's bound of 1000000/); // the library keeps its default
    const info = await runJson<{ entries: number; identities: number }>(['index', 'info', file]);
    assert.deepEqual([info.entries, info.identities], [n, 1]);
  });

  it('cluster reads an analyze --json results file too, instead of skipping it as a settings line', async () => {
    type Clusters = { faces: number; skippedErrorLines: number; clusters: { size: number }[]; noise: { image: string; face: number }[] };
    // The golden file is analyze --json's format: the settings and a "results" array (t1.jpg's six faces, a faceless image).
    const golden = sharedPath('golden', 'packA_det640.json');
    const out = await runJson<Clusters>(['index', 'cluster', golden]);
    assert.equal(out.faces, 6);
    assert.deepEqual(out.noise.map((f) => f.face), [0, 1, 2, 3, 4, 5], 'six different people');
    // The same records with an error record: skipped, as an NDJSON error line is; a damaged one is named by its place.
    const doc = JSON.parse(readFileSync(golden, 'utf8')) as { results: unknown[] };
    const file = path.join(dir, 'results.json');
    writeFileSync(file, JSON.stringify({ ...doc, results: [...doc.results, { image: 'x.jpg', error: { type: 'ImageError', message: 'bad' } }] }, null, 1));
    assert.equal((await runJson<Clusters>(['index', 'cluster', file])).skippedErrorLines, 1);
    writeFileSync(file, JSON.stringify({ ...doc, results: [doc.results[0], { image: 'y.jpg', faces: [null] }] }));
    const damaged = await run(['index', 'cluster', file]);
    assert.equal(damaged.code, 1);
    assert.match(damaged.out, /results\.json: results\[1\]: face 0 is not a face object/);
  });

  it('add refuses an index path it cannot write before the models load', async (t) => {
    // A read-only folder; as root permission bits do not stop a write, so a read-only system folder stands in.
    const locked = path.join(dir, 'locked');
    mkdirSync(locked, { recursive: true });
    chmodSync(locked, 0o555);
    const writable = (folder: string): boolean => {
      try {
        writeFileSync(path.join(folder, '.probe'), '');
        rmSync(path.join(folder, '.probe'));
        return true;
      } catch {
        return false;
      }
    };
    const folder = [locked, '/sys'].find((f) => existsSync(f) && !writable(f));
    if (folder === undefined) return t.skip('no unwritable folder here');
    const file = path.join(folder, 'people.igfx');
    // --models names no folder: had the path been tried only at the save, the error would be the model pack's.
    const { code, out } = await run(['index', 'add', '--index', file, '--models', path.join(dir, 'no-models'), sharedPath('images', 't1.jpg')]);
    assert.equal(code, 1, out);
    assert.match(out, new RegExp(`cannot write '${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'`));
    assert.equal(existsSync(file), false);
  });

  it('two adds to one file at the same time keep both runs\' faces', async () => {
    const file = path.join(dir, 'together.igfx');
    // Both runs open the (missing) file before either has read its image; the second to save used to write the
    // index as it had loaded it, dropping the first run's identity.
    const { result } = await captureOutput(() => Promise.all([
      main(['index', 'add', '--index', file, ...models, '--id', 'group', sharedPath('images', 't1.jpg')]),
      main(['index', 'add', '--index', file, ...models, '--id', 'tom', sharedPath('images', 'Tom_Hanks_54745.png')]),
    ]));
    assert.deepEqual(result, [0, 0]);
    assert.deepEqual((await FaceIndex.load(file)).identities().sort(), ['group', 'tom']);
    assert.equal(existsSync(`${file}.lock`), false, 'the lock is gone');
    // A lock left by a killed run (its process no longer exists) does not block the next one.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(`${file}.lock`, String(dead));
    await runJson(['index', 'add', '--index', file, ...models, '--id', 'again', sharedPath('images', 'Tom_Hanks_54745.png')]);
    assert.equal(existsSync(`${file}.lock`), false);
    assert.equal((await FaceIndex.load(file)).size, 3);
  });

  it('a FIFO as the index file is refused in one line by every sub-command that reads it, instead of hanging', { skip: process.platform === 'win32' }, () => {
    const folder = mkdtempSync(path.join(dir, 'fifo-'));
    const fifo = path.join(folder, 'faces.igfx');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
    try {
      // Child processes, killed after a minute: the read of a FIFO no one writes to blocks for good (SIGKILL, as a
      // blocked run may not get to its SIGTERM handler).
      for (const argv of [['info', fifo], ['add', '--index', fifo, ...models, sharedPath('images', 't1.jpg')], ['remove', '--index', fifo, 'x'], ['search', '--index', fifo, ...models, sharedPath('images', 't1.jpg')]]) {
        const child = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'index', ...argv], { cwd: repo, encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
        assert.equal(child.signal, null, `index ${argv[0]} hung on the FIFO`);
        assert.equal(child.status, 1, child.stderr);
        assert.match(child.stderr, new RegExp(`^insightgpu index ${argv[0]}: .*faces\\.igfx: is not a regular file \\(a FIFO, pipe, socket or device\\), so it cannot be an index file\n$`));
      }
      assert.deepEqual(readdirSync(folder), ['faces.igfx'], 'no probe or lock made beside it');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('add and remove take an index file name of 255 bytes (the longest a file may have), leaving no probe or lock', async () => {
    const folder = mkdtempSync(path.join(dir, 'long-'));
    const file = path.join(folder, `${'é'.repeat(125)}.igfx`); // 'é' is two bytes in UTF-8: 255 in all
    // The write probe and FILE.lock used to add 19 and 5 bytes to the name: ENAMETOOLONG before the save could try.
    await runJson(['index', 'add', '--index', file, ...models, '--id', 'tom', sharedPath('images', 'Tom_Hanks_54745.png')]);
    await runJson(['index', 'add', '--index', file, ...models, '--id', 'again', sharedPath('images', 'Tom_Hanks_54745.png')]);
    await runJson(['index', 'remove', '--index', file, 'tom']);
    assert.deepEqual((await FaceIndex.load(file)).identities(), ['again']);
    assert.deepEqual(readdirSync(folder), [path.basename(file)]);
  });

  it('two add processes reaching one new file by its name and by a link to it take one lock and keep both runs\' faces', async () => {
    const file = path.join(dir, 'linked.igfx');
    const link = path.join(dir, 'link-to-linked.igfx');
    symlinkSync('linked.igfx', link); // dangling until the first save creates the file
    // Two real processes, as two users' commands would be; the lock beside the link used to be a second lock.
    const addProcess = (index: string, id: string): Promise<{ code: number | null; err: string }> => new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'index', 'add', '--index', index, ...models, '--id', id, sharedPath('images', 'Tom_Hanks_54745.png')], { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString(); });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, err }));
    });
    const runs = await Promise.all([addProcess(file, 'by-name'), addProcess(link, 'by-link')]);
    assert.deepEqual(runs.map((r) => r.code), [0, 0], runs.map((r) => r.err).join('\n'));
    assert.deepEqual((await FaceIndex.load(file)).identities().sort(), ['by-link', 'by-name']);
    assert.ok(lstatSync(link).isSymbolicLink(), 'the link stays a link');
    assert.deepEqual([existsSync(`${file}.lock`), existsSync(`${link}.lock`)], [false, false], 'no lock is left');
    // Which lock a run through the (again dangling) link takes, told without a race: the file's own. A live holder
    // of it is waited for (here not at all: waitMs 0), and a killed run's is taken over and removed.
    rmSync(file);
    writeFileSync(`${file}.lock`, String(process.pid));
    let ran = false;
    await assert.rejects(withFileLock(link, async () => { ran = true; }, 0), /stays locked by process/);
    assert.equal(ran, false, 'the work waits for the lock held through the other name');
    writeFileSync(`${file}.lock`, String(spawnSync(process.execPath, ['-e', '0']).pid!));
    await runJson(['index', 'add', '--index', link, ...models, '--id', 'after-kill', sharedPath('images', 'Tom_Hanks_54745.png')]);
    assert.equal(existsSync(`${file}.lock`), false, 'the killed run\'s lock was taken over');
    assert.deepEqual((await FaceIndex.load(file)).identities(), ['after-kill']);
  });
});
