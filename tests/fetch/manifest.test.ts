/**
 * The built-in manifest: every pack validates, buffalo_l carries exactly the spec's digests
 * (../shared/spec/models.md §1), shared files agree across packs, inswapper_128 is a single-file entry with
 * its public size (../shared/spec/inswapper.md), and models/manifest.json is an exact copy.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { MODELS, PACKS, RELEASE_BASE_URL, modelFileUrl, packZipUrl, type PackSpec } from '../../models/manifest.js';
import { parseManifest, parseManifestDocument, resolvePack, resolveSingleModel, validatePackSpec, validateSingleModelSpec } from '../../models/fetch/resolve-pack.js';
import { ManifestError } from '../../models/fetch/errors.js';
import { fileUnderBase } from '../../models/fetch/file-url.js';
import { packDirOf, resolveInsightFaceRoot } from '../../models/fetch/paths.js';
import { insightFaceRootPath } from '../../src/pipeline/insightface-root.js';
import { PipelineOptionError } from '../../src/pipeline/errors.js';

describe('manifest', () => {
  it('lists the packs with official release URLs', () => {
    assert.deepEqual(Object.keys(PACKS), ['buffalo_l', 'buffalo_m', 'buffalo_s', 'buffalo_sc', 'antelopev2']);
    for (const pack of Object.values(PACKS)) {
      assert.equal(pack.url, `https://github.com/deepinsight/insightface/releases/download/v0.7/${pack.name}.zip`);
      assert.deepEqual(validatePackSpec(pack), JSON.parse(JSON.stringify(pack)));
    }
    assert.equal(PACKS.buffalo_m.confirmed, false);
    assert.deepEqual(PACKS.buffalo_sc.files.map((f) => f.name), ['det_500m.onnx', 'w600k_mbf.onnx']);
  });

  it('carries buffalo_l digests exactly as spec/models.md gives them', () => {
    const spec = readFileSync(new URL('../../../shared/spec/models.md', import.meta.url), 'utf8');
    const pack: PackSpec = PACKS.buffalo_l;
    assert.ok(spec.includes(pack.zip.sha256 ?? 'missing'), 'zip sha256');
    assert.ok(spec.includes((pack.zip.bytes ?? 0).toLocaleString('en-US')), 'zip bytes');
    for (const file of pack.files) {
      assert.ok(file.sha256 !== undefined && spec.includes(`${file.name.replace('.onnx', '')} \`${file.sha256}\``), `${file.name} sha256`);
      assert.ok(spec.includes(`| \`${file.name}\` | ${(file.bytes ?? 0).toLocaleString('en-US')} |`), `${file.name} bytes`);
    }
  });

  it('gives a file shared between packs the same digest everywhere', () => {
    const seen = new Map<string, string>();
    for (const pack of Object.values(PACKS) as PackSpec[]) {
      for (const file of pack.files) {
        const facts = JSON.stringify([file.task, file.bytes, file.sha256]);
        assert.equal(seen.get(file.name) ?? facts, facts, `${file.name} in ${pack.name}`);
        seen.set(file.name, facts);
      }
    }
    // antelopev2's detector is det_10g byte for byte.
    const det10g = PACKS.buffalo_l.files.find((f) => f.name === 'det_10g.onnx');
    const scrfd = PACKS.antelopev2.files.find((f) => f.name === 'scrfd_10g_bnkps.onnx');
    assert.equal(scrfd?.sha256, det10g?.sha256);
  });

  it('models/manifest.json is an exact copy of models/manifest.ts', () => {
    const text = readFileSync(new URL('../../models/manifest.json', import.meta.url), 'utf8');
    const document = JSON.parse(text) as { releaseBaseUrl: string; packs: unknown; models: unknown };
    assert.equal(document.releaseBaseUrl, RELEASE_BASE_URL);
    assert.deepEqual(document.packs, JSON.parse(JSON.stringify(PACKS)));
    assert.deepEqual(document.models, JSON.parse(JSON.stringify(MODELS)));
    assert.deepEqual(Object.keys(parseManifestDocument(text, 'manifest.json')), Object.keys(PACKS));
    assert.deepEqual(parseManifest(text, 'manifest.json').models, JSON.parse(JSON.stringify(MODELS)));
  });

  it('lists inswapper_128 as a single .onnx file with its public size and no digest yet', () => {
    const spec = readFileSync(new URL('../../../shared/spec/inswapper.md', import.meta.url), 'utf8');
    const model = resolveSingleModel('inswapper_128');
    assert.deepEqual(model, JSON.parse(JSON.stringify(MODELS.inswapper_128)));
    assert.equal(model.url, `${RELEASE_BASE_URL}/inswapper_128.onnx`);
    assert.equal(model.file.name, 'inswapper_128.onnx');
    assert.equal(model.file.bytes, 554_253_681);
    assert.ok(spec.includes(`\`inswapper_128.onnx\`, ${(model.file.bytes ?? 0).toLocaleString('en-US')} bytes`), 'size as the spec gives it');
    assert.equal(model.file.sha256, undefined);
    assert.ok(!Object.hasOwn(PACKS, 'inswapper_128'));
    assert.equal(modelFileUrl(model, 'http://127.0.0.1:8080/mirror/'), 'http://127.0.0.1:8080/mirror/inswapper_128.onnx');
  });

  it("keeps a pack or model whose key is '__proto__' as an entry (assigned, it set the object's prototype and was lost)", () => {
    const pack = { name: '__proto__', url: 'u', zip: {}, files: [{ name: 'det.onnx', task: 'detection' }] };
    const model = { name: 'constructor', url: 'u', file: { name: 'constructor.onnx' } };
    const text = `{"format":"insightgpu-manifest/1","packs":{"__proto__":${JSON.stringify(pack)}},"models":{"constructor":${JSON.stringify(model)}}}`;
    const parsed = parseManifest(text, 'm.json');
    assert.deepEqual(Object.keys(parsed.packs), ['__proto__']);
    assert.equal(Object.getPrototypeOf(parsed.packs), Object.prototype);
    assert.equal(resolvePack('__proto__', parsed.packs).name, '__proto__');
    assert.equal(resolveSingleModel('constructor', parsed.models).file.name, 'constructor.onnx');
  });

  it('parses documents holding only single-file models, and rejects unsafe model file names', () => {
    const only = JSON.stringify({ format: 'insightgpu-manifest/1', releaseBaseUrl: 'x', models: { m: { name: 'm', url: 'u', file: { name: 'm.onnx', bytes: 3 } } } });
    assert.deepEqual(parseManifest(only, 'm.json'), { packs: {}, models: { m: { name: 'm', url: 'u', file: { name: 'm.onnx', bytes: 3 } } } });
    assert.throws(() => parseManifest('{"format":"insightgpu-manifest/1"}', 'm.json'), /"packs" is not an object/);
    assert.throws(() => resolveSingleModel('inswapper_256'), (e: unknown) => e instanceof ManifestError && /known single-file models: inswapper_128/.test(e.message));
    for (const name of ['../x.onnx', 'sub/x.onnx', 'digests.json', '.hidden.onnx', '..']) {
      assert.throws(() => validateSingleModelSpec({ ...MODELS.inswapper_128, file: { name } }), ManifestError, name);
    }
    assert.throws(() => validateSingleModelSpec({ ...MODELS.inswapper_128, file: { name: 'a.onnx', bytes: -1 } }), ManifestError);
    const clash = JSON.stringify({ format: 'insightgpu-manifest/1', packs: { m: { ...PACKS.buffalo_sc, name: 'm' } }, models: { m: { name: 'm', url: 'u', file: { name: 'm.onnx' } } } });
    assert.throws(() => parseManifest(clash, 'm.json'), /m is both a pack and a single-file model/);
  });

  it('rejects unknown packs and unsafe names', () => {
    assert.throws(() => resolvePack('buffalo_xl'), (e: unknown) => e instanceof ManifestError && /known packs: buffalo_l/.test(e.message));
    assert.throws(() => validatePackSpec({ ...PACKS.buffalo_sc, name: '..' }), ManifestError);
    assert.throws(() => validatePackSpec({ ...PACKS.buffalo_sc, files: [{ name: '../x.onnx', task: 'detection' }] }), ManifestError);
    assert.throws(() => validatePackSpec({ ...PACKS.buffalo_sc, zip: { sha256: 'abc' } }), ManifestError);
    assert.throws(() => parseManifestDocument('{"format":"other"}', 'm.json'), ManifestError);
  });

  it('joins the file name into a base URL\'s path and keeps its query last (a presigned mirror URL)', () => {
    assert.equal(packZipUrl(PACKS.buffalo_l, 'https://host/path?sig=abc'), 'https://host/path/buffalo_l.zip?sig=abc');
    assert.equal(packZipUrl(PACKS.buffalo_l, 'https://host/path/?sig=a%2Fb&x=1'), 'https://host/path/buffalo_l.zip?sig=a%2Fb&x=1');
    assert.equal(modelFileUrl(MODELS.inswapper_128, 'https://host?sig=abc'), 'https://host/inswapper_128.onnx?sig=abc');
    // The browser loader's page-relative bases, which have no origin to parse against.
    assert.equal(fileUnderBase('/models/?v=2', 'w600k_r50.onnx'), '/models/w600k_r50.onnx?v=2');
    assert.equal(fileUnderBase('models', 'a b/c.onnx'), 'models/a%20b/c.onnx');
  });

  it('builds mirror URLs and resolves the root as InsightFace does', () => {
    assert.equal(packZipUrl(PACKS.buffalo_s, 'http://127.0.0.1:8080/mirror/'), 'http://127.0.0.1:8080/mirror/buffalo_s.zip');
    assert.equal(resolveInsightFaceRoot(undefined, {}), join(homedir(), '.insightface'));
    assert.equal(resolveInsightFaceRoot(undefined, { INSIGHTFACE_HOME: '/data/if' }), '/data/if');
    assert.equal(resolveInsightFaceRoot('~/elsewhere', { INSIGHTFACE_HOME: '/data/if' }), join(homedir(), 'elsewhere'));
    assert.equal(packDirOf('/data/if', 'buffalo_l'), '/data/if/models/buffalo_l');
  });

  it('expands ~user in a root as a shell does (its home in /etc/passwd), and refuses a user there is none of', () => {
    // This process's own user, looked up in the real /etc/passwd (the lookup os.userInfo's getpwuid makes).
    const me = userInfo();
    assert.equal(resolveInsightFaceRoot(`~${me.username}/faces`, {}), join(me.homedir, 'faces'));
    assert.equal(resolveInsightFaceRoot(undefined, { INSIGHTFACE_HOME: `~${me.username}` }), me.homedir);
    const passwd = (): string => 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice,,,:/srv/alice:/bin/sh\n';
    assert.equal(insightFaceRootPath('~alice/if', undefined, '/home/me', passwd), '/srv/alice/if');
    assert.equal(insightFaceRootPath('~alice', undefined, '/home/me', passwd), '/srv/alice');
    assert.equal(insightFaceRootPath('~/if', undefined, '/home/me', passwd), '/home/me/if');
    assert.equal(insightFaceRootPath('a~b/~c', undefined, '/home/me', passwd), 'a~b/~c');
    for (const [root, env, option] of [['~bob/if', undefined, 'root'], [undefined, '~bob', '$INSIGHTFACE_HOME']] as const) {
      assert.throws(
        () => insightFaceRootPath(root, env, '/home/me', passwd),
        (e: unknown) => e instanceof PipelineOptionError && e.option === option && /no user 'bob' in \/etc\/passwd/.test(e.message),
      );
    }
    // No /etc/passwd (Windows): refused too, never read as a relative folder named '~alice'.
    assert.throws(() => insightFaceRootPath('~alice/if', undefined, 'C:\\Users\\me', () => undefined), PipelineOptionError);
    assert.throws(() => resolveInsightFaceRoot('~no-such-user-of-this-test/if', {}), /no user 'no-such-user-of-this-test'/);
  });
});
