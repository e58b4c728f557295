/**
 * Photo-collection benchmark: `insightgpu analyze --ndjson` over a folder, one image at a time (no decode ahead,
 * `--batch 1 --concurrency 0`) against `--batch B --concurrency C` (default 8 and 2), measured in the same run on
 * one loaded FaceAnalysis, in alternating rounds (A B B A …) so a drift in the machine's load hits both alike.
 * On the CPU backend a third setting, `--workers W` (default: one per core), runs the same folder on a
 * FaceAnalysisPool of W worker threads: what a CPU user gets from the cores, as opposed to overlap alone.
 *
 *   npm run bench -- --collection [DIR] [--count 200] [--backend cpu|webgpu] [--det-size 640] [--batch 8]
 *                    [--concurrency 2] [--workers W] [--pool-models paths|bytes] [--rounds 2] [--models DIR] [--json FILE]
 *
 * Without DIR, `--count` photos are generated from t1.jpg by sharp (mirrors, crops, scales, JPEG qualities) in a
 * temporary folder. Both settings must write byte-identical NDJSON; the benchmark says so and fails otherwise.
 * It also times the decodes alone and prints the most overlap can give: with decode (D per image, on libuv's
 * threads) and the analysis (T − D, on the main thread) run side by side, an image takes max(D, T − D) instead of
 * T, so the ratio is at most T / max(D, T − D) — barely above 1 when decoding is a small share of T.
 * A benchmark, not a test: it prints images/s and their ratio and never asserts on time.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { FaceAnalysis } from '../../src/pipeline/face-analysis.js';
import { FaceAnalysisPool } from '../../src/pipeline/pool/index.js';
import { loadImage } from '../../src/pipeline/image-source.js';
import { acquireDevice, type GpuDevice } from '../../src/backends/webgpu/device.js';
import { collectImages, decodableSuffixes } from '../../cli/batch/collect-images.js';
import { median, testBedPath } from './bench-util.js';
import { NdjsonResultsFile } from '../../cli/batch/ndjson-file.js';
import { runBatch, type BatchRunSummary, type LineSink } from '../../cli/batch/run-batch.js';
import { runPool } from '../../cli/batch/run-pool.js';
import type { ImageEntry } from '../../cli/batch/collect-images.js';
import { backendFlag, BenchUsageError, detSizeFlag, integerFlag, parseFlags, reportUsageError } from './bench-args.js';

/** The golden pack A (TESTBED.md): SCRFD-2.5G, MobileFaceNet and the three tiny heads. */
const PACK_A = ['scrfd_2.5g_bnkps.onnx', 'mobilefacenet.onnx', 'tiny_2d106.onnx', 'tiny_3d68.onnx', 'tiny_genderage.onnx'];

function packAFiles(dir: string): string[] {
  const files = PACK_A.map((f) => join(dir, f));
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length > 0) throw new BenchUsageError(`pack A files missing: ${missing.join(', ')} (pass --models DIR)`);
  return files;
}

export const COLLECTION_USAGE = `usage: npm run bench -- --collection [DIR] [--count 200] [--backend cpu|webgpu] [--det-size 640|WxH]
                        [--batch 8] [--concurrency 2] [--workers W] [--pool-models paths|bytes] [--rounds 2]
                        [--models DIR] [--json FILE]

  DIR               a folder of photos (walked as analyze walks it); default: --count variants of t1.jpg made here
  --count N         photos to generate when DIR is omitted (default 200)
  --backend         cpu (default) or webgpu
  --det-size        detector input (default 640)
  --batch, --concurrency   the overlapped setting measured against one at a time (default 8 and 2)
  --workers W       the worker-thread setting's pool size (cpu only; default one per core, 0 = leave the row out)
  --pool-models     paths: each worker reads the model files (default); bytes: read once here, copied to each
  --rounds N        timed rounds of each setting, alternating (default 2)
  --models DIR      pack A's folder (default ../shared/models)
  --json FILE       also write the report as JSON`;

export interface CollectionBenchReport {
  readonly backend: string;
  readonly adapter: string;
  readonly images: number;
  readonly faces: number;
  readonly det_size: readonly [number, number];
  readonly rounds: number;
  /** Images/s of each setting: the median round. */
  readonly one_at_a_time_ips: number;
  readonly overlapped_ips: number;
  readonly overlapped: { readonly batch: number; readonly concurrency: number };
  /** overlapped_ips / one_at_a_time_ips (higher is better). */
  readonly ratio: number;
  /** Milliseconds to decode one image alone (median over the photos), and per image one at a time (T). */
  readonly decode_ms: number;
  readonly one_at_a_time_ms: number;
  /** T / max(D, T − D): the ratio overlapping the decode with the analysis can reach at most. */
  readonly overlap_bound: number;
  readonly identical_lines: boolean;
  /** The box: its cores (os.availableParallelism) and 1-minute load average when the run started. */
  readonly cores: number;
  readonly load_average: number;
  /** The `--workers W` setting (CPU only): images/s (median round), ratio to one at a time, and the process's RSS. */
  readonly workers?: {
    readonly workers: number;
    readonly models: 'paths' | 'bytes';
    readonly ips: number;
    readonly ratio: number;
    /** Each round's own ratio (its W-worker run against its one-at-a-time run): drift in the load shows as spread. */
    readonly round_ratios: readonly number[];
    /** Resident set size (all threads) before the pool starts (one FaceAnalysis loaded) and with the pool started. */
    readonly rss_before_mb: number;
    readonly rss_with_pool_mb: number;
  };
}

/** Generates `count` photos from t1.jpg: mirrored or not, cropped and scaled differently, at varied JPEG quality. */
async function generateCollection(count: number, source: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'insightgpu-bench-collection-'));
  const meta = await sharp(source).metadata();
  const [w, h] = [meta.width!, meta.height!];
  for (let k = 0; k < count; k++) {
    // A crop keeping ≥ 80 % of each side (the faces stay in), then a scale of 70-100 %.
    const cw = Math.round(w * (0.8 + 0.2 * ((k * 7) % 11) / 10));
    const ch = Math.round(h * (0.8 + 0.2 * ((k * 5) % 13) / 12));
    const left = Math.round((w - cw) * (((k * 3) % 5) / 4));
    const top = Math.round((h - ch) * (((k * 2) % 3) / 2));
    let image = sharp(source).extract({ left, top, width: cw, height: ch });
    if (k % 2 === 1) image = image.flop();
    const scale = 0.7 + 0.3 * ((k * 13) % 7) / 6;
    image = image.resize(Math.round(cw * scale));
    const sub = join(dir, `part${Math.floor(k / 50)}`);
    mkdirSync(sub, { recursive: true });
    await image.jpeg({ quality: 80 + (k % 16) }).toFile(join(sub, `photo${String(k).padStart(4, '0')}.jpg`));
  }
  return dir;
}

export async function benchCollection(argv: readonly string[]): Promise<number> {
  const rest = argv.filter((a) => a !== '--');
  const at = rest.indexOf('--collection');
  const dirArg = rest[at + 1] !== undefined && !rest[at + 1]!.startsWith('--') ? rest[at + 1] : undefined;
  const flags = rest.filter((_, i) => i !== at && !(dirArg !== undefined && i === at + 1));
  try {
    const values = parseFlags(flags, {
      count: { type: 'string', default: '200' },
      backend: { type: 'string', default: 'cpu' },
      'det-size': { type: 'string', default: '640' },
      batch: { type: 'string', default: '8' },
      concurrency: { type: 'string', default: '2' },
      workers: { type: 'string', default: String(availableParallelism()) },
      'pool-models': { type: 'string', default: 'paths' },
      rounds: { type: 'string', default: '2' },
      models: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    });
    if (values.help) { console.log(COLLECTION_USAGE); return 0; }
    const backend = backendFlag(values.backend);
    const detSize = detSizeFlag(values['det-size']);
    const batch = integerFlag('batch', values.batch, 1);
    const concurrency = integerFlag('concurrency', values.concurrency, 0);
    const rounds = integerFlag('rounds', values.rounds, 1);
    const workers = backend === 'cpu' ? integerFlag('workers', values.workers, 0) : 0;
    const poolModels = values['pool-models'];
    if (poolModels !== 'paths' && poolModels !== 'bytes') throw new BenchUsageError(`--pool-models must be paths or bytes, not '${poolModels}'`);
    const count = integerFlag('count', values.count, 1);
    const modelsDir = values.models ?? testBedPath('models');
    const generated = dirArg === undefined ? await generateCollection(count, join(testBedPath('images'), 't1.jpg')) : undefined;
    try {
      const report = await measure({ dir: dirArg ?? generated!, backend, detSize, batch, concurrency, workers, poolModels, rounds, modelsDir });
      printReport(report);
      if (values.json) {
        writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
      }
      return report.identical_lines ? 0 : 1;
    } finally {
      if (generated) rmSync(generated, { recursive: true, force: true });
    }
  } catch (error) {
    if (error instanceof BenchUsageError) return reportUsageError('bench --collection', error, COLLECTION_USAGE);
    throw error;
  }
}

interface MeasureOptions {
  readonly dir: string;
  readonly backend: 'cpu' | 'webgpu';
  readonly detSize: readonly [number, number];
  readonly batch: number;
  readonly concurrency: number;
  /** 0: no worker-thread row. */
  readonly workers: number;
  readonly poolModels: 'paths' | 'bytes';
  readonly rounds: number;
  readonly modelsDir: string;
}

const MB = 2 ** 20;

/** The worker pool of the third setting, started before the timed rounds (as the one FaceAnalysis is loaded before). */
async function startPool(options: MeasureOptions, entries: readonly ImageEntry[]): Promise<FaceAnalysisPool> {
  const files = packAFiles(options.modelsDir);
  const models = options.poolModels === 'paths' ? files : { files: Object.fromEntries(files.map((f) => [f, new Uint8Array(readFileSync(f))])) };
  const pool = await FaceAnalysisPool.create({ size: options.workers, models, prepare: { detSize: [options.detSize[0], options.detSize[1]] } });
  // Warm-up: each worker's first images size its buffers.
  await Promise.all(entries.slice(0, 2 * options.workers).map((e) => pool.analyse(e.file)));
  return pool;
}

async function measure(options: MeasureOptions): Promise<CollectionBenchReport> {
  const entries = await collectImages([options.dir], await decodableSuffixes());
  if (entries.length === 0) throw new BenchUsageError(`no photos in ${options.dir}`);
  let gpu: GpuDevice | undefined;
  if (options.backend === 'webgpu') gpu = await acquireDevice({ allowSoftwareAdapter: true });
  const app = await FaceAnalysis.create({
    models: packAFiles(options.modelsDir), backend: options.backend, sessionOptions: gpu ? { webgpu: { device: gpu.device } } : undefined,
  });
  const out = mkdtempSync(join(tmpdir(), 'insightgpu-bench-ndjson-'));
  const loadAverage = loadavg()[0]!;
  let pool: FaceAnalysisPool | undefined;
  try {
    app.prepare({ detSize: [options.detSize[0], options.detSize[1]] });
    // Warm-up: the first calls compile (WebGPU) and size the buffers.
    for (const entry of entries.slice(0, 2)) await app.get(entry.file);
    await app.specialized();
    const decodeMs: number[] = [];
    for (const entry of entries) {
      const started = performance.now();
      await loadImage(entry.file);
      decodeMs.push(performance.now() - started);
    }
    const rssBefore = process.memoryUsage().rss / MB;
    if (options.workers > 0) pool = await startPool(options, entries);
    const rssWithPool = process.memoryUsage().rss / MB;
    const inProcess = [{ batch: 1, concurrency: 0 }, { batch: options.batch, concurrency: options.concurrency }] as const;
    const names = [...inProcess.map((c) => `batch ${c.batch} concurrency ${c.concurrency}`), `${options.workers} workers`];
    const run = (s: number, onLine: LineSink): Promise<BatchRunSummary> => s < 2
      ? runBatch({ app, entries, ...inProcess[s]!, maxNum: 0, metric: 'default', onLine })
      : runPool({ pool: pool!, entries, maxNum: 0, metric: 'default', onLine });
    const order = pool ? [0, 1, 2] : [0, 1];
    const seconds: number[][] = [[], [], []];
    const files: string[] = [];
    let faces = 0;
    for (let r = 0; r < options.rounds; r++) {
      for (const s of r % 2 === 0 ? order : [...order].reverse()) {
        const file = join(out, `r${r}-s${s}.ndjson`);
        const { out: writer } = await NdjsonResultsFile.open(file, { det_size: [...options.detSize], det_thresh: 0.5, max_num: 0, models: {} }, false);
        const started = performance.now();
        try {
          faces = (await run(s, (line) => writer.append(line))).faces;
        } finally {
          writer.close();
        }
        seconds[s]!.push((performance.now() - started) / 1000);
        process.stderr.write(`round ${r + 1}/${options.rounds} ${names[s]}: ${(entries.length / seconds[s]!.at(-1)!).toFixed(2)} images/s\n`);
        files.push(file);
      }
    }
    const reference = readFileSync(files[0]!, 'utf8');
    const identical = files.every((f) => readFileSync(f, 'utf8') === reference);
    // The true median: with an even number of rounds it is the mean of the two middle ones, not the faster one.
    const mid = median;
    const [one, overlapped] = [entries.length / mid(seconds[0]!), entries.length / mid(seconds[1]!)];
    const [decode, perImage] = [mid(decodeMs), 1000 / one];
    return {
      backend: options.backend, adapter: gpu ? gpu.description : 'cpu', images: entries.length, faces, det_size: options.detSize,
      rounds: options.rounds, one_at_a_time_ips: round(one), overlapped_ips: round(overlapped),
      overlapped: { batch: options.batch, concurrency: options.concurrency }, ratio: round(overlapped / one), identical_lines: identical,
      decode_ms: round(decode), one_at_a_time_ms: round(perImage), overlap_bound: round(perImage / Math.max(decode, perImage - decode)),
      cores: availableParallelism(), load_average: round(loadAverage),
      workers: pool ? {
        workers: options.workers, models: options.poolModels, ips: round(entries.length / mid(seconds[2]!)),
        ratio: round(entries.length / mid(seconds[2]!) / one), round_ratios: seconds[2]!.map((t, r) => round(seconds[0]![r]! / t)),
        rss_before_mb: Math.round(rssBefore), rss_with_pool_mb: Math.round(rssWithPool),
      } : undefined,
    };
  } finally {
    await pool?.release();
    rmSync(out, { recursive: true, force: true });
    await app.release();
    gpu?.release();
  }
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

function printReport(r: CollectionBenchReport): void {
  console.log(`collection: ${r.images} photos, ${r.faces} faces, det ${r.det_size.join('×')}, ${r.backend} (${r.adapter}), median of ${r.rounds} round(s)`);
  console.log(`  one at a time (batch 1, concurrency 0)    ${r.one_at_a_time_ips.toFixed(2).padStart(8)} images/s`);
  console.log(`  batch ${r.overlapped.batch}, concurrency ${r.overlapped.concurrency}`.padEnd(43) + `${r.overlapped_ips.toFixed(2).padStart(8)} images/s`);
  console.log(`  ratio                                    ${r.ratio.toFixed(2).padStart(8)}×   (goal ≥ 1.3× on CPU, ≥ 2× on a GPU)`);
  console.log(`  overlap bound: decode ${r.decode_ms.toFixed(1)} ms of ${r.one_at_a_time_ms.toFixed(1)} ms per image → at most `
    + `${r.one_at_a_time_ms.toFixed(1)} / max(${r.decode_ms.toFixed(1)}, ${(r.one_at_a_time_ms - r.decode_ms).toFixed(1)}) = ${r.overlap_bound.toFixed(3)}× from overlap`);
  if (r.workers) {
    const w = r.workers;
    console.log(`  ${w.workers} workers (worker threads, decode in each)`.padEnd(43) + `${w.ips.toFixed(2).padStart(8)} images/s   ${w.ratio.toFixed(2)}× one at a time `
      + `— what a CPU user gets from the cores, not overlap (box: ${r.cores} cores, load ${r.load_average.toFixed(2)} at start)`);
    console.log(`  ${w.workers} workers against one at a time, round by round: ${w.round_ratios.map((x) => `${x.toFixed(2)}×`).join(', ')}`);
    console.log(`  RSS: ${w.rss_before_mb} MB with one FaceAnalysis → ${w.rss_with_pool_mb} MB with the pool started (models: ${w.models === 'paths' ? 'read by each worker' : 'read here, copied to each worker'})`);
  }
  console.log(`  NDJSON lines identical across settings: ${r.identical_lines ? 'yes' : 'NO'}`);
}
