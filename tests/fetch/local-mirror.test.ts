/**
 * A mirror on local disk: README and `fetch-models --help` describe a mirror as "a folder holding buffalo_l.zip",
 * so a folder path or a `file:` URL as `baseUrl` installs from disk through the same size and digest checks as a
 * download; a missing file or a scheme no mirror has is a FetchError that says so.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fetchPack } from '../../models/fetch/fetch-pack.js';
import { fetchModelFile } from '../../models/fetch/fetch-model-file.js';
import { FetchError, IntegrityError } from '../../models/fetch/errors.js';
import { buffaloLFiles, listModelsDir, specFor, tempRoot, zipPack } from './pack-fixtures.js';
import { forgedModel, modelSpecFor } from './model-fixtures.js';

const files = buffaloLFiles();
const zip = zipPack(files);
const model = forgedModel(3);

function mirrorFolder(): string {
  const folder = tempRoot();
  writeFileSync(join(folder, 'buffalo_l.zip'), zip);
  writeFileSync(join(folder, 'inswapper_128.onnx'), model);
  return folder;
}

describe('a mirror on local disk', () => {
  const roots: string[] = [];
  const fresh = (): string => { const root = tempRoot(); roots.push(root); return root; };
  const mirror = mirrorFolder();
  roots.push(mirror);

  for (const [label, baseUrl] of [
    ['a file: URL', pathToFileURL(mirror).href],
    ['an absolute folder path', mirror],
    ['a folder path relative to the working directory', relative(process.cwd(), mirror)],
  ] as const) {
    it(`installs a pack from ${label}, held to the manifest's digests`, async () => {
      const root = fresh();
      const result = await fetchPack(specFor('buffalo_l', files, zip, true), { root, baseUrl });
      assert.equal(result.downloaded, true);
      assert.equal(result.zip?.checkedAgainst, 'manifest');
      assert.equal(result.zip?.url, pathToFileURL(join(mirror, 'buffalo_l.zip')).href);
      for (const [name, bytes] of Object.entries(files)) assert.deepEqual(new Uint8Array(readFileSync(join(result.dir, name))), bytes, name);
    });
  }

  it('installs a single model file (inswapper_128) from a folder', async () => {
    const root = fresh();
    const result = await fetchModelFile(modelSpecFor(model), { root, baseUrl: mirror });
    assert.deepEqual(new Uint8Array(readFileSync(result.path)), model);
  });

  it('holds a local file to the manifest like a download: a wrong size is an IntegrityError, nothing installed', async () => {
    const root = fresh();
    const other = tempRoot();
    roots.push(other);
    writeFileSync(join(other, 'buffalo_l.zip'), zip.subarray(0, zip.length - 1));
    await assert.rejects(fetchPack(specFor('buffalo_l', files, zip, true), { root, baseUrl: other }), IntegrityError);
    assert.deepEqual(listModelsDir(root).filter((name) => name !== 'digests.json'), []);
  });

  it('a folder without the zip: FetchError naming the file, nothing installed', async () => {
    const root = fresh();
    const empty = tempRoot();
    roots.push(empty);
    mkdirSync(join(empty, 'buffalo_l.zip'));
    const missing = await fetchPack(specFor('buffalo_l', files, zip, false), { root, baseUrl: join(empty, 'nowhere') }).catch((e: unknown) => e);
    assert.ok(missing instanceof FetchError, String(missing));
    assert.match(missing.message, /cannot read .*nowhere\/buffalo_l\.zip \(ENOENT\)/);
    const folder = await fetchPack(specFor('buffalo_l', files, zip, false), { root, baseUrl: empty }).catch((e: unknown) => e);
    assert.ok(folder instanceof FetchError, String(folder));
    assert.match(folder.message, /buffalo_l\.zip is not a regular file/);
    assert.deepEqual(listModelsDir(root), []);
  });

  it('a scheme no mirror has: FetchError naming the ones it may have', async () => {
    const error = await fetchPack(specFor('buffalo_l', files, zip, false), { root: fresh(), baseUrl: 'ftp://example.invalid/mirror' }).catch((e: unknown) => e);
    assert.ok(error instanceof FetchError, String(error));
    assert.match(error.message, /a mirror is an http: or https: URL, a file: URL or a folder; not ftp:/);
  });

  it('cleans up', () => { for (const root of roots) rmSync(root, { recursive: true, force: true }); });
});
