import { availableParallelism } from 'node:os';
import path from 'node:path';
import { PipelineOptionError, type MaxNumMetric, type Size } from '../src/pipeline/index.js';
import type { BackendName } from '../src/index.js';
import { parseDetSizes } from '../src/pipeline/detect-size.js';
import { optionValue, parseArgs, parseCountOption, parseRangeOption, type ParsedArgs } from './args.js';
import { checkDistinctNames, collectImages, decodableSuffixes, type ImageEntry } from './batch/collect-images.js';
import { ImageListError } from './batch/errors.js';
import { NdjsonResultsFile } from './batch/ndjson-file.js';
import { createBatchProgress, type BatchProgress } from './batch/progress.js';
import { isErrorRecord, type ErrorRecord, type RunHeader } from './batch/records.js';
import { openAnalyzer } from './batch/analyzer.js';
import { writePng } from './encode-png.js';
import { checkOutputFolder, fileIdentity, OutputFileError, prepareOutputFile, prepareOutputFolder, sameOutputFile, writeFileAtomically } from './output-file.js';
import type { ImageRecord, ResultsFile } from './results-format.js';

export const ANALYZE_USAGE = `insightgpu analyze [--models DIR|PACK (default buffalo_l)] [--det-size 640|WxH[,WxH…] (default 640)]
                   [--det-thresh 0.5] [--max-num 0] [--metric default|max] [--backend auto|webgpu|cpu]
                   [--json OUT.json|- | --ndjson OUT.ndjson|- [--resume]]
                   [--batch 1] [--concurrency 1 | --workers 1|N|auto] [--draw OUTDIR] [--quiet] PATH…`;

/** What `analyze --help` prints below the usage line. */
export const ANALYZE_HELP = `  PATH is an image file, or a folder walked recursively for the image types the decoder reads (sorted).
  --det-size sizes are best multiples of 32 (SCRFD's anchor grid); a size the detector cannot run at (too small,
    or feature maps that miss the grid) is refused before any image is read; with several, detection runs at each; 0 is InsightFace 1.0.1's automatic list (128 and 640). --det-thresh is in [0, 1].
  --ndjson appends one line per image as soon as it is done: {"image","width","height","faces"} or
    {"image","error":{"type","message"}}, after a first line with the run's settings. "image" is the file's name,
    or for a folder's file its path relative to that folder. --resume continues a killed run: it skips the images
    already in OUT and repairs a torn last line. --ndjson - writes the same lines to stdout (no --resume there).
  --json writes the results once, at the end; failed images are listed under "errors". With --json -, or
    without --json and --ndjson, the same JSON goes to stdout (messages stay on stderr).
  --batch N detects N images, then runs the heads of all their faces; --concurrency N keeps N decodes in flight.
  --workers N runs N FaceAnalysis instances on worker threads, CPU backend (auto: one per core but one); each
    decodes and analyses its own images, and the lines are written in input order, the same bytes as --workers 1.
  Exit codes: 0 every image analysed; 3 some images failed (their error lines are written, a summary goes to
  stderr; with --resume, failures already in OUT count too); 1 a usage, model or results-file error; 130 (143) stopped
  by Ctrl-C (SIGTERM) during an --ndjson run, whose complete lines stay valid for --resume.`;

export interface AnalyzeOptions {
  readonly models: string;
  readonly detSizes: readonly Size[];
  readonly detThresh: number;
  readonly maxNum: number;
  readonly metric: MaxNumMetric;
  readonly backend: BackendName;
  /** Image files and folders of images. */
  readonly paths: readonly string[];
  /** Results written once at the end, in the golden format (plus "errors" when some images failed). */
  readonly json?: string;
  /** Results written once at the end to stdout, as `json` would write them (for `analyze photo.jpg > out.json`). */
  readonly stdout?: boolean;
  /** Results appended one line per image (see ANALYZE_HELP); '-' writes them to stdout. */
  readonly ndjson?: string;
  /** Continue `ndjson`: skip its images, repair its torn last line. */
  readonly resume?: boolean;
  readonly batch?: number;
  readonly concurrency?: number;
  /** FaceAnalysis instances on worker threads, CPU backend (default 1: one in this thread, on `backend`). */
  readonly workers?: number;
  /** Folder for annotated PNGs. */
  readonly drawDir?: string;
  /** Starts a progress display once the images are known (total, and how many a resumed file already holds). */
  readonly progress?: (total: number, alreadyDone: number) => Promise<BatchProgress | undefined>;
  readonly log?: (message: string) => void;
}

/** What a run did. */
export interface AnalyzeSummary {
  /** Images analysed by this run (those a resumed file already held excluded), and their faces. */
  readonly images: number;
  readonly faces: number;
  /** Images skipped because the resumed file holds them. */
  readonly skipped: number;
  /** The failed images of the results: this run's, and a resumed file's earlier ones first. */
  readonly failed: readonly ErrorRecord[];
}

/** The PNG `--draw DIR` writes for image `name` (a PATH-relative name): its subfolder in DIR, the suffix .png. */
function drawFile(dir: string, name: string): string {
  return path.join(dir, name.replace(/\.[^./]*$/, '') + '.png');
}

/**
 * Refuses, before the models load, a --json file or a --draw PNG that is one of the images (`--draw photos/ photos/`
 * would replace each PNG photo with its drawing; `--json photo.jpg` the photo with the results), and two images whose
 * drawings would be one PNG (a.jpg and a.png of one folder, t1.jpg of two given folders), where the later drawing
 * would replace the earlier one unsaid. An image given twice draws the same PNG twice, which loses nothing.
 */
async function checkOutputsAreNotInputs(entries: readonly ImageEntry[], json: string | undefined, drawDir: string | undefined): Promise<void> {
  const inputs = new Map<string, string>();
  for (const entry of entries) {
    const id = await fileIdentity(entry.file);
    if (id !== undefined && !inputs.has(id)) inputs.set(id, entry.file);
  }
  const refuseInput = async (output: string): Promise<void> => {
    const id = await fileIdentity(output);
    const input = id === undefined ? undefined : inputs.get(id);
    if (input !== undefined) throw new OutputFileError(`it is the input image ${input}; writing it would overwrite the image (give another ${json === output ? '--json' : '--draw folder'})`, output);
  };
  if (json) await refuseInput(json);
  if (!drawDir) return;
  const drawnFrom = new Map<string, ImageEntry>();
  for (const entry of entries) {
    const file = drawFile(drawDir, entry.name);
    const key = path.resolve(file);
    const earlier = drawnFrom.get(key);
    if (earlier !== undefined && path.resolve(earlier.file) !== path.resolve(entry.file)) {
      throw new OutputFileError(`the images ${earlier.file} and ${entry.file} would both be drawn there; give them distinct names (apart from the suffix) or analyse them in separate runs`, file);
    }
    if (earlier === undefined) {
      drawnFrom.set(key, entry);
      await refuseInput(file);
    }
  }
}

/** Runs the whole pipeline over the images and writes their results; bad images get error records. */
export async function runAnalyze(options: AnalyzeOptions): Promise<AnalyzeSummary> {
  let entries = await collectImages(options.paths, await decodableSuffixes());
  if (entries.length === 0) throw new ImageListError(`no image files there (the types the decoder reads: ${(await decodableSuffixes()).join(' ')})`, options.paths.join(', '));
  // Every output is checked before the models load, so a bad path fails at once instead of after the whole run.
  if (options.json) await prepareOutputFile(options.json);
  if (options.json || options.drawDir) await checkOutputsAreNotInputs(entries, options.json, options.drawDir);
  if (options.drawDir) {
    await prepareOutputFolder(options.drawDir);
    // The subfolders images are drawn into are checked now (a file where one should be), once each, but made only
    // when a drawing goes there: an image that fails (unreadable) leaves no empty folder.
    for (const dir of new Set(entries.map((e) => path.dirname(drawFile(options.drawDir!, e.name))))) await checkOutputFolder(dir);
  }
  const ndjsonFile = options.ndjson === '-' ? undefined : options.ndjson;
  if (ndjsonFile) {
    await prepareOutputFile(ndjsonFile);
    // The one-file JSON is written at the end, by a rename over its name: onto the NDJSON file it would replace every line.
    if (options.json && await sameOutputFile(options.json, ndjsonFile)) {
      throw new OutputFileError('it is also the --ndjson file; the JSON written at the end would replace its lines (give the two different names)', options.json);
    }
    checkDistinctNames(entries);
    NdjsonResultsFile.checkNew(ndjsonFile, options.resume ?? false);
  }
  const analyzer = await openAnalyzer({
    models: options.models, backend: options.backend, detThresh: options.detThresh, detSizes: options.detSizes,
    maxNum: options.maxNum, metric: options.metric, batch: options.batch ?? 1, concurrency: options.concurrency ?? 1,
    workers: options.workers ?? 1, draw: options.drawDir ? { landmarks106: true } : undefined, log: options.log,
  });
  let ndjson: Pick<NdjsonResultsFile, 'append' | 'close'> | undefined;
  let progress: BatchProgress | undefined;
  try {
    const sizes = analyzer.detSize;
    const header: RunHeader = {
      det_size: sizes.length === 1 ? [...sizes[0]!] : sizes.map((s) => [...s]),
      det_thresh: options.detThresh,
      max_num: options.maxNum,
      // The metric picks the faces max_num keeps: a resume with the other one would mix two selections in one file.
      ...(options.metric === 'max' && options.maxNum > 0 ? { det_metric: 'max' as const } : {}),
      models: { ...analyzer.models },
    };
    const total = entries.length;
    const failedBefore: ErrorRecord[] = [];
    if (options.ndjson === '-') {
      // As video's --ndjson -: the file's lines on stdout, each written as soon as its image is done.
      const line = (value: unknown): void => { process.stdout.write(`${JSON.stringify(value)}\n`); };
      line(header);
      ndjson = { append: line, close: () => undefined };
    } else if (ndjsonFile) {
      const opened = await NdjsonResultsFile.open(ndjsonFile, header, options.resume ?? false);
      ndjson = opened.out;
      // Earlier failures count only for images of this run's PATHs (a file may hold other runs' images too).
      const listed = new Set(entries.map((e) => e.name));
      failedBefore.push(...opened.failed.filter((f) => listed.has(f.image)));
      entries = entries.filter((e) => !opened.done.has(e.name));
    }
    progress = await options.progress?.(total, total - entries.length);
    const results: ImageRecord[] = [];
    const summary = await analyzer.run(entries, async (line, done) => {
      ndjson?.append(line);
      if (!isErrorRecord(line)) results.push(line);
      if (done?.annotated && options.drawDir) {
        const file = drawFile(options.drawDir, line.image);
        // An image in a subfolder of a PATH is drawn in the same subfolder of DIR (made level by level, as DIR was).
        await prepareOutputFolder(path.dirname(file));
        await writePng(done.annotated, file);
      }
      progress?.update(line.image, done?.faces.length ?? 0);
    });
    if (options.json || options.stdout) {
      const file: ResultsFile & { errors?: ErrorRecord[] } = { ...header, results };
      if (summary.failed.length > 0) file.errors = [...summary.failed];
      if (options.json) {
        await writeFileAtomically(options.json, JSON.stringify(file));
      } else {
        process.stdout.write(`${JSON.stringify(file)}\n`);
      }
    }
    return { ...summary, failed: [...failedBefore, ...summary.failed], skipped: total - entries.length };
  } finally {
    progress?.stop();
    ndjson?.close();
    await analyzer.release();
  }
}

/** `insightgpu analyze …`: returns the exit code (0 all good, 3 some images failed). */
export async function analyzeCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, ['models', 'det-size', 'det-thresh', 'max-num', 'metric', 'backend', 'json', 'ndjson', 'draw', 'batch', 'concurrency', 'workers'], ['quiet', 'resume']);
  // As InsightFace's FaceAnalysis(): the installed buffalo_l unless told otherwise.
  const models = optionValue(args, 'models') ?? 'buffalo_l';
  const jsonArg = optionValue(args, 'json');
  // '-' is stdout, as for --ndjson (and video's): the one JSON document, written at the end.
  const json = jsonArg === '-' ? undefined : jsonArg;
  const ndjson = optionValue(args, 'ndjson');
  const resume = args.flags.has('resume');
  if (resume && !ndjson) throw new PipelineOptionError('--resume', 'continues an --ndjson file; give --ndjson');
  if (jsonArg === '-' && ndjson === '-') throw new PipelineOptionError('--json', '- and --ndjson - would both write to stdout; give one of them a file');
  if (resume && ndjson === '-') throw new PipelineOptionError('--resume', 'continues an --ndjson file; stdout (-) cannot be continued');
  // A resumed run's --json would hold only the images analysed now; the NDJSON file converts to the whole one.
  if (resume && jsonArg) throw new PipelineOptionError('--json', 'cannot go with --resume (convert the NDJSON file instead, see the README)');
  // --json - and --ndjson - are stdout; --draw - would instead make a folder named '-' in the working folder, unsaid.
  if (optionValue(args, 'draw') === '-') throw new PipelineOptionError('--draw', "takes a folder (one PNG per image), not stdout ('-'); give ./- for a folder so named");
  if (args.positional.length === 0) throw new PipelineOptionError('PATH', 'give at least one image or folder');
  const backend = (optionValue(args, 'backend') ?? 'auto') as BackendName;
  if (!['auto', 'webgpu', 'cpu'].includes(backend)) throw new PipelineOptionError('--backend', `'${backend}' is not auto, webgpu or cpu`);
  const metric = (optionValue(args, 'metric') ?? 'default') as MaxNumMetric;
  if (metric !== 'default' && metric !== 'max') throw new PipelineOptionError('--metric', `'${metric}' is not default or max`);
  const workers = workersOption(args, backend);
  const quiet = args.flags.has('quiet');
  let bar: BatchProgress | undefined;
  // Lines on stdout cannot be resumed: Ctrl-C ends such a run as any command (130), without the hint.
  const removeInterruptHandler = ndjson && ndjson !== '-' ? exitOnInterrupt(() => {
    bar?.stop();
    process.stderr.write(`\ninsightgpu analyze: interrupted; every complete line of ${ndjson} stays valid: run the same command with --resume to continue\n`);
  }) : undefined;
  const summary = await runAnalyze({
    models,
    detSizes: parseDetSizes(optionValue(args, 'det-size') ?? '640'),
    detThresh: parseRangeOption(args, 'det-thresh', 0.5, 0, 1),
    maxNum: parseCountOption(args, 'max-num', 0, 0),
    metric,
    backend,
    paths: args.positional,
    json,
    ndjson,
    stdout: jsonArg === '-' || (!json && !ndjson),
    resume,
    batch: parseCountOption(args, 'batch', 1, 1),
    concurrency: parseCountOption(args, 'concurrency', 1, 0),
    workers,
    drawDir: optionValue(args, 'draw'),
    progress: async (total, alreadyDone) => {
      if (quiet || total < 2 || !process.stderr.isTTY) return undefined;
      bar = await createBatchProgress(total, alreadyDone);
      return bar;
    },
    log: quiet ? undefined : (m) => { if (!bar) process.stderr.write(`${m}\n`); },
  }).finally(() => removeInterruptHandler?.());
  const outputs = [jsonArg === '-' ? 'stdout' : json, ndjson === '-' ? 'stdout' : ndjson].filter((f) => f !== undefined).join(' and ') || 'stdout';
  if (!quiet) {
    const skipped = summary.skipped > 0 ? ` (${summary.skipped} already in ${ndjson})` : '';
    process.stderr.write(`${summary.images} image(s), ${summary.faces} face(s) → ${outputs}${skipped}\n`);
  }
  if (summary.failed.length === 0) return 0;
  process.stderr.write(failureSummary(summary.failed, summary.images + summary.skipped));
  return 3;
}

/**
 * On Ctrl-C (SIGINT) or SIGTERM: says how to continue, then exits with 128 + the signal's number, as a shell
 * reports a killed command. Lines are appended with synchronous writes, so the handler never runs mid-line.
 * Returns the function that removes the handlers.
 */
function exitOnInterrupt(say: () => void): () => void {
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((signal) => {
    const handler = (): void => {
      say();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    process.once(signal, handler);
    return () => process.removeListener(signal, handler);
  });
  return () => handlers.forEach((remove) => remove());
}

/** The stderr report of failed images: the first few with their errors, then a count (also index add's and search's). */
export function failureSummary(failed: readonly ErrorRecord[], images: number): string {
  const shown = 20;
  const lines = failed.slice(0, shown).map((f) => `  ${f.image}: ${f.error.type}: ${f.error.message}\n`);
  const more = failed.length > shown ? `  … and ${failed.length - shown} more (their lines have an "error" field)\n` : '';
  return `${failed.length} of ${images} image(s) failed:\n${lines.join('')}${more}`;
}

/**
 * `--workers N|auto` (auto: one per core but one, at least 1). More than one runs the CPU backend in each worker,
 * so `--backend webgpu` is refused: one GPUDevice batching the heads (--batch) serves a GPU better than N devices
 * contending for one adapter. --batch and --concurrency belong to the one-worker path (each worker decodes its own
 * images and runs them one at a time). More workers than cores run as many as there are cores, saying so on stderr:
 * each runs one image at a time on one thread and holds its own copy of the weights, so the extra ones would only cost
 * memory and start-up, and the same command line keeps working on a machine with fewer cores.
 */
function workersOption(args: ParsedArgs, backend: BackendName): number {
  const value = optionValue(args, 'workers');
  const cores = availableParallelism();
  const asked = value === 'auto' ? Math.max(1, cores - 1) : parseCountOption(args, 'workers', 1, 1);
  const workers = Math.min(asked, cores);
  if (workers > 1 && backend === 'webgpu') throw new PipelineOptionError('--workers', `${workers} workers run the CPU backend; drop --backend webgpu or use --workers 1`);
  for (const name of ['batch', 'concurrency']) {
    if (workers > 1 && optionValue(args, name) !== undefined) throw new PipelineOptionError(`--${name}`, `is for --workers 1 (with ${workers} workers each one decodes and analyses its own images)`);
  }
  if (asked > cores) process.stderr.write(`insightgpu analyze: --workers ${asked} is more than this machine's ${cores} core(s); running ${cores} (each worker holds its own copy of the models)\n`);
  return workers;
}
