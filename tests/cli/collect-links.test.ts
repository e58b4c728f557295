import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, linkSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { collectImages, decodableSuffixes } from '../../cli/batch/collect-images.js';
import { decodeAhead } from '../../cli/batch/decode-ahead.js';
import { main } from '../../cli/main.js';
import { ImageError } from '../../src/pipeline/errors.js';
import { captureOutput } from '../pipeline/capture-output.js';
import { sharedPath } from '../pipeline/helpers.js';
import { packAFolder, readNdjson } from './collection.js';
import { asUser, noPermissionTests } from './permission-user.js';

const repo = path.resolve(import.meta.dirname, '../..');

/**
 * A folder holding t1.jpg, a link to it and a hard link to it (the same file thrice), a link to a missing file
 * with an image name, one with another name, and a link to itself (a loop):
 *   a-dangling.jpg → missing.jpg, b-dangling.txt → missing.txt, loop.jpg → loop.jpg, sub/t1-hard.jpg, t1.jpg, t1-link.jpg → t1.jpg
 */
function makeFolder(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'insightgpu-links-'));
  mkdirSync(path.join(root, 'sub'));
  copyFileSync(sharedPath('images', 't1.jpg'), path.join(root, 't1.jpg'));
  symlinkSync('t1.jpg', path.join(root, 't1-link.jpg'));
  linkSync(path.join(root, 't1.jpg'), path.join(root, 'sub', 't1-hard.jpg'));
  symlinkSync('missing.jpg', path.join(root, 'a-dangling.jpg'));
  symlinkSync('missing.txt', path.join(root, 'b-dangling.txt'));
  symlinkSync('loop.jpg', path.join(root, 'loop.jpg'));
  return root;
}

describe('listing links and files named twice', () => {
  let root = '';
  let suffixes: readonly string[] = [];
  before(async () => {
    root = makeFolder();
    suffixes = await decodableSuffixes();
  });

  it('lists one file once, under the name it is first listed by, however often it is named', async () => {
    const t1 = path.join(root, 't1.jpg');
    const twice = await collectImages([t1, t1, `${root}/./t1.jpg`], suffixes);
    assert.deepEqual(twice.map((e) => [e.name, e.file]), [['t1.jpg', t1]]);
    // The folder finds t1.jpg again, and under its other names (a hard link, a symbolic link): all one file.
    const withFolder = await collectImages([path.join(root, 't1-link.jpg'), root], suffixes);
    assert.deepEqual(withFolder.map((e) => e.name), ['t1-link.jpg', 'a-dangling.jpg']);
    const folderOnly = await collectImages([root, root], suffixes);
    assert.deepEqual(folderOnly.map((e) => e.name), ['a-dangling.jpg', 'sub/t1-hard.jpg']);
  });

  it('lists a link to a missing image, found or given, as an unreadable image; passes over a loop and other names', async () => {
    const entries = await collectImages([root], suffixes);
    const dangling = entries.find((e) => e.name === 'a-dangling.jpg');
    assert.ok(dangling?.unreadable instanceof ImageError);
    assert.match(dangling.unreadable.message, /a-dangling\.jpg': is a symbolic link to 'missing\.jpg', whose target does not exist/);
    assert.ok(!entries.some((e) => e.name.startsWith('loop') || e.name.startsWith('b-')));
    const given = await collectImages([path.join(root, 'a-dangling.jpg'), root], suffixes);
    assert.deepEqual(given.map((e) => [e.name, e.unreadable instanceof ImageError]), [['a-dangling.jpg', true], ['sub/t1-hard.jpg', false]]);
    const seen: string[] = [];
    for await (const d of decodeAhead(entries, 2)) seen.push(`${d.entry.name} ${d.error === dangling.unreadable ? 'its error' : d.image ? 'decoded' : 'other error'}`);
    assert.deepEqual(seen, ['a-dangling.jpg its error', 'sub/t1-hard.jpg decoded']);
  });

  it('analyze gives the link to nothing its error line and exits 3, and a file named twice one line', async () => {
    const models = packAFolder();
    const out = mkdtempSync(path.join(tmpdir(), 'insightgpu-links-out-'));
    const analyze = (...args: string[]): Promise<{ result: number; out: string }> =>
      captureOutput(() => main(['analyze', '--models', models, '--backend', 'cpu', '--det-size', '160', '--quiet', ...args]));
    const ndjson = path.join(out, 'run.ndjson');
    const run = await analyze('--ndjson', ndjson, path.join(root, 't1.jpg'), path.join(root, 't1.jpg'), root);
    assert.equal(run.result, 3, run.out);
    const lines = readNdjson(ndjson).slice(1) as { image: string; error?: { type: string; message: string } }[];
    assert.deepEqual(lines.map((l) => [l.image, l.error?.type ?? 'faces']), [['t1.jpg', 'faces'], ['a-dangling.jpg', 'ImageError']]);
    assert.match(lines[1]!.error!.message, /missing\.jpg/);
    // The pool reports the same lines without a worker's turn for the link.
    const pooled = path.join(out, 'pooled.ndjson');
    const viaPool = await analyze('--workers', '1', '--ndjson', pooled, path.join(root, 't1.jpg'), path.join(root, 't1.jpg'), root);
    assert.equal(viaPool.result, 3, viaPool.out);
    assert.equal(readFileSync(pooled, 'utf8'), readFileSync(ndjson, 'utf8'));
    const json = path.join(out, 'run.json');
    const once = await analyze('--json', json, path.join(root, 't1.jpg'), path.join(root, 't1-link.jpg'));
    assert.equal(once.result, 0, once.out);
    assert.deepEqual((JSON.parse(readFileSync(json, 'utf8')) as { results: { image: string }[] }).results.map((r) => r.image), ['t1.jpg']);
  });
});

describe('listing names that are not UTF-8, have newlines or differ only in case', () => {
  it('gives an image named by bytes that are not UTF-8 an unreadable entry, and lists the others by their names', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'insightgpu-names-'));
    const jpeg = readFileSync(sharedPath('images', 't1.jpg'));
    writeFileSync(Buffer.concat([Buffer.from(`${root}/bad`), Buffer.from([0xff]), Buffer.from('.jpg')]), jpeg);
    writeFileSync(Buffer.concat([Buffer.from(`${root}/other`), Buffer.from([0xff]), Buffer.from('.txt')]), 'not an image');
    for (const name of ['new\nline.jpg', 'sp ace é.JPG', 'x.Jpeg']) writeFileSync(path.join(root, name), jpeg);
    const entries = await collectImages([root], await decodableSuffixes());
    assert.deepEqual(entries.map((e) => e.name), ['bad\ufffd.jpg', 'new\nline.jpg', 'sp ace é.JPG', 'x.Jpeg']);
    assert.ok(entries[0]!.unreadable instanceof ImageError);
    assert.match(entries[0]!.unreadable.message, /its name is not UTF-8 \(bytes 626164ff2e6a7067\)/);
    assert.ok(entries.slice(1).every((e) => e.unreadable === undefined));
  });
});

describe('listing folders this user may not read', { skip: noPermissionTests }, () => {
  /** The CLI as a child process under `asUser` (permission bits do not stop root), its lines on stdout. */
  const analyzeAs = (...args: string[]): { status: number | null; stdout: string; stderr: string } =>
    spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'analyze', '--backend', 'cpu', '--det-size', '160', '--quiet', '--ndjson', '-', ...args],
      { cwd: repo, encoding: 'utf8', ...asUser });

  it('gives an image in a folder it may list but not search an error line, and refuses a folder it may not list', () => {
    const models = packAFolder();
    const root = mkdtempSync(path.join(tmpdir(), 'insightgpu-perm-'));
    mkdirSync(path.join(root, 'no-search'));
    copyFileSync(sharedPath('images', 't1.jpg'), path.join(root, 'no-search', 't1.jpg'));
    mkdirSync(path.join(root, 'no-list'));
    for (const [dir, mode] of [[models, 0o755], [root, 0o755], [path.join(root, 'no-search'), 0o644], [path.join(root, 'no-list'), 0o000]] as const) chmodSync(dir, mode);
    const searched = analyzeAs('--models', models, path.join(root, 'no-search'));
    assert.equal(searched.status, 3, searched.stderr);
    const lines = searched.stdout.trim().split('\n').slice(1).map((l) => JSON.parse(l) as { image: string; error?: { type: string; message: string } });
    assert.deepEqual(lines.map((l) => [l.image, l.error?.type]), [['t1.jpg', 'ImageError']]);
    assert.match(lines[0]!.error!.message, /no-search\/t1\.jpg': cannot be read \(EACCES\)/);
    const listed = analyzeAs('--models', models, root);
    assert.equal(listed.status, 1, listed.stderr);
    assert.match(listed.stderr, /images '.*no-list': is a folder that cannot be listed \(EACCES\)/);
  });
});
