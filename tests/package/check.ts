/**
 * The package as users meet it (`npm run test:package`; .ci/run runs it after `npm test`; a few minutes):
 *   1. `npm pack`: the tarball's size, held to an upper bound;
 *   2. a fresh Node project installs the tarball: examples/node/analyze.mjs under plain `node` finds the 6 faces of
 *      t1.jpg with backend 'auto' in InsightFace's JSON, the installed CLI's results match the golden, CommonJS
 *      `require` loads the package, the subpaths load, every command the help lists answers --help, and
 *      fetch-models installs from a mirror folder on disk;
 *   3. a fresh vite app installs it without optional packages (as a browser-only user does): sharp and webgpu are
 *      absent and a file path then gets a MissingPackageError naming sharp; examples/browser builds with zero
 *      warnings, and the page, loaded in chromium, finds the 6 faces;
 *   4. `npm publish --dry-run` is clean.
 * Needs the test bed (../shared), network or an npm cache holding the dependencies, and /usr/bin/chromium.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { specFor, zipPack } from '../fetch/pack-fixtures.js';
import { buildWebApp, pageFaceCount } from './web-app.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shared = process.env['INSIGHTGPU_SHARED'] ?? path.resolve(repo, '../shared');
const models = path.join(shared, 'models');
const image = path.join(shared, 'images', 't1.jpg');
const golden = path.join(shared, 'golden', 'packA_det640.json');
const work = mkdtempSync(path.join(os.tmpdir(), 'insightgpu-package-'));
/** Upper bound of the packed tarball: dist.s JavaScript and declarations without maps pack to ~0.33 MB (325.7 kB measured); 1 MB leaves room to grow. */
const MAX_TARBALL_BYTES = 1_000_000;
/**
 * Warnings that are not the package's: npm's own about the project's .npmrc line that keeps onnxruntime-node's
 * installer offline (TESTBED.md), and a dry run's note that a real publish would need a login.
 */
const KNOWN_NPM_WARNING = /Unknown (project|env) config "onnxruntime-node-install"|requires you to be logged in to .* \(dry-run\)/;

const report: string[] = [];
const note = (line: string): void => { report.push(line); process.stderr.write(`package check: ${line}\n`); };

function run(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): { stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
    return { stdout, stderr: '' };
  } catch (error) {
    const e = error as { status?: number; stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${e.status}:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** Runs and returns stdout and stderr, whatever the exit code. */
function runBoth(cmd: string, args: readonly string[], cwd: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function npmWarnings(text: string): string[] {
  return text.split('\n').filter((l) => /npm (warn|WARN|error|ERR)/.test(l) && !KNOWN_NPM_WARNING.test(l));
}

function pack(): string {
  const out = run('npm', ['pack', '--json', '--pack-destination', work], repo).stdout;
  const info = (JSON.parse(out.slice(out.indexOf('['))) as { filename: string; size: number; unpackedSize: number; entryCount: number }[])[0]!;
  note(`npm pack: ${info.filename}, ${info.size} bytes packed, ${info.unpackedSize} unpacked, ${info.entryCount} files (bound ${MAX_TARBALL_BYTES})`);
  assert.ok(info.size <= MAX_TARBALL_BYTES, `tarball ${info.size} bytes > ${MAX_TARBALL_BYTES}`);
  return path.join(work, info.filename);
}

function newProject(name: string): string {
  const dir = path.join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  return dir;
}

/** Every field of InsightFace's face record, with the shapes the golden format gives them. */
function assertGoldenFace(face: Record<string, unknown>, embeddingLength: number): void {
  const shape = (v: unknown): number[] => (Array.isArray(v) ? [v.length, ...(v.length > 0 ? shape(v[0]) : [])] : []);
  assert.deepEqual(shape(face['bbox']), [4]);
  assert.deepEqual(shape(face['kps']), [5, 2]);
  assert.equal(typeof face['det_score'], 'number');
  assert.deepEqual(shape(face['landmark_2d_106']), [106, 2]);
  assert.deepEqual(shape(face['landmark_3d_68']), [68, 3]);
  assert.deepEqual(shape(face['pose']), [3]);
  assert.ok(face['gender'] === 0 || face['gender'] === 1);
  assert.equal(typeof face['age'], 'number');
  assert.deepEqual(shape(face['embedding']), [embeddingLength]);
}

function nodeProject(tarball: string): void {
  const app = newProject('node-app');
  const t0 = performance.now();
  run('npm', ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline'], app);
  note(`node app: npm install of the tarball took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  copyFileSync(path.join(repo, 'examples', 'node', 'analyze.mjs'), path.join(app, 'analyze.mjs'));
  const analysed = runBoth('node', ['analyze.mjs', models, image], app);
  assert.equal(analysed.code, 0, analysed.stderr);
  const faces = JSON.parse(analysed.stdout) as Record<string, unknown>[];
  const expected = (JSON.parse(readFileSync(golden, 'utf8')) as { results: { faces: { embedding: number[] }[] }[] }).results[0]!.faces;
  assert.equal(faces.length, 6);
  assert.equal(faces.length, expected.length);
  for (const face of faces) assertGoldenFace(face, expected[0]!.embedding.length);
  const backendLine = analysed.stderr.split('\n').find((l) => l.startsWith('backend: ')) ?? '(no backend line)';
  note(`node app: examples/node/analyze.mjs found ${faces.length} faces in InsightFace's JSON; ${backendLine}`);
  const nativeNoise = analysed.stderr.split('\n').filter((l) => /Warning:|XDG_RUNTIME_DIR|\.cpp:\d+|Vulkan/.test(l) && !l.startsWith('backend: '));
  assert.deepEqual(nativeNoise, [], 'no native messages on stderr');

  const cli = path.join(app, 'node_modules', '.bin', 'insightgpu');
  run(cli, ['analyze', '--models', models, '--quiet', '--json', path.join(app, 'out.json'), image, path.join(shared, 'images', 'Tom_Hanks_54745.png')], app);
  run(cli, ['compare', path.join(app, 'out.json'), golden], app);
  note('node app: the installed `insightgpu analyze` (t1.jpg, Tom_Hanks_54745.png) matches the golden within the test bed tolerances (`insightgpu compare`)');

  const required = run('node', ['-e', "const m = require('insightgpu'); const f = require('insightgpu/models'); process.stdout.write(typeof m.FaceAnalysis + ' ' + typeof f.fetchPack)"], app).stdout;
  assert.equal(required, 'function function');
  note(`node app: CommonJS require('insightgpu') works on node ${process.version} (require(esm))`);
  const subpaths = run('node', ['--input-type=module', '-e', "const f = await import('insightgpu/forge'); const m = await import('insightgpu/models'); process.stdout.write([typeof f.forgeModel, typeof f.forgeModels, typeof m.loadModelFiles, typeof m.fetchPack, m.DEFAULT_PACK].join(' '))"], app).stdout;
  assert.equal(subpaths, 'function function function function buffalo_l');

  const help = run(cli, ['--help'], app).stdout;
  const listed = [...help.matchAll(/^ {2}insightgpu ([a-z][a-z-]*)/gm)].map((m) => m[1]!);
  assert.ok(!listed.includes('bench'), 'bench is not listed where bench/ is not installed');
  for (const command of listed) run(cli, [command, '--help'], app);
  note(`node app: --help answers for ${listed.join(', ')}; ${run(cli, ['--version'], app).stdout.trim()}`);
  run(cli, ['doctor', '--no-hash'], app);

  // A mirror folder on disk (README: "a folder holding buffalo_l.zip"): the installed fetch-models reads it
  // through the same digest checks as a download, and doctor calls the result a mirror's build.
  const mirror = path.join(work, 'mirror');
  mkdirSync(mirror);
  const packA = Object.fromEntries(['scrfd_2.5g_bnkps.onnx', 'mobilefacenet.onnx', 'tiny_genderage.onnx'].map((name) => [name, new Uint8Array(readFileSync(path.join(models, name)))]));
  const zip = zipPack(packA);
  writeFileSync(path.join(mirror, 'buffalo_l.zip'), zip);
  writeFileSync(path.join(mirror, 'manifest.json'), JSON.stringify({ format: 'insightgpu-manifest/1', releaseBaseUrl: pathToFileURL(mirror).href, packs: { buffalo_l: specFor('buffalo_l', packA, zip, true) } }));
  const mirrorRoot = path.join(work, 'mirror-root');
  run(cli, ['fetch-models', 'buffalo_l', '--base-url', mirror, '--manifest', path.join(mirror, 'manifest.json'), '--root', mirrorRoot], app);
  for (const [name, bytes] of Object.entries(packA)) assert.deepEqual(new Uint8Array(readFileSync(path.join(mirrorRoot, 'models', 'buffalo_l', name))), bytes, name);
  assert.match(run(cli, ['doctor', '--root', mirrorRoot, '--no-hash'], app).stdout, /; a mirror's build, not InsightFace's release/);
  note('node app: the installed `insightgpu fetch-models --base-url FOLDER` installs from a mirror on disk, and doctor calls it a mirror\'s build');
}

function browserProject(tarball: string): string {
  const app = newProject('web-app');
  run('npm', ['install', tarball, '--omit=optional', '--no-audit', '--no-fund', '--prefer-offline'], app);
  for (const optional of ['sharp', 'webgpu']) assert.ok(!existsSync(path.join(app, 'node_modules', optional)), `${optional} skipped by --omit=optional`);
  const missing = runBoth('node', ['--input-type=module', '-e', `import { loadImage } from 'insightgpu'; await loadImage(${JSON.stringify(image)});`], app);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /MissingPackageError.*'sharp'.*npm install sharp/s);
  const tiny = path.join(models, 'tiny_genderage.onnx');
  const noDawn = runBoth('node', ['--input-type=module', '-e', `import { readFileSync } from 'node:fs'; import { InferenceSession } from 'insightgpu';
const auto = await InferenceSession.create(readFileSync(${JSON.stringify(tiny)}), { backend: 'auto' });
process.stdout.write(auto.backendName);
await InferenceSession.create(readFileSync(${JSON.stringify(tiny)}), { backend: 'webgpu' });`], app);
  assert.equal(noDawn.stdout, 'cpu', noDawn.stderr);
  assert.match(noDawn.stderr, /MissingPackageError.*'webgpu'.*npm install webgpu/s);
  note('web app: --omit=optional leaves out sharp and webgpu; a file path then fails with MissingPackageError naming `npm install sharp`, backend \'webgpu\' with one naming `npm install webgpu`, and \'auto\' runs on the CPU');
  for (const file of ['index.html', 'main.js']) copyFileSync(path.join(repo, 'examples', 'browser', file), path.join(app, file));
  return app;
}

async function publishDryRun(): Promise<void> {
  const r = runBoth('npm', ['publish', '--dry-run'], repo);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(npmWarnings(`${r.stdout}\n${r.stderr}`), [], 'npm publish --dry-run warns');
  note('npm publish --dry-run: clean');
}

try {
  assert.ok(existsSync(image), `the test bed is missing (${image}); set INSIGHTGPU_SHARED`);
  const tarball = pack();
  nodeProject(tarball);
  const webApp = browserProject(tarball);
  const { warnings, bundleBytes } = await buildWebApp(webApp);
  assert.deepEqual(warnings, [], 'vite build warnings');
  note(`web app: vite build with zero warnings (${bundleBytes} bytes of JavaScript)`);
  const count = await pageFaceCount(path.join(webApp, 'dist'), models, image);
  assert.equal(count.faces, 6, count.status);
  note(`web app: the page in chromium found ${count.faces} faces (${count.status}; backend 'auto' chose ${count.backend})`);
  await publishDryRun();
  process.stdout.write(`${report.join('\n')}\n`);
} finally {
  if (!process.env['INSIGHTGPU_KEEP']) rmSync(work, { recursive: true, force: true });
  else process.stderr.write(`kept ${work}\n`);
}
