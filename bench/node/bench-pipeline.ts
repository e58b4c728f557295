/**
 * Pipeline benchmark: `FaceAnalysis.get()` on one photo end to end (decode → detect → align → every head), with a
 * per-stage breakdown and the ratio of the whole call to the sum of its model forwards (target ≤ 1.2× on WebGPU).
 *
 *   npm run bench -- --pipeline [--backend cpu|webgpu] [--runs N] [--warmup N] [--json FILE]
 *                    [--det-size 640|WxH] [--models DIR] [--image FILE] [--adapter NAME] [--cpu-pre]
 *
 * Models: --models DIR, else $INSIGHTGPU_MODELS, else ../shared/models or shared/models; the photo: --image, else
 * t1.jpg in the images/ folder beside the models folder.
 *
 * Each timed round runs get() twice: once untimed (the end-to-end number) and once with stage timings on (the
 * breakdown; each stage waits for its GPU work, so its stages are attributed honestly). On a software adapter only
 * the timed call runs (minutes each; the waits are negligible there). Defaults: det size 640
 * (320 on a software adapter such as SwiftShader), 1 warm-up, 5 rounds (1 on a software adapter).
 * A benchmark, not a test: it prints medians and never asserts on time.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FaceAnalysis } from '../../src/pipeline/face-analysis.js';
import { CpuPreprocessor } from '../../src/pipeline/preprocess/preprocessor.js';
import { loadImage } from '../../src/pipeline/image-source.js';
import type { StageKind, StageTiming } from '../../src/pipeline/stage-timer.js';
import { acquireDevice, type GpuDevice } from '../../src/backends/webgpu/device.js';
import { formatMs, median, testBedPath } from './bench-util.js';
import { backendFlag, BenchUsageError, detSizeFlag, integerFlag, parseFlags, reportUsageError } from './bench-args.js';

/** The golden packA: the pipeline tests' detector, recognizer and tiny heads (TESTBED.md). */
const PACK_A = ['scrfd_2.5g_bnkps.onnx', 'mobilefacenet.onnx', 'tiny_2d106.onnx', 'tiny_3d68.onnx', 'tiny_genderage.onnx'];

export interface PipelineBenchOptions {
  readonly backend: 'cpu' | 'webgpu';
  readonly runs?: number;
  readonly warmup: number;
  readonly json?: string;
  readonly detSize?: readonly [number, number];
  readonly modelsDir: string;
  readonly image: string;
  readonly adapterName?: string;
  /** WebGPU models with the CPU pre-processing (to measure what the GPU pre-processing saves). */
  readonly cpuPre: boolean;
}

/** See PipelineBenchReport.cold_phases (milliseconds). */
export interface ColdPhases {
  readonly decode_ms: number;
  readonly passes_ms: number;
  readonly lower_ms: number;
  readonly pipelines_ms: number;
  readonly upload_ms: number;
  readonly first_get_ms: number;
  readonly per_model: readonly ModelColdPhases[];
}

/**
 * One session.precompile of a model (kernels asked for ahead of its plan: the dynamic-size detector's at create, the
 * dynamic-batch heads' per bucket), in milliseconds from FaceAnalysis.create's start.
 */
export interface PrecompilePhases {
  readonly shape: readonly number[];
  readonly specialized: boolean;
  readonly passes_ms: number;
  readonly lower_ms: number;
  readonly requested_at: number;
  readonly pipelines_ready_at: number;
}

/**
 * One model's first plan: its phases' durations, and (GPU plans) when its pipelines were requested and ready and
 * its upload ran, in milliseconds from FaceAnalysis.create's start: models compiled together overlap there. Also
 * when its file was parsed and its precompiles (FaceAnalysis.compileTimeline).
 */
export interface ModelColdPhases {
  readonly model: string;
  readonly parse_from: number;
  readonly parse_to: number;
  readonly precompiles: readonly PrecompilePhases[];
  readonly passes_ms: number;
  readonly lower_ms: number;
  readonly pipelines_ms: number;
  readonly upload_ms: number;
  readonly timeline?: { readonly requested_at: number; readonly pipelines_ready_at: number; readonly upload_from: number; readonly upload_to: number };
}

/** One stage's median over the timed rounds (a stage that runs several times per call is summed per call). */
export interface StageRow {
  readonly stage: string;
  readonly kind: StageKind;
  readonly median_ms: number;
}

export interface PipelineBenchReport {
  readonly backend: 'cpu' | 'webgpu';
  readonly adapter: string;
  readonly software_adapter: boolean;
  readonly preprocessing: 'cpu' | 'gpu';
  readonly image: string;
  readonly det_size: readonly [number, number];
  readonly faces: number;
  readonly runs: number;
  readonly warmup: number;
  /**
   * FaceAnalysis.create: reading and decoding the model files, and compiling each model whose input shapes are
   * static (all but the detector, which compiles at its first get()). create_ms + first_ms is the cold start, files
   * to first faces; the models share one device, so kernels common to several compile once.
   */
  readonly create_ms: number;
  readonly first_ms: number;
  /**
   * Where the cold start went: decoding every file (FaceAnalysis.create), then per model its first plan's graph
   * passes, lowering, pipeline compiles (request to ready; they overlap the uploads and each other, so the total is
   * the longest) and weight upload with bind groups (making the weights that are made when first read: folded,
   * repacked, unaligned ones), each with its timeline; the detector's plan is made at the first get(), its kernels
   * precompiled at create (per_model[].precompiles).
   */
  readonly cold_phases: ColdPhases;
  /** Median of the untimed get() calls (of the timed ones on a software adapter, see `whole_from`). */
  readonly get_median_ms: number;
  readonly whole_from: 'untimed calls' | 'timed calls';
  readonly get_min_ms: number;
  /** Median over timed calls of the sum of the model forwards (session.run, read-back included). */
  readonly forward_sum_median_ms: number;
  /** Median over timed calls of (the call's wall time / the sum of its forwards). */
  readonly ratio_whole_to_forwards: number;
  readonly timed_get_median_ms: number;
  /** get_median_ms / forward_sum_median_ms (across calls: noisier on a loaded machine). */
  readonly ratio_untimed_median_to_forwards: number;
  readonly stages: readonly StageRow[];
}

export const PIPELINE_USAGE = `usage: npm run bench -- --pipeline [--backend cpu|webgpu] [--runs N] [--warmup N] [--json FILE]
                        [--det-size 640|WxH] [--models DIR] [--image FILE] [--adapter NAME] [--cpu-pre]

  --backend cpu|webgpu  default cpu; webgpu takes a hardware adapter, else SwiftShader where it is installed
  --runs N              timed rounds (default 5; 1 on a software adapter)
  --warmup N            untimed calls first (default 1)
  --det-size N|WxH      detector input, sides multiples of 32 (default 640; 320 on a software adapter)
  --models DIR          the models folder (also --models-dir; default $INSIGHTGPU_MODELS, else the shared test bed's)
  --image FILE          the photo (default t1.jpg in the images/ folder beside the models folder)
  --adapter NAME        a WebGPU adapter whose name contains NAME
  --cpu-pre             WebGPU models with the CPU pre-processing (what the GPU pre-processing saves)
  --json FILE           also write the report as JSON
  -h, --help            this text`;

/** The options, or undefined when --help asked for the usage text instead. */
export function parsePipelineArgs(argv: readonly string[]): PipelineBenchOptions | undefined {
  const values = parseFlags(argv, {
    // bench.ts's switch to this benchmark; it means nothing more here.
    pipeline: { type: 'boolean' },
    backend: { type: 'string', default: 'cpu' },
    runs: { type: 'string' },
    warmup: { type: 'string', default: '1' },
    json: { type: 'string' },
    'det-size': { type: 'string' },
    models: { type: 'string' },
    'models-dir': { type: 'string' },
    image: { type: 'string' },
    adapter: { type: 'string' },
    'cpu-pre': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return undefined;
  if (values.models !== undefined && values['models-dir'] !== undefined) throw new BenchUsageError('--models and --models-dir name the same folder: pass one');
  const modelsDir = values.models ?? values['models-dir'] ?? process.env['INSIGHTGPU_MODELS'] ?? testBedPath('models');
  // The photo beside the models (the shared test bed's layout: models/ and images/ side by side) unless given.
  const image = values.image
    ?? [join(dirname(modelsDir), 'images', 't1.jpg'), join(modelsDir, 't1.jpg'), join(testBedPath('images'), 't1.jpg')].find((p) => existsSync(p))
    ?? join(testBedPath('images'), 't1.jpg');
  return {
    backend: backendFlag(values.backend),
    runs: values.runs === undefined ? undefined : integerFlag('runs', values.runs, 1),
    warmup: integerFlag('warmup', values.warmup, 0),
    json: values.json,
    detSize: values['det-size'] === undefined ? undefined : detSizeFlag(values['det-size']),
    modelsDir,
    image,
    adapterName: values.adapter,
    cpuPre: values['cpu-pre'],
  };
}

/** packA's five files when the folder has them all, else the whole folder (InsightFace's own routing picks). */
function modelFiles(dir: string): string | string[] {
  if (!existsSync(dir)) throw new BenchUsageError(`models folder ${dir} not found (pass --models DIR)`);
  const present = new Set(readdirSync(dir));
  return PACK_A.every((f) => present.has(f)) ? PACK_A.map((f) => join(dir, f)) : dir;
}

function stageRows(perCall: readonly StageTiming[][]): StageRow[] {
  const order: { stage: string; kind: StageKind }[] = [];
  const sums = perCall.map((timings) => {
    const m = new Map<string, number>();
    for (const t of timings) {
      if (!order.some((o) => o.stage === t.stage)) order.push({ stage: t.stage, kind: t.kind });
      m.set(t.stage, (m.get(t.stage) ?? 0) + t.ms);
    }
    return m;
  });
  return order.map(({ stage, kind }) => ({ stage, kind, median_ms: median(sums.map((m) => m.get(stage) ?? 0)) }));
}

export async function runPipelineBench(options: PipelineBenchOptions): Promise<PipelineBenchReport> {
  if (!existsSync(options.image)) throw new BenchUsageError(`image ${options.image} not found (pass --image FILE)`);
  let gpu: GpuDevice | undefined;
  if (options.backend === 'webgpu') {
    // Without a hardware adapter, acquireDevice falls back to SwiftShader where it is installed.
    gpu = await acquireDevice({ adapterName: options.adapterName, allowSoftwareAdapter: true });
  }
  const software = gpu?.isSoftware ?? false;
  const detSize = options.detSize ?? (software ? [320, 320] as const : [640, 640] as const);
  const runs = options.runs ?? (software ? 1 : 5);
  const createStart = performance.now();
  const app = await FaceAnalysis.create({
    models: modelFiles(options.modelsDir),
    backend: options.backend,
    sessionOptions: gpu ? { webgpu: { device: gpu.device } } : undefined,
    preprocessor: options.cpuPre ? new CpuPreprocessor() : undefined,
  });
  const createMs = performance.now() - createStart;
  try {
    app.prepare({ detThresh: 0.5, detSize: [detSize[0], detSize[1]] });
    // Decoded once: the benchmark times the pipeline, and JPEG decoding is sharp's (it shows as the 'decode' stage anyway).
    const image = await loadImage(options.image);
    let faces = 0;
    let first = NaN;
    const log = (s: string): boolean => process.stderr.write(s);
    for (let i = 0; i < options.warmup; i++) {
      const t = performance.now();
      faces = (await app.get(image)).length;
      if (i === 0) first = performance.now() - t;
      log(`warm-up ${i + 1}/${options.warmup}: ${formatMs(performance.now() - t)}, ${faces} faces\n`);
    }
    const at = (t: number): number => round(t - createStart);
    const perModel = (await app.compileTimeline()).models.flatMap((m): ModelColdPhases[] => {
      const c = m.plans[0];
      if (!c) return [];
      const timeline = c.timeline && { requested_at: at(c.timeline.requested), pipelines_ready_at: at(c.timeline.pipelinesReady), upload_from: at(c.timeline.uploadStart), upload_to: at(c.timeline.uploadEnd) };
      const precompiles = m.precompiles.map((p): PrecompilePhases => ({
        shape: Object.values(p.shapes)[0] ?? [], specialized: p.specialized, passes_ms: round(p.passesEnd - p.started), lower_ms: round(p.requested - p.passesEnd),
        requested_at: at(p.requested), pipelines_ready_at: at(p.pipelinesReady),
      }));
      return [{ model: m.taskname, parse_from: at(m.parse.from), parse_to: at(m.parse.to), precompiles, passes_ms: round(c.passesMs), lower_ms: round(c.lowerMs), pipelines_ms: round(c.pipelinesMs),
        upload_ms: round(c.uploadMs), ...(timeline ? { timeline } : {}) }];
    });
    const total = (k: 'passes_ms' | 'lower_ms' | 'upload_ms'): number => round(perModel.reduce((a, m) => a + m[k], 0));
    const coldPhases: ColdPhases = {
      decode_ms: round(app.decodeMs), passes_ms: total('passes_ms'), lower_ms: total('lower_ms'),
      pipelines_ms: round(Math.max(0, ...perModel.map((m) => m.pipelines_ms))), upload_ms: total('upload_ms'), first_get_ms: round(first), per_model: perModel,
    };
    // The timed rounds measure the specialised kernels, which take over from the generic ones after first use.
    await app.specialized();
    // On a software adapter a call takes minutes and the per-stage waits cost nothing next to it: the timed call's
    // wall time stands for the whole (halves the run). Elsewhere the whole is measured without timings.
    const separateUntimed = !software;
    const wholes: number[] = [];
    const timedWalls: number[] = [];
    const timed: StageTiming[][] = [];
    for (let i = 0; i < runs; i++) {
      let t = performance.now();
      let untimedMs = NaN;
      if (separateUntimed) {
        faces = (await app.get(image)).length;
        untimedMs = performance.now() - t;
        t = performance.now();
      }
      const timings: StageTiming[] = [];
      faces = (await app.get(image, { timings })).length;
      const timedMs = performance.now() - t;
      timed.push(timings);
      timedWalls.push(timedMs);
      wholes.push(separateUntimed ? untimedMs : timedMs);
      if (Number.isNaN(first)) first = wholes[0]!;
      log(`round ${i + 1}/${runs}: ${separateUntimed ? `${formatMs(untimedMs)} untimed, ` : ''}${formatMs(timedMs)} with stage timings\n`);
    }
    const untimed = wholes;
    const forwardSums = timed.map((ts) => ts.filter((t) => t.kind === 'forward').reduce((a, t) => a + t.ms, 0));
    const getMedian = median(untimed);
    const forwardMedian = median(forwardSums);
    // Whole / forwards within the same call: robust to load drifting between calls on a shared machine. The timed
    // call also waits for GPU pre-processing at each stage's end, so this errs high (conservative) on WebGPU.
    const sameCallRatio = median(timedWalls.map((w, i) => w / forwardSums[i]!));
    return {
      backend: options.backend,
      adapter: gpu?.description ?? 'CPU (TypeScript)',
      software_adapter: software,
      preprocessing: options.backend === 'webgpu' && !options.cpuPre ? 'gpu' : 'cpu',
      image: options.image,
      det_size: detSize,
      faces,
      runs,
      warmup: options.warmup,
      create_ms: round(createMs),
      first_ms: round(first),
      cold_phases: coldPhases,
      get_median_ms: round(getMedian),
      whole_from: separateUntimed ? 'untimed calls' : 'timed calls',
      get_min_ms: round(Math.min(...untimed)),
      forward_sum_median_ms: round(forwardMedian),
      ratio_whole_to_forwards: round(sameCallRatio),
      timed_get_median_ms: round(median(timedWalls)),
      ratio_untimed_median_to_forwards: round(getMedian / forwardMedian),
      stages: stageRows(timed).map((r) => ({ ...r, median_ms: round(r.median_ms) })),
    };
  } finally {
    await app.release();
    gpu?.release();
  }
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

export function formatPipelineReport(r: PipelineBenchReport): string {
  const lines: string[] = [];
  lines.push(`FaceAnalysis.get on ${r.image} (${r.faces} faces), det size ${r.det_size.join('×')}, backend ${r.backend} (${r.adapter}), ${r.preprocessing} pre-processing`);
  const stageTotal = r.stages.reduce((a, s) => a + s.median_ms, 0);
  const rows: string[][] = [['stage', 'kind', 'median', 'share']];
  for (const s of r.stages) rows.push([s.stage, s.kind, formatMs(s.median_ms), `${((100 * s.median_ms) / stageTotal).toFixed(1)}%`]);
  rows.push(['(sum of the stage medians)', '', formatMs(stageTotal), '']);
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  rows.forEach((row, i) => {
    lines.push(row.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
    if (i === 0) lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
  });
  lines.push(`cold start: FaceAnalysis.create ${formatMs(r.create_ms)} + first get() ${formatMs(r.first_ms)} = ${formatMs(r.create_ms + r.first_ms)}`);
  const c = r.cold_phases;
  lines.push(`cold phases: decode ${formatMs(c.decode_ms)}, passes ${formatMs(c.passes_ms)}, lowering ${formatMs(c.lower_ms)}, pipeline compiles ${formatMs(c.pipelines_ms)} (longest, overlapping the upload), upload ${formatMs(c.upload_ms)}, first get() ${formatMs(c.first_get_ms)}`);
  for (const m of c.per_model) {
    const t = m.timeline;
    const when = t ? ` (from create's start: requested at ${formatMs(t.requested_at)}, ready at ${formatMs(t.pipelines_ready_at)}; upload ${formatMs(t.upload_from)}–${formatMs(t.upload_to)})` : '';
    lines.push(`  ${m.model}: parsed ${formatMs(m.parse_from)}–${formatMs(m.parse_to)}; first plan: passes ${formatMs(m.passes_ms)}, lowering ${formatMs(m.lower_ms)}, pipelines ${formatMs(m.pipelines_ms)}, upload ${formatMs(m.upload_ms)}${when}`);
    for (const p of m.precompiles) {
      lines.push(`    precompile [${p.shape.join('×')}]${p.specialized ? ' +specialised' : ''}: passes ${formatMs(p.passes_ms)}, lowering ${formatMs(p.lower_ms)}, pipelines requested at ${formatMs(p.requested_at)}, ready at ${formatMs(p.pipelines_ready_at)}`);
    }
  }
  lines.push(`get(): median ${formatMs(r.get_median_ms)}, min ${formatMs(r.get_min_ms)}, first ${formatMs(r.first_ms)} (${r.runs} rounds after ${r.warmup} warm-up; ${r.whole_from})`);
  lines.push(`sum of model forwards: ${formatMs(r.forward_sum_median_ms)} (timed call: ${formatMs(r.timed_get_median_ms)})`);
  lines.push(`whole / forwards = ${r.ratio_whole_to_forwards.toFixed(3)}× within each timed call (target ≤ 1.2× on webgpu); untimed median / forwards median = ${r.ratio_untimed_median_to_forwards.toFixed(3)}×`);
  return lines.join('\n');
}

/** Entry point used by bench.ts's `--pipeline` hook; returns the exit code. */
export async function benchPipeline(argv: readonly string[]): Promise<number> {
  let report: PipelineBenchReport;
  let options: PipelineBenchOptions | undefined;
  try {
    options = parsePipelineArgs(argv);
    if (!options) {
      console.log(PIPELINE_USAGE);
      return 0;
    }
    report = await runPipelineBench(options);
  } catch (error) {
    if (error instanceof BenchUsageError) return reportUsageError('bench --pipeline', error, PIPELINE_USAGE);
    throw error;
  }
  console.log(formatPipelineReport(report));
  if (options.json) {
    writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`wrote ${options.json}`);
  }
  return 0;
}
