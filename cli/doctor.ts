/**
 * `insightgpu doctor`: what a bug report needs, in one text. Node and OS, whether the optional packages load,
 * every adapter Dawn offers (asked in a child process, so native messages stay out of the report unless
 * --verbose), the backend 'auto' picks and why, and each installed pack with the digest status of its files.
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { chooseBackend } from '../src/backends/choice.js';
import { probeAdapters, type ProbedAdapter } from '../src/backends/webgpu/node-probe.js';
import { isPackName, MODELS, PACKS, type KnownDigest } from '../models/manifest.js';
import { ownEntry, readDigestRecord, systemReason, type DigestRecord, type RecordedDigest } from '../models/fetch/digest-record.js';
import { fetchTempOwner, hashFile, processIsAlive } from '../models/fetch/fetch-common.js';
import { modelsDirOf, resolveInsightFaceRoot } from '../models/fetch/paths.js';
import { renameRootOption } from '../src/pipeline/insightface-root.js';
import { checkPackRoot } from '../src/pipeline/model-pack.js';
import { CliError } from './module-command.js';
import { asksForHelp, optionValue, parseArgs } from './args.js';

export const DOCTOR_USAGE = 'insightgpu doctor [--root DIR] [--no-hash]   what a bug report needs (adapters, packages, packs)';

const HELP = `usage: ${DOCTOR_USAGE}
  Prints Node, OS, the optional packages (sharp, webgpu) and whether they load, every WebGPU adapter with its
  features and limits, the backend 'auto' picks and why, and the installed packs under DIR/models
  (default $INSIGHTFACE_HOME, else ~/.insightface) with each file's sha256 held to the digests fetch-models
  recorded at install (models/digests.json), else, for a copy it did not install, to the built-in manifest; a
  line under each pack says which, where the recorded copy came from, and whether it is a mirror's build rather
  than InsightFace's release. --no-hash lists the files without hashing them.`;

/** The limits worth a line in a report: the ones that bound model sizes and kernel shapes. */
/** Debian chromium's SwiftShader Vulkan driver, the software fallback of --backend webgpu (see acquireDevice). */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

const REPORTED_LIMITS = [
  'maxBufferSize', 'maxStorageBufferBindingSize', 'maxStorageBuffersPerShaderStage', 'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupsPerDimension',
];

async function packageLine(name: string): Promise<string> {
  const require = createRequire(import.meta.url);
  let version = '?';
  try {
    const entry = require.resolve(name);
    const manifest = path.join(entry.slice(0, entry.lastIndexOf(`node_modules${path.sep}${name}`) + `node_modules${path.sep}${name}`.length), 'package.json');
    version = (require(manifest) as { version: string }).version;
  } catch {
    return `${name}: not installed (npm install ${name})`;
  }
  try {
    await import(name);
    return `${name} ${version}: loads`;
  } catch (error) {
    return `${name} ${version}: installed but does not load (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
  }
}

function adapterLines(a: ProbedAdapter): string[] {
  const name = [...new Set([a.vendor, a.architecture, a.device, a.description].filter((s) => s))].join(' / ') || 'unnamed adapter';
  const limits = REPORTED_LIMITS.filter((k) => k in a.limits).map((k) => `${k}=${a.limits[k]}`);
  return [
    `  ${name}${a.isFallbackAdapter ? ' (fallback adapter)' : ''}`,
    `    features: ${a.features.length > 0 ? a.features.join(', ') : 'none'}`,
    `    limits: ${limits.join(', ')}`,
  ];
}

async function adapterSection(verbose: boolean): Promise<string[]> {
  let probe;
  try {
    probe = await probeAdapters([{ powerPreference: 'high-performance' }, { powerPreference: 'low-power' }, { forceFallbackAdapter: true }]);
  } catch (error) {
    return [`adapters: not probed (${error instanceof Error ? error.message : String(error)})`];
  }
  const lines = [`adapters (Dawn, ${probe.adapters.length} found):`, ...probe.adapters.flatMap(adapterLines)];
  if (probe.adapters.length === 0) lines.push('  none');
  if (probe.adapters.length === 0 && !process.env['VK_ICD_FILENAMES'] && existsSync(SWIFTSHADER_ICD)) {
    // What --backend webgpu falls back to here: the CPU Vulkan driver chromium ships.
    const soft = await probeAdapters([{ forceFallbackAdapter: false }], { ...process.env, VK_ICD_FILENAMES: SWIFTSHADER_ICD });
    lines.push(`software adapter for --backend webgpu (${SWIFTSHADER_ICD}):`, ...soft.adapters.flatMap(adapterLines));
  }
  if (verbose && probe.stderr.trim()) lines.push('  native messages:', ...probe.stderr.trim().split('\n').map((l) => `    ${l}`));
  return lines;
}

async function autoLine(): Promise<string> {
  const choice = await chooseBackend('auto', undefined);
  if (choice.backend === 'cpu') return `backend 'auto' picks: cpu (${choice.reason ?? 'no reason given'})`;
  const line = `backend 'auto' picks: webgpu on ${choice.gpu.description}`;
  choice.gpu.release();
  return line;
}

type Expected = { readonly sha256: string; readonly from: 'manifest' | 'recorded' };

/**
 * What doctor holds an installed pack or model file to, and the line saying so. The digests fetch-models recorded
 * at install are the truth for what it installed: a mirror's pack (`--base-url` with a `--manifest` of its own)
 * is held to what was verified and installed, not to InsightFace's release, whose digests it need not share. The
 * built-in manifest is the rule only where nothing was recorded (a copy InsightFace Python unpacked, or one copied
 * in by hand). Per file, a recorded digest comes first, else the manifest's.
 */
function digestBasis(
  recorded: { readonly source: string; readonly recordedAt: string } | undefined,
  officialUrl: string | undefined,
  differsFromRelease: boolean,
  recordUnreadable: boolean,
): string {
  if (recorded === undefined) {
    // An unreadable digests.json says nothing about who installed the copy: only that its record cannot be used.
    const why = recordUnreadable ? 'digests.json cannot be read, see above' : 'no digests were recorded at install, so fetch-models did not install it';
    return officialUrl === undefined
      ? `held to: nothing (${recordUnreadable ? why : 'no digests recorded at install'}, and the built-in manifest does not list it)`
      : `held to: the built-in manifest (InsightFace's release; ${why})`;
  }
  const origin = officialUrl === undefined
    ? '; not in the built-in manifest'
    : recorded.source === officialUrl
      ? '; InsightFace\'s release'
      : `; a mirror's ${differsFromRelease ? 'build, not InsightFace\'s release (its files, sizes or digests differ from the built-in manifest\'s)' : 'copy (its sizes and digests agree with InsightFace\'s release where the manifest has them)'}`;
  return `held to: the digests recorded at install (${recorded.recordedAt}) from ${recorded.source}${origin}`;
}

/** Whether a recorded size or digest contradicts what the built-in manifest knows of the file (InsightFace's release). */
function contradicts(release: KnownDigest | undefined, recorded: RecordedDigest): boolean {
  return (release?.sha256 !== undefined && release.sha256 !== recorded.sha256) || (release?.bytes !== undefined && release.bytes !== recorded.bytes);
}

function pick(recorded: string | undefined, manifest: string | undefined): Expected | undefined {
  if (recorded) return { sha256: recorded, from: 'recorded' };
  return manifest ? { sha256: manifest, from: 'manifest' } : undefined;
}

async function packSection(root: string, hash: boolean): Promise<string[]> {
  const modelsDir = modelsDirOf(root);
  let entries;
  try {
    entries = await readdir(modelsDir, { withFileTypes: true });
  } catch (error) {
    // Only a missing folder means nothing is installed; a file in its place (ENOTDIR) or EACCES is the finding.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return [`packs in ${modelsDir}: none (the folder does not exist; \`insightgpu fetch-models buffalo_l\` installs one)`];
    }
    return [`packs in ${modelsDir}: cannot be listed (${systemReason(error)})`];
  }
  let record: DigestRecord | undefined;
  let recordNote = '';
  try {
    record = await readDigestRecord(modelsDir);
  } catch (error) {
    recordNote = ` (digests.json unreadable: ${error instanceof Error ? error.message : String(error)})`;
  }
  const lines = [`packs in ${modelsDir}${recordNote}:`];
  const singles = new Set(Object.values(MODELS).map((m) => m.file.name));
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    // The fetcher's temporaries (models/fetch/fetch-common.ts names them) are no pack: say what they are.
    const temp = fetchTempOwner(entry.name);
    if (temp !== undefined) {
      const running = processIsAlive(temp.pid);
      lines.push(`  ${entry.name}: temporary of ${running ? 'a running' : 'an interrupted'} fetch of ${temp.name} (pid ${temp.pid}${running ? '' : `; the next \`insightgpu fetch-models ${temp.name}\` removes it`})`);
      continue;
    }
    if (entry.isDirectory()) {
      const files = (await readdir(path.join(modelsDir, entry.name))).filter((f) => f.endsWith('.onnx')).sort();
      const spec = isPackName(entry.name) ? PACKS[entry.name] : undefined;
      // Own entries only: a folder named 'constructor' must not find Object's member in the parsed record.
      const recorded = ownEntry(record?.packs, entry.name);
      const known = (file: string): string | undefined => spec?.files.find((f) => f.name === file)?.sha256;
      // A mirror's pack of other files (other names, one missing or added) is no copy of the release either.
      const recordedNames = Object.keys(recorded?.files ?? {});
      const sameFiles = spec === undefined || (recordedNames.length === spec.files.length && spec.files.every((f) => recordedNames.includes(f.name)));
      const differs = !sameFiles || Object.entries(recorded?.files ?? {}).some(([file, digest]) => contradicts(spec?.files.find((f) => f.name === file), digest));
      lines.push(`  ${entry.name}: ${files.length} .onnx file(s)`, `    ${digestBasis(recorded, spec?.url, differs, record === undefined)}`);
      for (const file of files) lines.push(`    ${await fileStatus(path.join(modelsDir, entry.name, file), pick(ownEntry(recorded?.files, file)?.sha256, known(file)), hash)}`);
    } else if (singles.has(entry.name)) {
      const recorded = ownEntry(record?.files, entry.name);
      const model = Object.values(MODELS).find((m) => m.file.name === entry.name);
      const known = model?.file.sha256;
      lines.push(
        `  ${await fileStatus(path.join(modelsDir, entry.name), pick(recorded?.sha256, known), hash)}`,
        `    ${digestBasis(recorded, model?.url, recorded !== undefined && contradicts(model?.file, recorded), record === undefined)}`,
      );
    }
  }
  if (lines.length === 1) lines.push('  none');
  return lines;
}

async function fileStatus(file: string, expected: Expected | undefined, hash: boolean): Promise<string> {
  const name = path.basename(file);
  if (!hash) return `${name}: ${(await stat(file)).size} bytes (not hashed)`;
  const { bytes, sha256 } = await hashFile(file);
  if (!expected) return `${name}: ${bytes} bytes, sha256 ${sha256.slice(0, 12)}… (no digest to hold it to)`;
  return sha256 === expected.sha256
    ? `${name}: ${bytes} bytes, sha256 matches the ${expected.from} digest`
    : `${name}: ${bytes} bytes, sha256 ${sha256.slice(0, 12)}… DIFFERS from the ${expected.from} digest ${expected.sha256.slice(0, 12)}…`;
}

/** `insightgpu doctor …`: prints the report on stdout; returns the exit code. */
export async function doctorCommand(argv: readonly string[], version: string): Promise<number> {
  if (asksForHelp(argv)) { process.stdout.write(`${HELP}\n`); return 0; }
  const args = parseArgs(argv, ['root'], ['no-hash']);
  // A stray word is no option: 'option extra: …' would read as if doctor had one called extra.
  if (args.positional.length > 0) throw new CliError(`unexpected argument '${args.positional[0]!}' (doctor takes only --root DIR and --no-hash)`);
  let root: string;
  const given = optionValue(args, 'root');
  try {
    root = resolveInsightFaceRoot(given);
  } catch (error) {
    throw renameRootOption(error, '--root');
  }
  // A root that is a file is the finding itself, said as the option that chose it, not as the ENOTDIR of its models/.
  const rootProblem = await checkPackRoot(given, process.env['INSIGHTFACE_HOME'], root).then(() => undefined, (error: unknown) => {
    const renamed = renameRootOption(error, '--root');
    if (renamed instanceof Error) return renamed.message;
    throw error;
  });
  const verbose = process.env['INSIGHTGPU_DEBUG'] === '1';
  const lines = [
    `insightgpu ${version}`,
    `node ${process.version} (${process.platform}-${process.arch}, ${os.cpus().length} CPUs, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB)`,
    `os: ${os.type()} ${os.release()}${os.version ? ` (${os.version()})` : ''}`,
    `optional packages: ${await packageLine('sharp')}; ${await packageLine('webgpu')}`,
    `VK_ICD_FILENAMES=${process.env['VK_ICD_FILENAMES'] ?? '(unset)'}`,
    ...(await adapterSection(verbose)),
    await autoLine(),
    ...(rootProblem !== undefined ? [`packs in ${modelsDirOf(root)}: none (${rootProblem})`] : await packSection(root, !args.flags.has('no-hash'))),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
