/**
 * fetchModelFile (single-file models: inswapper_128) against the local HTTP server, with a small forged
 * stand-in served under inswapper_128.onnx and a spec giving its small size instead of the real 554 MB.
 * First download records the digest; later ones are held to it; wrong sizes, HTTP errors, cuts and stalls
 * are typed errors that leave no file under the final name and no temp.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fetchModelFile, type FetchModelFileEvent } from '../../models/fetch/fetch-model-file.js';
import { DigestRecordError, FetchError, IntegrityError, ManifestError, TruncatedDownloadError } from '../../models/fetch/errors.js';
import { readDigestRecord } from '../../models/fetch/digest-record.js';
import { MODELS, type SingleModelSpec } from '../../models/manifest.js';
import { ModelPackError } from '../../src/pipeline/errors.js';
import { listModelsDir, sha256 } from './pack-fixtures.js';
import { fetchTestBed } from './fetch-test-bed.js';
import { serveBytes, serveCut, serveThenStall, type PackServer } from './pack-server.js';
import { forgedModel, modelSpecFor } from './model-fixtures.js';

const stand = forgedModel(1);
const other = forgedModel(2); // same size, other bytes: what a tampered mirror would serve
const spec: SingleModelSpec = modelSpecFor(stand);
const bed = fetchTestBed();
const { freshRoot } = bed;
/** Serves `handler` as `<prefix>/inswapper_128.onnx` under a unique prefix; returns the base URL. */
const serve = (handler: Parameters<PackServer['route']>[1]): string => bed.serve('inswapper_128.onnx', handler);

describe('fetchModelFile: success', () => {
  it('installs <root>/models/inswapper_128.onnx, records its digest, then verifies without downloading', async () => {
    const root = freshRoot();
    const baseUrl = serve(serveBytes(stand, 5));
    const events: FetchModelFileEvent[] = [];
    const first = await fetchModelFile(spec, { root, baseUrl, onProgress: (event) => events.push(event) });

    const path = join(root, 'models', 'inswapper_128.onnx');
    assert.equal(first.path, path);
    assert.equal(first.url, `${baseUrl}/inswapper_128.onnx`);
    assert.equal(first.downloaded, true);
    assert.equal(first.checkedAgainst, 'first-seen');
    assert.equal(first.sha256, sha256(stand));
    assert.deepEqual(new Uint8Array(readFileSync(path)), stand);
    assert.deepEqual(listModelsDir(root), ['digests.json', 'inswapper_128.onnx']);

    const downloads = events.filter((event) => event.phase === 'download');
    assert.ok(downloads.length >= 3, `expected several download events, got ${downloads.length}`);
    assert.equal(downloads.at(-1)?.receivedBytes, stand.length);
    assert.equal(downloads.at(-1)?.totalBytes, stand.length);
    assert.deepEqual(events.at(-1), { phase: 'installed-file', path });

    const record = await readDigestRecord(join(root, 'models'));
    const entry = record.files?.['inswapper_128.onnx'];
    assert.deepEqual({ bytes: entry?.bytes, sha256: entry?.sha256, source: entry?.source }, { bytes: stand.length, sha256: sha256(stand), source: first.url });
    assert.deepEqual(record.packs, {});

    const requestsBefore = bed.server.requests.length;
    const second = await fetchModelFile(spec, { root, baseUrl });
    assert.equal(second.downloaded, false);
    assert.equal(second.checkedAgainst, 'recorded');
    assert.equal(bed.server.requests.length, requestsBefore, 'a verified copy must not be downloaded again');
  });

  it('force downloads again, held to the recorded digest', async () => {
    const root = freshRoot();
    const baseUrl = serve(serveBytes(stand));
    await fetchModelFile(spec, { root, baseUrl });
    const requestsBefore = bed.server.requests.length;
    const forced = await fetchModelFile(spec, { root, baseUrl, force: true });
    assert.equal(bed.server.requests.length, requestsBefore + 1);
    assert.equal(forced.downloaded, true);
    assert.equal(forced.replacedBecause, 'forced');
    assert.equal(forced.checkedAgainst, 'recorded');
    assert.deepEqual(listModelsDir(root), ['digests.json', 'inswapper_128.onnx']);
  });

  it('honours $INSIGHTFACE_HOME when no root is given', async () => {
    const home = freshRoot();
    const saved = process.env.INSIGHTFACE_HOME;
    process.env.INSIGHTFACE_HOME = home;
    try {
      const result = await fetchModelFile(spec, { baseUrl: serve(serveBytes(stand)) });
      assert.equal(result.path, join(home, 'models', 'inswapper_128.onnx'));
      assert.ok(existsSync(result.path));
    } finally {
      if (saved === undefined) delete process.env.INSIGHTFACE_HOME;
      else process.env.INSIGHTFACE_HOME = saved;
    }
  });

  it('uses a copy InsightFace Python downloaded, unverified and not recorded, when its size is right', async () => {
    const root = freshRoot();
    mkdirSync(join(root, 'models'), { recursive: true });
    writeFileSync(join(root, 'models', 'inswapper_128.onnx'), stand);
    const requestsBefore = bed.server.requests.length;
    const result = await fetchModelFile(spec, { root, baseUrl: serve(serveBytes(stand)) });
    assert.equal(result.downloaded, false);
    assert.equal(result.checkedAgainst, 'unverified');
    assert.equal(bed.server.requests.length, requestsBefore);
    assert.deepEqual(listModelsDir(root), ['inswapper_128.onnx']);
  });

  it('replaces an installed copy of the wrong size', async () => {
    const root = freshRoot();
    mkdirSync(join(root, 'models'), { recursive: true });
    writeFileSync(join(root, 'models', 'inswapper_128.onnx'), stand.subarray(0, 1000)); // a cut-short copy
    const result = await fetchModelFile(spec, { root, baseUrl: serve(serveBytes(stand)) });
    assert.equal(result.downloaded, true);
    assert.match(result.replacedBecause ?? '', new RegExp(`inswapper_128\\.onnx: bytes mismatch, expected ${stand.length} \\(from the manifest\\), got 1000`));
    assert.deepEqual(new Uint8Array(readFileSync(result.path)), stand);
  });

  it('sweeps the temp a killed fetch left, but not that of a running one', async () => {
    const root = freshRoot();
    const modelsDir = join(root, 'models');
    mkdirSync(modelsDir, { recursive: true });
    // pid 2^22 + 1 is above Linux's pid_max ceiling, so no process can have it.
    const dead = `.inswapper_128.${2 ** 22 + 1}.0123abcd.onnx.part`;
    const alive = `.inswapper_128.${process.pid}.89abcdef.onnx.part`;
    writeFileSync(join(modelsDir, dead), stand.subarray(0, 500));
    writeFileSync(join(modelsDir, alive), 'a concurrent download');
    await fetchModelFile(spec, { root, baseUrl: serve(serveBytes(stand)) });
    assert.deepEqual(listModelsDir(root), [alive, 'digests.json', 'inswapper_128.onnx']);
  });

  it('sweeps it also when the copy in place is fine and nothing is downloaded (a killed --force re-download)', async () => {
    const root = freshRoot();
    const baseUrl = serve(serveBytes(stand));
    await fetchModelFile(spec, { root, baseUrl });
    writeFileSync(join(root, 'models', `.inswapper_128.${2 ** 22 + 1}.0123abcd.onnx.part`), stand.subarray(0, 500));
    const again = await fetchModelFile(spec, { root, baseUrl });
    assert.equal(again.downloaded, false);
    assert.deepEqual(listModelsDir(root), ['digests.json', 'inswapper_128.onnx']);
  });

  it('sweeps the temporary a killed write of digests.json left, but not that of a running one', async () => {
    const root = freshRoot();
    const modelsDir = join(root, 'models');
    mkdirSync(modelsDir, { recursive: true });
    const dead = `.digests.json.${2 ** 22 + 1}.0123abcd.tmp`; // no process can have this pid (see above)
    const alive = `.digests.json.${process.pid}.89abcdef.tmp`;
    writeFileSync(join(modelsDir, dead), '{"format":');
    writeFileSync(join(modelsDir, alive), 'a concurrent write');
    await fetchModelFile(spec, { root, baseUrl: serve(serveBytes(stand)) });
    assert.deepEqual(listModelsDir(root), [alive, 'digests.json', 'inswapper_128.onnx']);
  });

  it('writes digests.json through a symbolic link (one record kept for several roots), leaving the link', async () => {
    const root = freshRoot();
    const modelsDir = join(root, 'models');
    mkdirSync(modelsDir, { recursive: true });
    const shared = join(root, 'shared-digests.json');
    writeFileSync(shared, JSON.stringify({ format: 'insightgpu-digests/1', packs: {} }));
    symlinkSync('../shared-digests.json', join(modelsDir, 'digests.json'));
    const first = await fetchModelFile(spec, { root, baseUrl: serve(serveBytes(stand)) });
    assert.equal(first.checkedAgainst, 'first-seen');
    assert.ok(lstatSync(join(modelsDir, 'digests.json')).isSymbolicLink(), 'the link stays a link');
    const recorded = JSON.parse(readFileSync(shared, 'utf8')) as { files?: Record<string, { sha256: string }> };
    assert.equal(recorded.files?.['inswapper_128.onnx']?.sha256, sha256(stand), 'the linked record holds the digest');
    assert.deepEqual(listModelsDir(root), ['digests.json', 'inswapper_128.onnx'], 'no temporary left');
  });
});

describe('fetchModelFile: refusals leave nothing under the final name', () => {
  it('a later download with different bytes is refused against the recorded digest; the installed copy stays', async () => {
    const root = freshRoot();
    await fetchModelFile(spec, { root, baseUrl: serve(serveBytes(stand)) });
    const tampered = serve(serveBytes(other));
    const error = await fetchModelFile(spec, { root, baseUrl: tampered, force: true }).catch((e: unknown) => e);
    assert.ok(error instanceof IntegrityError, String(error));
    assert.equal(error.property, 'sha256');
    assert.equal(error.expectedFrom, 'recorded');
    assert.equal(error.expected, sha256(stand));
    assert.equal(error.actual, sha256(other));
    assert.equal(error.source, `${tampered}/inswapper_128.onnx`);
    assert.match(error.message, new RegExp(`^inswapper_128\\.onnx from ${tampered}/inswapper_128\\.onnx: sha256 mismatch`));
    assert.deepEqual(listModelsDir(root), ['digests.json', 'inswapper_128.onnx']);
    assert.deepEqual(new Uint8Array(readFileSync(join(root, 'models', 'inswapper_128.onnx'))), stand);

    // Deleting the file does not launder the tampered bytes: the record outlives it.
    rmSync(join(root, 'models', 'inswapper_128.onnx'));
    await assert.rejects(fetchModelFile(spec, { root, baseUrl: tampered }), IntegrityError);
    assert.deepEqual(listModelsDir(root), ['digests.json']);
  });

  it('a Content-Length other than the manifest size is refused before the body is read', async () => {
    const root = freshRoot();
    const baseUrl = serve(serveBytes(stand));
    const error = await fetchModelFile({ ...spec, file: { ...spec.file, bytes: stand.length + 1 } }, { root, baseUrl }).catch((e: unknown) => e);
    assert.ok(error instanceof IntegrityError, String(error));
    assert.equal(error.property, 'bytes');
    assert.equal(error.expected, String(stand.length + 1));
    assert.equal(error.actual, `${stand.length} (Content-Length)`);
    assert.match(error.message, new RegExp(`^inswapper_128\\.onnx from ${baseUrl}/inswapper_128\\.onnx: bytes mismatch`));
    assert.deepEqual(listModelsDir(root), []);
  });

  it('the built-in entry (554,253,681 bytes) refuses a stand-in of another size', async () => {
    const root = freshRoot();
    const error = await fetchModelFile('inswapper_128', { root, baseUrl: serve(serveBytes(stand)) }).catch((e: unknown) => e);
    assert.ok(error instanceof IntegrityError, String(error));
    assert.equal(error.expected, String(MODELS.inswapper_128.file.bytes));
    assert.deepEqual(listModelsDir(root), []);
  });

  it('a body longer than the manifest size, without Content-Length: FetchError size-mismatch', async () => {
    const root = freshRoot();
    const longer = new Uint8Array(stand.length + 10);
    longer.set(stand);
    const error = await fetchModelFile(spec, { root, baseUrl: serve(serveCut(longer, longer.length, null)) }).catch((e: unknown) => e);
    assert.ok(error instanceof FetchError, String(error));
    assert.equal(error.failure, 'size-mismatch');
    assert.deepEqual(listModelsDir(root), []);
  });

  it('404: FetchError naming the URL', async () => {
    const root = freshRoot();
    const error = await fetchModelFile(spec, { root, baseUrl: `${bed.server.baseUrl}/nowhere` }).catch((e: unknown) => e);
    assert.ok(error instanceof FetchError, String(error));
    assert.equal(error.failure, 'http-status');
    assert.equal(error.status, 404);
    assert.equal(error.url, `${bed.server.baseUrl}/nowhere/inswapper_128.onnx`);
    assert.deepEqual(listModelsDir(root), []);
  });

  it('connection cut mid-body: TruncatedDownloadError, no partial file', async () => {
    const root = freshRoot();
    const error = await fetchModelFile(spec, { root, baseUrl: serve(serveCut(stand, 4000)) }).catch((e: unknown) => e);
    assert.ok(error instanceof TruncatedDownloadError, String(error));
    assert.equal(error.receivedBytes, 4000);
    assert.equal(error.expectedBytes, stand.length);
    assert.match(error.message, /\/inswapper_128\.onnx failed \(truncated\)/);
    assert.deepEqual(listModelsDir(root), []);
  });

  it('server stalls mid-body: FetchError timeout', async () => {
    const root = freshRoot();
    const error = await fetchModelFile(spec, { root, baseUrl: serve(serveThenStall(stand, 4096)), stallTimeoutMs: 200 }).catch((e: unknown) => e);
    assert.ok(error instanceof FetchError, String(error));
    assert.equal(error.failure, 'timeout');
    // The library's option, in its unit: the caller reads the number they passed, and which option it was.
    assert.match(error.message, /inswapper_128\.onnx failed \(timeout\): no data for 200 ms \(stallTimeoutMs 200\) after 4096 bytes/);
    assert.deepEqual(listModelsDir(root), []);
  });

  it('a damaged "files" section of digests.json is a DigestRecordError, not ignored', async () => {
    const root = freshRoot();
    mkdirSync(join(root, 'models'), { recursive: true });
    const damaged = { format: 'insightgpu-digests/1', packs: {}, files: { 'inswapper_128.onnx': { bytes: 3, sha256: 'not hex' } } };
    writeFileSync(join(root, 'models', 'digests.json'), JSON.stringify(damaged));
    const error = await fetchModelFile(spec, { root, baseUrl: serve(serveBytes(stand)) }).catch((e: unknown) => e);
    assert.ok(error instanceof DigestRecordError, String(error));
    assert.match(error.message, /file inswapper_128\.onnx: bad digest/);
    assert.deepEqual(listModelsDir(root), ['digests.json']);
  });

  it('a folder at the model\'s path is a ModelPackError naming it, with or without force, and nothing changes', async () => {
    const root = freshRoot();
    const target = join(root, 'models', 'inswapper_128.onnx');
    mkdirSync(target, { recursive: true });
    writeFileSync(join(target, 'notes.txt'), 'the user\'s');
    const baseUrl = serve(serveBytes(stand));
    const requestsBefore = bed.server.requests.length;
    for (const force of [false, true]) {
      const error = await fetchModelFile(spec, { root, baseUrl, force }).catch((e: unknown) => e);
      assert.ok(error instanceof ModelPackError, `force ${force}: ${String(error)}`);
      assert.equal(error.location, target);
      assert.match(error.message, /a folder sits where the model file goes/);
    }
    assert.equal(bed.server.requests.length, requestsBefore, 'nothing is downloaded');
    assert.deepEqual(listModelsDir(root), ['inswapper_128.onnx'], 'no digests.json, no temporary');
    assert.equal(readFileSync(join(target, 'notes.txt'), 'utf8'), 'the user\'s');
  });

  it('unknown model names and unsafe file names are ManifestErrors', async () => {
    await assert.rejects(fetchModelFile('inswapper_256', { root: freshRoot() }), ManifestError);
    await assert.rejects(fetchModelFile({ ...spec, file: { name: '../escape.onnx' } }, { root: freshRoot() }), ManifestError);
  });
});
