/**
 * `insightgpu fetch-models <pack>`: the command-line face of fetchPack, with a progress bar on stderr and a
 * summary of the verified files on stdout. cli/main.ts dispatches to fetchModelsCommand.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { PACKS, type PackSpec } from '../manifest.js';
import { InsightGpuError } from '../../src/core/errors.js';
import { ArchiveError, FetchError, IntegrityError, ManifestError, PackContentError } from './errors.js';
import { fetchPack, type FetchPackEvent, type FetchPackResult } from './fetch-pack.js';
import { parseManifestDocument, resolvePack } from './resolve-pack.js';

export const FETCH_MODELS_USAGE = `Usage: insightgpu fetch-models <pack> [options]

Downloads an InsightFace model pack, verifies it and unpacks it into <root>/models/<pack>/,
the folder InsightFace Python's FaceAnalysis(name=<pack>, root=<root>) reads.

Packs: ${Object.keys(PACKS).join(', ')}

Options:
  --root DIR         InsightFace root (default $INSIGHTFACE_HOME, else ~/.insightface)
  --base-url URL     mirror holding <pack>.zip (default the official v0.7 release)
  --manifest FILE    pack descriptions in models/manifest.json's format, instead of the built-in ones
  --force            download again even when a verified copy is present (still held to
                     the manifest and to digests recorded on the first download)
  --timeout SECONDS  give up when the server sends nothing for this long (default 30)
  -h, --help         show this text`;

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

  constructor(private readonly label: string, private readonly err: CommandOutput['stderr']) {}

  handle(event: FetchPackEvent): void {
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
              format: `${this.label} [{bar}] {percentage}% | {received} of {size} | {speed} | ETA {eta_formatted}`,
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
      case 'downloaded':
        this.stopBar();
        this.err.write(
          event.checkedAgainst === 'first-seen'
            ? `zip sha256 ${event.sha256} (no digest known yet: recorded once installed); extracting\n`
            : `zip sha256 ${event.sha256} matches the ${event.checkedAgainst} digest; extracting\n`,
        );
        return;
      case 'extract':
        this.err.write(`extracted ${event.file} (${formatBytes(event.bytes)}, ${event.index + 1}/${event.count}), digest checked\n`);
        return;
      case 'installed':
        this.stopBar();
        this.err.write(`installed into ${event.dir}\n`);
        return;
    }
  }

  stopBar(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
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
  lines.push('  [manifest] = matches the manifest digest; [recorded] = matches digests.json; [first-seen] = recorded now');
  if (result.files.some((file) => file.checkedAgainst === 'unverified')) {
    lines.push('  [unverified] = found in place with no digest to compare; run with --force to download and verify');
  }
  return `${lines.join('\n')}\n`;
}

/** Runs `fetch-models` with the arguments after the subcommand name; resolves to the process exit code. */
export async function fetchModelsCommand(argv: readonly string[], output: CommandOutput = process): Promise<number> {
  const { stdout, stderr } = output;
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
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
    stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${FETCH_MODELS_USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    stdout.write(`${FETCH_MODELS_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) {
    stderr.write(`expected exactly one pack name, got ${positionals.length}\n\n${FETCH_MODELS_USAGE}\n`);
    return 2;
  }
  const timeoutSeconds = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutSeconds !== undefined && !(timeoutSeconds > 0)) {
    stderr.write(`--timeout must be a positive number of seconds, got '${values.timeout}'\n`);
    return 2;
  }

  const view = new ProgressView(positionals[0], stderr);
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    let spec: PackSpec;
    if (values.manifest !== undefined) {
      let text: string;
      try {
        text = await readFile(values.manifest, 'utf8');
      } catch (cause) {
        throw new ManifestError(`cannot read ${values.manifest}`, { cause });
      }
      spec = resolvePack(positionals[0], parseManifestDocument(text, values.manifest));
    } else {
      spec = resolvePack(positionals[0]);
    }
    const result = await fetchPack(spec, {
      root: values.root,
      baseUrl: values['base-url'],
      force: values.force,
      stallTimeoutMs: timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000,
      signal: abort.signal,
      onProgress: (event) => view.handle(event),
    });
    view.stopBar();
    stdout.write(describe(result));
    return 0;
  } catch (error) {
    view.stopBar();
    if (!(error instanceof InsightGpuError)) throw error;
    const downloadStage = error instanceof FetchError || error instanceof IntegrityError || error instanceof ArchiveError || error instanceof PackContentError;
    stderr.write(`fetch-models failed [${error.code}]: ${error.message}\n`);
    if (downloadStage) stderr.write('the temporary download was removed; the cache holds no partial files\n');
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
