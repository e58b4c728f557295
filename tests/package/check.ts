/**
 * The package as users meet it (`npm run test:package`; .ci/run runs it after `npm test`; a few minutes):
 *   1. `npm pack`: the tarball's size, held to an upper bound;
 *   2. a fresh Node project installs the tarball: examples/node/analyze.mjs under plain `node` finds the 6 faces of
 *      t1.jpg with backend 'auto' in InsightFace's JSON, the installed CLI's results match the golden, CommonJS
 *      `require` loads the package, the subpaths load, every command the help lists answers --help, and
 *      fetch-models installs from a mirror folder on disk;
 *   3. a fresh vite app (vite installed first, as a user has it) installs it as README says; built by the app's own
 *      vite, examples/browser and the check page
 *      (web-checks/) build with zero warnings, no static `node:` import and a chunk for the Worker; in chromium the
 *      example finds the 6 faces, and the check page finds them through createFaceAnalysisWorker, with the engine's
 *      errors keeping their names and classes across the minified page and worker bundles, and the Node-only calls
 *      (a models folder, FaceIndex.save/load, readVideoFrames) failing with the engine's typed errors; reinstalled
 *      with --omit=optional, sharp and webgpu are absent and a file path then gets a MissingPackageError naming
 *      sharp, and the app's vite build fails for want of its native binding (README says not to omit them there);
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
import { buildWebApp, pageChecks, pageFaceCount, type PageRefusal } from './web-app.js';

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

/** The vite the repo builds its pages with: the web app installs the same version, from the npm cache where it can. */
const VITE_VERSION = (JSON.parse(readFileSync(path.join(repo, 'node_modules', 'vite', 'package.json'), 'utf8')) as { version: string }).version;

/** A vite app, as a browser user has one (vite first), that then installs the tarball as README says: plainly. */
function browserProject(tarball: string): string {
  const app = newProject('web-app');
  run('npm', ['install', '--save-dev', `vite@${VITE_VERSION}`, '--no-audit', '--no-fund', '--prefer-offline'], app);
  run('npm', ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline'], app);
  for (const file of ['index.html', 'main.js']) copyFileSync(path.join(repo, 'examples', 'browser', file), path.join(app, file));
  for (const file of ['checks.html', 'checks.js']) copyFileSync(path.join(repo, 'tests', 'package', 'web-checks', file), path.join(app, file));
  return app;
}

/**
 * The same app reinstalled with --omit=optional: sharp and webgpu are gone and say so when needed, and (README's
 * warning) so is every other optional package, vite's native bundler binding among them, so the app's build fails.
 */
function omitOptional(app: string, tarball: string): void {
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
  // In a child process: this one has vite's binding loaded already, from the build above.
  const rebuilt = runBoth('npx', ['--no-install', 'vite', 'build', '--outDir', path.join(app, 'dist-omitted')], app);
  assert.notEqual(rebuilt.code, 0, 'README: --omit=optional also drops the bundler\'s native binding');
  assert.match(`${rebuilt.stdout}\n${rebuilt.stderr}`, /native binding/i);
  note('web app: after --omit=optional the app\'s own vite build fails for want of its native binding, as README warns');
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
  const { warnings, chunks } = await buildWebApp(webApp, ['index.html', 'checks.html']);
  assert.deepEqual(warnings, [], 'vite build warnings');
  note(`web app: vite build with zero warnings; chunks ${chunks.map((c) => `${c.file} ${c.bytes}`).join(', ')}`);
  assert.ok(chunks.some((c) => /^worker-main-.*\.js$/.test(c.file)), 'a chunk for createFaceAnalysisWorker\'s worker');
  for (const c of chunks) {
    const code = readFileSync(path.join(webApp, 'dist', 'assets', c.file), 'utf8');
    // A static import of a Node built-in fails the whole page in a browser; the computed ones run only under Node.
    assert.doesNotMatch(code, /(?:\bfrom|\bimport)\s*["'`]node:/, `${c.file} imports a Node module`);
  }
  const count = await pageFaceCount(path.join(webApp, 'dist'), models, image);
  assert.equal(count.faces, 6, count.status);
  note(`web app: the page in chromium found ${count.faces} faces (${count.status}; backend 'auto' chose ${count.backend})`);
  const checked = await pageChecks(path.join(webApp, 'dist'), models, image);
  assert.equal(checked.status, 'checks done', checked.status);
  assert.equal(checked.results['workerFaces'], 6, 'faces found by createFaceAnalysisWorker');
  assert.equal(checked.results['workerUrlFaces'], 6, 'faces found by the worker in the photo given by a relative URL');
  assert.equal(checked.results['mapFaces'], 6, 'faces found by FaceAnalysis made from the Map of loadModelFiles');
  const expected: Record<string, [string, string]> = {
    workerImageError: ['ImageError', 'IMAGE'], workerOptionError: ['PipelineOptionError', 'PIPELINE_OPTION'],
    optionError: ['PipelineOptionError', 'PIPELINE_OPTION'], folderModels: ['ModelPackError', 'MODEL_PACK'],
    indexSave: ['FaceIndexError', 'FACE_INDEX'], indexLoad: ['FaceIndexError', 'FACE_INDEX'], videoFile: ['VideoError', 'VIDEO'],
  };
  for (const [check, [name, code]] of Object.entries(expected)) {
    const seen = checked.results[check] as PageRefusal | undefined;
    assert.deepEqual(seen && { thrown: seen.thrown, name: seen.name, instance: seen.instance, code: seen.code }, { thrown: true, name, instance: true, code }, `${check}: ${JSON.stringify(seen)}`);
  }
  note(`web app: createFaceAnalysisWorker from the bundle found ${checked.results['workerFaces']} faces; ${Object.keys(expected).join(', ')} gave the typed errors by name and class`);
  omitOptional(webApp, tarball);
  await publishDryRun();
  process.stdout.write(`${report.join('\n')}\n`);
} finally {
  if (!process.env['INSIGHTGPU_KEEP']) rmSync(work, { recursive: true, force: true });
  else process.stderr.write(`kept ${work}\n`);
}
