/**
 * Where the CPU backend's time goes: runs one model in a profiling CPU session (warm, `--runs` times) and prints
 * the median time per op type and per kernel shape class, slowest first.
 *
 *   npx tsx bench/node/bench-cpu-profile.ts --model scrfd_2.5g@640 [--runs 3] [--models-dir DIR] [--top 25] [--size N] [--cpu-threads N]
 *
 * `--size N` runs the model at an N×N input instead of its benchmark size (a dynamic-input detector such as
 * scrfd_2.5g at det size 320; scrfd_500m's input is fixed at 640×640). A forged replica (w600k_r50, det_10g@640…:
 * REPLICA_BENCH_MODELS) needs `--models-dir` naming its folder, e.g. `.cache/replicas/v1-seed20240601` after
 * `npm run forge:check`.
 *
 * A benchmark, not a test: it prints medians and never asserts on time.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseModel } from '../../src/parser/decode-model.js';
import { specializeGraph } from '../../src/graph/specialize.js';
import { InferenceSession, Tensor } from '../../src/index.js';
import { optimizeGraph } from '../../src/graph/optimize.js';
import type { ConvParams } from '../../src/ops/conv/params.js';
import { BENCH_MODELS, REPLICA_BENCH_MODELS } from './bench-models.js';
import { integerFlag, parseFlags } from './bench-args.js';
import { Prng } from '../../models/forge/prng.js';
import { sectionTotals } from '../../src/ops/wasm/kernel-threads.js';

const values = parseFlags(process.argv.slice(2), {
  model: { type: 'string', default: 'scrfd_2.5g@640' },
  runs: { type: 'string', default: '3' },
  top: { type: 'string', default: '25' },
  size: { type: 'string', default: '' },
  'cpu-threads': { type: 'string', default: '1' },
  'models-dir': { type: 'string', default: process.env.INSIGHTGPU_MODELS ?? join(import.meta.dirname, '../../../shared/models') },
});
// A replica (w600k_r50, det_10g…) is read from --models-dir, which then names the replica folder.
const known = [...BENCH_MODELS, ...REPLICA_BENCH_MODELS];
const listed = known.find((m) => m.name === values.model);
if (!listed) throw new Error(`unknown model ${values.model}; one of ${known.map((m) => m.name).join(', ')}`);
const size = values.size === '' ? undefined : integerFlag('size', values.size, 1);
const spec = size === undefined ? listed : { ...listed, name: `${listed.name.split('@')[0]}@${size}`, dims: [...listed.dims.slice(0, -2), size, size] };
const runs = integerFlag('runs', values.runs, 1);
const cpuThreads = integerFlag('cpu-threads', values['cpu-threads'], 1);
const model = parseModel(readFileSync(join(values['models-dir'], spec.file)));
const graph = optimizeGraph(specializeGraph(model, new Map([[spec.input, { type: 'float32', dims: [...spec.dims] }]])));
const rng = new Prng(1);
const input = new Float32Array(spec.dims.reduce((a, b) => a * b, 1)).map(() => rng.range(-1, 1));

/** A label for a step that groups like kernels: convs by kernel, stride, group kind and size. */
function shapeClass(opType: string, params: unknown): string {
  if (opType !== 'Conv') return opType;
  const p = params as ConvParams;
  const [, c] = p.inDims;
  const [, m, ho, wo] = p.outDims;
  const kind = p.group === 1 ? 'dense' : p.group === c && m === c ? 'dw' : `g${p.group}`;
  return `Conv ${p.kernel.join('x')}/s${p.strides[0]} ${kind} ${c}→${m} @${ho}x${wo}`;
}

const session = await InferenceSession.create(readFileSync(join(values['models-dir'], spec.file)), { backend: 'cpu', profiling: true, cpuThreads });
const feed = { [spec.input]: new Tensor('float32', input, [...spec.dims]) };
const times = graph.steps.map(() => [] as number[]);
const stepOf = new Map(graph.steps.map((s, i) => [s.node.name || `${s.node.opType}#${s.node.index}`, i]));
let wallMs = Infinity;
let sectionsFrom = { ...sectionTotals };
let runMs = 0;
for (let r = 0; r < runs + 1; r++) {
  if (r === 1) sectionsFrom = { ...sectionTotals };
  const t0 = performance.now();
  await session.run(feed);
  if (r > 0) runMs += performance.now() - t0;
  if (r > 0) wallMs = Math.min(wallMs, performance.now() - t0);
  if (r > 0) for (const t of session.lastProfile() ?? []) times[stepOf.get(t.node)!]?.push(t.ms);
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const byClass = new Map<string, { ms: number; count: number }>();
const byOp = new Map<string, { ms: number; count: number }>();
let total = 0;
graph.steps.forEach((step, i) => {
  const ms = median(times[i]!);
  total += ms;
  for (const [map, key] of [[byClass, shapeClass(step.node.opType, step.params)], [byOp, step.node.opType]] as const) {
    const e = map.get(key) ?? { ms: 0, count: 0 };
    e.ms += ms;
    e.count++;
    map.set(key, e);
  }
});
const top = integerFlag('top', values.top, 1);
if (cpuThreads > 1) {
  const d = (k: keyof typeof sectionTotals): number => (sectionTotals[k] - sectionsFrom[k]) / runs;
  console.log(`parallel sections per run: ${d('sections').toFixed(0)} (${d('tasks').toFixed(0)} tasks, ${(100 * d('callerTasks') / Math.max(1, d('tasks'))).toFixed(0)}% run by the calling thread), `
    + `${d('ms').toFixed(2)} ms of ${(runMs / runs).toFixed(2)} ms per run inside them`);
}
console.log(`${spec.name} ${cpuThreads}T: ${graph.steps.length} steps, ${total.toFixed(2)} ms of step time (median of ${runs}), best run ${wallMs.toFixed(2)} ms`);
console.log('by op: ' + [...byOp].sort((a, b) => b[1].ms - a[1].ms).map(([k, e]) => `${k} ${e.ms.toFixed(2)} (${e.count})`).join(', '));
for (const [k, e] of [...byClass].sort((a, b) => b[1].ms - a[1].ms).slice(0, top)) {
  console.log(`  ${e.ms.toFixed(2).padStart(8)} ms  ${(100 * e.ms / total).toFixed(1).padStart(5)}%  ×${e.count}  ${k}`);
}
