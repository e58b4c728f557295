/**
 * `fetch-models` against the local HTTP server. The cold run is a child process, as a user runs it (real
 * stderr, exit code); the other cases call fetchModelsCommand in-process with captured output, which keeps
 * the suite fast (each extra tsx process costs seconds). Covers a cold run with a --manifest describing the
 * test pack, a warm re-run, the built-in buffalo_l entry refusing a zip that is not the real one, a 404 and
 * usage errors (exit 1); and for the single-file inswapper_128 (a small forged stand-in, its size given by
 * --manifest): install path, digest recorded then enforced, wrong size, --force, and a download killed
 * mid-body leaving nothing under the final name.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { fetchModelsCommand, FETCH_MODELS_USAGE } from '../../models/fetch/cli.js';
import { buffaloLFiles, listModelsDir, sha256, specFor, tempRoot, zipPack } from './pack-fixtures.js';
import { serveBytes, serveSlowly, serveThenStall, startPackServer, type PackServer } from './pack-server.js';
import { forgedModel, modelSpecFor } from './model-fixtures.js';

const CLI_MODULE = fileURLToPath(new URL('../../models/fetch/cli.ts', import.meta.url));
const files = buffaloLFiles();
const zip = zipPack(files);
const swapper = forgedModel(7);
const tampered = forgedModel(8);
const root = tempRoot();
let server: PackServer;
/** Called once the kill-test route has handed half the stand-in to the socket. */
let onHalfSent: () => void = () => undefined;

before(async () => {
  server = await startPackServer();
  server.route('/mirror/buffalo_l.zip', serveSlowly(zip, 30, 1500));
  server.route('/mirror/inswapper_128.onnx', serveBytes(swapper, 8));
  server.route('/tampered/inswapper_128.onnx', serveBytes(tampered));
  server.route('/stall/inswapper_128.onnx', serveThenStall(swapper, 4096));
  server.route('/half/inswapper_128.onnx', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(swapper.length) });
    res.write(swapper.subarray(0, swapper.length >> 1), () => onHalfSent()); // then silence, connection open
  });
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
  return fetchModelsWithChild(args).done;
}

/** As fetchModels, also handing back the child process (to kill it mid-download). */
function fetchModelsWithChild(args: readonly string[]): { child: ReturnType<typeof spawn>; done: Promise<Run> } {
  const script = `const m = await import(${JSON.stringify(CLI_MODULE)}); process.exitCode = await m.fetchModelsCommand(process.argv.slice(1));`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, '--', ...args], {
    env: { ...process.env, INSIGHTFACE_HOME: join(root, 'unused-home') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, done: new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr }))) };
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

  it('a zip of unknown size (no Content-Length, no size in the manifest): bytes and speed, no percentage or ETA', async () => {
    server.route('/unsized/buffalo_l.zip', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/zip' }); // chunked: no Content-Length
      res.end(zip);
    });
    const manifest = join(root, 'unsized-manifest.json');
    writeFileSync(manifest, JSON.stringify({ format: 'insightgpu-manifest/1', releaseBaseUrl: server.baseUrl, packs: { buffalo_l: specFor('buffalo_l', files, undefined, false) } }));
    const run = await fetchModelsHere(['buffalo_l', '--root', join(root, 'unsized'), '--base-url', `${server.baseUrl}/unsized`, '--manifest', manifest]);
    assert.equal(run.code, 0, run.stderr);
    const bar = run.stderr.split('\n').filter((line) => line.startsWith('buffalo_l '));
    assert.ok(bar.length > 0, run.stderr);
    for (const line of bar) assert.doesNotMatch(line, /%|ETA/, line);
    assert.match(bar.at(-1)!, /^buffalo_l 566\.4 KiB received \| /);
  });

  it('a --manifest entry with no size or sha256 anywhere says loudly, naming the file, that its first download was not verified', async () => {
    server.route('/unchecked/buffalo_l.zip', serveBytes(zip));
    const bare = join(root, 'bare-manifest.json');
    writeFileSync(bare, JSON.stringify({ format: 'insightgpu-manifest/1', releaseBaseUrl: server.baseUrl, packs: { buffalo_l: specFor('buffalo_l', files, zip, false) } }));
    const run = await fetchModelsHere(['buffalo_l', '--root', join(root, 'unchecked'), '--base-url', `${server.baseUrl}/unchecked`, '--manifest', bare]);
    assert.equal(run.code, 0, run.stderr);
    // Nor does any line claim a check that was not made: each file's CRC-32 is, its digest is not.
    assert.match(run.stderr, /extracted w600k_r50\.onnx \(26\.2 KiB, 5\/5\), CRC-32 checked \(no digest known yet: recorded once installed\)/);
    assert.doesNotMatch(run.stderr, /digest checked|matches the/);
    assert.match(run.stderr, new RegExp(`WARNING: nothing was verified: ${bare.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} gives no size or sha256 for buffalo_l`));
    // Held to the record from then on: a second run finds the copy [recorded], and says nothing more.
    const again = await fetchModelsHere(['buffalo_l', '--root', join(root, 'unchecked'), '--base-url', `${server.baseUrl}/unchecked`, '--manifest', bare]);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /WARNING/);
    assert.match(again.stderr, /checking w600k_r50\.onnx/);
    // An entry giving the zip's size has something to check: no warning.
    const sized = join(root, 'sized-manifest.json');
    writeFileSync(sized, JSON.stringify({ format: 'insightgpu-manifest/1', releaseBaseUrl: server.baseUrl, packs: { buffalo_l: { ...specFor('buffalo_l', files, zip, false), zip: { bytes: zip.length } } } }));
    const checked = await fetchModelsHere(['buffalo_l', '--root', join(root, 'sized'), '--base-url', `${server.baseUrl}/unchecked`, '--manifest', sized]);
    assert.equal(checked.code, 0, checked.stderr);
    assert.doesNotMatch(checked.stderr, /WARNING/);
  });

  it('the built-in buffalo_l entry refuses a mirror serving a different zip', async () => {
    const fresh = join(root, 'strict');
    const run = await fetchModelsHere(['buffalo_l', '--root', fresh, '--base-url', `${server.baseUrl}/mirror`]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`\\[INTEGRITY\\]: buffalo_l\\.zip: bytes mismatch, expected 288621354 \\(from the manifest\\), got ${zip.length} \\(Content-Length\\)`));
    assert.deepEqual(listModelsDir(fresh), []);
  });

  it('reports HTTP errors and usage errors with exit 1, as every command\'s bad option (2 is an unknown command)', async () => {
    const missing = await fetchModelsHere(['buffalo_sc', '--root', join(root, 'x'), '--base-url', `${server.baseUrl}/nothing-here`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /\[FETCH\]: download of .*\/nothing-here\/buffalo_sc\.zip failed \(http-status 404\)/);
    const usage = await fetchModelsHere(['--force']);
    assert.equal(usage.code, 1);
    assert.match(usage.stderr, /expected exactly one pack or model name/);
    for (const [args, message] of [[['buffalo_l', '--frob'], /Unknown option '--frob'/], [['buffalo_l', '--timeout', '0'], /--timeout must be a positive, finite number/], [['buffalo_l', '--timeout', 'Infinity'], /--timeout must be a positive, finite number of seconds, got 'Infinity'/]] as const) {
      const bad = await fetchModelsHere([...args]);
      assert.equal(bad.code, 1, args.join(' '));
      assert.match(bad.stderr, message);
    }
    const unknown = await fetchModelsHere(['inswapper_256', '--root', join(root, 'x')]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /\[MANIFEST\]: manifest: unknown pack or model 'inswapper_256'; known packs: buffalo_l, .*; single-file models: inswapper_128/);
  });

  it('a write the file system refuses (a file-size limit, as a full disk) is fetch-models\' own error naming where, temps removed', { skip: !existsSync('/bin/sh') }, async () => {
    // `ulimit -f 200` (200 blocks of 512 bytes) makes the 566 KiB zip's write fail with EFBIG, as ENOSPC would
    // on a full disk; Node ignores SIGXFSZ, so the write returns the error.
    const home = join(root, 'size-limited');
    const manifest = join(root, 'size-limited-manifest.json');
    writeFileSync(manifest, JSON.stringify({ format: 'insightgpu-manifest/1', releaseBaseUrl: server.baseUrl, packs: { buffalo_l: specFor('buffalo_l', files, zip, false) } }));
    const script = `const m = await import(${JSON.stringify(CLI_MODULE)}); process.exitCode = await m.fetchModelsCommand(process.argv.slice(1));`;
    const args = ['buffalo_l', '--root', home, '--base-url', `${server.baseUrl}/mirror`, '--manifest', manifest];
    const child = spawn('/bin/sh', ['-c', 'ulimit -f 200 && exec "$0" "$@"', process.execPath, '--import', 'tsx', '--input-type=module', '-e', script, '--', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 1, stderr);
    assert.ok(stderr.includes(`fetch-models failed [EFBIG]: EFBIG: file too large, write (in ${join(home, 'models')})\n`), stderr);
    assert.match(stderr, /the temporary download was removed/);
    assert.deepEqual(listModelsDir(home), []);
  });

  it('a --root that is a file or a --manifest that is a folder: the error says why', async () => {
    const file = join(root, 'root-is-a-file');
    writeFileSync(file, 'not a folder');
    for (const name of ['buffalo_l', 'inswapper_128']) {
      const run = await fetchModelsHere([name, '--root', file, '--base-url', `${server.baseUrl}/mirror`]);
      assert.equal(run.code, 1);
      // The option's error, naming the flag and the path, not the digest record's ENOTDIR under it.
      assert.match(run.stderr, /\[PIPELINE_OPTION\]: option --root: '.*root-is-a-file' is a file, not a folder/, name);
    }
    const folder = await fetchModelsHere(['buffalo_l', '--root', join(root, 'x'), '--manifest', root]);
    assert.equal(folder.code, 1);
    assert.match(folder.stderr, /\[MANIFEST\]: manifest: cannot read .* \(EISDIR: /);
  });
});

describe('fetch-models inswapper_128 (a single .onnx file)', () => {
  /** A --manifest holding only inswapper_128, with the stand-in's size instead of the real 554,253,681 bytes. */
  function smallManifest(): string {
    const path = join(root, 'swapper-manifest.json');
    writeFileSync(path, JSON.stringify({ format: 'insightgpu-manifest/1', releaseBaseUrl: server.baseUrl, models: { inswapper_128: modelSpecFor(swapper) } }));
    return path;
  }

  it('a stall is told in the seconds --timeout took, naming --timeout (not the library\'s stallTimeoutMs in ms)', async () => {
    const run = await fetchModelsHere(['inswapper_128', '--root', join(root, 'stall'), '--manifest', smallManifest(), '--base-url', `${server.baseUrl}/stall`, '--timeout', '0.3']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /\[FETCH\]: download of .*\/stall\/inswapper_128\.onnx failed \(timeout\): no data for 0\.3 s \(--timeout 0\.3\) after 4096 bytes\n/);
    assert.doesNotMatch(run.stderr, /stallTimeoutMs| ms /);
  });

  it('usage names the model and where it goes', () => {
    assert.match(FETCH_MODELS_USAGE, /Models: inswapper_128 \(inswapper_128\.onnx, /);
    assert.match(FETCH_MODELS_USAGE, /<root>\/models\/<model>\.onnx/);
  });

  it('installs <root>/models/inswapper_128.onnx, records the digest, then holds downloads to it; --force', async () => {
    const home = join(root, 'swap');
    const manifest = smallManifest();
    const args = ['inswapper_128', '--root', home, '--manifest', manifest];
    const cold = await fetchModelsHere([...args, '--base-url', `${server.baseUrl}/mirror`]);
    assert.equal(cold.code, 0, cold.stderr);
    const installed = join(home, 'models', 'inswapper_128.onnx');
    assert.match(cold.stderr, new RegExp(`downloading ${server.baseUrl}/mirror/inswapper_128\\.onnx`));
    assert.match(cold.stderr, /inswapper_128 \[[█░]+\] 100% \| 97\.7 KiB of 97\.7 KiB/);
    assert.match(cold.stderr, /\(no digest known yet: recorded once installed\)\n/);
    assert.ok(cold.stderr.includes(`installed as ${installed}`), cold.stderr);
    assert.ok(cold.stdout.includes(`inswapper_128: downloaded as ${installed}`), cold.stdout);
    assert.match(cold.stdout, new RegExp(`inswapper_128\\.onnx +${swapper.length} B  sha256 ${sha256(swapper)} \\[first-seen\\]`));
    assert.deepEqual(listModelsDir(home), ['digests.json', 'inswapper_128.onnx']);
    assert.deepEqual(new Uint8Array(readFileSync(installed)), swapper);

    const warm = await fetchModelsHere([...args, '--base-url', `${server.baseUrl}/mirror`]);
    assert.equal(warm.code, 0, warm.stderr);
    assert.match(warm.stdout, /inswapper_128: already present as .*\[recorded\]/s);
    assert.doesNotMatch(warm.stderr, /downloading/);

    // Same size, other bytes: refused against the digest recorded on the first download, old copy kept.
    const forged = await fetchModelsHere([...args, '--base-url', `${server.baseUrl}/tampered`, '--force']);
    assert.equal(forged.code, 1);
    assert.match(
      forged.stderr,
      new RegExp(`\\[INTEGRITY\\]: inswapper_128\\.onnx from ${server.baseUrl}/tampered/inswapper_128\\.onnx: sha256 mismatch, expected ${sha256(swapper)} \\(recorded on first download\\), got ${sha256(tampered)}`),
    );
    assert.deepEqual(new Uint8Array(readFileSync(installed)), swapper);

    const forced = await fetchModelsHere([...args, '--base-url', `${server.baseUrl}/mirror`, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, /matches the recorded digest/);
    assert.match(forced.stdout, /downloaded as .* \(replaced the existing copy: forced\)/);
    assert.deepEqual(listModelsDir(home), ['digests.json', 'inswapper_128.onnx']);
  });

  it('the built-in entry refuses a file that is not 554,253,681 bytes', async () => {
    const home = join(root, 'swap-strict');
    const run = await fetchModelsHere(['inswapper_128', '--root', home, '--base-url', `${server.baseUrl}/mirror`]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`\\[INTEGRITY\\]: inswapper_128\\.onnx from ${server.baseUrl}/mirror/inswapper_128\\.onnx: bytes mismatch, expected 554253681 \\(from the manifest\\), got ${swapper.length} \\(Content-Length\\)`));
    assert.deepEqual(listModelsDir(home), []);
  });

  it('a download killed mid-body leaves no file under the final name; the next run sweeps its temp', async () => {
    const manifest = smallManifest();
    // No --root: the child's $INSIGHTFACE_HOME (root/unused-home) decides where the file goes.
    const home = join(root, 'unused-home');
    const running = fetchModelsWithChild(['inswapper_128', '--manifest', manifest, '--base-url', `${server.baseUrl}/half`]);
    await new Promise<void>((resolve) => (onHalfSent = resolve));
    running.child.kill('SIGKILL');
    const killed = await running.done;
    assert.equal(killed.code, null);
    const left = readdirSync(join(home, 'models'));
    // Only the temp the child opened before its request; it is below the final name's size.
    assert.equal(left.length, 1, left.join(', '));
    assert.match(left[0] ?? '', new RegExp(`^\\.inswapper_128\\.${running.child.pid}\\.[0-9a-f]{8}\\.onnx\\.part$`));

    const rerun = await fetchModelsHere(['inswapper_128', '--root', home, '--manifest', manifest, '--base-url', `${server.baseUrl}/mirror`]);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.deepEqual(listModelsDir(home), ['digests.json', 'inswapper_128.onnx']);
    assert.ok(existsSync(join(home, 'models', 'inswapper_128.onnx')));
  });

  it('Ctrl-C (SIGINT) mid-download exits 130, as the other commands, and leaves no file at all', async () => {
    // Half of the body, then silence with the connection open: the download is in flight when the signal comes.
    const halfThenSilence = (bytes: Uint8Array, type: string) => (_req: unknown, res: import('node:http').ServerResponse): void => {
      res.writeHead(200, { 'content-type': type, 'content-length': String(bytes.length) });
      res.write(bytes.subarray(0, bytes.length >> 1), () => onHalfSent());
    };
    server.route('/sigint/inswapper_128.onnx', halfThenSilence(swapper, 'application/octet-stream'));
    server.route('/sigint/buffalo_l.zip', halfThenSilence(zip, 'application/zip'));
    const packManifest = join(root, 'sigint-manifest.json');
    writeFileSync(packManifest, JSON.stringify({ format: 'insightgpu-manifest/1', releaseBaseUrl: server.baseUrl, packs: { buffalo_l: specFor('buffalo_l', files, zip, false) } }));
    for (const [name, manifest] of [['inswapper_128', smallManifest()], ['buffalo_l', packManifest]] as const) {
      const home = join(root, `sigint-${name}`);
      const running = fetchModelsWithChild([name, '--root', home, '--manifest', manifest, '--base-url', `${server.baseUrl}/sigint`]);
      await new Promise<void>((resolve) => (onHalfSent = resolve));
      running.child.kill('SIGINT');
      const stopped = await running.done;
      assert.equal(stopped.code, 130, `${name}: ${stopped.stderr}`);
      assert.match(stopped.stderr, /stopped by Ctrl-C \(SIGINT\); the temporary download was removed/, name);
      assert.deepEqual(listModelsDir(home), [], `${name}: no partial file, not even a temp`);
    }
  });
});
