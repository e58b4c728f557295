/**
 * `npm run bench -- --plan-stats [--json FILE] [--software] [--replicas CACHE_ROOT]`: per model at its bench size, what its
 * WebGPU plan records and moves, counted from the plan's own lowering without a device (so on any machine):
 * dispatches per run and pipelines per tier, the padded-MAC fraction (the share of the GEMM-shaped dispatches' computed
 * multiply-adds that falls on tile padding: rows, columns and K steps past the layer's edges), split-K scratch, bytes uploaded once, written and read back per run,
 * activation memory, and the same plan at precision 'fp16' (weights and activations stored as halves: upload and
 * activation bytes beside the fp32 ones). Kernel variants as on a real GPU unless `--software` (SwiftShader's). tests/webgpu pins upper
 * bounds on these numbers so regressions fail.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureReplicas } from '../../models/forge/cache.js';
import { webGpuPlanStats, type PlanStats } from '../../src/backends/webgpu/plan-stats.js';
import { optimizeGraph } from '../../src/graph/optimize.js';
import { specializeGraph, type StaticGraph } from '../../src/graph/specialize.js';
import { parseModel } from '../../src/parser/decode-model.js';
import { BenchUsageError } from './bench-args.js';
import { BENCH_MODELS, REPLICA_BENCH_MODELS, type BenchModel } from './bench-models.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The test bed: ../shared, or on a lent GPU machine the copy bench/device/run-gpu.sh names ($INSIGHTGPU_SHARED). */
const SHARED = resolve(process.env['INSIGHTGPU_SHARED'] ?? resolve(HERE, '../../../shared'));
const SHARED_MODELS = join(SHARED, 'models');
const SWAP_REPLICA = join(SHARED, 'swap/inswapper_w128_seed1.onnx');

export interface PlanStatsRow extends PlanStats {
  readonly model: string;
  readonly dims: readonly number[];
  readonly variants: 'gpu' | 'software';
  /** The plan at precision 'fp16': its bytes uploaded once and its activation memory. */
  readonly fp16: { readonly uploadedBytes: number; readonly activationBytes: number };
}

/** One model file's optimised graph at the benchmark's input size, as the plan statistics lower it. */
export function benchGraph(bytes: Uint8Array, model: BenchModel): StaticGraph {
  const parsed = parseModel(bytes);
  // The benchmark's input at its size; other inputs (INSwapper's `source`) at their declared static shapes.
  const types = new Map(parsed.graph.inputs.filter((v) => v.shape?.every((d) => typeof d === 'number'))
    .map((v) => [v.name, { type: 'float32' as const, dims: v.shape as number[] }]));
  types.set(model.input, { type: 'float32', dims: [...model.dims] });
  return optimizeGraph(specializeGraph(parsed, types));
}

/** The plan statistics of one model file at one input shape. */
export function modelPlanStats(bytes: Uint8Array, model: BenchModel, software: boolean): PlanStatsRow {
  const graph = benchGraph(bytes, model);
  const half = webGpuPlanStats(graph, { software, precision: 'fp16' });
  return {
    model: model.name, dims: model.dims, variants: software ? 'software' : 'gpu', ...webGpuPlanStats(graph, { software }),
    fp16: { uploadedBytes: half.uploadedBytes, activationBytes: half.activationBytes },
  };
}

const pct = (f: number): string => (100 * f).toFixed(1);
const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

export async function benchPlanStats(argv: readonly string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv.filter((a) => a !== '--' && a !== '--plan-stats'), options: { json: { type: 'string' }, software: { type: 'boolean', default: false }, replicas: { type: 'string' } }, strict: true }));
  } catch (error) {
    throw new BenchUsageError((error as Error).message);
  }
  const replicas = await ensureReplicas(undefined, values.replicas ? { cacheRoot: values.replicas } : {});
  const files: [BenchModel, string][] = [
    ...BENCH_MODELS.map((m): [BenchModel, string] => [m, join(SHARED_MODELS, m.file)]),
    ...REPLICA_BENCH_MODELS.map((m): [BenchModel, string] => [m, replicas[m.file.replace(/\.onnx$/, '') as keyof typeof replicas]]),
  ];
  // A lent GPU machine's carry has no room for the 15 MB replica: its row is then left out, saying so.
  if (existsSync(SWAP_REPLICA)) files.push([{ name: 'inswapper_w128', file: 'inswapper_w128_seed1.onnx', input: 'target', dims: [1, 3, 128, 128] }, SWAP_REPLICA]);
  else console.log(`(no inswapper_w128 row: ${SWAP_REPLICA} is absent)`);
  const rows = files.map(([m, file]) => modelPlanStats(new Uint8Array(readFileSync(file)), m, values.software));
  const table = [['model', 'steps', 'cpu', 'dispatches gen/spec', 'pipelines gen/spec', 'padded MACs gen/spec %', 'split-K MiB', 'upload MiB fp32/fp16', 'in/out KiB per run', 'activations MiB fp32/fp16', 'winograd layers', 'winograd GMAC direct→mul'],
    ...rows.map((r) => [r.model, String(r.steps), String(r.cpuSteps), `${r.generic.dispatches}/${r.specialized.dispatches}`, `${r.generic.pipelines}/${r.specialized.pipelines}`,
      `${pct(r.generic.paddedMacFraction)}/${pct(r.specialized.paddedMacFraction)}`,
      mib(Math.max(r.generic.scratchBytes, r.specialized.scratchBytes)), `${mib(r.uploadedBytes)}/${mib(r.fp16.uploadedBytes)}`, `${(r.inputBytesPerRun / 1024).toFixed(0)}/${(r.readBackBytesPerRun / 1024).toFixed(1)}`, `${mib(r.activationBytes)}/${mib(r.fp16.activationBytes)}`,
      String(r.winograd.layers), `${(r.winograd.directMacs / 1e9).toFixed(2)}→${(r.winograd.multiplies / 1e9).toFixed(2)}`])];
  const widths = table[0]!.map((_, k) => Math.max(...table.map((r) => r[k]!.length)));
  console.log(`WebGPU plan statistics (${values.software ? 'software' : 'GPU'} kernel variants; counted from the lowering, no device)`);
  table.forEach((r, i) => { console.log(r.map((c, k) => (k === 0 ? c.padEnd(widths[k]!) : c.padStart(widths[k]!))).join('  ')); if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  ')); });
  if (values.json) writeFileSync(values.json, JSON.stringify(rows, null, 2));
  return 0;
}
