/**
 * `npm run forge:check [-- --only NAME… --backend cpu|webgpu]`: the replica report. For each replica: op inventory,
 * parameter count and MACs next to the spec's numbers, file size, and the max relative error of our engine vs
 * onnxruntime-node at full size (det_10g at 640×640 on t1.jpg and on a seeded input). Exits 1 on any mismatch.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseModel } from '../../src/parser/decode-model.js';
import { ensureReplicas } from '../../models/forge/cache.js';
import { REPLICAS, buildReplicaGraph, encodeReplica, selectReplicas, type ReplicaName } from '../../models/forge/index.js';
import { convGemmMacs, floatParameterCount, formatInventory, opInventory } from '../../models/forge/inventory.js';
import { PARITY_BOUND, letterboxedPhoto, sharedDir } from '../parity/parity.js';
import { relativeError, replicaInput, runOrt, runOurs, valueStats } from './helpers.js';

const args = process.argv.slice(2);
const onlyIndex = args.indexOf('--only');
const only = onlyIndex >= 0 ? args.slice(onlyIndex + 1).filter((a, i, all) => !all.slice(0, i + 1).some((x) => x.startsWith('--'))) : [];
const backend = args.includes('--backend') ? args[args.indexOf('--backend') + 1] : 'cpu';
if (backend !== 'cpu' && backend !== 'webgpu') {
  console.error(`unknown backend '${backend}' (use cpu or webgpu)`);
  process.exit(2);
}
if (backend === 'webgpu') process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

interface Run {
  readonly label: string;
  readonly dims: number[];
  readonly input: () => Promise<Float32Array>;
}

const t1 = path.join(sharedDir, 'images/t1.jpg');
const hanks = path.join(sharedDir, 'images/Tom_Hanks_54745.png');
const RUNS: Record<ReplicaName, Run[]> = {
  det_10g: [
    { label: 't1.jpg', dims: [1, 3, 640, 640], input: () => letterboxedPhoto(t1, 640, 640, 127.5, 128) },
    { label: 'seeded', dims: [1, 3, 640, 640], input: async () => replicaInput([1, 3, 640, 640], false, 3) },
  ],
  '2d106det': [{ label: 'seeded', dims: [1, 3, 192, 192], input: async () => replicaInput([1, 3, 192, 192], true, 3) }],
  '1k3d68': [{ label: 'seeded', dims: [1, 3, 192, 192], input: async () => replicaInput([1, 3, 192, 192], true, 3) }],
  genderage: [{ label: 'seeded', dims: [1, 3, 96, 96], input: async () => replicaInput([1, 3, 96, 96], true, 3) }],
  w600k_r50: [
    { label: 'Tom_Hanks', dims: [1, 3, 112, 112], input: () => letterboxedPhoto(hanks, 112, 112, 127.5, 127.5) },
    { label: 'seeded', dims: [1, 3, 112, 112], input: async () => replicaInput([1, 3, 112, 112], false, 3) },
  ],
};

const names = selectReplicas(only);
console.log(`forge check: ${names.join(', ')}; our backend ${backend} vs onnxruntime-node, bound ${PARITY_BOUND}`);
const paths = await ensureReplicas(names);
const rows: string[][] = [];
let failed = false;
for (const name of names) {
  const spec = REPLICAS[name].spec;
  const bytes = new Uint8Array(await readFile(paths[name]));
  const model = parseModel(bytes);
  const inventory = opInventory(model);
  const sameOps = JSON.stringify(Object.entries(inventory).sort()) === JSON.stringify(Object.entries(spec.ops).sort());
  const params = floatParameterCount(model);
  const macs = convGemmMacs(model, spec.macsInput);
  const paramDiff = params / spec.params - 1;
  const macDiff = macs / spec.macs - 1;
  if (!sameOps || Math.abs(paramDiff) > 0.01 || Math.abs(macDiff) > 0.01) failed = true;
  console.log(`\n${name}: ${(await stat(paths[name])).size.toLocaleString('en-US')} bytes`);
  console.log(`  ops (${model.graph.nodes.length} nodes) ${formatInventory(inventory)} — ${sameOps ? 'same as spec' : `spec: ${formatInventory(spec.ops)}`}`);
  console.log(`  params ${params.toLocaleString('en-US')} vs spec ${spec.params.toLocaleString('en-US')} (${pct(paramDiff)}); MACs ${(macs / 1e9).toFixed(3)} G vs ${(spec.macs / 1e9).toFixed(3)} G (${pct(macDiff)})`);
  let worst = 0;
  const timings: string[] = [];
  for (const run of RUNS[name]) {
    const input = await run.input();
    let started = performance.now();
    const reference = await runOrt(bytes, spec.inputName, run.dims, input);
    const ortMs = performance.now() - started;
    started = performance.now();
    const ours = await runOurs(bytes, spec.inputName, run.dims, input, backend);
    const oursMs = performance.now() - started;
    const errors = spec.outputNames.map((o) => relativeError(ours[o]!.data, reference[o]!.data));
    const runWorst = Math.max(...errors);
    worst = Math.max(worst, runWorst);
    timings.push(`${run.label}: ort ${(ortMs / 1000).toFixed(1)} s, ours ${(oursMs / 1000).toFixed(1)} s`);
    console.log(`  ${run.label} [${run.dims.join(',')}]: max rel error ${runWorst.toExponential(2)} over ${errors.length} output(s); ort ${(ortMs / 1000).toFixed(1)} s, ours ${(oursMs / 1000).toFixed(1)} s`);
  }
  if (!(worst <= PARITY_BOUND)) failed = true;
  const activations = await activationRange(name, RUNS[name][0]!);
  if (!activations.finite) failed = true;
  console.log(`  activations on ${RUNS[name][0]!.label}: ${activations.count} values, all finite: ${activations.finite}, max |x| ${activations.maxAbs.toPrecision(3)}, smallest std ${activations.minStd.toPrecision(3)}`);
  rows.push([name, (await stat(paths[name])).size.toLocaleString('en-US'), `${model.graph.nodes.length}`, sameOps ? 'yes' : 'NO',
    params.toLocaleString('en-US'), spec.params.toLocaleString('en-US'), pct(paramDiff), `${(macs / 1e9).toFixed(3)}`, `${(spec.macs / 1e9).toFixed(3)}`,
    activations.maxAbs.toPrecision(3), worst.toExponential(2)]);
}
console.log('\n| replica | bytes | nodes | ops = spec | params | spec params | Δ | GMAC | spec GMAC | max abs activation | max rel err vs ORT |');
console.log('|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
process.exit(failed ? 1 : 0);

/** Runs onnxruntime with every float intermediate value exposed as an output: are all activations finite and O(1)? */
async function activationRange(name: ReplicaName, run: Run): Promise<{ count: number; finite: boolean; maxAbs: number; minStd: number }> {
  const graph = buildReplicaGraph(name);
  const shapeOps = new Set(['Shape', 'Gather', 'Unsqueeze', 'Slice', 'Concat']);
  const declared = new Set(graph.outputs.map((o) => o.name));
  for (const node of graph.nodes) {
    // Shape arithmetic is int64; `_minusscalar0` is still on the raw 0…255 pixel scale (x − 127.5) by design.
    if (shapeOps.has(node.opType) || node.name === '_minusscalar0') continue;
    for (const o of node.outputs) if (!declared.has(o)) graph.addOutput(o, 'float32', undefined);
  }
  const out = await runOrt(encodeReplica(name, graph), REPLICAS[name].spec.inputName, run.dims, await run.input());
  let finite = true;
  let maxAbs = 0;
  let minStd = Infinity;
  for (const value of Object.values(out)) {
    const s = valueStats(value.data);
    finite &&= s.finite;
    maxAbs = Math.max(maxAbs, Math.abs(s.min), Math.abs(s.max));
    minStd = Math.min(minStd, s.std);
  }
  return { count: Object.keys(out).length, finite, maxAbs, minStd };
}

function pct(x: number): string {
  return `${x >= 0 ? '+' : ''}${(x * 100).toFixed(3)}%`;
}
