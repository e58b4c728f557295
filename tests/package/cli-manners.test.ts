/**
 * The CLI as a user meets it on a machine without a GPU: quiet stderr with one line naming the backend and why,
 * --help on every command the top-level help lists, and `doctor`'s report.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { main } from '../../cli/main.js';
import { captureOutput } from '../pipeline/capture-output.js';
import { sharedPath } from '../pipeline/helpers.js';
import { buffaloLFiles, sha256, specFor, zipPack } from '../fetch/pack-fixtures.js';
import { serveBytes, startPackServer } from '../fetch/pack-server.js';
import { forgedModel, modelSpecFor } from '../fetch/model-fixtures.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(path.join(tmpdir(), 'insightgpu-cli-manners-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** What native code (Dawn, the Vulkan loader and drivers) prints: warnings, source paths, Mesa's XDG complaint. */
const NATIVE = /Warning:|XDG_RUNTIME_DIR|\.cpp:\d+|libvulkan|Loader Message/;

/** Runs the CLI in a child process (native messages go to fd 2, which only a child's pipe sees). */
function cli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: repo, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
}

describe('insightgpu on a machine without a GPU adapter', () => {
  // The default environment of a user: no driver chosen, no debug, no XDG_RUNTIME_DIR (as in a container or CI).
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['VK_ICD_FILENAMES', 'VK_DRIVER_FILES', 'INSIGHTGPU_DEBUG', 'XDG_RUNTIME_DIR']) delete env[name];
  const args = ['analyze', '--models', sharedPath('models'), '--det-size', '160', '--json', path.join(work, 'out.json'), sharedPath('images', 't1.jpg')];

  it('keeps native messages off stderr and says once which backend it chose and why', async () => {
    const { code, stderr } = await cli(args, env);
    assert.equal(code, 0, stderr);
    const lines = stderr.split('\n');
    assert.deepEqual(lines.filter((l) => NATIVE.test(l)), [], stderr);
    const backend = lines.filter((l) => l.startsWith('backend: '));
    assert.equal(backend.length, 1, stderr);
    // Either a hardware adapter was found, or the CPU is used with the reason given.
    assert.match(backend[0]!, /^backend: (webgpu on .+|cpu \(.+\))$/);
  });

  it('runs with --verbose too (native messages pass through), naming the backend once', async () => {
    const { code, stderr } = await cli([...args, '--verbose'], env);
    assert.equal(code, 0, stderr);
    assert.equal(stderr.split('\n').filter((l) => l.startsWith('backend: ')).length, 1, stderr);
  });
});

describe('insightgpu --help', () => {
  it('answers on every command the top-level help lists', async () => {
    const { result, out } = await captureOutput(() => main(['--help']));
    assert.equal(result, 0);
    const commands = [...out.matchAll(/^ {2}insightgpu ([a-z][a-z-]*)/gm)].map((m) => m[1]!);
    for (const expected of ['analyze', 'compare', 'swap', 'fetch-models', 'forge-models', 'doctor']) assert.ok(commands.includes(expected), expected);
    for (const command of commands) {
      const help = await captureOutput(() => main([command, '--help']));
      assert.equal(help.result, 0, `${command} --help`);
      assert.match(help.out, /usage/i, `${command} --help`);
    }
  });
});

describe('insightgpu doctor', () => {
  it('reports Node, the optional packages, the adapters, the backend auto picks and each pack file against its digest', async () => {
    // A pack folder holding a file under a buffalo_l name that is not the real file: its digest must differ.
    const root = path.join(work, 'root');
    mkdirSync(path.join(root, 'models', 'buffalo_l'), { recursive: true });
    copyFileSync(sharedPath('models', 'tiny_genderage.onnx'), path.join(root, 'models', 'buffalo_l', 'genderage.onnx'));
    const { result, out } = await captureOutput(() => main(['doctor', '--root', root]));
    assert.equal(result, 0, out);
    assert.match(out, new RegExp(`^node ${process.version.replace(/\./g, '\\.')} `, 'm'));
    assert.match(out, /^optional packages: sharp \S+: loads; webgpu \S+: loads$/m);
    assert.match(out, /^adapters \(Dawn, \d+ found\):$/m);
    assert.match(out, /^backend 'auto' picks: (webgpu on .+|cpu \(.+\))$/m);
    assert.match(out, /^ {2}buffalo_l: 1 \.onnx file\(s\)$/m);
    assert.match(out, /^ {4}genderage\.onnx: \d+ bytes, sha256 [0-9a-f]{12}… DIFFERS from the manifest digest [0-9a-f]{12}…$/m);
    assert.match(out, /^ {4}held to: the built-in manifest \(InsightFace's release; no digests were recorded at install/m);
  });

  it('calls a mirror\'s pack of other files (the test bed\'s pack A as buffalo_l) a build, not a copy of the release', async () => {
    // None of its file names is in the release's buffalo_l, so no size or digest can contradict the manifest's:
    // the file list itself differs.
    const files = Object.fromEntries(['scrfd_2.5g_bnkps.onnx', 'mobilefacenet.onnx', 'tiny_genderage.onnx'].map((name) => [name, new Uint8Array(readFileSync(sharedPath('models', name)))]));
    const zip = zipPack(files);
    const server = await startPackServer();
    try {
      server.route('/other/buffalo_l.zip', serveBytes(zip));
      const root = path.join(work, 'other-files-root');
      const manifest = path.join(work, 'other-files-manifest.json');
      writeFileSync(manifest, JSON.stringify({ format: 'insightgpu-manifest/1', releaseBaseUrl: server.baseUrl, packs: { buffalo_l: specFor('buffalo_l', files, zip, true) } }));
      const fetched = await captureOutput(() => main(['fetch-models', 'buffalo_l', '--root', root, '--base-url', `${server.baseUrl}/other`, '--manifest', manifest]));
      assert.equal(fetched.result, 0, fetched.out);
      const { result, out } = await captureOutput(() => main(['doctor', '--root', root, '--no-hash']));
      assert.equal(result, 0, out);
      assert.match(out, /; a mirror's build, not InsightFace's release \(its files, sizes or digests differ/);
      assert.doesNotMatch(out, /agree with InsightFace's release/);
    } finally {
      await server.close();
    }
  });

  it('holds a pack installed from a mirror to the digests recorded at install, and says it is a mirror\'s', async () => {
    // A real install: fetch-models buffalo_l from a loopback mirror with its own --manifest (no digests: learned
    // on first use). Its files are the tiny stand-ins, so they differ from InsightFace's release by design.
    const files = buffaloLFiles();
    const zip = zipPack(files);
    const server = await startPackServer();
    try {
      server.route('/mirror/buffalo_l.zip', serveBytes(zip));
      const root = path.join(work, 'mirror-root');
      const manifest = path.join(work, 'mirror-manifest.json');
      writeFileSync(manifest, JSON.stringify({ format: 'insightgpu-manifest/1', releaseBaseUrl: server.baseUrl, packs: { buffalo_l: specFor('buffalo_l', files, zip, false) } }));
      const fetched = await captureOutput(() => main(['fetch-models', 'buffalo_l', '--root', root, '--base-url', `${server.baseUrl}/mirror`, '--manifest', manifest]));
      assert.equal(fetched.result, 0, fetched.out);

      const first = await captureOutput(() => main(['doctor', '--root', root]));
      assert.equal(first.result, 0, first.out);
      assert.doesNotMatch(first.out, /DIFFERS/);
      assert.match(first.out, new RegExp(`^ {4}held to: the digests recorded at install \\(\\S+\\) from ${server.baseUrl}/mirror/buffalo_l\\.zip; a mirror's build, not InsightFace's release`, 'm'));
      for (const name of Object.keys(files)) assert.match(first.out, new RegExp(`^ {4}${name.replace('.', '\\.')}: \\d+ bytes, sha256 matches the recorded digest$`, 'm'));

      // A single-file model from the mirror: a 100 kB stand-in, not the release's 554,253,681-byte inswapper_128.
      const swapper = forgedModel(3);
      server.route('/mirror/inswapper_128.onnx', serveBytes(swapper));
      const swapManifest = path.join(work, 'mirror-swap-manifest.json');
      writeFileSync(swapManifest, JSON.stringify({ format: 'insightgpu-manifest/1', releaseBaseUrl: server.baseUrl, models: { inswapper_128: modelSpecFor(swapper) } }));
      const swapFetched = await captureOutput(() => main(['fetch-models', 'inswapper_128', '--root', root, '--base-url', `${server.baseUrl}/mirror`, '--manifest', swapManifest]));
      assert.equal(swapFetched.result, 0, swapFetched.out);
      const withSwapper = await captureOutput(() => main(['doctor', '--root', root]));
      assert.match(withSwapper.out, new RegExp(`^ {2}inswapper_128\\.onnx: ${swapper.length} bytes, sha256 matches the recorded digest\n {4}held to: the digests recorded at install \\(\\S+\\) from ${server.baseUrl}/mirror/inswapper_128\\.onnx; a mirror's build, not InsightFace's release`, 'm'));

      // The record still catches a file changed after the install.
      const changed = path.join(root, 'models', 'buffalo_l', 'det_10g.onnx');
      copyFileSync(sharedPath('models', 'tiny_genderage.onnx'), changed);
      const second = await captureOutput(() => main(['doctor', '--root', root]));
      assert.match(second.out, new RegExp(`^ {4}det_10g\\.onnx: \\d+ bytes, sha256 [0-9a-f]{12}… DIFFERS from the recorded digest ${sha256(files['det_10g.onnx']!).slice(0, 12)}…$`, 'm'));

      // A damaged record is said to be that, not taken for a copy fetch-models never installed.
      writeFileSync(path.join(root, 'models', 'digests.json'), '{damaged');
      const third = await captureOutput(() => main(['doctor', '--root', root, '--no-hash']));
      assert.match(third.out, /^ {4}held to: the built-in manifest \(InsightFace's release; digests\.json cannot be read, see above\)$/m);
    } finally {
      await server.close();
    }
  });

  it('names what an interrupted fetch left in models/ as its temporaries, not as a pack', async () => {
    // A pid no process has (above the kernel's pid_max), and this process's own for a fetch still running.
    const root = path.join(work, 'temps');
    const dead = path.join(root, 'models', '.buffalo_l.99999999.0123abcd.partial');
    mkdirSync(dead, { recursive: true });
    copyFileSync(sharedPath('models', 'tiny_genderage.onnx'), path.join(dead, 'genderage.onnx'));
    writeFileSync(path.join(root, 'models', `.buffalo_l.${process.pid}.89abcdef.zip.part`), 'PK');
    const { result, out } = await captureOutput(() => main(['doctor', '--root', root, '--no-hash']));
    assert.equal(result, 0, out);
    assert.match(out, /^ {2}\.buffalo_l\.99999999\.0123abcd\.partial: temporary of an interrupted fetch of buffalo_l \(pid 99999999; the next `insightgpu fetch-models buffalo_l` removes it\)$/m);
    assert.match(out, new RegExp(`^ {2}\\.buffalo_l\\.${process.pid}\\.89abcdef\\.zip\\.part: temporary of a running fetch of buffalo_l \\(pid ${process.pid}\\)$`, 'm'));
    assert.doesNotMatch(out, /partial: \d+ \.onnx file/);
  });

  it('a root that is a file is reported as such, not as a folder that does not exist', async () => {
    const file = path.join(work, 'root-file');
    writeFileSync(file, 'not a folder');
    const { result, out } = await captureOutput(() => main(['doctor', '--root', file, '--no-hash']));
    assert.equal(result, 0, out);
    // doctor reports findings (exit 0): the packs line names the option and says the root is a file.
    assert.match(out, /^packs in .*root-file\/models: none \(option --root: '.*root-file' is a file, not a folder/m);
  });
});
