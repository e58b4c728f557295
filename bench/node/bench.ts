/**
 * CPU benchmark: our CPU backend against onnxruntime-web's wasm backend (single-threaded, the fair peer for a
 * single-threaded engine) and onnxruntime-node (multi-threaded native, the ceiling), measured in the same run.
 *
 *   npm run bench -- --backend cpu [--json FILE] [--runs N] [--warmup N] [--models a,b] [--models-dir DIR]
 *   npm run bench -- --backend webgpu …   (delegates to bench/node/bench-webgpu.ts)
 *   npm run bench -- --help               (both backends' flags; `--pipeline --help` for the pipeline benchmark's)
 *
 * A benchmark, not a test: it prints medians after warm-up and never asserts on time.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { BENCH_MODELS, type BenchModel } from './bench-models.js';
import { formatMs, maxRelativeError, measureInterleaved } from './bench-util.js';
import { Prng } from '../../models/forge/prng.js';
import { createOrtNodeRunner, createOrtWebRunner, createOursRunner, type Runner } from './runners.js';
import { resolveCpuThreads } from '../../src/backends/options.js';
import { backendFlag, BenchUsageError, integerFlag, parseFlags, reportUsageError } from './bench-args.js';

export interface BenchOptions {
  readonly backend: 'cpu' | 'webgpu';
  readonly json?: string;
  readonly runs: number;
  readonly warmup: number;
  readonly models?: readonly string[];
  readonly modelsDir: string;
  /** Reserved for the pipeline benchmark (detect → align → embed), dispatched elsewhere. */
  readonly pipeline: boolean;
  /** Run onnxruntime-node in the rounds (its thread pool shares the cores with the single-threaded pair). */
  readonly ortNode: boolean;
  /** cpu: also run our CPU backend with this many GEMM threads (cpuThreads) in the same rounds; 1: not. */
  readonly cpuThreads: number;
}

/** One row of the JSON report: our latency against one peer's. */
export interface BenchRow {
  readonly model: string;
  readonly dims: readonly number[];
  readonly backend: string;
  readonly ours_ms: number;
  readonly peer: string;
  readonly peer_ms: number;
  readonly ratio: number;
}

const HERE = dirname(fileURLToPath(import.meta.url));
const DEFAULT_MODELS_DIR = resolve(HERE, '../../../shared/models');

export const BENCH_USAGE = `usage: npm run bench -- [--backend cpu] [--json FILE] [--runs N] [--warmup N] [--models a,b] [--models-dir DIR]
       npm run bench -- --backend webgpu [--json FILE] [--runs N] [--warmup N] [--models a,b] [--models-dir DIR]
                        [--adapter NAME] [--no-peer] [--replicas DIR] [--profile] [--kernels tiered|specialized|generic]
       npm run bench -- --pipeline …   (its options: npm run bench -- --pipeline --help)
       npm run bench -- --buffalo …    (issue 14's buffalo_l work on t1.jpg and the pack's cold start; --buffalo --help)
       npm run bench -- --swap …       (face swap; its options: npm run bench -- --swap --help)
       npm run bench -- --tracker …    (FaceTracker against per-frame get() on a synthetic clip; --tracker --help)
       npm run bench -- --collection [DIR] …   (analyze over a photo folder, one at a time vs batched; --collection --help)
       npm run bench -- --index …      (face-index search; its options: npm run bench -- --index --help)
       npm run bench -- --plan-stats [--json FILE] [--software]   (WebGPU plan statistics per model, no device)

  --backend cpu|webgpu  cpu (default): our CPU backend against onnxruntime-web wasm (1 thread) and onnxruntime-node;
                        webgpu: our WebGPU backend against onnxruntime-web's WebGPU EP (bench/node/bench-webgpu.ts)
  --runs N              timed rounds per model (default 10; webgpu 5)
  --warmup N            untimed rounds first (default 2; webgpu 1)
  --models a,b          only these models (names or file names; default: all of the benchmark's models)
  --models-dir DIR      where the .onnx files are (default $INSIGHTGPU_MODELS, else ../shared/models)
  --json FILE           also write the rows as JSON
  --cpu-threads N       cpu: also run ours with cpuThreads N (an integer, or auto) in the same interleaved rounds,
                        with its ratios to ours (1 thread) and to ort-node
  --no-ort-node         cpu: leave onnxruntime-node out of the rounds (its worker threads share the cores with
                        the single-threaded pair; its columns are '-')
  -h, --help            this text`;

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const values = parseFlags(argv, {
    backend: { type: 'string', default: 'cpu' },
    json: { type: 'string' },
    runs: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    models: { type: 'string' },
    'models-dir': { type: 'string' },
    pipeline: { type: 'boolean', default: false },
    'no-ort-node': { type: 'boolean', default: false },
    'cpu-threads': { type: 'string', default: '1' },
    // Printed by main before any benchmark starts; declared so that strict parsing accepts it.
    help: { type: 'boolean', short: 'h', default: false },
  });
  return {
    backend: backendFlag(values.backend),
    json: values.json,
    runs: integerFlag('runs', values.runs, 1),
    warmup: integerFlag('warmup', values.warmup, 0),
    models: values.models?.split(',').map((s) => s.trim()).filter(Boolean),
    modelsDir: values['models-dir'] ?? process.env.INSIGHTGPU_MODELS ?? DEFAULT_MODELS_DIR,
    pipeline: values.pipeline,
    ortNode: !values['no-ort-node'],
    cpuThreads: values['cpu-threads'] === 'auto' ? resolveCpuThreads('auto') : integerFlag('cpu-threads', values['cpu-threads'], 1),
  };
}

function selectModels(options: BenchOptions): BenchModel[] {
  if (!options.models) return [...BENCH_MODELS];
  return options.models.map((name) => {
    const found = BENCH_MODELS.find((m) => m.name === name || m.file === name || m.file === `${name}.onnx`);
    if (!found) throw new BenchUsageError(`unknown model '${name}' (known: ${BENCH_MODELS.map((m) => m.name).join(', ')})`);
    return found;
  });
}

/** Deterministic pseudo-random input in [-1, 1), so every engine sees the same tensor. */
function makeInput(dims: readonly number[]): Float32Array {
  return new Prng(0x2545f491).fillRange(dims.reduce((a, b) => a * b, 1), -1, 1);
}

let ortNodeMissingNoted = false;

async function benchCpu(options: BenchOptions): Promise<number> {
  const models = selectModels(options);
  const rows: BenchRow[] = [];
  const table: string[][] = [['model', 'dims', 'ours (cpu)', 'ort-web wasm 1T', 'ratio', 'ort-node', 'ratio', 'ratio of mins vs web', 'max rel err']];
  for (const model of models) {
    const path = join(options.modelsDir, model.file);
    if (!existsSync(path)) {
      console.error(`skip ${model.name}: ${path} not found`);
      continue;
    }
    const bytes = readFileSync(path);
    const input = makeInput(model.dims);
    // onnxruntime-node is a dev dependency with a native binary; where it is absent (a carried, trimmed tree on a lent
    // GPU machine) the table says so and the sanity check uses onnxruntime-web instead.
    const node = !options.ortNode ? undefined : await createOrtNodeRunner(bytes, model, input).catch((error: unknown) => {
      if (!ortNodeMissingNoted) console.error(`ort-node unavailable (${(error as Error).message.split('\n')[0]}); its columns are '-'`);
      ortNodeMissingNoted = true;
      return undefined;
    });
    const threaded = options.cpuThreads > 1 ? await createOursRunner(bytes, model, input, options.cpuThreads) : undefined;
    const runners: Runner[] = [await createOursRunner(bytes, model, input), await createOrtWebRunner(bytes, model, input), ...(node ? [node] : []), ...(threaded ? [threaded] : [])];
    const [ours, web] = runners as [Runner, Runner];
    process.stderr.write(`${model.name}: ${options.warmup} warm-up + ${options.runs} timed rounds of ${runners.map((r) => r.label).join(', ')} …\n`);
    const results = await measureInterleaved(runners.map((r) => r.run), options.warmup, options.runs);
    results.forEach((m, i) => process.stderr.write(`  ${runners[i]!.label}: median ${formatMs(m.median)}, min ${formatMs(m.min)}, first ${formatMs(m.first)}\n`));
    const [mo, mw] = results as [typeof results[0], typeof results[0]];
    const mn = node ? results[2] : undefined;
    const mt = threaded ? results[results.length - 1] : undefined;
    if (threaded && mt) {
      const errT = maxRelativeError(await threaded.outputs(), await ours.outputs());
      process.stderr.write(`  ${threaded.label}: median ${(mt.median / mo.median).toFixed(2)}× ours 1T (min ${(mt.min / mo.min).toFixed(2)}×)` +
        `${mn ? `, ${(mt.median / mn.median).toFixed(2)}× ort-node (min ${(mt.min / mn.min).toFixed(2)}×)` : ''}; max rel diff to 1T ${errT}\n`);
      rows.push({ model: model.name, dims: model.dims, backend: `cpu ${options.cpuThreads}T`, ours_ms: round(mt.median), peer: 'ours (cpu)', peer_ms: round(mo.median), ratio: round(mt.median / mo.median) });
      if (mn) rows.push({ model: model.name, dims: model.dims, backend: `cpu ${options.cpuThreads}T`, ours_ms: round(mt.median), peer: node!.label, peer_ms: round(mn.median), ratio: round(mt.median / mn.median) });
    }
    // Sanity only (the parity suite owns correctness): worst output's max|a−b| / max|b| against ort-node (ort-web without it).
    const err = maxRelativeError(await ours.outputs(), await (node ?? web).outputs());
    const peers: [string, typeof mw][] = [[web.label, mw]];
    if (node && mn) peers.push([node.label, mn]);
    for (const [peer, m] of peers) {
      rows.push({ model: model.name, dims: model.dims, backend: 'cpu', ours_ms: round(mo.median), peer, peer_ms: round(m.median), ratio: round(mo.median / m.median) });
    }
    table.push([
      model.name, model.dims.join('×'), formatMs(mo.median), formatMs(mw.median), `${(mo.median / mw.median).toFixed(2)}×`,
      mn ? formatMs(mn.median) : '-', mn ? `${(mo.median / mn.median).toFixed(2)}×` : '-', `${(mo.min / mw.min).toFixed(2)}×`, err.toExponential(1),
    ]);
    for (const r of runners) await r.release();
  }
  printTable(table);
  console.log(`medians of ${options.runs} interleaved rounds after ${options.warmup} warm-up; ratio = ours / peer (lower is better); ort-node uses its default thread pool`);
  if (options.json) {
    writeFileSync(options.json, `${JSON.stringify(rows, null, 2)}\n`);
    console.log(`wrote ${rows.length} rows to ${options.json}`);
  }
  return 0;
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

function printTable(rows: readonly string[][]): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  rows.forEach((r, i) => {
    console.log(r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  });
}

// The WebGPU and pipeline benchmarks are loaded only when asked for: the CPU benchmark never loads Dawn.
async function benchWebgpuDelegate(argv: readonly string[]): Promise<number> {
  const { benchWebgpu } = await import('./bench-webgpu.js');
  return benchWebgpu(argv);
}

async function benchPipelineDelegate(argv: readonly string[]): Promise<number> {
  const { benchPipeline } = await import('./bench-pipeline.js');
  return benchPipeline(argv);
}

async function benchSwapDelegate(argv: readonly string[]): Promise<number> {
  const { benchSwap } = await import('./bench-swap.js');
  return benchSwap(argv);
}

/** CLI entry (also used by `insightgpu bench`): returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    // Which benchmark runs: a lenient first look at three flags. The pipeline and WebGPU benchmarks have options of
    // their own (--det-size, --image; --replicas, --profile, --adapter, --no-peer) and parse argv strictly themselves.
    const { values: mode } = parseArgs({
      args: argv.filter((a) => a !== '--'),
      options: { pipeline: { type: 'boolean' }, buffalo: { type: 'boolean' }, swap: { type: 'boolean' }, tracker: { type: 'boolean' }, index: { type: 'boolean' }, 'plan-stats': { type: 'boolean' }, backend: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: false,
      allowPositionals: true,
    });
    if (mode.pipeline === true) return await benchPipelineDelegate(argv);
    if (mode.buffalo === true) return await (await import('./bench-buffalo.js')).benchBuffalo(argv);
    if (mode.swap === true) return await benchSwapDelegate(argv);
    if (mode.tracker === true) return await (await import('./bench-tracker.js')).benchTracker(argv);
    if (argv.includes('--collection')) return await (await import('./bench-collection.js')).benchCollection(argv);
    if (mode.index === true) return await (await import('./bench-index.js')).benchIndex(argv);
    if (mode['plan-stats'] === true) return await (await import('./bench-plan-stats.js')).benchPlanStats(argv);
    if (argv.includes('--tiles')) return await (await import('./bench-tiles.js')).benchTiles(argv);
    if (mode.help === true) {
      console.log(BENCH_USAGE);
      return 0;
    }
    if (mode.backend === 'webgpu') return await benchWebgpuDelegate(argv.filter((a) => a !== '--'));
    const options = parseBenchArgs(argv);
    return await benchCpu(options);
  } catch (error) {
    if (error instanceof BenchUsageError) return reportUsageError('bench', error, BENCH_USAGE);
    throw error;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
