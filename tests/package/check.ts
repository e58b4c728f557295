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
 *   4. the lowest Node of each "engines" range (its binary's npm package) imports the three entries and runs the CLI;
 *   5. a TypeScript project compiles the three entries strict with skipLibCheck false under TypeScript 7 (node16,
 *      nodenext, bundler) and 5 (those and node10, through typesVersions; @webgpu/types through the ts5/ entries);
 *   6. in the vite app, a page using only computeSim and FaceIndex bundles to a few tens of kB ("sideEffects"), and
 *      the Node entry bundled for Node keeps its pack fetcher; without the optional packages the CLI's analyze
 *      names `npm install sharp` in one line;
 *   7. `npm publish --dry-run` is clean. INSIGHTGPU_PACKAGE_ONLY=engines,types,… runs only the named steps.
 * Needs the test bed (../shared), network or an npm cache holding the dependencies, and /usr/bin/chromium.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { specFor, zipPack } from '../fetch/pack-fixtures.js';
import { buildWebApp, pageChecks, pageFaceCount, type PageRefusal } from './web-app.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shared = process.env['INSIGHTGPU_SHARED'] ?? path.resolve(repo, '../shared');
const models = path.join(shared, 'models');
const image = path.join(shared, 'images', 't1.jpg');
const golden = path.join(shared, 'golden', 'packA_det640.json');
const work = mkdtempSync(path.join(os.tmpdir(), 'insightgpu-package-'));
/** Upper bound of the packed tarball: dist's JavaScript and declarations without maps pack to ~0.69 MB (693.6 kB, 686 files measured); 1 MB leaves room to grow. */
const MAX_TARBALL_BYTES = 1_000_000;
/** Upper bound of the tree-shaking page (computeSim and FaceIndex): ~52 kB measured with its lazy GPU-search chunks; 824 kB when nothing was dropped. */
const MAX_SHAKEN_BYTES = 120_000;
/**
 * Warnings that are not the package's: npm's own about the project's .npmrc line that keeps onnxruntime-node's
 * installer offline (TESTBED.md), and a dry run's note that a real publish would need a login.
 */
const KNOWN_NPM_WARNING = /Unknown (project|env) config "onnxruntime-node-install"|requires you to be logged in to .* \(dry-run\)/;

/** INSIGHTGPU_PACKAGE_ONLY=types,engines runs only those steps (node, engines, types, web, shake, publish); default all. */
const only = new Set((process.env['INSIGHTGPU_PACKAGE_ONLY'] ?? '').split(',').filter((s) => s !== ''));
const step = (name: string): boolean => only.size === 0 || only.has(name);
/** The TypeScript before 6 (no WebGPU types in its DOM lib, node10 resolution still there) a consumer project checks with. */
const TYPESCRIPT_5 = '5.9.3';

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

/**
 * Packs the repo. A file an earlier build left in dist/ (a module since renamed) must not ship, and no shipped
 * module may name a source map the tarball leaves out (bundlers' source-map loaders warn about each one).
 */
function pack(): string {
  const stale = path.join(repo, 'dist', 'src', 'stale-from-an-earlier-build.js');
  mkdirSync(path.dirname(stale), { recursive: true });
  writeFileSync(stale, 'export {};\n');
  let out: string;
  try {
    out = run('npm', ['pack', '--json', '--pack-destination', work], repo).stdout;
  } finally {
    rmSync(stale, { force: true });
  }
  const info = (JSON.parse(out.slice(out.indexOf('['))) as { filename: string; size: number; unpackedSize: number; entryCount: number; files: { path: string }[] }[])[0]!;
  note(`npm pack: ${info.filename}, ${info.size} bytes packed, ${info.unpackedSize} unpacked, ${info.entryCount} files (bound ${MAX_TARBALL_BYTES})`);
  assert.ok(info.size <= MAX_TARBALL_BYTES, `tarball ${info.size} bytes > ${MAX_TARBALL_BYTES}`);
  const tarball = path.join(work, info.filename);
  assert.ok(!info.files.some((f) => f.path.endsWith('stale-from-an-earlier-build.js')), 'a file left in dist/ by an earlier build is packed');
  const unpacked = path.join(work, 'unpacked');
  mkdirSync(unpacked);
  run('tar', ['-xzf', tarball, '-C', unpacked], work);
  const dangling = info.files.filter((f) => f.path.endsWith('.js') && /sourceMappingURL=/.test(readFileSync(path.join(unpacked, 'package', f.path), 'utf8')));
  assert.deepEqual(dangling.map((f) => f.path).slice(0, 3), [], `${dangling.length} packed modules name a source map that is not packed`);
  return tarball;
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

let nodeApp: string | undefined;
/** The Node project that installed the tarball plainly (made once). */
function installedNodeApp(tarball: string): string {
  if (nodeApp !== undefined) return nodeApp;
  const app = newProject('node-app');
  const t0 = performance.now();
  run('npm', ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline'], app);
  note(`node app: npm install of the tarball took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  nodeApp = app;
  return app;
}

function nodeProject(tarball: string): void {
  const app = installedNodeApp(tarball);
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

/**
 * The lowest Node each range of "engines" admits (`^20.15.0 || >=22.2.0`: 20.15.0 and 22.2.0), fetched as the npm
 * package of its binary, imports the three entries and runs the CLI: a range that admits a Node the code does not
 * run on (20.0 fails at the JSON module's `with`, 20.14 and 22.1 lack zlib.crc32) fails here.
 */
function enginesFloor(tarball: string): void {
  const app = installedNodeApp(tarball);
  const range = (JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
  const floors = range.split('||').map((part) => {
    const m = /^\s*(?:\^|>=)\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*$/.exec(part);
    assert.ok(m, `engines.node part '${part}' is not ^X.Y.Z or >=X.Y.Z`);
    return `${m[1]}.${m[2] ?? 0}.${m[3] ?? 0}`;
  });
  const binary = `node-${process.platform}-${process.arch}`;
  for (const version of floors) {
    const where = newProject(`node-${version}`);
    run('npm', ['install', `${binary}@${version}`, '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts'], where);
    const node = path.join(where, 'node_modules', binary, 'bin', 'node');
    const entries = runBoth(node, ['--input-type=module', '-e', "const [a, m, f] = await Promise.all(['insightgpu', 'insightgpu/models', 'insightgpu/forge'].map((s) => import(s))); process.stdout.write([typeof a.FaceAnalysis, typeof m.fetchPack, typeof f.forgeModel].join(' '))"], app);
    assert.equal(entries.stdout, 'function function function', `node ${version} (the floor of engines '${range}') imports the entries:\n${entries.stderr}`);
    // Quietly: an ExperimentalWarning (a JSON module on Node 20.15-20.18, say) would precede every command's output.
    assert.equal(entries.stderr, '', `node ${version} prints on import:\n${entries.stderr}`);
    const version_ = runBoth(node, [path.join(app, 'node_modules', 'insightgpu', 'bin', 'insightgpu.js'), '--version'], app);
    assert.equal(version_.code, 0, version_.stderr);
    assert.equal(version_.stderr, '', `node ${version}: insightgpu --version prints on stderr:\n${version_.stderr}`);
  }
  note(`engines '${range}': node ${floors.join(' and ')} import insightgpu, insightgpu/models and insightgpu/forge and run the CLI`);
}

/**
 * A TypeScript project that installed the tarball compiles a file importing the three entries, strict and with
 * skipLibCheck false (so every shipped .d.ts is checked), under TypeScript 7 (the repo's) with node16, nodenext
 * and bundler resolution, and under TypeScript 5 with those and node10 (which ignores "exports"). A
 * `@ts-expect-error` on a number given as a GPUDevice proves the WebGPU types resolve rather than fall to `any`.
 */
function typesProject(tarball: string): void {
  const app = newProject('types-app');
  const typesNode = (JSON.parse(readFileSync(path.join(repo, 'node_modules', '@types', 'node', 'package.json'), 'utf8')) as { version: string }).version;
  run('npm', ['install', tarball, `typescript@${TYPESCRIPT_5}`, `@types/node@${typesNode}`, '--no-audit', '--no-fund', '--prefer-offline'], app);
  writeFileSync(path.join(app, 'app.ts'), `import { FaceAnalysis, InferenceSession, computeSim, type Face, type WebGpuOptions } from 'insightgpu';
import { PACKS, loadModelFiles, type PackSpec } from 'insightgpu/models';
import { forgeModel } from 'insightgpu/forge';
// @ts-expect-error a number is no GPUDevice
const wrong: WebGpuOptions = { device: 1 };
const face: Face | undefined = undefined;
const pack: PackSpec = PACKS.buffalo_l;
export const used = [FaceAnalysis, InferenceSession, computeSim, loadModelFiles, forgeModel, wrong, face, pack];
`);
  const compilers: [string, string, readonly string[]][] = [
    ['7', path.join(repo, 'node_modules', '.bin', 'tsc'), ['node16', 'nodenext', 'bundler']],
    [TYPESCRIPT_5, path.join(app, 'node_modules', '.bin', 'tsc'), ['node16', 'nodenext', 'bundler', 'node10']],
  ];
  const passed: string[] = [];
  for (const [version, tsc, resolutions] of compilers) {
    for (const resolution of resolutions) {
      const module = resolution === 'bundler' ? 'esnext' : resolution === 'node10' ? 'commonjs' : resolution;
      const config = `tsconfig.${version}.${resolution}.json`;
      writeFileSync(path.join(app, config), JSON.stringify({
        compilerOptions: { strict: true, skipLibCheck: false, noEmit: true, target: 'ES2022', lib: ['ES2022', 'DOM'], types: ['node'], module, moduleResolution: resolution },
        files: ['app.ts'],
      }));
      const r = runBoth(tsc, ['-p', config], app);
      assert.equal(r.code, 0, `TypeScript ${version}, moduleResolution ${resolution}:\n${r.stdout}${r.stderr}`);
      passed.push(`${version}/${resolution}`);
    }
  }
  note(`types app: the entries compile strict with skipLibCheck false under TypeScript ${passed.join(', ')}`);
}

/**
 * An app that uses only computeSim and FaceIndex, built alone by the web app's vite: "sideEffects" lets the bundler
 * drop the rest (the ONNX parser, the kernels, the Worker and its 0.5 MB chunk), and no Node module is imported.
 * Then the Node entry bundled by the same vite for Node (ssr): its registration of the pack fetcher survives.
 */
async function treeShaking(app: string): Promise<void> {
  copyFileSync(path.join(repo, 'tests', 'package', 'web-checks', 'shake.html'), path.join(app, 'shake.html'));
  copyFileSync(path.join(repo, 'tests', 'package', 'web-checks', 'shake.js'), path.join(app, 'shake.js'));
  const out = path.join(app, 'dist-shake');
  const { warnings, chunks } = await buildWebApp(app, ['shake.html'], out);
  assert.deepEqual(warnings, [], 'vite build warnings');
  const total = chunks.reduce((sum, c) => sum + c.bytes, 0);
  note(`web app: a page using only computeSim and FaceIndex bundles to ${total} bytes of JavaScript (${chunks.map((c) => `${c.file} ${c.bytes}`).join(', ')}; bound ${MAX_SHAKEN_BYTES})`);
  assert.ok(!chunks.some((c) => /^worker-main-/.test(c.file)), 'no Worker chunk for a page that makes no worker');
  assert.ok(total <= MAX_SHAKEN_BYTES, `${total} bytes > ${MAX_SHAKEN_BYTES}: the bundler kept what computeSim and FaceIndex do not use`);
  for (const c of chunks) assert.doesNotMatch(readFileSync(path.join(out, 'assets', c.file), 'utf8'), /(?:\bfrom|\bimport)\s*["'`]node:/, `${c.file} imports a Node module`);

  copyFileSync(path.join(repo, 'tests', 'package', 'web-checks', 'node-bundle.js'), path.join(app, 'node-bundle.js'));
  const vitePath = createRequire(path.join(app, 'package.json')).resolve('vite');
  const { build } = (await import(pathToFileURL(vitePath).href)) as typeof import('vite');
  const bundled = path.join(app, 'dist-node');
  await build({ root: app, configFile: false, logLevel: 'silent', ssr: { noExternal: ['insightgpu'], target: 'node' }, build: { ssr: path.join(app, 'node-bundle.js'), outDir: bundled, emptyOutDir: true } });
  const emptyRoot = path.join(work, 'bundle-root');
  const emptyMirror = path.join(work, 'bundle-mirror');
  mkdirSync(emptyMirror, { recursive: true });
  const ran = runBoth('node', [path.join(bundled, 'node-bundle.js'), emptyRoot, emptyMirror], app);
  assert.match(ran.stdout, /buffalo_l\.zip/, `the bundled Node entry reached the fetcher: ${ran.stdout}\n${ran.stderr}`);
  note(`web app: the Node entry bundled by vite (ssr) still registers the pack fetcher (${ran.stdout.split('\n')[0]!.slice(0, 120)})`);
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
  const cli = path.join(app, 'node_modules', '.bin', 'insightgpu');
  for (const args of [['--version'], ['--help'], ['doctor', '--no-hash']]) assert.equal(runBoth(cli, args, app).code, 0, `insightgpu ${args.join(' ')} without the optional packages`);
  const analysed = runBoth(cli, ['analyze', '--models', models, image], app);
  assert.deepEqual([analysed.code, analysed.stderr], [1, "insightgpu analyze: reading image files needs the optional package 'sharp', which is not installed or does not load here; install it with `npm install sharp`\n"]);
  note('web app: --omit=optional leaves out sharp and webgpu; a file path then fails with MissingPackageError naming `npm install sharp`, backend \'webgpu\' with one naming `npm install webgpu`, and \'auto\' runs on the CPU; the CLI\'s --version, --help and doctor run, and analyze says in one line to install sharp');
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
  if (step('node')) nodeProject(tarball);
  if (step('engines')) enginesFloor(tarball);
  if (step('types')) typesProject(tarball);
  const webApp = step('web') || step('shake') ? browserProject(tarball) : undefined;
  if (webApp !== undefined && step('shake')) await treeShaking(webApp);
  if (webApp !== undefined && step('web')) await webChecks(webApp, tarball);
  if (step('publish')) await publishDryRun();
  process.stdout.write(`${report.join('\n')}\n`);
} finally {
  if (!process.env['INSIGHTGPU_KEEP']) rmSync(work, { recursive: true, force: true });
  else process.stderr.write(`kept ${work}\n`);
}

async function webChecks(webApp: string, tarball: string): Promise<void> {
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
}
