/**
 * Compares the webgpu backend, in both kernel tiers, with onnxruntime-node (the oracle) and the cpu backend on one
 * small ONNX model: the relative error is the largest absolute difference over the oracle's largest magnitude.
 */
import * as ort from 'onnxruntime-node';
import { InferenceSession, Tensor, type SessionOptions } from '../../src/index.js';
import { acquireDevice, type GpuDevice } from '../../src/backends/webgpu/device.js';
import { PipelineCache } from '../../src/backends/webgpu/pipeline-cache.js';
import { WebGpuPlan } from '../../src/backends/webgpu/plan.js';
import { parseModel } from '../../src/parser/decode-model.js';
import { specializeGraph } from '../../src/graph/specialize.js';
import { optimizeGraph } from '../../src/graph/optimize.js';
import { Prng } from '../../models/forge/prng.js';
import { DT, buildModel, node, tensor, valueInfo, type AttrValue } from '../parser/onnx-builder.js';

export type Feed = { readonly type: 'float32' | 'int32' | 'int64'; readonly dims: readonly number[]; readonly data: Float32Array | Int32Array | BigInt64Array };

let device: Promise<GpuDevice> | undefined;
let cache: PipelineCache | undefined;
export function edgeDevice(): Promise<GpuDevice> {
  device ??= acquireDevice({ allowSoftwareAdapter: true });
  return device;
}
export async function releaseEdgeDevice(): Promise<void> {
  if (device) (await device).release();
  device = undefined;
  cache = undefined;
}

export function seeded(dims: readonly number[], seed: number, lo = -2, hi = 2): Feed {
  const n = dims.reduce((a, d) => a * d, 1);
  return { type: 'float32', dims, data: new Prng(seed).fillRange(n, lo, hi) };
}

/** One node over float inputs; `constants` become initializers (weights, shapes). */
export function oneNode(op: string, inputs: readonly (readonly number[] | string)[], attrs: Record<string, AttrValue> = {},
  initializers: ReturnType<typeof tensor>[] = [], opset = 17, outputs = 1): Uint8Array {
  const names = inputs.map((v, i) => (typeof v === 'string' ? v : `x${i}`));
  return buildModel({
    opsets: { '': opset },
    inputs: inputs.flatMap((v, i) => (typeof v === 'string' ? [] : [valueInfo(`x${i}`, DT.FLOAT, v)])),
    outputs: Array.from({ length: outputs }, (_, k) => valueInfo(`y${k}`, DT.FLOAT, undefined)),
    initializers,
    nodes: [node(op, names, Array.from({ length: outputs }, (_, k) => `y${k}`), attrs)],
  });
}

export interface EdgeResult {
  /** vs onnxruntime: cpu, webgpu specialised, webgpu generic. */
  readonly cpu: number;
  readonly specialized: number;
  readonly generic: number;
  /**
   * The specialised tier with the kernel variants a hardware adapter gets (vec4 and register tiles, split K,
   * workgroup reductions), which a session on SwiftShader does not pick; it runs them on SwiftShader all the same.
   */
  readonly hardware: number;
  readonly detail: string;
}

function toOrt(f: Feed): ort.Tensor {
  return new ort.Tensor(f.type, f.data, [...f.dims]);
}

/** Largest |a−b| over largest |oracle|; NaN where the other is not, a different infinity, or other dims: Infinity. */
export function relativeError(got: ArrayLike<number | bigint>, want: ArrayLike<number | bigint>): number {
  if (got.length !== want.length) return Infinity;
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < want.length; i++) {
    const a = Number(got[i]!);
    const b = Number(want[i]!);
    if (Number.isNaN(a) || Number.isNaN(b)) { if (Number.isNaN(a) !== Number.isNaN(b)) maxDiff = Infinity; continue; }
    if (a === b) continue;
    const d = Math.abs(a - b);
    if (!(d <= maxDiff)) maxDiff = d;
  }
  for (let i = 0; i < want.length; i++) { const b = Number(want[i]!); if (Number.isFinite(b)) maxRef = Math.max(maxRef, Math.abs(b)); }
  return maxRef === 0 ? maxDiff : maxDiff / maxRef;
}

export async function compareWithOrt(bytes: Uint8Array, feeds: Record<string, Feed>): Promise<EdgeResult> {
  const peer = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  const want = await peer.run(Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, toOrt(f)])));
  await peer.release();
  const ourFeeds = Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, new Tensor(f.type, f.data, [...f.dims])]));
  const gpu = await edgeDevice();
  const errors: number[] = [];
  const notes: string[] = [];
  const runs: { label: string; options: SessionOptions }[] = [
    { label: 'cpu', options: { backend: 'cpu' } },
    { label: 'webgpu/specialized', options: { backend: 'webgpu', webgpu: { device: gpu.device, kernels: 'specialized' } } },
    { label: 'webgpu/generic', options: { backend: 'webgpu', webgpu: { device: gpu.device, kernels: 'generic' } } },
  ];
  for (const { label, options } of runs) {
    const ours = await InferenceSession.create(bytes, options);
    try {
      const got = await ours.run(ourFeeds);
      let worst = 0;
      for (const [name, w] of Object.entries(want)) {
        const g = got[name]!;
        const a = Array.from(g.data as ArrayLike<number | bigint>, Number);
        const b = Array.from(w.data as ArrayLike<number | bigint>, Number);
        const e = g.dims.join() === w.dims.join() ? relativeError(a, b) : Infinity;
        if (e > 1e-4) notes.push(`${label} ${name}: dims ${g.dims} vs ${w.dims}; got ${a.slice(0, 12).map((v) => +v.toPrecision(5))} want ${b.slice(0, 12).map((v) => +v.toPrecision(5))}`);
        worst = Math.max(worst, e);
      }
      errors.push(worst);
    } finally {
      await ours.release();
    }
  }
  const model = parseModel(bytes);
  const graph = optimizeGraph(specializeGraph(model, new Map(Object.entries(feeds).map(([k, f]) => [k, { type: f.type, dims: [...f.dims] }]))));
  cache ??= new PipelineCache(gpu.device);
  const plan = await WebGpuPlan.compile(gpu, cache, graph, { profiling: false, kernels: 'specialized', software: false });
  try {
    const got = await plan.run(new Map(Object.entries(feeds).map(([k, f]) => [k, { type: f.type, dims: f.dims, data: f.data }])), graph.outputs);
    let worst = 0;
    for (const [name, w] of Object.entries(want)) {
      const g = got.get(name)!;
      const a = Array.from(g.data as ArrayLike<number | bigint>, Number);
      const b = Array.from(w.data as ArrayLike<number | bigint>, Number);
      const e = g.dims.join() === w.dims.join() ? relativeError(a, b) : Infinity;
      if (e > 1e-4) notes.push(`webgpu/hardware ${name}: dims ${g.dims} vs ${w.dims}; got ${a.slice(0, 12).map((v) => +v.toPrecision(5))} want ${b.slice(0, 12).map((v) => +v.toPrecision(5))}`);
      worst = Math.max(worst, e);
    }
    errors.push(worst);
  } finally {
    plan.dispose();
  }
  return { cpu: errors[0]!, specialized: errors[1]!, generic: errors[2]!, hardware: errors[3]!, detail: notes.join('\n') };
}
