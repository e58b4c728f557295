/**
 * Calibrates the tile rule (src/ops/tiled-gemm/tile-menu.ts) on the adapter: every distinct GEMM the specialised
 * tier of det_10g@640, w600k_r50 (batch 1 and 8) and 1k3d68 gives to chooseTile, timed as a plain GEMM on the rule's
 * tile, the next best by tileCost, the generic tier's shapes and the tiles other constants would pick; each result
 * checked on sampled entries against a CPU dot product. Then per problem the rule's regret (its time over the best
 * measured), the models' totals weighted by occurrences, and a grid search over tileCost's constants judged on the
 * measured times.
 *
 *   node --import tsx bench/node/bench-tiles.ts [--models a,b] [--replicas DIR] [--max-problems N] [--candidates N]
 *                                               [--budget-s S] [--adapter NAME] [--json FILE]
 *
 * Problems run most expensive first (by the models' modelled time), so a spent --budget-s leaves out the cheapest;
 * on a software adapter smallest first, so a smoke run stays short. K always runs whole: a problem the product
 * splits along K is timed unsplit (marked). Loads are the plain GEMM's (A K-major, B row-major, vec4 where the
 * spec allows), not a conv's im2col gather. A benchmark, not a test: it never asserts on time.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureReplicas } from '../../models/forge/cache.js';
import { Prng } from '../../models/forge/prng.js';
import { acquireDevice, type GpuDevice } from '../../src/backends/webgpu/device.js';
import { BufferUsage, MapMode, ShaderStage } from '../../src/backends/webgpu/gpu-constants.js';
import { tiledMatmulShader, type TiledMatmulSpec } from '../../src/ops/tiled-gemm/gpu.js';
import { chooseTile, TILE_COST, TILE_MENU, tileCost, workgroupsOf, type GemmSize, type TileShape } from '../../src/ops/tiled-gemm/tile-menu.js';
import { BenchUsageError, integerFlag, parseFlags, reportUsageError } from './bench-args.js';
import { BENCH_MODELS, REPLICA_BENCH_MODELS, type BenchModel } from './bench-models.js';
import { benchGraph } from './bench-plan-stats.js';
import {
  candidateTiles, distinctProblems, gridSearch, gridSettings, pickAmongMeasured, problemName, recordTileChoices, tileName,
  type CalibrationProblem, type MeasuredProblem,
} from './tile-calibration.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SHARED = resolve(process.env['INSIGHTGPU_SHARED'] ?? resolve(HERE, '../../../shared'));

export const TILES_USAGE = `usage: node --import tsx bench/node/bench-tiles.ts [--models a,b] [--replicas DIR] [--max-problems N]
         [--candidates N] [--budget-s S] [--adapter NAME] [--json FILE]

  --models a,b       models whose GEMMs are timed (default det_10g@640,w600k_r50,w600k_r50@b8,1k3d68; any
                     replica or test-bed bench model by name)
  --replicas DIR     the forged replicas' cache root (forged there when missing; default .cache/replicas)
  --max-problems N   only the first N problems of the run order (most expensive first; smallest first on a
                     software adapter)
  --candidates N     tiles timed per problem (default 8): the rule's, the next best by tileCost, the generic
                     tier's, then those other constants would pick
  --budget-s S       start no problem after S seconds (default 80); the analysis covers what was measured
  --adapter NAME     the adapter whose name contains NAME
  --json FILE        everything as JSON, rewritten after each problem
  -h, --help         this text`;

const DEFAULT_MODELS = ['det_10g@640', 'w600k_r50', 'w600k_r50@b8', '1k3d68'];
/** Sampled entries of C checked against the CPU. */
const SAMPLES = 32;
/** fp32 dot products summed in another order than the CPU's double sum: ~K·ε relative at worst (as bench-gemm). */
const REL_BOUND = 1e-4;

/** One tile's measurement on one problem. */
export interface TileTiming {
  readonly tile: string;
  readonly shape: TileShape;
  readonly workgroups: number;
  /** tileCost with the current constants (multiply-add equivalents). */
  readonly modelledCost: number;
  /** Median milliseconds per dispatch; undefined when the tile failed to compile or its check. */
  readonly ms?: number;
  readonly repeats?: number;
  readonly relError?: number;
  readonly error?: string;
}

export interface ProblemResult extends Omit<CalibrationProblem, 'rule'> {
  readonly rule: string;
  readonly timings: readonly TileTiming[];
  readonly ruleMs?: number;
  readonly best?: string;
  readonly bestMs?: number;
  /** ruleMs / bestMs. */
  readonly regret?: number;
}

const round16 = (bytes: number): number => Math.max(16, Math.ceil(bytes / 16) * 16);

/**
 * The plain GEMM of a problem as the engine's conv runs a 1×1 layer: A as repacked weights (K-major, A[z][row][k]
 * at aT[(z·K + k)·M + row], vec4 loads when M % 4 == 0), B row-major per problem (vec4 loads when N % 4 == 0), C
 * row-major with vec4 stores when N % 4 == 0 (the tiled kernel applies each vec4 condition itself).
 */
export function plainGemmSpec(size: GemmSize): TiledMatmulSpec {
  const { m, n, k } = size;
  const vecC = n % 4 === 0;
  // The output is not called `c`: the scalar epilogue loops over a local of that name.
  const declarations = `@group(0) @binding(0) var<storage, read> aT: array<f32>;
@group(0) @binding(1) var<storage, read> bIn: array<f32>;
@group(0) @binding(2) var<storage, read_write> cOut: array<${vecC ? 'vec4<f32>' : 'f32'}>;
@group(0) @binding(3) var<storage, read> aT4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> bIn4: array<vec4<f32>>;`;
  const cIndex = `(z * ${m}u + row) * ${n}u + col`;
  return {
    ...size, declarations,
    loadA: `aT[(z * ${k}u + kIdx) * ${m}u + row]`, aRowsAdjacent: true, loadA4: `aT4[((z * ${k}u + kIdx) * ${m}u + row) / 4u]`,
    loadB: `bIn[(z * ${k}u + kIdx) * ${n}u + col]`, loadB4: `bIn4[((z * ${k}u + kIdx) * ${n}u + col) / 4u]`,
    store: vecC ? `cOut[(${cIndex}) / 4u][(${cIndex}) % 4u] = v;` : `cOut[${cIndex}] = v;`,
    store4: vecC ? `cOut[(${cIndex}) / 4u] = v4;` : undefined,
  };
}

/** The sampled (z, row, col) entries: the four corners of the first and last problems, the rest seeded. */
function samplePoints(size: GemmSize): [number, number, number][] {
  const { m, n, batches } = size;
  const points: [number, number, number][] = [[0, 0, 0], [0, m - 1, 0], [0, 0, n - 1], [batches - 1, m - 1, n - 1]];
  const prng = new Prng(0x7113);
  while (points.length < SAMPLES) points.push([Math.floor(prng.uniform() * batches), Math.floor(prng.uniform() * m), Math.floor(prng.uniform() * n)]);
  return points;
}

interface Compiled {
  readonly index: number;
  readonly pipeline: GPUComputePipeline;
  readonly bindGroup: GPUBindGroup;
  readonly workgroups: readonly [number, number, number];
}

async function readBack(device: GPUDevice, encoder: GPUCommandEncoder, source: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
  const read = device.createBuffer({ size: bytes, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
  encoder.copyBufferToBuffer(source, 0, read, 0, bytes);
  device.queue.submit([encoder.finish()]);
  await read.mapAsync(MapMode.READ);
  const data = read.getMappedRange().slice(0);
  read.unmap();
  read.destroy();
  return data;
}

/**
 * Times each tile on the problem: compile, check sampled entries, a warm-up that sizes the repeats (about 1 ms of
 * work per timed pass with timestamp queries, 20 ms of wall time without; a software adapter fewer), then three
 * rounds over all tiles in turn, the median per tile.
 */
async function measureProblem(gpu: GpuDevice, size: GemmSize, tiles: readonly TileShape[]): Promise<TileTiming[]> {
  const { device } = gpu;
  const { m, n, k, batches } = size;
  const a = new Prng(1).fillRange(batches * k * m, -1, 1);
  const b = new Prng(2).fillRange(batches * k * n, -1, 1);
  const buffer = (data: Float32Array | number): GPUBuffer => {
    const bytes = typeof data === 'number' ? data * 4 : data.byteLength;
    const buf = device.createBuffer({ size: round16(bytes), usage: BufferUsage.STORAGE | BufferUsage.COPY_DST | BufferUsage.COPY_SRC });
    if (typeof data !== 'number') device.queue.writeBuffer(buf, 0, data);
    return buf;
  };
  const bufA = buffer(a);
  const bufB = buffer(b);
  const bufC = buffer(batches * m * n);
  const cBytes = round16(batches * m * n * 4);
  const spec = plainGemmSpec(size);
  const layout = device.createBindGroupLayout({ entries: [0, 1, 2, 3, 4].map((binding) => ({ binding, visibility: ShaderStage.COMPUTE, buffer: { type: binding === 2 ? 'storage' as const : 'read-only-storage' as const } })) });
  const bindGroup = device.createBindGroup({ layout, entries: [bufA, bufB, bufC, bufA, bufB].map((buf, binding) => ({ binding, resource: { buffer: buf } })) });
  const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [layout] });
  const errors = new Map<number, string>();
  const compiled = (await Promise.all(tiles.map(async (tile, index): Promise<Compiled | undefined> => {
    const { shader, workgroups } = tiledMatmulShader(spec, tile);
    try {
      const pipeline = await device.createComputePipelineAsync({ layout: pipelineLayout, compute: { module: device.createShaderModule({ code: shader }), entryPoint: 'main' } });
      return { index, pipeline, bindGroup, workgroups };
    } catch (error) {
      errors.set(index, `compile: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }))).filter((c): c is Compiled => c !== undefined);
  // Check: each tile from a cleared C, its sampled entries copied out before the next tile runs.
  const points = samplePoints(size);
  const expected = points.map(([z, row, col]) => {
    let dot = 0;
    for (let t = 0; t < k; t++) dot += a[(z * k + t) * m + row]! * b[(z * k + t) * n + col]!;
    return dot;
  });
  const scale = Math.max(...expected.map(Math.abs), 1e-30);
  const samples = device.createBuffer({ size: Math.max(1, compiled.length) * SAMPLES * 4, usage: BufferUsage.COPY_SRC | BufferUsage.COPY_DST });
  const checkEncoder = device.createCommandEncoder();
  compiled.forEach((c, i) => {
    checkEncoder.clearBuffer(bufC, 0, cBytes);
    const pass = checkEncoder.beginComputePass();
    pass.setPipeline(c.pipeline);
    pass.setBindGroup(0, c.bindGroup);
    pass.dispatchWorkgroups(...c.workgroups);
    pass.end();
    points.forEach(([z, row, col], s) => checkEncoder.copyBufferToBuffer(bufC, ((z * m + row) * n + col) * 4, samples, (i * SAMPLES + s) * 4, 4));
  });
  const got = new Float32Array(await readBack(device, checkEncoder, samples, Math.max(1, compiled.length) * SAMPLES * 4));
  const relErrors = new Map<number, number>();
  compiled.forEach((c, i) => {
    let worst = 0;
    expected.forEach((e, s) => { const d = Math.abs(got[i * SAMPLES + s]! - e); worst = Number.isNaN(d) ? Infinity : Math.max(worst, d); });
    relErrors.set(c.index, worst / scale);
    if (!(worst / scale < REL_BOUND)) errors.set(c.index, `wrong results: sampled rel error ${(worst / scale).toExponential(2)} (bound ${REL_BOUND})`);
  });
  const good = compiled.filter((c) => !errors.has(c.index));
  const medians = good.length > 0 ? await timeTiles(gpu, good) : new Map<number, { ms: number; repeats: number }>();
  for (const buf of [bufA, bufB, bufC, samples]) buf.destroy();
  return tiles.map((tile, index) => ({
    tile: tileName(tile), shape: tile, workgroups: workgroupsOf(size, tile), modelledCost: tileCost(size, tile),
    ...(medians.has(index) ? { ms: medians.get(index)!.ms, repeats: medians.get(index)!.repeats } : {}),
    ...(relErrors.has(index) ? { relError: relErrors.get(index)! } : {}),
    ...(errors.has(index) ? { error: errors.get(index)! } : {}),
  }));
}

/** Milliseconds per dispatch of each compiled tile: median of three rounds, repeats sized by a warm-up. */
async function timeTiles(gpu: GpuDevice, tiles: readonly Compiled[]): Promise<Map<number, { ms: number; repeats: number }>> {
  const { device } = gpu;
  const timestamps = gpu.hasTimestamps;
  const querySet = timestamps ? device.createQuerySet({ type: 'timestamp', count: 2 * tiles.length }) : undefined;
  const resolve = timestamps ? device.createBuffer({ size: 16 * tiles.length, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC }) : undefined;
  const record = (encoder: GPUCommandEncoder, c: Compiled, i: number, repeats: number): void => {
    const pass = encoder.beginComputePass(querySet ? { timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } } : undefined);
    pass.setPipeline(c.pipeline);
    pass.setBindGroup(0, c.bindGroup);
    for (let r = 0; r < repeats; r++) pass.dispatchWorkgroups(...c.workgroups);
    pass.end();
  };
  // One round: every tile once (its `repeats` dispatches), milliseconds per dispatch.
  const round = async (repeats: readonly number[]): Promise<number[]> => {
    if (querySet && resolve) {
      const encoder = device.createCommandEncoder();
      tiles.forEach((c, i) => record(encoder, c, i, repeats[i]!));
      encoder.resolveQuerySet(querySet, 0, 2 * tiles.length, resolve, 0);
      const ns = new BigInt64Array(await readBack(device, encoder, resolve, 16 * tiles.length));
      return tiles.map((_, i) => Number(ns[2 * i + 1]! - ns[2 * i]!) / 1e6 / repeats[i]!);
    }
    const times: number[] = [];
    for (const [i, c] of tiles.entries()) {
      const encoder = device.createCommandEncoder();
      record(encoder, c, i, repeats[i]!);
      const t = performance.now();
      device.queue.submit([encoder.finish()]);
      await device.queue.onSubmittedWorkDone();
      times.push((performance.now() - t) / repeats[i]!);
    }
    return times;
  };
  const ones = tiles.map(() => 1);
  await round(ones); // first touch
  const warm = await round(ones);
  const [target, most] = timestamps ? [1, 256] : gpu.isSoftware ? [20, 4] : [20, 200];
  const repeats = warm.map((ms) => Math.max(1, Math.min(most, Math.round(target / Math.max(ms, 1e-4)))));
  const rounds: number[][] = [];
  for (let r = 0; r < 3; r++) rounds.push(await round(repeats));
  querySet?.destroy();
  resolve?.destroy();
  return new Map(tiles.map((c, i) => [c.index, { ms: rounds.map((x) => x[i]!).sort((x, y) => x - y)[1]!, repeats: repeats[i]! }]));
}

function summarise(problem: CalibrationProblem, timings: readonly TileTiming[]): ProblemResult {
  const measured = timings.filter((t) => t.ms !== undefined);
  const rule = timings.find((t) => t.tile === tileName(problem.rule));
  const best = measured.length > 0 ? measured.reduce((x, y) => (y.ms! < x.ms! ? y : x)) : undefined;
  return {
    ...problem, rule: tileName(problem.rule), timings,
    ...(rule?.ms !== undefined ? { ruleMs: rule.ms } : {}),
    ...(best ? { best: best.tile, bestMs: best.ms! } : {}),
    ...(rule?.ms !== undefined && best ? { regret: rule.ms / best.ms! } : {}),
  };
}

const us = (ms: number | undefined): string => (ms === undefined ? '-' : (ms * 1000).toFixed(1));
const constantsText = (c: { globalLoad: number; groupOverhead: number; fillTarget: number }): string =>
  `GLOBAL_LOAD ${c.globalLoad}, GROUP_OVERHEAD ${c.groupOverhead}, FILL_TARGET ${c.fillTarget}`;

function printTable(rows: readonly string[][]): void {
  const widths = rows[0]!.map((_, k) => Math.max(...rows.map((r) => r[k]!.length)));
  rows.forEach((r, i) => {
    console.log(r.map((c, k) => (k === 0 ? c.padEnd(widths[k]!) : c.padStart(widths[k]!))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  });
}

function selectModels(names: readonly string[]): BenchModel[] {
  return names.map((name) => {
    const found = [...REPLICA_BENCH_MODELS, ...BENCH_MODELS].find((m) => m.name === name);
    if (!found) throw new BenchUsageError(`unknown model '${name}' (known: ${[...REPLICA_BENCH_MODELS, ...BENCH_MODELS].map((m) => m.name).join(', ')})`);
    return found;
  });
}

export async function benchTiles(argv: readonly string[]): Promise<number> {
  const started = performance.now();
  let values;
  let models: BenchModel[];
  let maxProblems: number | undefined;
  let candidates: number;
  let budgetS: number;
  try {
    values = parseFlags(argv.filter((a) => a !== '--tiles'), {
      models: { type: 'string' }, replicas: { type: 'string' }, 'max-problems': { type: 'string' }, candidates: { type: 'string', default: '8' },
      'budget-s': { type: 'string', default: '80' }, adapter: { type: 'string' }, json: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false },
    });
    if (values.help) { console.log(TILES_USAGE); return 0; }
    models = selectModels(values.models?.split(',').map((s) => s.trim()).filter(Boolean) ?? DEFAULT_MODELS);
    maxProblems = values['max-problems'] === undefined ? undefined : integerFlag('max-problems', values['max-problems'], 1);
    candidates = integerFlag('candidates', values.candidates, 1);
    budgetS = integerFlag('budget-s', values['budget-s'], 1);
  } catch (error) {
    if (error instanceof BenchUsageError) return reportUsageError('bench-tiles', error, TILES_USAGE);
    throw error;
  }
  // The problems, from each model's own lowering (no device).
  const replicaNames = models.filter((m) => REPLICA_BENCH_MODELS.includes(m)).map((m) => m.file.replace(/\.onnx$/, ''));
  const replicas = replicaNames.length > 0
    ? await ensureReplicas(replicaNames as Parameters<typeof ensureReplicas>[0], values.replicas ? { cacheRoot: values.replicas } : {}) as Record<string, string>
    : {};
  const perModel = models.map((m) => {
    const file = REPLICA_BENCH_MODELS.includes(m) ? replicas[m.file.replace(/\.onnx$/, '')]! : join(SHARED, 'models', m.file);
    return { model: m.name, choices: recordTileChoices(benchGraph(new Uint8Array(readFileSync(file)), m)) };
  });
  const all = distinctProblems(perModel);
  const gpu = await acquireDevice({ adapterName: values.adapter, allowSoftwareAdapter: true });
  const keepAlive = setInterval(() => {}, 1000);
  try {
    const macs = (p: CalibrationProblem): number => p.size.m * p.size.n * p.size.k * p.size.batches;
    const order = gpu.isSoftware
      ? [...all].sort((x, y) => macs(x) - macs(y))
      : [...all].sort((x, y) => y.total * tileCost(y.size, y.rule) - x.total * tileCost(x.size, x.rule));
    const chosen = order.slice(0, maxProblems ?? order.length);
    const settings = gridSettings();
    const plans = chosen.map((p) => ({ problem: p, tiles: candidateTiles(p.size, { max: candidates, nextBest: 4, settings }) }));
    console.log(`tile calibration on ${gpu.description} (${gpu.hasTimestamps ? 'GPU timestamp queries' : 'wall time over repeated batches'})`);
    if (gpu.isSoftware) console.log('SOFTWARE ADAPTER: these are not GPU numbers; they say the bench runs, nothing about the constants.');
    console.log(`${perModel.map((m) => `${m.model} ${m.choices.length} GEMMs`).join(', ')}: ${all.length} distinct problems; timing ${chosen.length}, `
      + `${plans.reduce((s, p) => s + p.tiles.length, 0)} pipelines (${gpu.isSoftware ? 'smallest' : 'most expensive'} first, budget ${budgetS} s)`);
    const results: ProblemResult[] = [];
    const report = (extra: object = {}): void => {
      if (values.json) writeFileSync(values.json, JSON.stringify({ adapter: gpu.description, software: gpu.isSoftware, timestamps: gpu.hasTimestamps,
        models: perModel.map((m) => ({ model: m.model, gemms: m.choices.length })), currentConstants: TILE_COST,
        problems: all.map((p) => ({ ...p, rule: tileName(p.rule) })), results, ...extra }, null, 2));
    };
    let stoppedAt: number | undefined;
    for (const [i, { problem, tiles }] of plans.entries()) {
      if ((performance.now() - started) / 1000 > budgetS) { stoppedAt = i; break; }
      gpu.device.pushErrorScope('validation');
      let timings: TileTiming[];
      try {
        timings = await measureProblem(gpu, problem.size, tiles);
      } catch (error) {
        // A failed read-back or a lost device: the problem's tiles say why, and a lost device ends the run.
        const why = gpu.lostReason() !== undefined ? `device lost: ${gpu.lostReason()}` : error instanceof Error ? error.message : String(error);
        timings = tiles.map((tile) => ({ tile: tileName(tile), shape: tile, workgroups: workgroupsOf(problem.size, tile), modelledCost: tileCost(problem.size, tile), error: why }));
      }
      const error = gpu.lostReason() === undefined ? await gpu.device.popErrorScope().catch(() => null) : null;
      // A validation error cannot be pinned on one tile: the problem's times all go.
      const result = summarise(problem, error ? timings.map(({ ms: _, ...t }) => ({ ...t, error: `validation: ${error.message}` })) : timings);
      results.push(result);
      const failed = result.timings.filter((t) => t.error);
      console.log(`  ${problem.name}: rule ${result.rule} ${us(result.ruleMs)} µs, best ${result.best ?? '-'} ${us(result.bestMs)} µs`
        + `${failed.length > 0 ? `; FAILED ${failed.map((t) => `${t.tile} (${t.error})`).join(', ')}` : ''}`);
      report();
      if (gpu.lostReason() !== undefined) { stoppedAt = i + 1; console.log(`device lost (${gpu.lostReason()}): stopping`); break; }
    }
    if (stoppedAt !== undefined) console.log(`(${gpu.lostReason() !== undefined ? 'device lost' : `budget of ${budgetS} s spent`}: ${stoppedAt} of ${plans.length} problems timed)`);
    console.log(`\nper problem (µs per dispatch${gpu.isSoftware ? ', software adapter: not GPU numbers' : ''}; * the product splits K there, timed unsplit)`);
    printTable([['problem m×n×k×batches', 'runs', 'rule tile', 'rule µs', 'best tile', 'best µs', 'regret', 'tiles timed'],
      ...results.map((r) => [`${r.name}${r.splitInProduct ? ' *' : ''}`, String(r.total), r.rule, us(r.ruleMs), r.best ?? '-', us(r.bestMs),
        r.regret === undefined ? '-' : r.regret.toFixed(2), String(r.timings.filter((t) => t.ms !== undefined).length)])]);
    // The models' totals, over the problems timed with the rule's tile measured.
    const usable = results.filter((r) => r.ruleMs !== undefined && r.bestMs !== undefined);
    const totals = perModel.map(({ model }) => {
      const mine = usable.filter((r) => (r.occurrences[model] ?? 0) > 0);
      const sum = (f: (r: ProblemResult) => number): number => mine.reduce((s, r) => s + (r.occurrences[model] ?? 0) * f(r), 0);
      return { model, problems: mine.length, of: all.filter((p) => (p.occurrences[model] ?? 0) > 0).length, ruleMs: sum((r) => r.ruleMs!), bestMs: sum((r) => r.bestMs!) };
    });
    console.log('\nper model (each problem times its occurrences; the rule\'s tiles against the best measured)');
    printTable([['model', 'problems timed', 'rule µs', 'best µs', 'rule / best'],
      ...[...totals, { model: 'all models', problems: usable.length, of: all.length, ruleMs: totals.reduce((s, t) => s + t.ruleMs, 0), bestMs: totals.reduce((s, t) => s + t.bestMs, 0) }]
        .map((t) => [t.model, `${t.problems}/${t.of}`, ...(t.problems === 0 ? ['-', '-', '-'] : [us(t.ruleMs), us(t.bestMs), (t.ruleMs / t.bestMs).toFixed(3)])])]);
    // The grid search: each setting picks, per problem, tileCost's cheapest among the tiles measured there.
    const measured: MeasuredProblem[] = usable.map((r) => ({ size: r.size, weight: r.total,
      ms: new Map(r.timings.filter((t) => t.ms !== undefined).map((t) => [t.tile, t.ms!])) }));
    let grid: ReturnType<typeof gridSearch> | undefined;
    if (measured.length > 0) {
      grid = gridSearch(measured, settings);
      const top = [...grid.results].sort((x, y) => x.totalMs - y.totalMs).slice(0, 5);
      console.log(`\ngrid search over ${settings.length} settings of tileCost's constants (${measured.length} problems, weighted by occurrences):`);
      console.log(`  current  ${constantsText(grid.current.constants)}: ${us(grid.current.totalMs)} µs`);
      console.log(`  best     ${constantsText(grid.best.constants)}: ${us(grid.best.totalMs)} µs, gain ${(grid.current.totalMs / grid.best.totalMs).toFixed(3)}× over the current constants`);
      console.log(`  oracle   (each problem's fastest measured tile): ${us(grid.oracleMs)} µs`);
      const best = grid.best.constants;
      const own = usable.filter((r) => r.timings.some((t) => t.ms !== undefined && t.tile === tileName(chooseTile(r.size, TILE_MENU, best))));
      console.log(`  the best setting's full-menu choice was timed on ${own.length} of ${usable.length} problems`);
      console.log('  top 5:');
      for (const r of top) console.log(`    ${constantsText(r.constants)}: ${us(r.totalMs)} µs`);
      const changed = usable.map((r, i) => ({ r, pick: tileName(pickAmongMeasured(measured[i]!, best)) })).filter(({ r, pick }) => pick !== r.rule);
      if (changed.length > 0) console.log(`  the best setting changes ${changed.length} choices: ${changed.map(({ r, pick }) => `${r.name} ${r.rule} → ${pick}`).join(', ')}`);
    }
    const checked = results.flatMap((r) => r.timings).filter((t) => t.relError !== undefined);
    console.log(`\nchecked ${checked.length} tiles on ${SAMPLES} sampled entries each against a CPU dot product: worst rel error `
      + `${checked.length > 0 ? Math.max(...checked.map((t) => t.relError!)).toExponential(1) : '-'} (bound ${REL_BOUND})`);
    console.log(`adapter: ${gpu.description}${gpu.isSoftware ? ' (software: not GPU numbers)' : ''}`);
    report({ stoppedAt, totals, grid });
    return results.some((r) => r.timings.some((t) => t.error)) ? 1 : 0;
  } finally {
    clearInterval(keepAlive);
    gpu.release();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await benchTiles(process.argv.slice(2));
}
