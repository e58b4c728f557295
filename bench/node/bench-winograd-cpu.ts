/**
 * `tsx bench/node/bench-winograd-cpu.ts [--models-dir DIR] [--runs N]`: the CPU backend's two paths for stride-1
 * dense 3×3 convs, timed on every such layer shape of the test-bed models (scrfd_2.5g and scrfd_500m at 640×640,
 * mobilefacenet at 112×112), in one run: the banded im2col GEMM (cpu-simd-3x3.ts) and the SIMD
 * Winograd F(2×2, 3×3) path (cpu-simd-winograd.ts), best of runs each, with their ratio and whether
 * `winogradSimdFits` sends the shape to Winograd. The rule's thresholds are read from this table.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Prng } from '../../models/forge/prng.js';
import type { ConvParams } from '../../src/ops/conv/params.js';
import { conv3x3Simd, conv3x3SimdFits } from '../../src/ops/conv/cpu-simd-3x3.js';
import { conv3x3Winograd, winogradSimdFits } from '../../src/ops/conv/cpu-simd-winograd.js';
import { prepareSimdKernels, simdKernels } from '../../src/ops/wasm/runtime.js';
import { parseModel } from '../../src/parser/decode-model.js';
import { specializeGraph } from '../../src/graph/specialize.js';
import type { ValueType } from '../../src/ops/kernel/op-module.js';
import { integerFlag, parseFlags } from './bench-args.js';

const MODELS: [file: string, dims: number[]][] = [
  ['scrfd_2.5g_bnkps.onnx', [1, 3, 640, 640]],
  ['scrfd_500m_bnkps.onnx', [1, 3, 640, 640]],
  ['mobilefacenet.onnx', [1, 3, 112, 112]],
];

/** Small shapes no model has, around the rule's thresholds: [cin, cout, size]. */
const PROBES: [number, number, number][] = [
  [1, 8, 80], [2, 16, 80], [3, 16, 80], [4, 16, 80], [8, 8, 80], [16, 4, 80], [64, 1, 80], [4, 4, 40],
  [8, 8, 16], [8, 8, 8], [32, 32, 8], [8, 8, 4], [16, 16, 2],
];

interface Layer { readonly cin: number; readonly cout: number; readonly h: number; readonly w: number; count: number; readonly models: Set<string> }

function ints(node: { attributes: ReadonlyMap<string, { kind: string; value?: unknown }> }, key: string, fallback: number[]): number[] {
  const a = node.attributes.get(key);
  return a?.kind === 'ints' ? [...(a.value as number[])] : fallback;
}

/** The stride-1, dilation-1, ungrouped, 3×3, pad-1 convs of a model at one input shape, by (cin, cout, h, w). */
function collect(file: string, bytes: Uint8Array, dims: number[], layers: Map<string, Layer>): void {
  const model = parseModel(bytes);
  const input = model.graph.inputs[0]!.name;
  const graph = specializeGraph(model, new Map<string, ValueType>([[input, { type: 'float32', dims }]]));
  const dimsOf = (name: string): readonly number[] => graph.types.get(name)?.dims ?? graph.constants.get(name)?.dims ?? [];
  for (const step of graph.steps) {
    if (step.node.opType !== 'Conv') continue;
    const wDims = dimsOf(step.inputs[1]!);
    const xDims = dimsOf(step.inputs[0]!);
    const group = step.node.attributes.get('group');
    if ((group?.kind === 'int' ? group.value : 1) !== 1 || wDims[2] !== 3 || wDims[3] !== 3) continue;
    if (ints(step.node, 'strides', [1, 1]).some((s) => s !== 1) || ints(step.node, 'dilations', [1, 1]).some((d) => d !== 1)) continue;
    if (ints(step.node, 'pads', [0, 0, 0, 0]).some((q) => q !== 1)) continue;
    const key = `${xDims[1]}→${wDims[0]} @${xDims[2]}×${xDims[3]}`;
    const layer = layers.get(key) ?? { cin: xDims[1]!, cout: wDims[0]!, h: xDims[2]!, w: xDims[3]!, count: 0, models: new Set<string>() };
    layer.count++;
    layer.models.add(file.split('_')[0] === 'scrfd' ? file.split('_')[1]! : file.replace('.onnx', ''));
    layers.set(key, layer);
  }
}

function best(f: () => void, runs: number): number {
  f();
  let ms = Infinity;
  for (let r = 0; r < runs; r++) { const t = performance.now(); f(); ms = Math.min(ms, performance.now() - t); }
  return ms;
}

const flags = parseFlags(process.argv.slice(2), { 'models-dir': { type: 'string', default: '../shared/models' }, runs: { type: 'string', default: '5' } });
const runs = integerFlag('runs', flags.runs, 1);
if (!(await prepareSimdKernels())) throw new Error('WASM SIMD is not available here');
const kernels = simdKernels()!;
const layers = new Map<string, Layer>();
for (const [file, dims] of MODELS) collect(file, readFileSync(join(String(flags['models-dir']), file)), dims, layers);
for (const [cin, cout, size] of PROBES) {
  const key = `${cin}→${cout} @${size}×${size}`;
  if (!layers.has(key)) layers.set(key, { cin, cout, h: size, w: size, count: 0, models: new Set(['probe']) });
}
const prng = new Prng(3);
console.log('Best of runs; weights transformed/packed once, outside the timing.');
console.log('layer (cin→cout @in)      n  models            banded ms  winograd ms  wino/band  rule');
let [direct, wino, chosen] = [0, 0, 0];
for (const [key, l] of [...layers].sort((a, b) => b[1].h * b[1].w * b[1].cin * b[1].cout - a[1].h * a[1].w * a[1].cin * a[1].cout)) {
  const p: ConvParams = {
    group: 1, kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], rank: 4,
    inDims: [1, l.cin, l.h, l.w], outDims: [1, l.cout, l.h, l.w], epilogue: { kind: 'none' },
  };
  if (!conv3x3SimdFits(p)) throw new Error(`the banded 3×3 GEMM does not take ${key}`);
  const x = prng.fill(l.cin * l.h * l.w, 1);
  const w = prng.fill(l.cout * l.cin * 9, 0.05);
  const bias = prng.fill(l.cout, 0.1);
  const y = new Float32Array(l.cout * l.h * l.w);
  const d = best(() => conv3x3Simd(kernels, p, x, w, bias, y), runs);
  const v = best(() => conv3x3Winograd(kernels, p, x, w, bias, y), runs);
  const fits = winogradSimdFits(p);
  direct += d * l.count;
  wino += v * l.count;
  chosen += (fits ? v : d) * l.count;
  console.log(`${key.padEnd(24)} ${String(l.count).padStart(2)}  ${[...l.models].join(',').padEnd(16)} ${d.toFixed(2).padStart(10)}  ${v.toFixed(2).padStart(11)}  ${(v / d).toFixed(2).padStart(10)}×  ${fits ? 'winograd' : 'banded'}`);
}
console.log(`sum over layers × count: banded ${direct.toFixed(1)} ms, all winograd ${wino.toFixed(1)} ms, by the rule ${chosen.toFixed(1)} ms (${(chosen / direct).toFixed(2)}× banded)`);
