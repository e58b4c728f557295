/**
 * fetchPack against a real HTTP server on 127.0.0.1: the happy path (files land, digests recorded then
 * verified) and every failure a download meets, each of which must leave `<root>/models` without a pack
 * folder or any temp file and throw the matching typed error.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync, mkdirSync, existsSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { spawn } from 'node:child_process';
import { fetchPack, installFolder, type FetchPackEvent } from '../../models/fetch/fetch-pack.js';
import { rename } from 'node:fs/promises';
import { fetchModelFile } from '../../models/fetch/fetch-model-file.js';
import { loadModelFiles as loadModelFilesFromUrl } from '../../models/fetch/browser-loader.js';
import { ArchiveError, FetchError, IntegrityError, PackContentError, TruncatedDownloadError } from '../../models/fetch/errors.js';
import { readDigestRecord } from '../../models/fetch/digest-record.js';
import type { PackSpec } from '../../models/manifest.js';
import { loadModelFiles } from '../../src/pipeline/model-pack.js';
import { ModelPackError, PipelineOptionError } from '../../src/pipeline/errors.js';
import { buffaloLFiles, listModelsDir, sha256, specFor, zipPack } from './pack-fixtures.js';
import { fetchTestBed } from './fetch-test-bed.js';
import { serveBytes, serveCut, serveNothing, serveThenStall, type PackServer } from './pack-server.js';

const files = buffaloLFiles();
const zip = zipPack(files);
const bed = fetchTestBed();
const { freshRoot } = bed;
/** Serves `handler` as `<prefix>/<name>.zip` under a unique prefix and returns that prefix's base URL. */
const serve = (name: string, handler: Parameters<PackServer['route']>[1]): string => bed.serve(`${name}.zip`, handler);

/** A failed fetch must leave no pack folder and no temp file; only a pre-existing digests.json may remain. */
function assertNothingLeft(root: string, allowed: readonly string[] = []): void {
  assert.deepEqual(listModelsDir(root).filter((name) => !allowed.includes(name)), []);
}

describe('fetchPack: success', () => {
  it('downloads, extracts and records digests on first use, then verifies without downloading', async () => {
    const root = freshRoot();
    const spec = specFor('buffalo_l', files, zip, false);
    const baseUrl = serve('buffalo_l', serveBytes(zip, 5));
    const events: FetchPackEvent[] = [];
    const first = await fetchPack(spec, { root, baseUrl, onProgress: (event) => events.push(event) });

    assert.equal(first.downloaded, true);
    assert.equal(first.dir, join(root, 'models', 'buffalo_l'));
    assert.deepEqual(listModelsDir(root), ['buffalo_l', 'digests.json']);
    for (const [name, bytes] of Object.entries(files)) {
      assert.deepEqual(new Uint8Array(readFileSync(join(first.dir, name))), bytes, name);
    }
    assert.deepEqual(first.files.map((file) => file.checkedAgainst), ['first-seen', 'first-seen', 'first-seen', 'first-seen', 'first-seen']);
    assert.equal(first.zip?.sha256, sha256(zip));

    // Progress: download events climb to the full size; one extract event per file.
    const downloads = events.filter((event) => event.phase === 'download');
    assert.ok(downloads.length >= 3, `expected several download events, got ${downloads.length}`);
    assert.deepEqual(downloads.map((event) => event.receivedBytes), [...downloads.map((event) => event.receivedBytes)].sort((a, b) => a - b));
    assert.equal(downloads.at(-1)?.receivedBytes, zip.length);
    assert.equal(downloads.at(-1)?.totalBytes, zip.length);
    assert.equal(events.filter((event) => event.phase === 'extract').length, 5);

    const record = await readDigestRecord(join(root, 'models'));
    assert.deepEqual(record.packs.buffalo_l?.zip, { bytes: zip.length, sha256: sha256(zip) });
    assert.deepEqual(record.packs.buffalo_l?.files['det_10g.onnx'], { bytes: files['det_10g.onnx'].length, sha256: sha256(files['det_10g.onnx']) });

    const requestsBefore = bed.server.requests.length;
    const second = await fetchPack(spec, { root, baseUrl });
    assert.equal(second.downloaded, false);
    assert.equal(bed.server.requests.length, requestsBefore, 'a verified copy must not be downloaded again');
    assert.deepEqual(second.files.map((file) => file.checkedAgainst), ['recorded', 'recorded', 'recorded', 'recorded', 'recorded']);
  });

  it('checks against manifest digests when the manifest has them', async () => {
    const root = freshRoot();
    const result = await fetchPack(specFor('buffalo_l', files, zip, true), { root, baseUrl: serve('buffalo_l', serveBytes(zip)) });
    assert.equal(result.zip?.checkedAgainst, 'manifest');
    assert.ok(result.files.every((file) => file.checkedAgainst === 'manifest'));
  });

  it('fetches from a presigned base URL: the zip name joins its path, its query stays last', async () => {
    const root = freshRoot();
    const folder = serve('unused', serveBytes(zip));
    bed.server.route(`${new URL(folder).pathname}/buffalo_l.zip?sig=abc`, serveBytes(zip));
    const result = await fetchPack(specFor('buffalo_l', files, zip, true), { root, baseUrl: `${folder}?sig=abc` });
    assert.equal(result.zip?.checkedAgainst, 'manifest');
    assert.equal(bed.server.requests.at(-1), `${new URL(folder).pathname}/buffalo_l.zip?sig=abc`);
  });

  it('follows a redirect, as GitHub release URLs redirect to their storage host', async () => {
    const root = freshRoot();
    const target = serve('buffalo_l', serveBytes(zip));
    const baseUrl = serve('buffalo_l', (_req, res) => void res.writeHead(302, { location: `${target}/buffalo_l.zip` }).end());
    const result = await fetchPack(specFor('buffalo_l', files, zip, true), { root, baseUrl });
    assert.equal(result.zip?.checkedAgainst, 'manifest');
  });

  it('flattens a zip whose files sit in one top folder (antelopev2)', async () => {
    const root = freshRoot();
    const nested = zipPack(files, 'antelopev2');
    const result = await fetchPack(specFor('antelopev2', files, nested, false), { root, baseUrl: serve('antelopev2', serveBytes(nested)) });
    assert.deepEqual(listModelsDir(root), ['antelopev2', 'digests.json']);
    assert.ok(existsSync(join(result.dir, 'det_10g.onnx')));
    assert.ok(!existsSync(join(result.dir, 'antelopev2')));
  });

  it('uses a folder unpacked by InsightFace Python, marked unverified and not recorded', async () => {
    const root = freshRoot();
    const dir = join(root, 'models', 'buffalo_l');
    mkdirSync(dir, { recursive: true });
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
    const requestsBefore = bed.server.requests.length;
    const result = await fetchPack(specFor('buffalo_l', files, zip, false), { root, baseUrl: serve('buffalo_l', serveBytes(zip)) });
    assert.equal(result.downloaded, false);
    assert.equal(bed.server.requests.length, requestsBefore);
    assert.ok(result.files.every((file) => file.checkedAgainst === 'unverified'));
    assert.deepEqual(listModelsDir(root), ['buffalo_l']);

    // With digests in the manifest, the same folder is verified against them.
    assert.ok((await fetchPack(specFor('buffalo_l', files, zip, true), { root })).files.every((f) => f.checkedAgainst === 'manifest'));
  });

  it('a fetch killed the moment its pack is installed has recorded it first: the copy is held to the record, not unverified', async () => {
    // A child process that SIGKILLs itself on the 'installed' event: the latest point a kill can come, and the
    // one between installing and recording when the record came second.
    const root = freshRoot();
    const spec = specFor('buffalo_l', files, zip, false);
    const baseUrl = serve('buffalo_l', serveBytes(zip));
    const script = `const { fetchPack } = await import(${JSON.stringify(new URL('../../models/fetch/fetch-pack.ts', import.meta.url).pathname)});
      const [spec, root, baseUrl] = JSON.parse(process.argv[1]);
      await fetchPack(spec, { root, baseUrl, onProgress: (e) => { if (e.phase === 'installed') process.kill(process.pid, 'SIGKILL'); } });`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, JSON.stringify([spec, root, baseUrl])], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const signal = await new Promise((resolve) => child.on('close', (_code, killedBy) => resolve(killedBy)));
    assert.equal(signal, 'SIGKILL', stderr);
    assert.deepEqual(listModelsDir(root).filter((name) => !name.startsWith('.')), ['buffalo_l', 'digests.json']);
    assert.deepEqual(Object.keys((await readDigestRecord(join(root, 'models'))).packs['buffalo_l']?.files ?? {}).sort(), Object.keys(files).sort());
    const again = await fetchPack(spec, { root, baseUrl });
    assert.equal(again.downloaded, false);
    assert.deepEqual(again.files.map((file) => file.checkedAgainst), Object.keys(files).map(() => 'recorded'));
  });

  it('sweeps temps left by a killed fetch, but not those of a running one', async () => {
    const root = freshRoot();
    const modelsDir = join(root, 'models');
    // pid 2^22 + 1 is above Linux's pid_max ceiling, so no process can have it.
    const dead = `.buffalo_l.${2 ** 22 + 1}.0123abcd`;
    const alive = `.buffalo_l.${process.pid}.89abcdef`;
    mkdirSync(join(modelsDir, `${dead}.partial`), { recursive: true });
    writeFileSync(join(modelsDir, `${dead}.zip.part`), 'partial zip');
    writeFileSync(join(modelsDir, `${alive}.zip.part`), 'a concurrent download');
    await fetchPack(specFor('buffalo_l', files, zip, false), { root, baseUrl: serve('buffalo_l', serveBytes(zip)) });
    assert.deepEqual(listModelsDir(root), [`${alive}.zip.part`, 'buffalo_l', 'digests.json']);
  });

  it('sweeps them also when the copy in place is fine and nothing is downloaded (a killed --force re-download)', async () => {
    const root = freshRoot();
    const spec = specFor('buffalo_l', files, zip, false);
    const baseUrl = serve('buffalo_l', serveBytes(zip));
    await fetchPack(spec, { root, baseUrl });
    const dead = `.buffalo_l.${2 ** 22 + 1}.0123abcd`;
    mkdirSync(join(root, 'models', `${dead}.partial`));
    writeFileSync(join(root, 'models', `${dead}.zip.part`), 'what a killed --force download left');
    const again = await fetchPack(spec, { root, baseUrl });
    assert.equal(again.downloaded, false);
    assert.deepEqual(listModelsDir(root), ['buffalo_l', 'digests.json']);
  });

  it("a pack named after an Object member (constructor, toString, __proto__) is fetched, recorded and then held to its record", async () => {
    for (const name of ['constructor', 'toString', '__proto__']) {
      const root = freshRoot();
      const spec = specFor(name, files, zip, false);
      const baseUrl = serve(name, serveBytes(zip));
      // The record's lookup found Object's own `constructor` (a function without files): a TypeError, every time.
      const first = await fetchPack(spec, { root, baseUrl });
      assert.equal(first.downloaded, true, name);
      assert.deepEqual(first.files.map((file) => file.checkedAgainst), Object.keys(files).map(() => 'first-seen'), name);
      assert.deepEqual(Object.keys((await readDigestRecord(join(root, 'models'))).packs), [name]);
      const again = await fetchPack(spec, { root, baseUrl });
      assert.equal(again.downloaded, false, name);
      assert.deepEqual(again.files.map((file) => file.checkedAgainst), Object.keys(files).map(() => 'recorded'), name);
    }
  });

  it('replaces an installed copy where a folder sits under a model file\'s name', async () => {
    const root = freshRoot();
    const dir = join(root, 'models', 'buffalo_l');
    mkdirSync(join(dir, 'det_10g.onnx'), { recursive: true });
    for (const [name, bytes] of Object.entries(files)) if (name !== 'det_10g.onnx') writeFileSync(join(dir, name), bytes);
    // Its hash was a bare 'EISDIR: illegal operation on a directory, read', naming neither the pack nor the file.
    const result = await fetchPack(specFor('buffalo_l', files, zip, true), { root, baseUrl: serve('buffalo_l', serveBytes(zip)) });
    assert.equal(result.downloaded, true);
    assert.equal(result.replacedBecause, 'det_10g.onnx is not a file');
    assert.deepEqual(readFileSync(join(dir, 'det_10g.onnx')), Buffer.from(files['det_10g.onnx']!));
    assert.deepEqual(listModelsDir(root), ['buffalo_l', 'digests.json']);
  });

  it('replaces an installed copy whose file no longer matches its digest', async () => {
    const root = freshRoot();
    const spec = specFor('buffalo_l', files, zip, true);
    const baseUrl = serve('buffalo_l', serveBytes(zip));
    await fetchPack(spec, { root, baseUrl });
    writeFileSync(join(root, 'models', 'buffalo_l', 'genderage.onnx'), 'damaged');
    const result = await fetchPack(spec, { root, baseUrl });
    assert.equal(result.downloaded, true);
    assert.match(result.replacedBecause ?? '', /genderage\.onnx: bytes mismatch/);
    assert.deepEqual(new Uint8Array(readFileSync(join(result.dir, 'genderage.onnx'))), files['genderage.onnx']);
    assert.deepEqual(listModelsDir(root), ['buffalo_l', 'digests.json']);
  });

  it('keeps the files a user put beside the pack when it replaces the copy (damaged, or --force)', async () => {
    const root = freshRoot();
    const spec = specFor('buffalo_l', files, zip, true);
    const baseUrl = serve('buffalo_l', serveBytes(zip));
    const { dir } = await fetchPack(spec, { root, baseUrl });
    writeFileSync(join(dir, 'my_recognizer.onnx'), 'mine');
    mkdirSync(join(dir, 'notes'));
    writeFileSync(join(dir, 'notes', 'README.txt'), 'notes');
    writeFileSync(join(dir, 'genderage.onnx'), 'damaged');
    for (const force of [false, true]) {
      const result = await fetchPack(spec, { root, baseUrl, force });
      assert.equal(result.downloaded, true);
      assert.equal(readFileSync(join(dir, 'my_recognizer.onnx'), 'utf8'), 'mine', `force: ${force}`);
      assert.equal(readFileSync(join(dir, 'notes', 'README.txt'), 'utf8'), 'notes', `force: ${force}`);
      assert.deepEqual(new Uint8Array(readFileSync(join(dir, 'genderage.onnx'))), files['genderage.onnx']);
    }
    assert.deepEqual(listModelsDir(root), ['buffalo_l', 'digests.json']);
  });

  it('replacing a pack folder that is a symlink leaves the folder it points to as it was', async () => {
    const root = freshRoot();
    const elsewhere = join(freshRoot(), 'buffalo_l');
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, 'genderage.onnx'), 'damaged');
    writeFileSync(join(elsewhere, 'mine.txt'), 'mine');
    mkdirSync(join(root, 'models'));
    symlinkSync(elsewhere, join(root, 'models', 'buffalo_l'));
    const result = await fetchPack(specFor('buffalo_l', files, zip, true), { root, baseUrl: serve('buffalo_l', serveBytes(zip)) });
    assert.equal(result.downloaded, true);
    assert.equal(readFileSync(join(elsewhere, 'mine.txt'), 'utf8'), 'mine');
    assert.deepEqual(listModelsDir(root), ['buffalo_l', 'digests.json']);
  });
});

describe('fetchPack: failures leave nothing half-written', () => {
  const tofu = specFor('buffalo_l', files, zip, false);

  it('404: FetchError with the status', async () => {
    const root = freshRoot();
    const error = await fetchPack(tofu, { root, baseUrl: `${bed.server.baseUrl}/nowhere` }).catch((e: unknown) => e);
    assert.ok(error instanceof FetchError, String(error));
    assert.equal(error.failure, 'http-status');
    assert.equal(error.status, 404);
    assert.match(error.message, /nowhere\/buffalo_l\.zip/);
    assertNothingLeft(root);
  });

  it('connection closed mid-body: TruncatedDownloadError with N of M bytes', async () => {
    const root = freshRoot();
    const error = await fetchPack(tofu, { root, baseUrl: serve('buffalo_l', serveCut(zip, 1000)) }).catch((e: unknown) => e);
    assert.ok(error instanceof TruncatedDownloadError, String(error));
    assert.equal(error.receivedBytes, 1000);
    assert.equal(error.expectedBytes, zip.length);
    assert.match(error.message, new RegExp(`truncated at 1000 of ${zip.length} bytes`));
    assertNothingLeft(root);
  });

  it('Content-Length larger than the body: TruncatedDownloadError', async () => {
    const root = freshRoot();
    const error = await fetchPack(tofu, { root, baseUrl: serve('buffalo_l', serveCut(zip, zip.length, zip.length + 4096)) }).catch((e: unknown) => e);
    assert.ok(error instanceof TruncatedDownloadError, String(error));
    assert.equal(error.receivedBytes, zip.length);
    assert.equal(error.expectedBytes, zip.length + 4096);
    assertNothingLeft(root);
  });

  it('chunked body cut short (no Content-Length): TruncatedDownloadError', async () => {
    const root = freshRoot();
    const error = await fetchPack(tofu, { root, baseUrl: serve('buffalo_l', serveCut(zip, 2000, null)) }).catch((e: unknown) => e);
    assert.ok(error instanceof TruncatedDownloadError, String(error));
    assert.equal(error.expectedBytes, undefined);
    assertNothingLeft(root);
  });

  it('Content-Length disagreeing with the manifest size: IntegrityError before the body is read', async () => {
    const root = freshRoot();
    const spec: PackSpec = { ...tofu, zip: { bytes: zip.length + 1 } };
    const requestsBefore = bed.server.requests.length;
    const error = await fetchPack(spec, { root, baseUrl: serve('buffalo_l', serveBytes(zip)) }).catch((e: unknown) => e);
    assert.ok(error instanceof IntegrityError, String(error));
    assert.equal(error.property, 'bytes');
    assert.equal(error.expected, String(zip.length + 1));
    assert.match(error.actual, new RegExp(`^${zip.length} \\(Content-Length\\)$`));
    assert.equal(bed.server.requests.length, requestsBefore + 1);
    assertNothingLeft(root);
  });

  it('not a zip: ArchiveError', async () => {
    const root = freshRoot();
    const junk = new TextEncoder().encode('<html>this is an error page, not a zip</html>'.repeat(50));
    const error = await fetchPack(tofu, { root, baseUrl: serve('buffalo_l', serveBytes(junk)) }).catch((e: unknown) => e);
    assert.ok(error instanceof ArchiveError, String(error));
    assert.match(error.message, /no end-of-central-directory record/);
    assertNothingLeft(root);
  });

  it('corrupt data inside a valid zip: ArchiveError naming the entry', async () => {
    const root = freshRoot();
    const damaged = zip.slice();
    // Flip bytes in the middle of the first entry's deflate data (after its 30-byte header and name).
    for (let i = 200; i < 260; i++) damaged[i] ^= 0x5a;
    const error = await fetchPack(tofu, { root, baseUrl: serve('buffalo_l', serveBytes(damaged)) }).catch((e: unknown) => e);
    assert.ok(error instanceof ArchiveError, String(error));
    assert.equal(error.entry, '1k3d68.onnx');
    assertNothingLeft(root);
  });

  it('zip lacking a file the manifest requires: PackContentError', async () => {
    const root = freshRoot();
    const { ['w600k_r50.onnx']: _dropped, ...four } = files;
    const partial = zipPack(four);
    const error = await fetchPack(tofu, { root, baseUrl: serve('buffalo_l', serveBytes(partial)) }).catch((e: unknown) => e);
    assert.ok(error instanceof PackContentError, String(error));
    assert.deepEqual(error.missing, ['w600k_r50.onnx']);
    assertNothingLeft(root);
  });

  it('an unconfirmed pack whose zip holds no .onnx model: PackContentError, nothing installed or recorded', async () => {
    const root = freshRoot();
    const spec: PackSpec = { ...specFor('buffalo_m', files, undefined, false), confirmed: false };
    const placeholder = zipPack({ 'README.txt': new TextEncoder().encode('moved to another host') });
    const error = await fetchPack(spec, { root, baseUrl: serve('buffalo_m', serveBytes(placeholder)) }).catch((e: unknown) => e);
    assert.ok(error instanceof PackContentError, String(error));
    assert.match(error.message, /pack buffalo_m is missing an \.onnx model at its top level \(the zip holds: README\.txt\)/);
    assertNothingLeft(root);
  });

  it('an unconfirmed pack whose models sit a folder below the top (a zip of a zipped folder): PackContentError, nothing installed', async () => {
    const root = freshRoot();
    const spec: PackSpec = { ...specFor('buffalo_m', files, undefined, false), confirmed: false };
    // buffalo_m/inner/*.onnx: the one wrapping folder is stripped, which leaves inner/, where no load looks.
    const nested = zipPack(Object.fromEntries(Object.entries(files).map(([name, bytes]) => [`inner/${name}`, bytes])), 'buffalo_m');
    const error = await fetchPack(spec, { root, baseUrl: serve('buffalo_m', serveBytes(nested)) }).catch((e: unknown) => e);
    assert.ok(error instanceof PackContentError, String(error));
    assert.match(error.message, /pack buffalo_m is missing an \.onnx model at its top level \(the zip holds: inner\/1k3d68\.onnx, /);
    assertNothingLeft(root);
  });

  it('a zip naming one path as a file and as a folder: ArchiveError naming the entry, nothing left', async () => {
    const root = freshRoot();
    const spec: PackSpec = { ...specFor('buffalo_m', files, undefined, false), confirmed: false };
    const clash = zipPack({ ...files, extra: new Uint8Array([1]), 'extra/b.onnx': new Uint8Array([2]) });
    const error = await fetchPack(spec, { root, baseUrl: serve('buffalo_m', serveBytes(clash)) }).catch((e: unknown) => e);
    // It was the system's EEXIST of a mkdir in the temporary folder, which the failure had just removed.
    assert.ok(error instanceof ArchiveError, String(error));
    assert.equal(error.entry, 'extra');
    assertNothingLeft(root);
  });

  it('wrong file digest in the manifest: IntegrityError with expected and actual', async () => {
    const root = freshRoot();
    const wrong = '0'.repeat(64);
    const spec: PackSpec = { ...tofu, files: tofu.files.map((f) => (f.name === 'det_10g.onnx' ? { ...f, sha256: wrong } : f)) };
    const error = await fetchPack(spec, { root, baseUrl: serve('buffalo_l', serveBytes(zip)) }).catch((e: unknown) => e);
    assert.ok(error instanceof IntegrityError, String(error));
    assert.equal(error.subject, 'buffalo_l/det_10g.onnx');
    assert.equal(error.expected, wrong);
    assert.equal(error.actual, sha256(files['det_10g.onnx']));
    assert.equal(error.expectedFrom, 'manifest');
    assertNothingLeft(root);
  });

  it('wrong zip digest in the manifest: IntegrityError before extraction', async () => {
    const root = freshRoot();
    const spec: PackSpec = { ...tofu, zip: { sha256: 'f'.repeat(64) } };
    const error = await fetchPack(spec, { root, baseUrl: serve('buffalo_l', serveBytes(zip)) }).catch((e: unknown) => e);
    assert.ok(error instanceof IntegrityError, String(error));
    assert.equal(error.subject, 'buffalo_l.zip');
    assert.equal(error.actual, sha256(zip));
    assertNothingLeft(root);
  });

  it('a re-download differing from the recorded digest is refused and the installed copy kept', async () => {
    const root = freshRoot();
    await fetchPack(tofu, { root, baseUrl: serve('buffalo_l', serveBytes(zip)) });
    const changed = zipPack({ ...files, 'genderage.onnx': files['1k3d68.onnx'] });
    const error = await fetchPack(tofu, { root, force: true, baseUrl: serve('buffalo_l', serveBytes(changed)) }).catch((e: unknown) => e);
    assert.ok(error instanceof IntegrityError, String(error));
    assert.equal(error.expectedFrom, 'recorded');
    assert.equal(error.subject, 'buffalo_l.zip');
    assert.deepEqual(listModelsDir(root), ['buffalo_l', 'digests.json']);
    assert.deepEqual(new Uint8Array(readFileSync(join(root, 'models', 'buffalo_l', 'genderage.onnx'))), files['genderage.onnx']);
  });

  it('server that never answers: FetchError timeout', async () => {
    const root = freshRoot();
    const started = Date.now();
    const error = await fetchPack(tofu, { root, baseUrl: serve('buffalo_l', serveNothing), stallTimeoutMs: 300 }).catch((e: unknown) => e);
    assert.ok(error instanceof FetchError, String(error));
    assert.equal(error.failure, 'timeout');
    assert.match(error.message, /waiting for the response/);
    assert.ok(Date.now() - started < 5000);
    assertNothingLeft(root);
  });

  it('server that stalls mid-body: FetchError timeout after N bytes', async () => {
    const root = freshRoot();
    const error = await fetchPack(tofu, { root, baseUrl: serve('buffalo_l', serveThenStall(zip, 4096)), stallTimeoutMs: 300 }).catch((e: unknown) => e);
    assert.ok(error instanceof FetchError, String(error));
    assert.equal(error.failure, 'timeout');
    assert.match(error.message, /after 4096 bytes/);
    assertNothingLeft(root);
  });

  it('caller abort: FetchError aborted', async () => {
    const root = freshRoot();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await fetchPack(tofu, { root, baseUrl: serve('buffalo_l', serveThenStall(zip, 4096)), signal: controller.signal }).catch((e: unknown) => e);
    assert.ok(error instanceof FetchError, String(error));
    assert.equal(error.failure, 'aborted');
    assertNothingLeft(root);
  });
});

describe('fetchPack: where the pack goes and how long it waits', () => {
  it('installs where a bare pack name is looked up, with $INSIGHTFACE_HOME empty or starting with ~', async () => {
    const home = freshRoot();
    const spec = specFor('buffalo_l', files, zip, true);
    const baseUrl = serve('buffalo_l', serveBytes(zip));
    const saved = { HOME: process.env['HOME'], INSIGHTFACE_HOME: process.env['INSIGHTFACE_HOME'] };
    process.env['HOME'] = home;
    try {
      for (const [value, root] of [['~/ih', join(home, 'ih')], ['', join(home, '.insightface')]] as const) {
        process.env['INSIGHTFACE_HOME'] = value;
        const result = await fetchPack(spec, { baseUrl });
        assert.equal(result.dir, join(root, 'models', 'buffalo_l'), `INSIGHTFACE_HOME=${JSON.stringify(value)}`);
        // What `analyze --models buffalo_l` and FaceAnalysis.create({ models: 'buffalo_l' }) read.
        const loaded = await loadModelFiles('buffalo_l');
        assert.deepEqual(loaded.map((file) => file.name), Object.keys(files).sort(), `INSIGHTFACE_HOME=${JSON.stringify(value)}`);
      }
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('a root of ~user is that user\'s home; an unknown ~user or an empty root is refused, and nothing is made in the working folder', async () => {
    const work = freshRoot();
    const saved = process.cwd();
    process.chdir(work); // a relative '~user/…' folder, as the old rule made, would land here
    try {
      const baseUrl = serve('buffalo_l', serveBytes(zip));
      await assert.rejects(
        fetchPack(specFor('buffalo_l', files, zip, true), { root: '~no-such-user-of-this-test/if', baseUrl }),
        (e: unknown) => e instanceof PipelineOptionError && /no user 'no-such-user-of-this-test' in \/etc\/passwd/.test(e.message),
      );
      await assert.rejects(loadModelFiles('buffalo_l', '~no-such-user-of-this-test/if'), PipelineOptionError);
      // An empty root (`--root "$UNSET"`) is refused too, rather than installing into the working folder.
      await assert.rejects(fetchPack(specFor('buffalo_l', files, zip, true), { root: '', baseUrl }), (e: unknown) => e instanceof PipelineOptionError && /option root: is empty/.test(e.message));
      await assert.rejects(loadModelFiles('buffalo_l', ''), PipelineOptionError);
      assert.deepEqual(readdirSync(work), []);
      // The pack lookup expands this process's own user to its home (read only: nothing is installed there).
      const me = userInfo();
      await assert.rejects(loadModelFiles('no_such_pack', `~${me.username}/insightgpu-test-absent`), (e: unknown) => e instanceof Error && e.message.includes(`looked in ${join(me.homedir, 'insightgpu-test-absent', 'models', 'no_such_pack')}`));
    } finally {
      process.chdir(saved);
    }
  });

  it("a pack name of '', '.' or '..' is no pack: it does not load the root's models folder or the root itself", async () => {
    const root = freshRoot();
    // Models that are no pack's: a single-file model in <root>/models (where fetchModelFile puts inswapper_128), and
    // one in the root itself; '.' and '..' under <root>/models named those two folders.
    mkdirSync(join(root, 'models'), { recursive: true });
    writeFileSync(join(root, 'models', 'inswapper_128.onnx'), files['det_10g.onnx']!);
    writeFileSync(join(root, 'stray.onnx'), files['det_10g.onnx']!);
    for (const name of ['.', '..']) {
      await assert.rejects(loadModelFiles(name, root), (e: unknown) => e instanceof ModelPackError && e.message === `model pack '${name}': is no pack name (a pack is a folder in <root>/models); give a folder by its path, e.g. '${name}/'`, name);
    }
    const saved = process.env['INSIGHTFACE_HOME'];
    process.env['INSIGHTFACE_HOME'] = root;
    try {
      // An empty models value (an unset variable) named <$INSIGHTFACE_HOME>/models.
      await assert.rejects(loadModelFiles(''), (e: unknown) => e instanceof ModelPackError && /model pack '': is empty/.test(e.message));
      await assert.rejects(loadModelFiles('', root), ModelPackError);
    } finally {
      if (saved === undefined) delete process.env['INSIGHTFACE_HOME'];
      else process.env['INSIGHTFACE_HOME'] = saved;
    }
    // Without a root, '.' and '..' are the working folder and its parent, used as folders.
    const saved2 = process.cwd();
    process.chdir(join(root, 'models'));
    try {
      assert.deepEqual((await loadModelFiles('.')).map((file) => file.name), ['inswapper_128.onnx']);
    } finally {
      process.chdir(saved2);
    }
  });

  it('a stall timeout beyond the timer range (2^31 ms and up) waits instead of firing at once', async () => {
    for (const stallTimeoutMs of [2 ** 31, 1e12]) {
      const root = freshRoot();
      const result = await fetchPack(specFor('buffalo_l', files, zip, true), { root, baseUrl: serve('buffalo_l', serveBytes(zip)), stallTimeoutMs });
      assert.equal(result.downloaded, true, String(stallTimeoutMs));
    }
  });
});

describe('fetchPack, fetchModelFile, loadModelFiles: stallTimeoutMs is checked', () => {
  it('a negative, NaN, Infinity or non-number stallTimeoutMs is a PipelineOptionError naming it, before anything is fetched', async () => {
    let asked = 0;
    const fetch = (async () => { asked++; throw new Error('no fetch expected'); }) as typeof globalThis.fetch;
    for (const stallTimeoutMs of [-1, Number.NaN, Infinity, -Infinity, '300', null, {}] as unknown as number[]) {
      const root = freshRoot();
      const refused = (e: unknown): boolean => e instanceof PipelineOptionError && e.option === 'stallTimeoutMs'
        && /^option stallTimeoutMs: .* is not a finite number of milliseconds ≥ 0/.test(e.message);
      await assert.rejects(fetchPack(specFor('buffalo_l', files, zip, true), { root, baseUrl: 'http://127.0.0.1:9', stallTimeoutMs, fetch }), refused, String(stallTimeoutMs));
      await assert.rejects(fetchModelFile('inswapper_128', { root, baseUrl: 'http://127.0.0.1:9', stallTimeoutMs, fetch }), refused, String(stallTimeoutMs));
      await assert.rejects(loadModelFilesFromUrl('http://127.0.0.1:9/', ['a.onnx'], { cache: null, stallTimeoutMs, fetch }), refused, String(stallTimeoutMs));
      assert.deepEqual(readdirSync(root), [], 'nothing made');
    }
    assert.equal(asked, 0);
    // 0 (no limit) and a finite number pass the check (the download then fails on the fetch, not the option).
    await assert.rejects(loadModelFilesFromUrl('http://127.0.0.1:9/', ['a.onnx'], { cache: null, stallTimeoutMs: 0, fetch }), (e: unknown) => !(e instanceof PipelineOptionError));
  });
});

describe('fetchPack: abort while an installed copy is checked', () => {
  it('an abort (Ctrl-C) during the check of an installed pack throws FetchError aborted, not a result', async () => {
    const root = freshRoot();
    const spec = specFor('buffalo_l', files, zip, true);
    await fetchPack(spec, { root, baseUrl: serve('buffalo_l', serveBytes(zip)) });
    const controller = new AbortController();
    const error = await fetchPack(spec, {
      root, signal: controller.signal,
      onProgress: (event) => { if (event.phase === 'verify-existing' && event.index === 1) controller.abort(); },
    }).catch((e: unknown) => e);
    assert.ok(error instanceof FetchError, String(error));
    assert.equal(error.failure, 'aborted');
    assert.deepEqual(listModelsDir(root), ['buffalo_l', 'digests.json'], 'the installed copy stays');
  });
});

describe('fetchPack, fetchModelFile: a signal aborted before the call', () => {
  it('is FetchError aborted with no request made and no <root>/models folder made', async () => {
    const controller = new AbortController();
    controller.abort();
    const baseUrl = serve('buffalo_l', serveBytes(zip));
    const single = { name: 'inswapper_128', url: 'http://unused.invalid/inswapper_128.onnx', file: { name: 'inswapper_128.onnx' } };
    const requestsBefore = bed.server.requests.length;
    for (const run of [
      (root: string) => fetchPack(specFor('buffalo_l', files, zip, true), { root, baseUrl, signal: controller.signal }),
      (root: string) => fetchModelFile(single, { root, baseUrl, signal: controller.signal }),
    ]) {
      const root = freshRoot();
      const error = await run(root).catch((e: unknown) => e);
      assert.ok(error instanceof FetchError, String(error));
      assert.equal(error.failure, 'aborted');
      assert.equal(existsSync(join(root, 'models')), false, 'nothing is made for an aborted call');
    }
    assert.equal(bed.server.requests.length, requestsBefore);
  });
});

describe('fetchPack: a root where no folder can be made', () => {
  // procfs refuses new folders with ENOENT although their parent exists, which sent Node's recursive mkdir into
  // an endless loop; a read-only mount (EROFS) came out of it as ENOENT. The timeout only bounds a hang.
  it('fails at once with the system error of the mkdir that was refused', { skip: !existsSync('/proc/self/status'), timeout: 60_000 }, async () => {
    const error = await fetchPack(specFor('buffalo_l', files, zip, true), { root: '/proc/self', baseUrl: serve('buffalo_l', serveBytes(zip)) }).catch((e: unknown) => e);
    assert.ok(error instanceof Error && (error as NodeJS.ErrnoException).syscall === 'mkdir', String(error));
    assert.equal((error as NodeJS.ErrnoException).path, '/proc/self/models');
  });
});

describe('installFolder: another fetch of the same pack between the two renames of a swap', () => {
  /** `<dir>/buffalo_l` (an old copy with the user's notes) and a staged fresh copy beside it. */
  function layout(): { dir: string; target: string; staged: string } {
    const dir = freshRoot();
    const target = join(dir, 'buffalo_l');
    const staged = join(dir, '.buffalo_l.1.0123abcd.partial');
    mkdirSync(target);
    writeFileSync(join(target, 'det_10g.onnx'), 'old');
    writeFileSync(join(target, 'notes.txt'), 'the user\'s');
    mkdirSync(staged);
    writeFileSync(join(staged, 'det_10g.onnx'), 'ours');
    return { dir, target, staged };
  }
  /** A verified copy another fetch puts in place. */
  function otherCopy(at: string): void {
    mkdirSync(at);
    writeFileSync(join(at, 'det_10g.onnx'), 'theirs');
  }

  it('keeps the copy the other fetch installed after this one moved the old copy aside (ENOTEMPTY before)', async () => {
    const { dir, target, staged } = layout();
    const move: typeof rename = async (from, to) => {
      await rename(from, to);
      if (from === target) otherCopy(target); // the other process's second rename lands here
    };
    await installFolder(staged, target, 'buffalo_l.1.0123abcd', move);
    assert.equal(readFileSync(join(target, 'det_10g.onnx'), 'utf8'), 'theirs');
    assert.equal(readFileSync(join(target, 'notes.txt'), 'utf8'), 'the user\'s', 'the user\'s file moves into the copy kept');
    assert.deepEqual(readdirSync(dir).sort(), ['.buffalo_l.1.0123abcd.partial', 'buffalo_l'], 'no .replaced left; the caller removes the staged folder');
  });

  it('tries again when the other fetch moved the old copy aside first (ENOENT before)', async () => {
    const { dir, target, staged } = layout();
    const theirOld = join(dir, '.buffalo_l.2.89abcdef.replaced');
    let first = true;
    const move: typeof rename = async (from, to) => {
      if (from === target && first) {
        first = false;
        await rename(target, theirOld); // the other fetch's first rename wins the race
      }
      await rename(from, to);
    };
    await installFolder(staged, target, 'buffalo_l.1.0123abcd', move);
    assert.equal(readFileSync(join(target, 'det_10g.onnx'), 'utf8'), 'ours');
    assert.deepEqual(readdirSync(dir).sort(), ['.buffalo_l.2.89abcdef.replaced', 'buffalo_l'], 'the other fetch\'s own .replaced is its to clear');
  });
});
