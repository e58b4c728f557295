/**
 * `fetch-models` against the local HTTP server. The cold run is a child process, as a user runs it (real
 * stderr, exit code); the other cases call fetchModelsCommand in-process with captured output, which keeps
 * the suite fast (each extra tsx process costs seconds). Covers a cold run with a --manifest describing the
 * test pack, a warm re-run, the built-in buffalo_l entry refusing a zip that is not the real one, a 404 and
 * a usage error.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { fetchModelsCommand } from '../../models/fetch/cli.js';
import { buffaloLFiles, listModelsDir, specFor, tempRoot, zipPack } from './pack-fixtures.js';
import { serveSlowly, startPackServer, type PackServer } from './pack-server.js';

const CLI_MODULE = fileURLToPath(new URL('../../models/fetch/cli.ts', import.meta.url));
const files = buffaloLFiles();
const zip = zipPack(files);
const root = tempRoot();
let server: PackServer;

before(async () => {
  server = await startPackServer();
  server.route('/mirror/buffalo_l.zip', serveSlowly(zip, 30, 1500));
});
after(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs fetchModelsCommand in this process, capturing what it writes. */
async function fetchModelsHere(args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (text: string) => void): Writable =>
    new Writable({ write: (chunk: Buffer, _encoding, done) => (append(chunk.toString()), done()) });
  const code = await fetchModelsCommand(args, { stdout: sink((t) => (stdout += t)), stderr: sink((t) => (stderr += t)) });
  return { code, stdout, stderr };
}

/** Runs `insightgpu fetch-models <args>` through fetchModelsCommand in a fresh Node process. */
function fetchModels(args: readonly string[]): Promise<Run> {
  const script = `const m = await import(${JSON.stringify(CLI_MODULE)}); process.exitCode = await m.fetchModelsCommand(process.argv.slice(1));`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, '--', ...args], {
    env: { ...process.env, INSIGHTFACE_HOME: join(root, 'unused-home') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('fetch-models CLI', () => {
  it('cold run: progress bar, files installed, digests recorded; warm run: nothing downloaded', async (t) => {
    const manifest = join(root, 'mirror-manifest.json');
    writeFileSync(manifest, JSON.stringify({ format: 'insightgpu-manifest/1', releaseBaseUrl: server.baseUrl, packs: { buffalo_l: specFor('buffalo_l', files, zip, false) } }));
    const cold = await fetchModels(['buffalo_l', '--root', root, '--base-url', `${server.baseUrl}/mirror`, '--manifest', manifest]);
    t.diagnostic(`cold run stderr:\n${cold.stderr}\ncold run stdout:\n${cold.stdout}`);
    assert.equal(cold.code, 0, cold.stderr);
    assert.match(cold.stderr, /downloading http:\/\/127\.0\.0\.1:\d+\/mirror\/buffalo_l\.zip/);
    assert.match(cold.stderr, /buffalo_l \[[█░]+\] 100% \| 566\.4 KiB of 566\.4 KiB/);
    assert.equal(cold.stderr.match(/^extracted /gm)?.length, 5);
    assert.match(cold.stdout, /buffalo_l: downloaded in .*models\/buffalo_l/);
    assert.equal(cold.stdout.match(/\[first-seen\]$/gm)?.length, 6); // the zip and five files
    assert.deepEqual(listModelsDir(root), ['buffalo_l', 'digests.json']);

    const warm = await fetchModelsHere(['buffalo_l', '--root', root, '--base-url', `${server.baseUrl}/mirror`, '--manifest', manifest]);
    assert.equal(warm.code, 0, warm.stderr);
    assert.match(warm.stdout, /buffalo_l: already present/);
    assert.equal(warm.stdout.match(/\[recorded\]$/gm)?.length, 5);
    assert.doesNotMatch(warm.stderr, /downloading/);
  });

  it('the built-in buffalo_l entry refuses a mirror serving a different zip', async () => {
    const fresh = join(root, 'strict');
    const run = await fetchModelsHere(['buffalo_l', '--root', fresh, '--base-url', `${server.baseUrl}/mirror`]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`\\[INTEGRITY\\]: buffalo_l\\.zip: bytes mismatch, expected 288621354 \\(from the manifest\\), got ${zip.length} \\(Content-Length\\)`));
    assert.deepEqual(listModelsDir(fresh), []);
  });

  it('reports HTTP errors and usage errors with distinct exit codes', async () => {
    const missing = await fetchModelsHere(['buffalo_sc', '--root', join(root, 'x'), '--base-url', `${server.baseUrl}/nothing-here`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /\[FETCH\]: download of .*\/nothing-here\/buffalo_sc\.zip failed \(http-status 404\)/);
    const usage = await fetchModelsHere(['--force']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /expected exactly one pack name/);
  });
});
