/**
 * The "buffalo_l work" benchmark (issue 14's headline row): FaceAnalysis.get() on t1.jpg at det 640 over
 * scrfd_2.5g_bnkps (real weights, so it finds the photo's 6 faces and the heads run on them) and the four forged
 * buffalo_l heads (w600k_r50, 1k3d68, 2d106det, genderage), with the detector's forward swapped for det_10g's,
 * measured alone: a random-weight det_10g would find 369 "faces" on t1.jpg.
 *
 *   npm run bench -- --buffalo [--backend cpu|webgpu] [--replicas DIR] [--models DIR] [--image FILE] [--det-size N]
 *                    [--precision fp32|fp16|both] [--runs N] [--warmup N] [--no-peer] [--no-cold] [--json FILE] [--adapter NAME]
 *
 * The numbers, each a median of interleaved warm rounds on one device, per precision (after app.specialized() and
 * each alone session's specialized(), so every one runs its specialised kernels):
 * - get(): the whole call on the decoded photo (detection with its pre- and post-processing, then the heads; on
 *   WebGPU the heads of all faces in one submit).
 * - scrfd forward / det_10g forward: each detector's session.run alone at the det size, on an InferenceSession of its
 *   own (same device and precision), fed from its own input buffer (no upload: get() fills it on the GPU), outputs
 *   read back.
 * - head forwards: each head's session.run alone, fed the same way, on what get() gives it: its crops in chunks of at
 *   most maxBatch, each chunk at batchSize() (on WebGPU the next power of two: 6 faces run as one batch of 8, padding
 *   included, as runHeadsTogether does); a fixed-batch-1 head once per face. Summed over one call's runs.
 * - buffalo_l work = get() − scrfd forward + det_10g forward (target ≤ 10 ms fp32, ≤ 6 ms fp16 on a GPU).
 * - sum of its forwards = det_10g forward + Σ head forwards; ratio = buffalo work / that sum (target ≤ 1.1×): what the
 *   pipeline costs beyond its models. Also get() / (scrfd forward + Σ head forwards), the same without the swap.
 * - cold start of the whole pack (fp32), ours against onnxruntime-web's (target ≤ 0.5×): each in a fresh child
 *   process (bench-buffalo-cold.ts, whose header has the exact definitions), both before this process starts a
 *   device, with NVIDIA's and Mesa's shader disk caches off in the children. Both engines' kernels are kept per
 *   device and per process; separate processes share none of them, nor the driver's compiler state.
 * On a software adapter or the CPU the targets read "n/a": those numbers are not GPU numbers.
 * A benchmark, not a test: it prints medians and never asserts on time.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forgeModels } from '../../models/forge/index.js';
import { acquireDevice, type GpuDevice } from '../../src/backends/webgpu/device.js';
import { GpuTensor } from '../../src/core/tensor.js';
import type { TensorData } from '../../src/core/ir.js';
import { FaceAnalysis } from '../../src/pipeline/face-analysis.js';
import { batchSize, headSpec } from '../../src/pipeline/head-model.js';
import { loadImage } from '../../src/pipeline/image-source.js';
import { InferenceSession } from '../../src/session/session.js';
import { Prng } from '../../models/forge/prng.js';
import { BenchUsageError, reportUsageError } from './bench-args.js';
import { REPLICA_BENCH_MODELS } from './bench-models.js';
import { formatMs, measureInterleaved } from './bench-util.js';
import { COLD_RESULT_PREFIX, type ColdResult, type ColdSpec, type OursCold, type PeerCold } from './bench-buffalo-cold.js';
import {
  BUFFALO_USAGE, BUFFALO_WORK_FORMULA, buffaloWork, choosePrecisions, EXPECTED_FACES, FORWARDS_SUM_FORMULA, HEAD_FILES, headBatches, parseBuffaloArgs,
  PIPELINE_DETECTOR, SWAPPED_DETECTOR, TARGETS, verdict, type BuffaloOptions, type BuffaloPrecision,
} from './buffalo-work.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** One head's forwards alone in one call: the batches it runs as and their summed median. */
export interface HeadForwardRow {
  readonly model: string;
  /** The batch of each run in one call, e.g. [8] (6 crops bucketed on WebGPU) or [6], or [1,1,1,1,1,1]. */
  readonly batches: readonly number[];
  readonly median_ms: number;
}

export interface PrecisionRow {
  readonly precision: BuffaloPrecision;
  readonly faces: number;
  readonly faces_ok: boolean;
  readonly get_ms: number;
  readonly get_min_ms: number;
  readonly scrfd_forward_ms: number;
  readonly det_10g_forward_ms: number;
  readonly heads: readonly HeadForwardRow[];
  readonly buffalo_work_ms: number;
  readonly forwards_sum_ms: number;
  readonly ratio_to_forwards: number;
  readonly pipeline_ratio_to_forwards: number;
  readonly target_ms: number;
  readonly status: string;
  readonly ratio_status: string;
}

export interface BuffaloReport {
  readonly bench: 'buffalo';
  readonly backend: 'cpu' | 'webgpu';
  readonly adapter: string;
  readonly software_adapter: boolean;
  readonly image: string;
  readonly det_size: readonly [number, number];
  readonly runs: number;
  readonly warmup: number;
  readonly models: { readonly detector: string; readonly swapped_for: string; readonly heads: readonly string[] };
  readonly definitions: Readonly<Record<string, string>>;
  readonly targets: typeof TARGETS;
  readonly precisions: PrecisionRow[];
  readonly not_measured: string[];
  cold?: ColdReport;
}

export interface ColdReport {
  readonly precision: 'fp32';
  readonly source: 'bytes in memory';
  readonly ours: OursCold | { readonly error: string };
  readonly peer: PeerCold | { readonly error: string } | null;
  readonly ratio: number | null;
  readonly status: string;
}

const DEFINITIONS = {
  buffalo_work: BUFFALO_WORK_FORMULA,
  forwards_sum: FORWARDS_SUM_FORMULA,
  ratio_to_forwards: 'buffalo_l work / sum of its forwards',
  pipeline_ratio_to_forwards: 'get() / (scrfd_2.5g forward + Σ head forwards): the same ratio without the swap',
  forward: 'session.run alone on an InferenceSession of its own (same device and precision), fed from its own input buffer (no upload), outputs read back; warm median',
  head_batches: 'what get() runs: chunks of at most maxBatch crops, each at batchSize() (WebGPU: the next power of two, padding included); a fixed-batch-1 head once per face',
  cold_ours: 'acquireDevice + FaceAnalysis.create from the five files\' bytes in memory + prepare + first get() on the decoded photo, result on the CPU; fresh process',
  cold_peer: 'the same five onnxruntime-web sessions created from bytes in memory one after another (the first makes its device) + one detector forward + each head on a batch of 6 crops, outputs read back; fresh process; its wasm runtime start (runtime_ms) before the clock',
  cold_ratio: 'ours cold_ms / peer cold_ms (ours includes its device start and its pre/post-processing, which the peer has not)',
};

/** The replicas the bench needs in `dir`, forged there when missing (as bench-webgpu.ts does). */
async function ensureReplicaFiles(dir: string, log: (s: string) => void): Promise<void> {
  const missing = [SWAPPED_DETECTOR, ...HEAD_FILES].filter((f) => !existsSync(join(dir, f)));
  if (missing.length === 0) return;
  log(`forging ${missing.join(', ')} into ${dir} …\n`);
  await forgeModels({ outDir: dir, only: missing.map((f) => f.replace(/\.onnx$/, '')) });
}

function replicaInput(file: string): { input: string; size: number } {
  const m = REPLICA_BENCH_MODELS.find((r) => r.file === file)!;
  return { input: m.input, size: m.dims[3]! };
}

/** Cold children still running: stopped with this process (run-gpu.sh's step limit ends it with SIGTERM). */
const activeChildren = new Set<ReturnType<typeof spawn>>();
let stopHandlerInstalled = false;
function stopChildrenOnExit(): void {
  if (stopHandlerInstalled) return;
  stopHandlerInstalled = true;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      for (const c of activeChildren) c.kill('SIGKILL');
      process.exit(signal === 'SIGTERM' ? 143 : 130);
    });
  }
}

/** Runs one cold child (a fresh node process with this one's loader flags) and returns its result line. */
function runColdChild(spec: ColdSpec, log: (s: string) => void, timeoutMs: number): Promise<ColdResult> {
  const script = join(HERE, `bench-buffalo-cold${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`);
  const loader = process.execArgv.some((a) => a.includes('tsx')) || !script.endsWith('.ts') ? [] : ['--import', 'tsx'];
  const env = {
    ...process.env,
    // Cold means no compiled shaders from an earlier process: NVIDIA's and Mesa's disk caches off, an empty folder.
    __GL_SHADER_DISK_CACHE: '0', __GL_SHADER_DISK_CACHE_PATH: mkdtempSync(join(tmpdir(), 'buffalo-cold-')), MESA_SHADER_CACHE_DISABLE: 'true',
  };
  return new Promise((resolvePromise, reject) => {
    stopChildrenOnExit();
    const child = spawn(process.execPath, [...process.execArgv, ...loader, script, JSON.stringify(spec)], { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    activeChildren.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => {
      const text = d.toString();
      err += text;
      for (const line of text.split('\n')) if (line.trim() && !line.includes('XDG_RUNTIME_DIR')) log(`  [cold ${spec.side}] ${line}\n`);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      activeChildren.delete(child);
      const line = out.split('\n').find((l) => l.startsWith(COLD_RESULT_PREFIX));
      if (line) resolvePromise(JSON.parse(line.slice(COLD_RESULT_PREFIX.length)) as ColdResult);
      else reject(new Error(`cold ${spec.side} child ended (${signal ?? `code ${code}`}) without a result${err ? `: ${err.trim().split('\n').slice(-3).join(' | ')}` : ''}`));
    });
  });
}

async function measureCold(options: BuffaloOptions, log: (s: string) => void): Promise<ColdReport> {
  const files = [join(options.modelsDir, PIPELINE_DETECTOR), ...HEAD_FILES.map((f) => join(options.replicasDir, f))];
  const base = {
    backend: options.backend, files, heads: HEAD_FILES.map(replicaInput), detectorInput: 'input.1', image: options.image,
    detSize: options.detSize, faces: EXPECTED_FACES, adapterName: options.adapterName,
  };
  // Minutes on a software adapter or the CPU; seconds on a GPU.
  const timeoutMs = 20 * 60_000;
  const attempt = async <T>(side: 'ours' | 'peer'): Promise<T | { error: string }> => {
    log(`cold start (${side}) in a fresh process …\n`);
    try {
      return (await runColdChild({ ...base, side }, log, timeoutMs)) as T;
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  };
  const ours = await attempt<OursCold>('ours');
  const peer = options.peer ? await attempt<PeerCold>('peer') : null;
  const ratio = 'cold_ms' in ours && peer && 'cold_ms' in peer ? ours.cold_ms / peer.cold_ms : null;
  log(`cold: ours ${'cold_ms' in ours ? formatMs(ours.cold_ms) : ours.error}, peer ${peer === null ? '-' : 'cold_ms' in peer ? formatMs(peer.cold_ms) : peer.error}${ratio === null ? '' : `, ratio ${ratio.toFixed(2)}×`}\n`);
  return { precision: 'fp32', source: 'bytes in memory', ours, peer, ratio, status: verdict(ratio ?? undefined, TARGETS.cold_ratio_to_peer, coldWhere(options.backend, ours)) };
}

/** Where the cold start ran: the child's own device says whether it was a GPU. */
function coldWhere(backend: 'cpu' | 'webgpu', ours: OursCold | { readonly error: string }): 'gpu' | 'software adapter' | 'cpu backend' {
  if (backend === 'cpu') return 'cpu backend';
  return 'software' in ours && !ours.software ? 'gpu' : 'software adapter';
}

function whereMeasured(backend: 'cpu' | 'webgpu', gpu: GpuDevice | undefined): 'gpu' | 'software adapter' | 'cpu backend' {
  if (backend === 'cpu') return 'cpu backend';
  return gpu?.isSoftware === false ? 'gpu' : 'software adapter';
}

/** A session's run alone as get() runs it: the batches, each fed from its own input buffer on WebGPU. */
async function aloneForward(
  session: InferenceSession, batches: readonly number[], gpu: GpuDevice | undefined, seed: number, dims1?: readonly number[],
): Promise<() => Promise<void>> {
  const input = session.inputMetadata[0]!;
  // An item's shape: given (a detector's H and W are symbolic), else the model's declared one.
  const rest = (dims1 ?? input.shape).slice(1) as number[];
  const prng = new Prng(seed);
  const feeds: Record<string, TensorData | GpuTensor>[] = [];
  const made = new Map<number, TensorData | GpuTensor>();
  for (const b of batches) {
    let feed = made.get(b);
    if (!feed) {
      const dims = [b, ...rest];
      const data = prng.fillRange(dims.reduce((a, d) => a * d, 1), -1, 1);
      if (gpu) {
        // The plan's own input buffer, written once: a run then uploads nothing, as in get() (GPU pre-processing).
        const t = await session.gpuInput(input.name, dims);
        gpu.device.queue.writeBuffer(t.buffer, t.byteOffset, data);
        feed = t;
      } else {
        feed = { type: 'float32', data, dims };
      }
      made.set(b, feed);
    }
    feeds.push({ [input.name]: feed });
  }
  const run = async (): Promise<void> => { for (const f of feeds) await session.run(f as Parameters<InferenceSession['run']>[0]); };
  await run();
  await session.specialized();
  return run;
}

async function measurePrecision(
  options: BuffaloOptions, precision: BuffaloPrecision, gpu: GpuDevice | undefined, pack: Record<string, Uint8Array>, bytes: Record<string, Uint8Array>,
  log: (s: string) => void,
): Promise<PrecisionRow> {
  const webgpu = gpu ? { device: gpu.device, ...(precision === 'fp16' ? { precision: 'fp16' as const } : {}) } : undefined;
  const sessionOptions = { backend: options.backend, ...(webgpu ? { webgpu } : {}) };
  const app = await FaceAnalysis.create({ models: { files: pack }, backend: options.backend, sessionOptions: webgpu ? { webgpu } : undefined });
  const alone: InferenceSession[] = [];
  try {
    // FaceAnalysis takes the first detector it finds: with det_10g among the files it would run the random one.
    const detector = app.models.get('detection')?.file;
    if (detector !== PIPELINE_DETECTOR) throw new Error(`FaceAnalysis detects with ${detector}, not ${PIPELINE_DETECTOR}`);
    app.prepare({ detThresh: 0.5, detSize: [options.detSize[0], options.detSize[1]] });
    const image = await loadImage(options.image);
    let faces = (await app.get(image)).length;
    await app.specialized();
    log(`${precision}: get() found ${faces} face${faces === 1 ? '' : 's'}\n`);
    const facesOk = faces === EXPECTED_FACES;
    if (!facesOk) {
      log(`\n!!! ${precision}: get() found ${faces} faces on ${basename(options.image)}, expected ${EXPECTED_FACES}: the heads' numbers are for ${faces} crops, not the target's ${EXPECTED_FACES} !!!\n\n`);
    }
    const open = async (name: string): Promise<InferenceSession> => {
      const s = await InferenceSession.create(bytes[name]!, sessionOptions);
      alone.push(s);
      return s;
    };
    // The detector input get() makes at this det size: the photo letterboxed into 1×3×H×W.
    const detDims = [1, 3, options.detSize[1], options.detSize[0]];
    const detectorRun = async (name: string, seed: number): Promise<() => Promise<void>> => aloneForward(checkShape(await open(name), detDims), [1], gpu, seed, detDims);
    const scrfd = await detectorRun(PIPELINE_DETECTOR, 1);
    const det10g = await detectorRun(SWAPPED_DETECTOR, 2);
    const heads: { model: string; batches: number[]; run: () => Promise<void> }[] = [];
    for (const [i, file] of HEAD_FILES.entries()) {
      const s = await open(file);
      const spec = headSpec(file.replace(/\.onnx$/, ''), s, { mean: 127.5, std: 127.5 });
      const batches = headBatches(spec.dynamicBatch, faces, (n) => batchSize(spec, n), spec.maxBatch);
      heads.push({ model: spec.taskname, batches, run: await aloneForward(s, batches, gpu, 10 + i) });
    }
    const seen = new Set<number>();
    const rounds = await measureInterleaved([
      async () => { seen.add((await app.get(image)).length); },
      scrfd, det10g, ...heads.map((hd) => hd.run),
    ], options.warmup, options.runs);
    if (seen.size !== 1 || !seen.has(faces)) log(`!!! ${precision}: the face count changed between calls (${[...seen].join(', ')}) !!!\n`);
    faces = [...seen][0] ?? faces;
    const [getM, scrfdM, detM, ...headM] = rounds as [typeof rounds[0], typeof rounds[0], typeof rounds[0], ...typeof rounds];
    const work = buffaloWork({ get: getM.median, scrfdForward: scrfdM.median, det10gForward: detM.median, headForwards: headM.map((m) => m.median) });
    const where = whereMeasured(options.backend, gpu);
    const target = precision === 'fp32' ? TARGETS.fp32_ms : TARGETS.fp16_ms;
    return {
      precision, faces, faces_ok: facesOk && seen.size === 1, get_ms: round(getM.median), get_min_ms: round(getM.min),
      scrfd_forward_ms: round(scrfdM.median), det_10g_forward_ms: round(detM.median),
      heads: heads.map((hd, i) => ({ model: hd.model, batches: hd.batches, median_ms: round(headM[i]!.median) })),
      buffalo_work_ms: round(work.buffaloWorkMs), forwards_sum_ms: round(work.forwardsSumMs), ratio_to_forwards: round(work.ratio),
      pipeline_ratio_to_forwards: round(work.pipelineRatio), target_ms: target,
      status: verdict(work.buffaloWorkMs, target, where), ratio_status: verdict(work.ratio, TARGETS.ratio_to_forwards, where),
    };
  } finally {
    for (const s of alone) await s.release();
    await app.release();
  }
}

/** The session itself, once it is known to take this input shape (a fixed-size detector at another size fails here). */
function checkShape(session: InferenceSession, dims: readonly number[]): InferenceSession {
  const declared = session.inputMetadata[0]!.shape;
  const fixed = declared.every((d) => typeof d === 'number');
  if (fixed && declared.some((d, i) => d !== dims[i])) {
    throw new BenchUsageError(`the detector's input is fixed at ${declared.join('×')}, not ${dims.join('×')} (pick that --det-size)`);
  }
  return session;
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

export function formatBuffaloReport(r: BuffaloReport): string {
  const lines: string[] = [];
  lines.push(`buffalo_l work of ${basename(r.image)} at det ${r.det_size.join('×')}, backend ${r.backend} on ${r.adapter}${r.software_adapter ? ' (software adapter: not GPU numbers)' : r.backend === 'cpu' ? ' (not GPU numbers)' : ''}`);
  lines.push(`  ${BUFFALO_WORK_FORMULA}; ${FORWARDS_SUM_FORMULA}; ratio = buffalo work / sum of its forwards`);
  const rows: string[][] = [['precision', 'faces', 'get()', 'scrfd fwd', 'det_10g fwd', 'heads fwd', 'buffalo work', 'target', 'status', 'sum of fwds', 'ratio', 'target', 'status']];
  for (const p of r.precisions) {
    const heads = p.heads.reduce((a, h) => a + h.median_ms, 0);
    rows.push([p.precision, `${p.faces}${p.faces_ok ? '' : ' (!)'}`, formatMs(p.get_ms), formatMs(p.scrfd_forward_ms), formatMs(p.det_10g_forward_ms), formatMs(heads),
      formatMs(p.buffalo_work_ms), `≤ ${p.target_ms} ms`, p.status, formatMs(p.forwards_sum_ms), `${p.ratio_to_forwards.toFixed(3)}×`, `≤ ${r.targets.ratio_to_forwards}×`, p.ratio_status]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  rows.forEach((row, i) => {
    lines.push(row.map((cell, c) => (c < 1 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
    if (i === 0) lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
  });
  for (const p of r.precisions) {
    lines.push(`  ${p.precision} head forwards: ${p.heads.map((h) => `${h.model} ${formatMs(h.median_ms)} (batch ${h.batches.join('+')})`).join(', ')}; get() min ${formatMs(p.get_min_ms)}; without the swap get() / forwards = ${p.pipeline_ratio_to_forwards.toFixed(3)}×`);
  }
  for (const n of r.not_measured) lines.push(n);
  const c = r.cold;
  if (c) {
    const o = c.ours;
    const oursText = 'error' in o ? `failed (${o.error})` : `${formatMs(o.cold_ms)} (device ${formatMs(o.device_ms)} + create ${formatMs(o.create_ms)} + first get() ${formatMs(o.first_get_ms)}, ${o.faces} faces)`;
    const p = c.peer;
    const peerText = p === null ? 'not measured (--no-peer)' : 'error' in p ? `failed (${p.error})` : `${p.peer} ${formatMs(p.cold_ms)} (create ${formatMs(p.create_ms)} + first runs ${formatMs(p.first_runs_ms)}; its wasm runtime start ${formatMs(p.runtime_ms)} is before the clock)`;
    lines.push(`cold start of the whole pack (fp32, from bytes in memory, each in a fresh process): ours ${oursText}; peer ${peerText}`);
    lines.push(`  cold ratio ours / peer: ${c.ratio === null ? '-' : `${c.ratio.toFixed(2)}×`} (target ≤ ${r.targets.cold_ratio_to_peer}×): ${c.status}`);
  }
  return lines.join('\n');
}

export async function runBuffaloBench(options: BuffaloOptions, log: (s: string) => void, onPartial?: (r: BuffaloReport) => void): Promise<BuffaloReport> {
  for (const f of [options.image, join(options.modelsDir, PIPELINE_DETECTOR)]) if (!existsSync(f)) throw new BenchUsageError(`${f} not found (see --image, --models)`);
  await ensureReplicaFiles(options.replicasDir, log);
  // Cold first: before this process starts a device or compiles anything (the children share nothing with it).
  const cold = options.cold ? await measureCold(options, log) : undefined;
  // Each precision runs on a device made for it, as a user's would be: an fp16 device comes from a Dawn instance
  // with allow_unsafe_apis and may carry subgroup matrices, and the fp32 rows must not be measured on it.
  const deviceFor = (precision: BuffaloPrecision): Promise<GpuDevice> =>
    acquireDevice({ adapterName: options.adapterName, allowSoftwareAdapter: true, ...(precision === 'fp16' ? { precision: 'fp16' as const } : {}) });
  let gpu = options.backend === 'webgpu' ? await deviceFor(options.precision === 'fp16' ? 'fp16' : 'fp32') : undefined;
  let gpuPrecision: BuffaloPrecision = options.precision === 'fp16' ? 'fp16' : 'fp32';
  const keepAlive = setInterval(() => {}, 1000);
  try {
    // Every device asks for shader-f16 where the adapter offers it, so the first one answers for the adapter.
    const { run, notMeasured } = choosePrecisions(options.precision, options.backend, gpu?.hasShaderF16 ?? false);
    const files = [join(options.modelsDir, PIPELINE_DETECTOR), join(options.replicasDir, SWAPPED_DETECTOR), ...HEAD_FILES.map((f) => join(options.replicasDir, f))];
    const bytes = Object.fromEntries(files.map((f) => [basename(f), new Uint8Array(readFileSync(f))]));
    // The pack get() runs: the pipeline's detector and the four heads (det_10g's bytes feed its forward alone).
    const pack = Object.fromEntries(Object.entries(bytes).filter(([name]) => name !== SWAPPED_DETECTOR));
    const report: BuffaloReport = {
      bench: 'buffalo', backend: options.backend, adapter: gpu?.description ?? 'CPU (TypeScript)', software_adapter: gpu?.isSoftware ?? false,
      image: options.image, det_size: options.detSize, runs: options.runs, warmup: options.warmup,
      models: { detector: PIPELINE_DETECTOR, swapped_for: SWAPPED_DETECTOR, heads: [...HEAD_FILES] },
      definitions: DEFINITIONS, targets: TARGETS, precisions: [], not_measured: notMeasured, ...(cold ? { cold } : {}),
    };
    onPartial?.(report);
    for (const precision of run) {
      try {
        if (gpu && gpuPrecision !== precision) {
          gpu.release();
          gpu = undefined;
          gpu = await deviceFor(precision);
          gpuPrecision = precision;
        }
        if (precision === 'fp16' && gpu?.subgroupMatrix) log(`fp16 plans use subgroup matrices: ${JSON.stringify(gpu.subgroupMatrix)}\n`);
        const row = await measurePrecision(options, precision, gpu, pack, bytes, log);
        report.precisions.push(row);
        log(`${precision}: buffalo work ${formatMs(row.buffalo_work_ms)} (${row.status}), ratio to its forwards ${row.ratio_to_forwards.toFixed(3)}× (${row.ratio_status})\n`);
      } catch (error) {
        if (error instanceof BenchUsageError) throw error;
        report.not_measured.push(`${precision}: failed (${error instanceof Error ? error.message : String(error)})`);
      }
      onPartial?.(report);
    }
    return report;
  } finally {
    clearInterval(keepAlive);
    gpu?.release();
  }
}

/** Entry point used by bench.ts's `--buffalo` hook; returns the exit code. */
export async function benchBuffalo(argv: readonly string[]): Promise<number> {
  let options: BuffaloOptions | undefined;
  let report: BuffaloReport;
  const log = (s: string): void => { process.stderr.write(s); };
  try {
    options = parseBuffaloArgs(argv);
    if (!options) {
      console.log(BUFFALO_USAGE);
      return 0;
    }
    const json = options.json;
    report = await runBuffaloBench(options, log, json ? (r) => writeFileSync(json, `${JSON.stringify(r, null, 2)}\n`) : undefined);
  } catch (error) {
    if (error instanceof BenchUsageError) return reportUsageError('bench --buffalo', error, BUFFALO_USAGE);
    throw error;
  }
  console.log(formatBuffaloReport(report));
  if (options.json) console.log(`wrote ${options.json}`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await benchBuffalo(process.argv.slice(2));
}
