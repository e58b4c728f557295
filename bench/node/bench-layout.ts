/**
 * NCHW against NHWC, measured on the conv layers of the real models (issue 3: "choose the activation layout by
 * measurement"). For every distinct Conv step of each model — shapes and fused epilogues taken from the graph as
 * the session plans it (parse → specializeGraph → optimizeGraph) — it times the product's NCHW kernel
 * (convGpu.lower, the specialised variant) beside the NHWC lowering of bench/node/conv-nhwc.ts, which uses the same
 * tiling code with NHWC index math. Before timing, the NHWC output (transposed) must equal the NCHW one.
 *
 * Not timed here: the layout transposes an NHWC model needs at its input and before SCRFD's NCHW-shaped heads, and
 * the non-conv ops (elementwise ops do not care about the layout; pooling and resize would need NHWC twins too).
 *
 *   npm run bench:layout -- [--models scrfd_2.5g,mobilefacenet,det_10g,w600k_r50] [--size N] [--reps N]
 *                            [--software | --tiled] [--models-dir DIR] [--replicas DIR] [--adapter NAME] [--json FILE]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ConvParams } from '../../src/ops/conv/params.js';
import { convGpu } from '../../src/ops/conv/gpu.js';
import type { GpuDispatch } from '../../src/ops/kernel/gpu-dispatch.js';
import { ShapeValues } from '../../src/ops/kernel/shape-values.js';
import { parseModel } from '../../src/parser/decode-model.js';
import { BackendError, InputError } from '../../src/core/errors.js';
import type { PlannedStep } from '../../src/graph/specialize.js';
import { specializeGraph } from '../../src/graph/specialize.js';
import { optimizeGraph } from '../../src/graph/optimize.js';
import { acquireDevice, type GpuDevice } from '../../src/backends/webgpu/device.js';
import { BufferUsage, MapMode } from '../../src/backends/webgpu/gpu-constants.js';
import { PipelineCache } from '../../src/backends/webgpu/pipeline-cache.js';
import { Prng } from '../../models/forge/prng.js';
import { median } from './bench-util.js';
import { ConvDispatchRunner, isDepthwise, lowerConvNhwc, nchwToNhwc, nhwcToNchw, repackWeightsNhwc, type NhwcGemm } from './conv-nhwc.js';

const USAGE = `Usage: npm run bench:layout -- [options]

Times every distinct conv layer of the models in NCHW (the product's kernel) and NHWC (same tiling, NHWC indexing).

Options:
  --models LIST     comma-separated: scrfd_2.5g, mobilefacenet, det_10g, w600k_r50 (replicas, when present)
                    (default: all four on a GPU; scrfd_2.5g,mobilefacenet on a software adapter)
  --size N          detector input size N×N (default 640; 160 on a software adapter); recognisers take 112×112
  --reps N          timed repetitions per kernel, interleaved (default 15; 5 on a software adapter)
  --software        the direct GEMM variant the product uses on software adapters, on any adapter
  --tiled           the workgroup-tiled variant even on a software adapter (a dry run of the GPU path)
  --wall            time by wall clock even when the device has timestamp queries
  --models-dir DIR  folder of the served models (default ../shared/models)
  --replicas DIR    folder of forged replicas (default .cache/replicas/v1-seed20240601)
  --adapter NAME    adapter whose description contains NAME
  --json FILE       write the rows as JSON
  -h, --help        this text`;

interface BenchModel {
  readonly name: string;
  readonly file: string;
  readonly replica: boolean;
  /** Detectors take --size; recognisers their declared 112×112. */
  readonly detector: boolean;
}

const MODELS: readonly BenchModel[] = [
  { name: 'scrfd_2.5g', file: 'scrfd_2.5g_bnkps.onnx', replica: false, detector: true },
  { name: 'mobilefacenet', file: 'mobilefacenet.onnx', replica: false, detector: false },
  { name: 'det_10g', file: 'det_10g.onnx', replica: true, detector: true },
  { name: 'w600k_r50', file: 'w600k_r50.onnx', replica: true, detector: false },
];

/** NCHW, then each NHWC GEMM orientation measured on this run. */
type Variant = 'nchw' | `nhwc:${NhwcGemm}`;

interface Timing {
  readonly median_us: number;
  /** The fastest repetition: on a shared, noisy machine the estimate least inflated by other load. */
  readonly min_us: number;
  /** (max − min) / median over the repetitions. */
  readonly spread: number;
  /** NHWC variants: median over repetitions of this variant's time / NCHW's in the same repetition. */
  readonly paired_ratio?: number;
  readonly samples_us: readonly number[];
}

export interface LayerRow {
  readonly layer: string;
  /** How many conv steps of the model have exactly this configuration (timed once, counted this many times). */
  readonly count: number;
  readonly shape: string;
  readonly gflop: number;
  /** Worst |NHWCᵀ − NCHW| / max|NCHW| over the NHWC variants. */
  readonly rel_diff: number;
  readonly timings: Readonly<Record<string, Timing>>;
}

export interface ModelRow {
  readonly model: string;
  readonly dims: readonly number[];
  readonly adapter: string;
  readonly kernels: 'direct' | 'tiled';
  readonly timestamps: boolean;
  readonly layers: readonly LayerRow[];
  /** Σ count × median per variant, µs. */
  readonly total_us: Readonly<Record<string, number>>;
  /** Σ count × fastest repetition per variant, µs. */
  readonly total_min_us: Readonly<Record<string, number>>;
  /** Per variant (NHWC only): median over repetitions of Σ NHWC / Σ NCHW, with its min and max. */
  readonly total_ratio: Readonly<Record<string, { readonly median: number; readonly min: number; readonly max: number }>>;
}

/** Conv steps of the model as the WebGPU session plans them, with the dims of its image input. */
function convSteps(bytes: Uint8Array, model: BenchModel, size: number): { steps: PlannedStep<ConvParams>[]; dims: number[] } {
  const parsed = parseModel(bytes);
  const input = parsed.graph.inputs[0];
  if (!input) throw new InputError(`${model.name} declares no input`);
  const declared = input.shape ?? [];
  // Recognisers: their declared size (the batch axis is symbolic in some files), 112 where a file leaves it open.
  const dims = model.detector || declared.length !== 4
    ? [1, 3, size, size]
    : declared.map((d, i) => (i === 0 ? 1 : typeof d === 'number' && d > 0 ? d : i === 1 ? 3 : 112));
  const graph = optimizeGraph(specializeGraph(parsed, new Map([[input.name, { type: 'float32', dims }]])));
  return { steps: graph.steps.filter((s): s is PlannedStep<ConvParams> => s.node.opType === 'Conv'), dims };
}

function describe(p: ConvParams, hasBias: boolean): string {
  const [, c, h, w] = p.inDims;
  const [, m, ho, wo] = p.outDims;
  const tail = [hasBias ? 'b' : '', p.epilogue.residual ? '+res' : '', p.epilogue.kind === 'prelu' ? '+prelu' : p.epilogue.kind === 'unary' ? `+${p.epilogue.unary.kind.toLowerCase()}` : ''].join('');
  const kind = isDepthwise(p) ? ' dw' : p.group > 1 ? ` g${p.group}` : '';
  return `${p.kernel[0]}x${p.kernel[1]}/${p.strides[0]}${kind} ${c}→${m} ${h}x${w}→${ho}x${wo}${tail ? ` ${tail}` : ''}`;
}

/** Identity of a layer for timing: every number that reaches the kernels (PRelu slope values do not matter). */
function layerKey(p: ConvParams, hasBias: boolean): string {
  const e = p.epilogue;
  const act = e.kind === 'prelu' ? `prelu${e.slope.length}` : e.kind === 'unary' ? JSON.stringify(e.unary) : 'none';
  return JSON.stringify([p.group, p.kernel, p.strides, p.dilations, p.pads, p.inDims, p.outDims, hasBias, e.residual ?? false, act]);
}

function relativeDiff(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let ref = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    ref = Math.max(ref, Math.abs(b[i]!));
  }
  return ref === 0 ? diff : diff / ref;
}

/**
 * Times `repeats` back-to-back runs of one kernel and returns µs per run: GPU timestamps around one pass holding
 * all of them when the device has timestamp queries, else wall time of `repeats` submissions until the queue drains.
 */
async function timeRuns(gpu: GpuDevice, runner: ConvDispatchRunner, repeats: number, timestamps: boolean): Promise<number> {
  const { device } = gpu;
  if (timestamps) {
    const querySet = device.createQuerySet({ type: 'timestamp', count: 2 });
    const resolveBuffer = device.createBuffer({ size: 16, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC });
    const read = device.createBuffer({ size: 16, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } });
    for (let r = 0; r < repeats; r++) runner.encode(pass);
    pass.end();
    encoder.resolveQuerySet(querySet, 0, 2, resolveBuffer, 0);
    encoder.copyBufferToBuffer(resolveBuffer, 0, read, 0, 16);
    device.queue.submit([encoder.finish()]);
    await read.mapAsync(MapMode.READ);
    const ns = new BigInt64Array(read.getMappedRange().slice(0));
    read.unmap();
    for (const o of [querySet, resolveBuffer, read]) o.destroy();
    return Number(ns[1]! - ns[0]!) / 1e3 / repeats;
  }
  const start = performance.now();
  for (let r = 0; r < repeats; r++) {
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    runner.encode(pass);
    pass.end();
    device.queue.submit([encoder.finish()]);
  }
  await device.queue.onSubmittedWorkDone();
  return ((performance.now() - start) * 1e3) / repeats;
}

interface LayerJob {
  readonly step: PlannedStep<ConvParams>;
  readonly hasBias: boolean;
  count: number;
}

interface Settings {
  readonly gpu: GpuDevice;
  readonly cache: PipelineCache;
  readonly software: boolean;
  readonly reps: number;
  readonly orientations: readonly NhwcGemm[];
  /** GPU timestamp queries (else wall time). */
  readonly timestamps: boolean;
}

/** Sets up one layer's kernels, checks NHWC against NCHW, then times them interleaved; per-repetition µs per variant. */
async function measureLayer(job: LayerJob, s: Settings, seed: number): Promise<{ row: LayerRow; perRep: Map<Variant, number[]> }> {
  const { gpu, cache } = s;
  const p = job.step.params;
  const [, c] = p.inDims;
  const [, m, ho, wo] = p.outDims;
  const outLength = p.outDims.reduce((a, b) => a * b);
  const prng = new Prng(seed);
  // Values do not change the timing; the layer's own weights would only tie the benchmark to one model's numbers.
  const x = prng.fillRange(p.inDims.reduce((a, b) => a * b), -1, 1);
  const w = prng.fillRange(m * (c / p.group) * p.kernel[0] * p.kernel[1], -1, 1);
  const bias = job.hasBias ? prng.fillRange(m, -1, 1) : undefined;
  const residual = p.epilogue.residual ? prng.fillRange(outLength, -1, 1) : undefined;
  const maxWorkgroupsPerDimension = gpu.device.limits.maxComputeWorkgroupsPerDimension;
  const label = job.step.node.name || 'Conv';
  const ft = (dims: readonly number[]) => ({ type: 'float32' as const, dims });
  const lowering = convGpu.lower({
    // The weights as a load-time constant, as in a model: the product repacks them (tap-major, K-major) at lowering.
    node: job.step.node, params: p, outputs: [ft(p.outDims)], constants: [undefined, { ...ft([m, c / p.group, ...p.kernel]), data: w }], maxWorkgroupsPerDimension,
    software: s.software, shape: ShapeValues.literal(),
    inputs: [ft(p.inDims), ft([m, c / p.group, ...p.kernel]), bias ? ft([m]) : undefined, residual ? ft(p.outDims) : undefined],
  });
  if (lowering?.kind !== 'dispatches') throw new BackendError('webgpu', `${label}: the product's conv kernel did not lower`);
  const runners = new Map<Variant, ConvDispatchRunner>();
  const add = async (v: Variant, dispatches: readonly GpuDispatch[], inputs: (Float32Array | undefined)[]): Promise<void> => {
    runners.set(v, await ConvDispatchRunner.create(gpu, cache, dispatches, inputs, outLength, `${label} ${v}`));
  };
  try {
    await add('nchw', lowering.dispatches, [x, w, bias, residual]);
    // Depthwise has one NHWC kernel whatever the GEMM orientation.
    for (const gemm of isDepthwise(p) ? s.orientations.slice(0, 1) : s.orientations) {
      await add(`nhwc:${gemm}`, lowerConvNhwc(p, job.hasBias, { software: s.software, maxWorkgroupsPerDimension, gemm }),
        [nchwToNhwc(x, p.inDims), repackWeightsNhwc(p, w, gemm), bias, residual && nchwToNhwc(residual, p.outDims)]);
    }
    const reference = await runners.get('nchw')!.runAndRead();
    let relDiff = 0;
    for (const [v, r] of runners) {
      if (v === 'nchw') continue;
      const d = relativeDiff(nhwcToNchw(await r.runAndRead(), [p.outDims[0], m, ho, wo]), reference);
      // Same fp32 products summed in another order (tap-major vs channel-major K, other K splits): rounding moves
      // by ~√K·ε of the terms, ~1e-6 of the output's range here; an index error moves it by O(1).
      if (!(d <= 1e-5)) throw new BackendError('webgpu', `${label} (${describe(p, job.hasBias)}): ${v} differs from NCHW by ${d.toExponential(2)} relative`);
      relDiff = Math.max(relDiff, d);
    }
    const variants = [...runners.keys()];
    // Repeats per timed sample: enough back-to-back runs for ~2 ms of GPU work, so launch gaps and timer
    // resolution are noise (one run per sample on a software adapter, where a layer takes milliseconds anyway).
    const once = Math.max(...await Promise.all(variants.map(async (v) => timeRuns(gpu, runners.get(v)!, 1, s.timestamps))));
    const repeats = s.software ? 1 : Math.max(1, Math.min(200, Math.round(2000 / Math.max(once, 1))));
    const perRep = new Map<Variant, number[]>(variants.map((v) => [v, []]));
    for (let rep = 0; rep < s.reps; rep++) {
      // Interleaved, and the order rotated each repetition, so drift and warm caches land on every variant alike.
      for (let i = 0; i < variants.length; i++) {
        const v = variants[(i + rep) % variants.length]!;
        perRep.get(v)!.push(await timeRuns(gpu, runners.get(v)!, repeats, s.timestamps));
      }
    }
    const timings: Record<string, Timing> = {};
    for (const [v, samples] of perRep) {
      const med = median(samples);
      const nchw = perRep.get('nchw')!;
      timings[v] = {
        median_us: med, min_us: Math.min(...samples), spread: (Math.max(...samples) - Math.min(...samples)) / med, samples_us: samples,
        ...(v === 'nchw' ? {} : { paired_ratio: median(samples.map((us, r) => us / nchw[r]!)) }),
      };
    }
    const gflop = (2 * outLength * (c / p.group) * p.kernel[0] * p.kernel[1]) / 1e9;
    return { row: { layer: label, count: job.count, shape: describe(p, job.hasBias), gflop, rel_diff: relDiff, timings }, perRep };
  } finally {
    for (const r of runners.values()) r.dispose();
  }
}

async function benchModel(model: BenchModel, path: string, size: number, s: Settings): Promise<ModelRow> {
  const { steps, dims } = convSteps(new Uint8Array(readFileSync(path)), model, size);
  const jobs = new Map<string, LayerJob>();
  for (const step of steps) {
    const hasBias = (step.inputs[2] ?? '') !== '';
    const key = layerKey(step.params, hasBias);
    const job = jobs.get(key);
    if (job) job.count++;
    else jobs.set(key, { step, hasBias, count: 1 });
  }
  const layers: LayerRow[] = [];
  const repTotals = new Map<string, number[]>();
  let seed = 1;
  for (const job of jobs.values()) {
    const { row, perRep } = await measureLayer(job, s, seed++);
    layers.push(row);
    // A depthwise layer's single NHWC kernel stands for every orientation in the totals.
    const nhwcDefault = [...perRep.entries()].find(([v]) => v !== 'nchw')![1];
    for (const v of ['nchw', ...s.orientations.map((o) => `nhwc:${o}`)]) {
      const samples = perRep.get(v as Variant) ?? nhwcDefault;
      const totals = repTotals.get(v) ?? new Array<number>(s.reps).fill(0);
      samples.forEach((us, r) => { totals[r] = totals[r]! + us * job.count; });
      repTotals.set(v, totals);
    }
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  const total_ratio: Record<string, { median: number; min: number; max: number }> = {};
  const nchw = repTotals.get('nchw')!;
  for (const [v, totals] of repTotals) {
    if (v === 'nchw') continue;
    const ratios = totals.map((t, r) => t / nchw[r]!);
    total_ratio[v] = { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
  }
  const timingOf = (l: LayerRow, v: string): Timing => l.timings[v] ?? Object.entries(l.timings).find(([k]) => k !== 'nchw')![1];
  // Totals from summed medians, the numbers the table shows: Σ count × median per variant.
  const total_us: Record<string, number> = {};
  for (const v of repTotals.keys()) total_us[v] = layers.reduce((sum, l) => sum + l.count * timingOf(l, v).median_us, 0);
  const total_min_us: Record<string, number> = {};
  for (const v of repTotals.keys()) total_min_us[v] = layers.reduce((sum, l) => sum + l.count * timingOf(l, v).min_us, 0);
  return {
    model: model.name, dims, adapter: s.gpu.description, kernels: s.software ? 'direct' : 'tiled', timestamps: s.timestamps,
    layers, total_us, total_min_us, total_ratio,
  };
}

function fmtUs(us: number): string {
  return us >= 1e4 ? us.toFixed(0) : us >= 100 ? us.toFixed(1) : us.toFixed(2);
}

/**
 * Median over the model's conv steps (each distinct layer counted as often as it occurs) of the per-layer paired
 * ratio: the statistic least moved by a few layers whose repetitions hit a burst of other load.
 */
function layerRatioMedian(row: ModelRow, variant: string): number {
  return median(row.layers.flatMap((l) => {
    const t = l.timings[variant] ?? Object.entries(l.timings).find(([k]) => k !== 'nchw')![1];
    return new Array<number>(l.count).fill(t.paired_ratio!);
  }));
}

function printModel(row: ModelRow, orientations: readonly NhwcGemm[]): void {
  const cols = ['nchw', ...orientations.map((o) => `nhwc:${o}`)];
  const head = ['layer', '×', 'shape', 'GFLOP', ...cols.flatMap((v) => (v === 'nchw' ? ['NCHW µs ±'] : [`${v.slice(5)} µs ±`, 'ratio']))];
  const lines = row.layers.map((l) => {
    const cells = cols.flatMap((v) => {
      const t = l.timings[v] ?? Object.entries(l.timings).find(([k]) => k !== 'nchw')![1];
      const cell = `${fmtUs(t.median_us)} ${(100 * t.spread).toFixed(0)}%`;
      return v === 'nchw' ? [cell] : [cell, t.paired_ratio!.toFixed(2)];
    });
    return [l.layer.slice(0, 28), String(l.count), l.shape, l.gflop.toFixed(3), ...cells];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: readonly string[]) => cells.map((c, i) => (i === 0 || i === 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(`\n${row.model} ${row.dims.join('x')} — ${row.kernels} GEMM kernels, ${row.timestamps ? 'GPU timestamps' : 'wall time'}; ratio = median over repetitions of NHWC / NCHW timed side by side, ± = (max−min)/median`);
  console.log(fmt(head));
  for (const l of lines) console.log(fmt(l));
  const totals = orientations.map((o) => {
    const v = `nhwc:${o}`;
    const r = row.total_ratio[v]!;
    return `  NHWC ${o}: ${fmtUs(row.total_us[v]!)} µs, ratio ${(row.total_us[v]! / row.total_us.nchw!).toFixed(3)}`
      + ` (per repetition: median ${r.median.toFixed(3)}, range ${r.min.toFixed(3)}–${r.max.toFixed(3)};`
      + ` fastest repetitions: ${fmtUs(row.total_min_us[v]!)} µs, ratio ${(row.total_min_us[v]! / row.total_min_us.nchw!).toFixed(3)};`
      + ` median layer ratio ${layerRatioMedian(row, v).toFixed(3)})`;
  });
  console.log(`total over ${row.layers.reduce((n, l) => n + l.count, 0)} conv layers: NCHW ${fmtUs(row.total_us.nchw!)} µs (fastest repetitions ${fmtUs(row.total_min_us.nchw!)} µs)`);
  for (const t of totals) console.log(t);
}

async function main(argv: readonly string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        models: { type: 'string' },
        size: { type: 'string' },
        reps: { type: 'string' },
        software: { type: 'boolean', default: false },
        tiled: { type: 'boolean', default: false },
        wall: { type: 'boolean', default: false },
        'models-dir': { type: 'string', default: resolve(fileURLToPath(import.meta.url), '../../../../shared/models') },
        replicas: { type: 'string', default: '.cache/replicas/v1-seed20240601' },
        adapter: { type: 'string' },
        json: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) { console.log(USAGE); return 0; }
  const positive = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InputError(`--${name} must be a positive integer, got '${v}'`);
    return n;
  };
  const chosenNames = values.models?.split(',').map((m) => m.trim()).filter(Boolean);
  const unknown = chosenNames?.filter((n) => !MODELS.some((m) => m.name === n)) ?? [];
  if (unknown.length > 0) { console.error(`unknown model(s) ${unknown.join(', ')}\n\n${USAGE}`); return 2; }

  if (values.software && values.tiled) { console.error(`--software and --tiled exclude each other\n\n${USAGE}`); return 2; }
  const gpu = await acquireDevice({ allowSoftwareAdapter: true, ...(values.adapter ? { adapterName: values.adapter } : {}) });
  const keepAlive = setInterval(() => {}, 1000);
  try {
    const software = values.software || (gpu.isSoftware && !values.tiled);
    const size = positive('size', values.size) ?? (gpu.isSoftware ? 160 : 640);
    const reps = positive('reps', values.reps) ?? (gpu.isSoftware ? 5 : 15);
    // The direct kernel has only the weights-rows orientation (see conv-nhwc.ts); the tiled one gets both.
    const orientations: NhwcGemm[] = software ? ['weights-rows'] : ['weights-rows', 'pixel-rows'];
    const timestamps = gpu.hasTimestamps && !values.wall;
    const settings: Settings = { gpu, cache: new PipelineCache(gpu.device), software, reps, orientations, timestamps };
    const chosen = chosenNames
      ? MODELS.filter((m) => chosenNames.includes(m.name))
      : MODELS.filter((m) => !gpu.isSoftware || !m.replica);
    console.log(`adapter: ${gpu.description}${gpu.isSoftware ? ' (software)' : ''}; ${software ? 'direct' : 'tiled'} GEMM kernels; ${timestamps ? 'GPU timestamps' : 'wall time'}; ${reps} repetitions`);
    const rows: ModelRow[] = [];
    for (const model of chosen) {
      const path = join(model.replica ? values.replicas : values['models-dir'], model.file);
      if (!existsSync(path)) {
        if (!model.replica) throw new InputError(`${path} not found`);
        console.log(`\n${model.name}: no replica at ${path} (forge with the WebGPU bench's --replicas); skipped`);
        continue;
      }
      const row = await benchModel(model, path, size, settings);
      rows.push(row);
      printModel(row, orientations);
    }
    if (values.json) writeFileSync(values.json, JSON.stringify(rows, null, 2));
    return 0;
  } finally {
    clearInterval(keepAlive);
    gpu.release();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
