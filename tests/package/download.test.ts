/**
 * `FaceAnalysis.create({ models: 'buffalo_l', download })` against a loopback mirror: the pack is missing from a
 * fresh InsightFace root, so the Node entry's fetcher downloads it (with progress) and FaceAnalysis loads it. The
 * mirror serves the test bed's pack A under buffalo_l's zip name (real weights, 8 MB, so the result can be held
 * to InsightFace's golden), described by a manifest without digests, as a mirror of forged replicas would be.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FaceAnalysis, ModelPackError, type PackDownloadProgress } from '../../src/node.js';
import { serveBytes, startPackServer, type PackServer } from '../fetch/pack-server.js';
import { specFor, tempRoot, zipPack } from '../fetch/pack-fixtures.js';
import { sharedPath } from '../pipeline/helpers.js';

const PACK_A = ['scrfd_2.5g_bnkps.onnx', 'mobilefacenet.onnx', 'tiny_2d106.onnx', 'tiny_3d68.onnx', 'tiny_genderage.onnx'];

describe('FaceAnalysis download: true', () => {
  let server: PackServer;
  let root: string;
  let manifest: string;
  let baseUrl: string;
  const home = process.env['INSIGHTFACE_HOME'];

  before(async () => {
    server = await startPackServer();
    root = tempRoot();
    process.env['INSIGHTFACE_HOME'] = root;
    const files = Object.fromEntries(PACK_A.map((name) => [name, new Uint8Array(readFileSync(sharedPath('models', name)))]));
    const zip = zipPack(files);
    server.route('/mirror/buffalo_l.zip', serveBytes(zip, 8));
    baseUrl = `${server.baseUrl}/mirror`;
    manifest = path.join(root, 'mirror-manifest.json');
    writeFileSync(manifest, JSON.stringify({ format: 'insightgpu-manifest/1', releaseBaseUrl: baseUrl, packs: { buffalo_l: specFor('buffalo_l', files, undefined, false) } }));
  });
  after(async () => {
    await server.close();
    if (home === undefined) delete process.env['INSIGHTFACE_HOME']; else process.env['INSIGHTFACE_HOME'] = home;
    rmSync(root, { recursive: true, force: true });
  });

  it('says how to fetch a missing pack when download is off', async () => {
    await assert.rejects(FaceAnalysis.create({ models: 'buffalo_l', backend: 'cpu' }), (e: unknown) => e instanceof ModelPackError && /fetch-models buffalo_l/.test(e.message));
  });

  it('downloads the missing pack with progress, installs it, and analyses t1.jpg', async () => {
    const progress: PackDownloadProgress[] = [];
    const log: string[] = [];
    const app = await FaceAnalysis.create({
      models: 'buffalo_l', backend: 'cpu', log: (m) => log.push(m),
      download: { baseUrl, manifest, onProgress: (p) => progress.push(p) },
    });
    try {
      assert.ok(progress.length > 0, 'progress was reported');
      const last = progress.at(-1)!;
      assert.equal(last.receivedBytes, last.totalBytes);
      assert.match(last.url, /\/mirror\/buffalo_l\.zip$/);
      assert.deepEqual(readdirSync(path.join(root, 'models', 'buffalo_l')).filter((f) => f.endsWith('.onnx')).sort(), [...PACK_A].sort());
      assert.ok(log.some((m) => m.startsWith('download_path: ')), log.join('\n'));
      app.prepare({ detSize: [640, 640] });
      const faces = await app.get(sharedPath('images', 't1.jpg'));
      const golden = JSON.parse(readFileSync(sharedPath('golden', 'packA_det640.json'), 'utf8')) as { results: { faces: unknown[] }[] };
      assert.equal(faces.length, golden.results[0]!.faces.length);
    } finally {
      await app.release();
    }
    // Installed now: a second create finds it without the mirror.
    const again = await FaceAnalysis.create({ models: 'buffalo_l', backend: 'cpu', download: true });
    await again.release();
    assert.equal(server.requests.filter((r) => r.endsWith('buffalo_l.zip')).length, 1);
  });

  it('with a root of its own, uses the pack installed there, not the one under $INSIGHTFACE_HOME', async () => {
    const pack = (names: readonly string[]): string => {
      const where = tempRoot();
      mkdirSync(path.join(where, 'models', 'buffalo_l'), { recursive: true });
      for (const name of names) symlinkSync(sharedPath('models', name), path.join(where, 'models', 'buffalo_l', name));
      return where;
    };
    const saved = process.env['INSIGHTFACE_HOME'];
    const defaultHome = pack(PACK_A);
    const ownRoot = pack(['scrfd_2.5g_bnkps.onnx', 'tiny_genderage.onnx']);
    process.env['INSIGHTFACE_HOME'] = defaultHome;
    let downloads = 0;
    try {
      const app = await FaceAnalysis.create({
        models: 'buffalo_l', backend: 'cpu', download: { root: ownRoot, downloader: async () => { downloads++; throw new Error('nothing to download'); } },
      });
      const tasks = [...app.models.keys()];
      await app.release();
      assert.deepEqual(tasks, ['detection', 'genderage'], 'the models of <root>/models/buffalo_l');
      assert.equal(downloads, 0);
    } finally {
      restoreEnv('INSIGHTFACE_HOME', saved);
      rmSync(defaultHome, { recursive: true, force: true });
      rmSync(ownRoot, { recursive: true, force: true });
    }
  });

  it('expands a leading ~ in its root, as the fetcher that installs there does', async () => {
    const home = tempRoot();
    mkdirSync(path.join(home, 'faces', 'models', 'buffalo_l'), { recursive: true });
    for (const name of ['scrfd_2.5g_bnkps.onnx', 'tiny_genderage.onnx']) symlinkSync(sharedPath('models', name), path.join(home, 'faces', 'models', 'buffalo_l', name));
    const saved = process.env['HOME'];
    process.env['HOME'] = home;
    let downloads = 0;
    try {
      const app = await FaceAnalysis.create({
        models: 'buffalo_l', backend: 'cpu', download: { root: '~/faces', downloader: async () => { downloads++; throw new Error('nothing to download'); } },
      });
      const tasks = [...app.models.keys()];
      await app.release();
      assert.deepEqual([tasks, downloads], [['detection', 'genderage'], 0], 'the models of ~/faces/models/buffalo_l, found without a download');
    } finally {
      restoreEnv('HOME', saved);
      rmSync(home, { recursive: true, force: true });
    }
  });
});

/** Puts an environment variable back as it was (assigning undefined would store the string 'undefined'). */
function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
