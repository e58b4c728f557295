/**
 * `insightgpu fetch-models <pack | model>`: the command-line face of fetchPack (zip packs) and fetchModelFile
 * (single-file models such as inswapper_128), with a progress bar on stderr and a summary of the verified
 * files on stdout. cli/main.ts dispatches to fetchModelsCommand.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { MODELS, PACKS, type PackSpec, type SingleModelSpec } from '../manifest.js';
import { InsightGpuError } from '../../src/core/errors.js';
import { PipelineOptionError } from '../../src/pipeline/errors.js';
import { systemReason } from './digest-record.js';
import { ArchiveError, FetchError, IntegrityError, ManifestError, PackContentError, StallTimeoutError } from './errors.js';
import { fetchModelFile, type FetchModelFileEvent, type FetchModelFileResult } from './fetch-model-file.js';
import { fetchPack, type FetchPackEvent, type FetchPackResult } from './fetch-pack.js';
import { mirrorProblem } from './local-mirror.js';
import { modelsDirOf, resolveInsightFaceRoot } from './paths.js';
import { renameRootOption } from '../../src/pipeline/insightface-root.js';
import { parseManifest, resolvePack, resolveSingleModel, verifiesNothing, type ParsedManifest } from './resolve-pack.js';

/** The help text of `insightgpu fetch-models`. */
export const FETCH_MODELS_USAGE = `Usage: insightgpu fetch-models <pack | model> [options]

Downloads an InsightFace model pack, verifies it and unpacks it into <root>/models/<pack>/,
the folder InsightFace Python's FaceAnalysis(name=<pack>, root=<root>) reads; or downloads a
single-file model, verifies it and installs it as <root>/models/<model>.onnx, where
InsightFace's model_zoo.get_model('<model>.onnx') finds it.

Packs:  ${Object.keys(PACKS).join(', ')}
Models: ${Object.values(MODELS).map((model) => `${model.name} (${model.file.name}, ${model.note ?? 'single file'})`).join(', ')}

Options:
  --root DIR         InsightFace root (default $INSIGHTFACE_HOME, else ~/.insightface); a leading
                     ~ or ~user is expanded, even quoted (a user /etc/passwd lacks, or an empty
                     DIR, is an error)
  --base-url URL     mirror holding <pack>.zip or <model>.onnx (default the official v0.7 release):
                     an http(s) URL, whose path the name joins, a query (a presigned ?sig=…)
                     staying after it; or a folder on disk (a path or a file: URL)
  --manifest FILE    pack and model descriptions in models/manifest.json's format, instead of
                     the built-in ones
  --force            download again even when a verified copy is present (still held to
                     the manifest and to digests recorded on the first download)
  --timeout SECONDS  give up when the server sends nothing for this long (default 30)
  -h, --help         show this text

Ctrl-C (SIGTERM) stops the download, removes its temporary files and exits 130 (143); a copy
already installed stays as it was.`;

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** Where the command writes; process.stdout/stderr unless a caller (a test, an embedding tool) captures them. */
export interface CommandOutput {
  readonly stdout: NodeJS.WritableStream;
  /** A terminal gets a redrawn bar; anything else a line per second. */
  readonly stderr: NodeJS.WritableStream & { readonly isTTY?: boolean };
}

/** Renders FetchPackEvents: a byte bar while downloading, one line per verified or extracted file. */
class ProgressView {
  private bar: cliProgress.SingleBar | undefined;
  private started = 0;

  constructor(
    private readonly label: string,
    /** A pack's zip is extracted after its download; a single model file is already the model. */
    private readonly kind: 'pack' | 'model',
    private readonly err: CommandOutput['stderr'],
  ) {}

  handle(event: FetchPackEvent | FetchModelFileEvent): void {
    switch (event.phase) {
      case 'verify-existing':
        this.err.write(`checking ${event.file} (${event.index + 1}/${event.count})\n`);
        return;
      case 'download': {
        if (this.bar === undefined) this.started = Date.now();
        const payload = {
          received: formatBytes(event.receivedBytes),
          size: event.totalBytes === undefined ? '?' : formatBytes(event.totalBytes),
          speed: `${formatBytes(event.receivedBytes / Math.max((Date.now() - this.started) / 1000, 1e-3))}/s`,
        };
        if (this.bar === undefined) {
          this.err.write(`downloading ${event.url}\n`);
          this.bar = new cliProgress.SingleBar(
            {
              // Without a size (no Content-Length, none in the manifest) there is no share or ETA to show: a
              // bar over a total of 0 reads 100% and ETA 0s from the first byte.
              format: event.totalBytes === undefined
                ? `${this.label} {received} received | {speed}`
                : `${this.label} [{bar}] {percentage}% | {received} of {size} | {speed} | ETA {eta_formatted}`,
              stream: this.err,
              // Without a terminal (CI logs, pipes), print a line every second instead of redrawing.
              noTTYOutput: this.err.isTTY !== true,
              notTTYSchedule: 1000,
              hideCursor: true,
              // Undici yields ~64 KiB chunks: average the ETA over the last ~64 MiB, not the last few chunks.
              etaBuffer: 1000,
            },
            cliProgress.Presets.shades_classic,
          );
          this.bar.start(event.totalBytes ?? 0, event.receivedBytes, payload);
        } else {
          if (event.totalBytes !== undefined) this.bar.setTotal(event.totalBytes);
          this.bar.update(event.receivedBytes, payload);
        }
        return;
      }
      case 'downloaded': {
        this.stopBar();
        const [what, next] = this.kind === 'pack' ? ['zip ', '; extracting'] : ['', ''];
        this.err.write(
          event.checkedAgainst === 'first-seen'
            ? `${what}sha256 ${event.sha256} (no digest known yet: recorded once installed)${next}\n`
            : `${what}sha256 ${event.sha256} matches the ${event.checkedAgainst} digest${next}\n`,
        );
        return;
      }
      case 'extract':
        // CRC-32 is always checked; a digest only where the manifest or digests.json has one.
        this.err.write(`extracted ${event.file} (${formatBytes(event.bytes)}, ${event.index + 1}/${event.count}), ${event.checkedAgainst === 'first-seen'
          ? 'CRC-32 checked (no digest known yet: recorded once installed)'
          : `sha256 matches the ${event.checkedAgainst} digest`}\n`);
        return;
      case 'installed':
        this.stopBar();
        this.err.write(`installed into ${event.dir}\n`);
        return;
      case 'installed-file':
        this.stopBar();
        this.err.write(`installed as ${event.path}\n`);
        return;
    }
  }

  stopBar(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

const LEGEND = '  [manifest] = matches the manifest digest; [recorded] = matches digests.json; [first-seen] = recorded now';
const UNVERIFIED = '  [unverified] = found in place with no digest to compare; run with --force to download and verify';

function describeFile(result: FetchModelFileResult): string {
  const lines = [
    `${result.model}: ${result.downloaded ? 'downloaded' : 'already present'} as ${result.path}` +
      (result.replacedBecause === undefined ? '' : ` (replaced the existing copy: ${result.replacedBecause})`),
    `  ${basename(result.path)} ${String(result.bytes).padStart(11)} B  sha256 ${result.sha256} [${result.checkedAgainst}]`,
    LEGEND,
  ];
  if (result.checkedAgainst === 'unverified') lines.push(UNVERIFIED);
  return `${lines.join('\n')}\n`;
}

function describe(result: FetchPackResult): string {
  const lines = [
    `${result.pack}: ${result.downloaded ? 'downloaded' : 'already present'} in ${result.dir}` +
      (result.replacedBecause === undefined ? '' : ` (replaced the existing copy: ${result.replacedBecause})`),
  ];
  if (result.zip !== undefined) lines.push(`  zip ${formatBytes(result.zip.bytes)} sha256 ${result.zip.sha256} [${result.zip.checkedAgainst}]`);
  const width = Math.max(...result.files.map((file) => file.name.length));
  for (const file of result.files) {
    lines.push(`  ${file.name.padEnd(width)} ${String(file.bytes).padStart(11)} B  sha256 ${file.sha256}  ${file.task ?? '-'} [${file.checkedAgainst}]`);
  }
  lines.push(LEGEND);
  if (result.files.some((file) => file.checkedAgainst === 'unverified')) lines.push(UNVERIFIED);
  return `${lines.join('\n')}\n`;
}

/** An error from a Node system call, carrying its errno code (`{ code: 'ENOSPC', syscall: 'write' }`). */
function isSystemError(error: unknown): error is NodeJS.ErrnoException & { code: string; syscall: string } {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}

/** A name on the command line: a pack of `manifest`, else one of its single-file models. */
function resolveEntry(name: string, manifest: ParsedManifest): { kind: 'pack'; spec: PackSpec } | { kind: 'model'; spec: SingleModelSpec } {
  if (Object.hasOwn(manifest.models, name)) return { kind: 'model', spec: resolveSingleModel(name, manifest.models) };
  if (Object.hasOwn(manifest.packs, name)) return { kind: 'pack', spec: resolvePack(name, manifest.packs) };
  const known = (names: string[]): string => names.join(', ') || 'none';
  throw new ManifestError(`unknown pack or model '${name}'; known packs: ${known(Object.keys(manifest.packs))}; single-file models: ${known(Object.keys(manifest.models))}`);
}

/**
 * Runs `fetch-models` with the arguments after the subcommand name; resolves to the process exit code: 1 for a
 * usage error too (an unknown option, a missing name), as every other command; 2 is main's, for an unknown command.
 */
export async function fetchModelsCommand(argv: readonly string[], output: CommandOutput = process): Promise<number> {
  const { stdout, stderr } = output;
  // A usage error is one line, as every other command's, saying where the usage is (not the whole of it).
  const usageError = (message: string): number => {
    stderr.write(`fetch-models: ${message} (insightgpu fetch-models --help shows the usage)\n`);
    return 1;
  };
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      tokens: true,
      options: {
        root: { type: 'string' },
        'base-url': { type: 'string' },
        manifest: { type: 'string' },
        force: { type: 'boolean', default: false },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    // util.parseArgs goes on, after its first sentence, to explain `--` at length: the first one says what is wrong.
    return usageError((error instanceof Error ? error.message : String(error)).split(/\.\s/)[0]!);
  }
  const { values, positionals, tokens } = parsed;
  if (values.help) {
    stdout.write(`${FETCH_MODELS_USAGE}\n`);
    return 0;
  }
  // util.parseArgs keeps the last of two values: `--root A … --root B` would install into B unsaid.
  const given = new Map<string, string>();
  for (const token of tokens) {
    if (token.kind !== 'option' || token.value === undefined) continue;
    const earlier = given.get(token.name);
    if (earlier !== undefined) return usageError(`option --${token.name}: given twice ('${earlier}', then '${token.value}'); it takes one value`);
    given.set(token.name, token.value);
  }
  if (positionals.length !== 1) return usageError(`expected exactly one pack or model name, got ${positionals.length}`);
  const timeoutSeconds = values.timeout === undefined ? undefined : Number(values.timeout);
  // Number() also reads '0x10' (16 s) and ' 5 ': the seconds are a decimal number, as the other commands' numbers are.
  const decimal = values.timeout === undefined || /^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(values.timeout);
  if (timeoutSeconds !== undefined && !(decimal && timeoutSeconds > 0 && Number.isFinite(timeoutSeconds))) {
    return usageError(`--timeout must be a positive, finite number of seconds, got '${values.timeout}'`);
  }

  let view: ProgressView | undefined;
  /** `<root>/models`, named in a system error (a full disk's ENOSPC), whose own message names no file. */
  let modelsDir: string | undefined;
  /** Whether a download began: before it (the models folder cannot be made), there is no temporary to speak of. */
  let downloading = false;
  const abort = new AbortController();
  // Ctrl-C (SIGINT) or SIGTERM aborts the download, so its temporary files are removed, then the command exits as a
  // shell reports a command stopped by that signal (128 + its number), as analyze does. A second Ctrl-C finds no
  // handler and ends the process at once (the next run sweeps what that leaves).
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    stoppedBy ??= signal;
    abort.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let manifest: ParsedManifest = { packs: PACKS, models: MODELS };
    if (values.manifest !== undefined) {
      let text: string;
      try {
        text = await readFile(values.manifest, 'utf8');
      } catch (cause) {
        throw new ManifestError(`cannot read ${values.manifest} (${systemReason(cause)})`, { cause });
      }
      manifest = parseManifest(text, values.manifest);
    }
    const mirror = values['base-url'] === undefined ? undefined : mirrorProblem(values['base-url']);
    if (mirror !== undefined) throw new PipelineOptionError('--base-url', mirror);
    const options = {
      root: values.root,
      baseUrl: values['base-url'],
      force: values.force,
      stallTimeoutMs: timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000,
      signal: abort.signal,
      onProgress: (event: FetchPackEvent | FetchModelFileEvent) => {
        if (event.phase === 'download') downloading = true;
        view?.handle(event);
      },
    };
    try {
      modelsDir = modelsDirOf(resolveInsightFaceRoot(values.root));
    } catch (error) {
      throw renameRootOption(error, '--root');
    }
    const entry = resolveEntry(positionals[0], manifest);
    view = new ProgressView(positionals[0], entry.kind, stderr);
    const result = entry.kind === 'model' ? await fetchModelFile(entry.spec, options) : await fetchPack(entry.spec, options);
    view.stopBar();
    stdout.write('model' in result ? describeFile(result) : describe(result));
    // An entry with nothing to check (trust on first use) installs whatever the server sent: said where it is seen.
    const served = 'model' in result ? { url: result.url, check: result.checkedAgainst } : { url: result.zip?.url, check: result.zip?.checkedAgainst };
    if (result.downloaded && served.check === 'first-seen' && verifiesNothing(entry.spec)) {
      stderr.write(`WARNING: nothing was verified: ${values.manifest ?? 'the built-in manifest'} gives no size or sha256 for ${positionals[0]}, so what ${served.url} served\n` +
        '  was installed as it came. digests.json now holds it (later downloads and doctor are held to that); add "bytes" and "sha256"\n' +
        '  to the entry to have a first download checked.\n');
    }
    return 0;
  } catch (error) {
    view?.stopBar();
    if (stoppedBy !== undefined) {
      stderr.write(`fetch-models: stopped by ${stoppedBy === 'SIGINT' ? 'Ctrl-C (SIGINT)' : stoppedBy}; the temporary download was removed, nothing partial is left (run the command again to fetch it)\n`);
      return stoppedBy === 'SIGINT' ? 130 : 143;
    }
    if (isSystemError(error)) {
      // A refusal of the file system (ENOSPC on a full disk, EFBIG, EIO) while the download or extraction writes:
      // the fetcher has removed its temporaries on the way out, as for a failed download.
      const where = error.path === undefined && modelsDir !== undefined ? ` (in ${modelsDir})` : '';
      stderr.write(`fetch-models failed [${error.code}]: ${systemReason(error)}${where}\n`);
      if (downloading) stderr.write('the temporary download was removed; the cache holds no partial files\n');
      return 1;
    }
    if (!(error instanceof InsightGpuError)) throw error;
    const downloadStage = error instanceof FetchError || error instanceof IntegrityError || error instanceof ArchiveError || error instanceof PackContentError;
    // The stall is told in the unit --timeout took (seconds), naming it, not as the library's stallTimeoutMs.
    const message = error instanceof StallTimeoutError ? error.describe('--timeout', 's') : error.message;
    stderr.write(`fetch-models failed [${error.code}]: ${message}\n`);
    if (downloadStage) stderr.write('the temporary download was removed; the cache holds no partial files\n');
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
