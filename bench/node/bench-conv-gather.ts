/**
 * `npx tsx bench/node/bench-conv-gather.ts [--json FILE]`: how each model's k×k convs gather their im2col B operand
 * on the specialised tier with a hardware adapter's variants, counted from the lowering's WGSL (no device): layers and
 * share of conv multiply-adds per gather (four pixels per loader thread: 'tap-aligned×4', 'masked×4'; one:
 * 'tap-aligned', 'masked', 'dividing'; 'other' is Winograd, depthwise and 1×1), and per K-tile B-loop trip of each
 * gathered layer the elements it loads, its bounds tests, guards, table reads and workgroup stores, summed over the
 * model per loaded element (MAC-weighted). Speed needs a GPU: this counts instructions, it does not time them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { lowerGraph } from '../../src/backends/webgpu/lowering.js';
import { optimizeGraph } from '../../src/graph/optimize.js';
import { specializeGraph } from '../../src/graph/specialize.js';
import { parseModel } from '../../src/parser/decode-model.js';
import type { ConvParams } from '../../src/ops/conv/params.js';
import { BENCH_MODELS, type BenchModel } from './bench-models.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SHARED = process.env['INSIGHTGPU_SHARED'] ?? resolve(HERE, '../../../shared');

type Gather = 'tap-aligned×4' | 'masked×4' | 'tap-aligned' | 'masked' | 'dividing' | 'other';

/** One trip of the tiled kernel's B loop in a gathered conv's text: what it loads and tests. */
interface TripCounts { readonly elements: number; readonly boundsTests: number; readonly guards: number; readonly tableReads: number; readonly stores: number }

function gatherOf(shader: string): Gather {
  if (/fn sampleTap4/.test(shader)) return 'tap-aligned×4';
  if (/fn sampleInput4/.test(shader)) return 'masked×4';
  if (/fn sampleTap\(/.test(shader)) return 'tap-aligned';
  if (/kt\[kIdx\]/.test(shader)) return 'masked';
  return /fn sampleInput\(/.test(shader) ? 'dividing' : 'other';
}

/**
 * One B-loop trip of a gathered conv's text: the register it fills (`rb`, f32 or vec4) gives the elements per trip;
 * each trip has one guard (`kIdx < K && col < N`), one call of the gather helper (one bounds test on its unguarded
 * path: the tap bit, or all four lanes' bits), one table read for the masked gather and one workgroup store.
 */
function tripCounts(gather: Gather, shader: string): TripCounts | undefined {
  if (gather === 'other') return undefined;
  const rb = /var rb: array<(vec4<f32>|f32), \d+>;/.exec(shader);
  if (!rb) throw new Error(`no B registers in a ${gather} conv's text`);
  const elements = rb[1] === 'f32' ? 1 : 4;
  const table = (shader.match(/= kt\[kIdx\]/g) ?? []).length;
  return { elements, boundsTests: 1, guards: 1, tableReads: table, stores: 1 };
}

interface Row {
  readonly model: string;
  readonly layers: Partial<Record<Gather, number>>;
  readonly macShare: Partial<Record<Gather, number>>;
  /** MAC-weighted over the gathered layers, per loaded B element. */
  readonly perElement: { readonly boundsTests: number; readonly guards: number; readonly tableReads: number; readonly stores: number };
}

function modelRow(bytes: Uint8Array, m: BenchModel): Row {
  const parsed = parseModel(bytes);
  const types = new Map(parsed.graph.inputs.filter((v) => v.shape?.every((d) => typeof d === 'number'))
    .map((v) => [v.name, { type: 'float32' as const, dims: v.shape as number[] }]));
  types.set(m.input, { type: 'float32', dims: [...m.dims] });
  const graph = optimizeGraph(specializeGraph(parsed, types));
  const lowered = lowerGraph(graph, 'specialized', false, 65535);
  const layers: Partial<Record<Gather, number>> = {};
  const macs: Partial<Record<Gather, number>> = {};
  let total = 0;
  const sums = { macs: 0, boundsTests: 0, guards: 0, tableReads: 0, stores: 0 };
  graph.steps.forEach((step, i) => {
    if (step.node.opType !== 'Conv') return;
    const ds = lowered.dispatches[i]?.specialized ?? [];
    const first = ds[0];
    if (!first) return;
    const g = gatherOf(first.shader);
    const p = step.params as ConvParams;
    const mac = p.outDims.reduce((a, d) => a * d, 1) * (p.inDims[1] / p.group) * p.kernel[0] * p.kernel[1];
    layers[g] = (layers[g] ?? 0) + 1;
    macs[g] = (macs[g] ?? 0) + mac;
    total += mac;
    const t = tripCounts(g, first.shader);
    if (!t) return;
    sums.macs += mac;
    sums.boundsTests += (mac * t.boundsTests) / t.elements;
    sums.guards += (mac * t.guards) / t.elements;
    sums.tableReads += (mac * t.tableReads) / t.elements;
    sums.stores += (mac * t.stores) / t.elements;
  });
  const per = (v: number): number => (sums.macs > 0 ? Math.round((1000 * v) / sums.macs) / 1000 : 0);
  const macShare = Object.fromEntries(Object.entries(macs).map(([k, v]) => [k, Math.round((1000 * v) / Math.max(total, 1)) / 1000]));
  return { model: m.name, layers, macShare, perElement: { boundsTests: per(sums.boundsTests), guards: per(sums.guards), tableReads: per(sums.tableReads), stores: per(sums.stores) } };
}

const { values } = parseArgs({ options: { json: { type: 'string' } }, strict: true });
const models: [BenchModel, string][] = [
  ...BENCH_MODELS.map((m): [BenchModel, string] => [m, resolve(SHARED, 'models', m.file)]),
  [{ name: 'inswapper_w128', file: 'inswapper_w128_seed1.onnx', input: 'target', dims: [1, 3, 128, 128] }, resolve(SHARED, 'swap', 'inswapper_w128_seed1.onnx')],
];
const rows = models.map(([m, file]) => modelRow(new Uint8Array(readFileSync(file)), m));
const kinds: Gather[] = ['tap-aligned×4', 'masked×4', 'tap-aligned', 'masked', 'dividing', 'other'];
console.log('conv B gathers, specialised tier, GPU variants (layers, share of conv MACs); per loaded B element of the gathered layers: bounds tests, guards, table reads, workgroup stores');
for (const r of rows) {
  const cells = kinds.filter((k) => r.layers[k]).map((k) => `${k} ${r.layers[k]} (${(100 * (r.macShare[k] ?? 0)).toFixed(1)}%)`);
  const p = r.perElement;
  console.log(`${r.model.padEnd(16)} ${cells.join(', ')}; per element: ${p.boundsTests} tests, ${p.guards} guards, ${p.tableReads} table reads, ${p.stores} stores`);
}
if (values.json) writeFileSync(values.json, JSON.stringify(rows, null, 2));
