/**
 * WebGPU benchmark: our WebGPU backend against onnxruntime-web's WebGPU execution provider, both on the same Dawn
 * adapter in the same Node process. Per model and input size: median warm latency, cold start (model bytes → first
 * result on a started device; onnxruntime-web's first model also pays its device start), the ratio, and our plan's
 * peak activation memory.
 *
 * Cold start with our default tiered kernels is the first result from the generic kernels; warm latency is
 * measured after the specialised ones took over. Both engines keep compiled kernels per device (onnxruntime-web:
 * per process) across sessions, so a later model may reuse an earlier one's kernels: the first model's cold start
 * is the fully cold one for both.
 *
 *   npm run bench -- --backend webgpu [--json FILE] [--runs N] [--warmup N] [--models a,b] [--adapter NAME] [--no-peer]
 *                    [--replicas DIR] [--profile] [--kernels tiered|specialized|generic]
 *
 * On a software adapter (SwiftShader) the defaults are the small sizes (SCRFD-2.5G at 160×160, the heads); on a
 * real GPU every model at its bench size (detectors at 640×640). A benchmark, not a test: it never asserts on time.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KernelTiers, StepTiming } from '../../src/backends/plan.js';
import { InferenceSession } from '../../src/session/session.js';
import { parseModel } from '../../src/parser/decode-model.js';
import { acquireDevice } from '../../src/backends/webgpu/device.js';
import { existsSync } from 'node:fs';
import { forgeModels } from '../../models/forge/index.js';
import { BenchUsageError, integerFlag, parseFlags, reportUsageError } from './bench-args.js';
import { BENCH_MODELS, REPLICA_BENCH_MODELS, type BenchModel } from './bench-models.js';
import { modelMacs } from './model-macs.js';
import { formatMs, measure, median, profiledRuns } from './bench-util.js';
import { Prng } from '../../models/forge/prng.js';

export interface WebGpuBenchOptions {
  readonly models?: readonly string[];
  readonly modelsDir: string;
  readonly runs: number;
  readonly warmup: number;
  readonly adapterName?: string;
  /** Skip onnxruntime-web (e.g. where its WebGPU EP cannot start). */
  readonly peer: boolean;
  /** Folder of forged buffalo_l replicas (forged there when missing); enables the replica models. */
  readonly replicasDir?: string;
  /** Print each model's top ops by GPU time (timestamp queries where the adapter has them). */
  readonly profile: boolean;
  /** Our kernel tiers (default 'tiered': generic kernels give the first result, specialised ones take over). */
  readonly kernels?: KernelTiers;
}

export interface WebGpuBenchRow {
  readonly model: string;
  readonly dims: readonly number[];
  readonly backend: 'webgpu';
  readonly adapter: string;
  readonly ours_ms: number;
  readonly peer: 'ort-web-webgpu';
  readonly peer_ms: number | null;
  readonly ratio: number | null;
  readonly cold_ours_ms: number;
  readonly cold_peer_ms: number | null;
  readonly peak_bytes: number;
  /** max|ours − peer| / max|peer| over all outputs: both engines computed the same thing. */
  readonly rel_error_vs_peer: number | null;
  /** Conv/Gemm/MatMul multiply-accumulates at these dims, and the FLOP rate our median latency achieves. */
  readonly macs: number;
  readonly ours_gflops: number;
  /** Of cold_ours_ms: InferenceSession.create — decoding, and for models whose input shapes are all static the
   * plan too (shape inference, graph passes, weight upload, pipeline compilation); the rest is the first run. */
  readonly cold_create_ms: number;
  /** The kernels that gave the first result ('generic' with tiered kernels), and how long after that result the
   * specialised ones took over (0 when they gave it). Warm latency is measured after the switch. */
  readonly first_kernels: 'generic' | 'specialized';
  readonly specialize_ms: number;
  /**
   * Where cold_ours_ms went: decoding the file, the plan's graph passes, lowering, pipeline compiles (request to
   * ready, overlapping the upload) and weight upload with bind groups (session.compileTimes), and the first run
   * from the end of create (for a model with dynamic input shapes, its plan is made there).
   */
  readonly cold_phases: {
    readonly decode_ms: number; readonly passes_ms: number; readonly lower_ms: number;
    readonly pipelines_ms: number; readonly upload_ms: number; readonly first_run_ms: number;
  };
  /**
   * With --profile: the run's summed GPU time (its dispatches' timestamp-query durations, median of three profiled
   * runs) and the FLOP rate on it (issue 14 compares both rates with the GEMM yardstick); null without.
   */
  readonly gpu_ms: number | null;
  readonly ours_gflops_gpu: number | null;
  /**
   * With --profile: each step's GPU time, the median over the same profiled runs, in step order (the graph after
   * its passes, which every kernel tier shares): what bench/node/tier-report.ts compares between a tiered and a
   * `--kernels generic` run. Null without --profile.
   */
  readonly gpu_steps: readonly ProfiledStep[] | null;
}

export interface ProfiledStep {
  readonly node: string;
  readonly op: string;
  readonly ms: number;
}

const HERE = dirname(fileURLToPath(import.meta.url));
const DEFAULT_MODELS_DIR = resolve(HERE, '../../../shared/models');

/** Models at sizes SwiftShader gets through in seconds (SCRFD-500M is static 640×640: ask for it by name). */
const SOFTWARE_DEFAULTS: readonly BenchModel[] = [
  { name: 'scrfd_2.5g@160', file: 'scrfd_2.5g_bnkps.onnx', input: 'input.1', dims: [1, 3, 160, 160] },
  ...BENCH_MODELS.filter((m) => !m.name.startsWith('scrfd')),
];

function seeded(count: number): Float32Array {
  return new Prng(0x5eed).fillRange(count, -1, 1);
}

type OrtWeb = typeof import('onnxruntime-web');

/**
 * onnxruntime-web's WebGPU EP on Dawn in Node: it needs WebGPU's globals and navigator.gpu, and Dawn rejects
 * writeBuffer from SharedArrayBuffer views (ort-web's wasm heap), so those are copied to a plain buffer first.
 */
export async function loadOrtWebGpu(adapterName: string | undefined): Promise<OrtWeb> {
  const dawn = (await import('webgpu')) as unknown as { create(flags: string[]): GPU; globals: Record<string, unknown> };
  for (const [k, v] of Object.entries(dawn.globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  // The same instance flags as our backend, so both engines compile against the identical Dawn configuration.
  const gpu = dawn.create(['enable-dawn-features=disable_workgroup_init', 'disable-dawn-features=timestamp_quantization']);
  const nav = (globalThis as { navigator?: object }).navigator ?? {};
  Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  if (!(globalThis as { navigator?: object }).navigator) Object.defineProperty(globalThis, 'navigator', { value: nav, configurable: true });
  const queueProto = (dawn.globals['GPUQueue'] as { prototype: GPUQueue }).prototype;
  const original = queueProto.writeBuffer;
  queueProto.writeBuffer = function (this: GPUQueue, buffer: GPUBuffer, offset: number, data: BufferSource | SharedArrayBuffer, dataOffset?: number, size?: number) {
    if (ArrayBuffer.isView(data) && !(data instanceof DataView) && data.buffer instanceof SharedArrayBuffer) {
      // slice() keeps the element type (dataOffset and size count elements) but allocates a plain ArrayBuffer.
      data = (data as Uint8Array).slice();
    }
    return original.call(this, buffer, offset, data as BufferSource, dataOffset, size);
  } as GPUQueue['writeBuffer'];
  const ort = (await import('onnxruntime-web/webgpu')) as unknown as OrtWeb;
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter && (!adapterName || JSON.stringify(adapter.info).toLowerCase().includes(adapterName.toLowerCase()))) {
    (ort.env.webgpu as { adapter?: GPUAdapter }).adapter = adapter;
  }
  return ort;
}

function relError(ours: Record<string, { data: unknown }>, peer: Record<string, { data: unknown }>): number {
  let worst = 0;
  for (const [name, t] of Object.entries(peer)) {
    const a = ours[name]?.data as Float32Array | undefined;
    const b = t.data as Float32Array;
    if (!a || a.length !== b.length) return Infinity;
    let d = 0; let m = 0;
    for (let i = 0; i < b.length; i++) { d = Math.max(d, Math.abs(a[i]! - b[i]!)); m = Math.max(m, Math.abs(b[i]!)); }
    worst = Math.max(worst, m === 0 ? d : d / m);
  }
  return worst;
}

/** Runs the benchmark and returns one row per model and size. */
export async function runWebgpuBench(options: WebGpuBenchOptions, log: (line: string) => void = () => {}, onRow?: (rows: readonly WebGpuBenchRow[]) => void): Promise<WebGpuBenchRow[]> {
  // One device for every model (as onnxruntime-web keeps one), held until the end: starting and destroying Dawn
  // instances back to back in one process is not reliable. Its kind picks the default sizes.
  const gpu = await acquireDevice({ adapterName: options.adapterName, allowSoftwareAdapter: true });
  const software = gpu.isSoftware;
  const adapter = gpu.description;
  // Dawn in Node settles its promises from its own threads; a timer keeps Node's event loop from emptying (and the
  // process from exiting) while onnxruntime-web awaits them with nothing else pending.
  const keepAlive = setInterval(() => {}, 1000);
  try {
  const replicas = options.replicasDir ? REPLICA_BENCH_MODELS : [];
  const catalogue = [...SOFTWARE_DEFAULTS, ...BENCH_MODELS, ...replicas];
  const chosen = options.models
    ? options.models.map((n) => catalogue.find((m) => m.name === n) ?? (() => { throw new BenchUsageError(`unknown model '${n}' (known: ${[...new Set(catalogue.map((m) => m.name))].join(', ')})`); })())
    // On a software adapter the full-size detector and the batch-8 recognizer take many minutes a run: by name only.
    : [...(software ? SOFTWARE_DEFAULTS : BENCH_MODELS), ...replicas.filter((m) => !software || (m.name !== 'det_10g@640' && m.name !== 'w600k_r50@b8'))];
  const dirOf = (model: BenchModel): string => (replicas.includes(model) ? options.replicasDir! : options.modelsDir);
  if (options.replicasDir) {
    const missing = [...new Set(chosen.filter((m) => replicas.includes(m)).map((m) => m.file))]
      .filter((f) => !existsSync(join(options.replicasDir!, f)));
    if (missing.length > 0) {
      log(`forging ${missing.join(', ')} into ${options.replicasDir} …`);
      await forgeModels({ outDir: options.replicasDir, only: missing.map((f) => f.replace(/\.onnx$/, '')) });
    }
  }
  const ort = options.peer ? await loadOrtWebGpu(options.adapterName) : undefined;
  const rows: WebGpuBenchRow[] = [];
  for (const model of chosen) {
    const bytes = readFileSync(join(dirOf(model), model.file));
    const macs = modelMacs(bytes, model.input, model.dims);
    const input = seeded(model.dims.reduce((a, b) => a * b, 1));
    let t = performance.now();
    // InferenceSession.create in its two parts, so the decode shows on its own.
    const parsed = parseModel(bytes);
    const decodeMs = performance.now() - t;
    const session = await InferenceSession.fromModel(parsed, { backend: 'webgpu', webgpu: { device: gpu.device, kernels: options.kernels }, profiling: false });
    const coldCreate = performance.now() - t;
    const feeds = { [model.input]: { type: 'float32' as const, data: input, dims: [...model.dims] } };
    const oursOut = await session.run(feeds);
    const coldOurs = performance.now() - t;
    const compiled = session.compileTimes[0];
    const coldPhases = {
      decode_ms: decodeMs, passes_ms: compiled?.passesMs ?? 0, lower_ms: compiled?.lowerMs ?? 0, pipelines_ms: compiled?.pipelinesMs ?? 0,
      upload_ms: compiled?.uploadMs ?? 0, first_run_ms: coldOurs - coldCreate,
    };
    const firstKernels = session.kernels ?? 'specialized';
    await session.specialized();
    const specializeMs = performance.now() - t - coldOurs;
    const warmKernels = session.kernels ?? 'specialized';
    const ours = await measure(async () => { await session.run(feeds); }, options.warmup, options.runs);
    const peakBytes = session.peakBytes;
    await session.release();
    // Profiled in a session of its own (profiling changes how a run is encoded); printed under the model's row.
    const profileLines: string[] = [];
    const profiled = options.profile ? await printProfile(bytes, gpu.device, feeds, options.kernels, (line) => profileLines.push(line)) : null;
    const gpuMs = profiled?.gpuMs ?? null;
    if (warmKernels === 'generic') profileLines.push('  generic kernels only (--kernels generic)');
    else if (firstKernels === 'generic') profileLines.push(`  first result from the generic kernels; the specialised ones took over ${formatMs(specializeMs)} later`);
    profileLines.push(`  cold phases: decode ${formatMs(coldPhases.decode_ms)}, passes ${formatMs(coldPhases.passes_ms)}, lowering ${formatMs(coldPhases.lower_ms)}, ` +
      `pipeline compiles ${formatMs(coldPhases.pipelines_ms)} (overlapping the upload), upload ${formatMs(coldPhases.upload_ms)}, first run ${formatMs(coldPhases.first_run_ms)}` +
      ` (a dynamic-shape model's plan is made there)`);
    let peerMs: number | null = null;
    let coldPeer: number | null = null;
    let err: number | null = null;
    if (ort) {
      t = performance.now();
      const peer = await ort.InferenceSession.create(bytes, { executionProviders: ['webgpu'], graphOptimizationLevel: 'all' });
      const tensor = new ort.Tensor('float32', input, [...model.dims]);
      const peerOut = await peer.run({ [model.input]: tensor });
      coldPeer = performance.now() - t;
      peerMs = (await measure(async () => { await peer.run({ [model.input]: tensor }); }, options.warmup, options.runs)).median;
      err = relError(oursOut, peerOut);
      await peer.release();
    }
    const row: WebGpuBenchRow = {
      model: model.name, dims: model.dims, backend: 'webgpu', adapter, ours_ms: ours.median, peer: 'ort-web-webgpu', peer_ms: peerMs,
      ratio: peerMs ? ours.median / peerMs : null, cold_ours_ms: coldOurs, cold_peer_ms: coldPeer,
      peak_bytes: peakBytes, rel_error_vs_peer: err, macs, ours_gflops: (2 * macs) / (ours.median * 1e6), cold_create_ms: coldCreate,
      first_kernels: firstKernels, specialize_ms: specializeMs, cold_phases: coldPhases, gpu_ms: gpuMs,
      ours_gflops_gpu: gpuMs === null || gpuMs <= 0 ? null : (2 * macs) / (gpuMs * 1e6), gpu_steps: profiled?.steps ?? null,
    };
    rows.push(row);
    onRow?.(rows);
    log(formatRow(row));
    for (const line of profileLines) log(line);
  }
  return rows;
  } finally {
    clearInterval(keepAlive);
    gpu.release();
  }
}

/**
 * A separate profiling session (profiling changes how a run is encoded): top op types and nodes by GPU time.
 * Returns the run's summed step time in ms (the GPU time of its dispatches, from timestamp queries), the median of
 * three profiled runs.
 */
/**
 * Profiles the model in a session of its own with the same kernel tiers as the measured one (a tiered session is
 * profiled once its specialised kernels run; a `--kernels generic` one on the generic kernels), logs its top ops,
 * and returns the median summed GPU time and each step's median.
 */
async function printProfile(bytes: Uint8Array, device: GPUDevice, feeds: Parameters<InferenceSession['run']>[0], kernels: KernelTiers | undefined,
  log: (line: string) => void): Promise<{ gpuMs: number; steps: ProfiledStep[] }> {
  const session = await InferenceSession.create(bytes, { backend: 'webgpu', webgpu: { device, kernels }, profiling: true });
  const { totals, last: profile, runs } = await profiledRuns(session, () => session.run(feeds)).finally(() => session.release());
  const total = profile.reduce((s, p) => s + p.ms, 0);
  const byOp = new Map<string, { ms: number; count: number }>();
  for (const p of profile) { const e = byOp.get(p.opType) ?? { ms: 0, count: 0 }; e.ms += p.ms; e.count++; byOp.set(p.opType, e); }
  log(`  profile: ${profile.length} steps, ${total.toFixed(3)} ms of step time; by op: ` +
    [...byOp].sort((a, b) => b[1].ms - a[1].ms).map(([op, e]) => `${op}×${e.count} ${e.ms.toFixed(3)}`).join(', '));
  log(`  slowest: ${[...profile].sort((a, b) => b.ms - a.ms).slice(0, 6).map((p) => `${p.node} ${p.ms.toFixed(3)}`).join(', ')}`);
  return { gpuMs: median(totals), steps: stepMedians(runs) };
}

/** Each step's median time over profiled runs of one plan (the same steps in the same order every run). */
export function stepMedians(runs: readonly (readonly StepTiming[])[]): ProfiledStep[] {
  const first = runs[0] ?? [];
  return first.map((step, i) => ({ node: step.node, op: step.opType, ms: median(runs.map((r) => r[i]?.ms ?? NaN).filter((ms) => Number.isFinite(ms))) }));
}

const HEADER = ['model', 'dims', 'ours', 'ort-web webgpu', 'ratio', 'cold ours', 'cold peer', 'cold ratio', 'peak MiB', 'rel err', 'GFLOP/s', 'on GPU time'];

function formatRow(r: WebGpuBenchRow): string {
  const cells = [
    r.model, r.dims.join('x'), formatMs(r.ours_ms), r.peer_ms === null ? '-' : formatMs(r.peer_ms),
    r.ratio === null ? '-' : `${r.ratio.toFixed(2)}x`, formatMs(r.cold_ours_ms), r.cold_peer_ms === null ? '-' : formatMs(r.cold_peer_ms),
    r.cold_peer_ms === null ? '-' : `${(r.cold_ours_ms / r.cold_peer_ms).toFixed(2)}x`, (r.peak_bytes / 2 ** 20).toFixed(2),
    r.rel_error_vs_peer === null ? '-' : r.rel_error_vs_peer.toExponential(1), r.ours_gflops.toPrecision(4),
    r.ours_gflops_gpu === null ? '-' : r.ours_gflops_gpu.toPrecision(4),
  ];
  return cells.map((c, i) => (i < 2 ? c.padEnd(16) : c.padStart(12))).join(' ');
}

const KERNEL_TIERS: readonly KernelTiers[] = ['tiered', 'specialized', 'generic'];

const WEBGPU_USAGE = `usage: npm run bench -- --backend webgpu [--json FILE] [--runs N] [--warmup N] [--models a,b] [--models-dir DIR]
                        [--adapter NAME] [--no-peer] [--replicas DIR] [--profile] [--kernels tiered|specialized|generic]

  --runs N          timed rounds per model (default 5)
  --warmup N        untimed rounds first (default 1)
  --models a,b      only these models (default: the small sizes on a software adapter, every model at its bench size
                    on a GPU)
  --models-dir DIR  where the .onnx files are (default $INSIGHTGPU_MODELS, else ../shared/models)
  --adapter NAME    the adapter whose description contains NAME
  --no-peer         leave onnxruntime-web's WebGPU EP out
  --replicas DIR    also the forged buffalo_l models (forged into DIR when missing)
  --profile         per-op GPU time from timestamp queries; the JSON gets each row's summed GPU time
  --kernels T       tiered (default), specialized or generic kernels
  --json FILE       also write the rows as JSON, after every row`;

/** The command line of `bench --backend webgpu`; a BenchUsageError for an unknown flag or a bad value. */
export function parseWebgpuBenchArgs(argv: readonly string[]): { options: WebGpuBenchOptions; json?: string } {
  const values = parseFlags(argv, {
    backend: { type: 'string' },
    json: { type: 'string' },
    runs: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    models: { type: 'string' },
    'models-dir': { type: 'string' },
    adapter: { type: 'string' },
    'no-peer': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    replicas: { type: 'string' },
    kernels: { type: 'string' },
  });
  if (values.backend !== undefined && values.backend !== 'webgpu') throw new BenchUsageError(`--backend must be webgpu here, not '${values.backend}'`);
  const kernels = values.kernels as KernelTiers | undefined;
  if (kernels !== undefined && !KERNEL_TIERS.includes(kernels)) throw new BenchUsageError(`--kernels must be ${KERNEL_TIERS.join(', ')}, not '${values.kernels}'`);
  return {
    options: {
      models: values.models?.split(','),
      modelsDir: values['models-dir'] ?? process.env['INSIGHTGPU_MODELS'] ?? DEFAULT_MODELS_DIR,
      runs: integerFlag('runs', values.runs, 1),
      warmup: integerFlag('warmup', values.warmup, 0),
      adapterName: values.adapter,
      peer: !values['no-peer'],
      profile: values.profile,
      replicasDir: values.replicas === undefined ? undefined : resolve(values.replicas),
      kernels,
    },
    json: values.json,
  };
}

/** CLI entry used by bench/node/bench.ts for `--backend webgpu`: prints the table, returns the exit code. */
export async function benchWebgpu(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(WEBGPU_USAGE);
    return 0;
  }
  let parsed;
  try {
    parsed = parseWebgpuBenchArgs(argv);
  } catch (error) {
    if (error instanceof BenchUsageError) return reportUsageError('bench --backend webgpu', error, WEBGPU_USAGE);
    throw error;
  }
  console.log(HEADER.map((c, i) => (i < 2 ? c.padEnd(16) : c.padStart(12))).join(' '));
  let rows: WebGpuBenchRow[];
  // The JSON is rewritten after every row, so a run stopped at its time limit keeps the rows it finished.
  const writeRows = (done: readonly WebGpuBenchRow[]): void => { if (parsed.json) writeFileSync(parsed.json, JSON.stringify(done, null, 2)); };
  try {
    rows = await runWebgpuBench(parsed.options, (line) => console.log(line), writeRows);
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    return reportUsageError('bench --backend webgpu', error, WEBGPU_USAGE);
  }
  console.log(`adapter: ${rows[0]?.adapter ?? '-'}; ratio = ours / ort-web (lower is better); medians of ${parsed.options.runs} warm runs`);
  writeRows(rows);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await benchWebgpu(process.argv.slice(2));
}
