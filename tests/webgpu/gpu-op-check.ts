/**
 * One helper for every op-level WebGPU test: build a single-node graph, resolve it with the op's CPU module,
 * run the CPU reference and the WGSL kernel (through the real compiled plan) on the same seeded random inputs,
 * and return the largest relative difference over all outputs.
 */
import { findGpuKernel, findOpModule } from '../../src/ops/registry.js';
import { ShapeValues } from '../../src/ops/kernel/shape-values.js';
import type { Storage } from '../../src/ops/kernel/storage.js';
import type { GpuDispatch } from '../../src/ops/kernel/gpu-dispatch.js';
import type { ValueType } from '../../src/ops/kernel/op-module.js';
import type { Attribute, DataType, Node, TensorData } from '../../src/core/ir.js';
import { elementCount } from '../../src/core/ir.js';
import type { PlannedStep, StaticGraph } from '../../src/graph/specialize.js';
import type { GpuLowering } from '../../src/ops/kernel/gpu-kernel.js';
import { acquireDevice, type GpuDevice } from '../../src/backends/webgpu/device.js';
import { PipelineCache } from '../../src/backends/webgpu/pipeline-cache.js';
import { WebGpuPlan } from '../../src/backends/webgpu/plan.js';
import { Prng } from '../../models/forge/prng.js';

export interface OpInput {
  readonly dims: readonly number[];
  readonly type?: DataType;
  /** Given values (else seeded random in [-2, 2)); constant inputs are known at load time like initializers. */
  readonly data?: TensorData['data'];
  readonly constant?: boolean;
}

export interface OpCase {
  readonly op: string;
  /** The op's domain: '' (ai.onnx) unless the case is one of the engine's own ops (ENGINE_DOMAIN). */
  readonly domain?: string;
  readonly attributes?: Readonly<Record<string, Attribute>>;
  readonly inputs: readonly (OpInput | undefined)[];
  readonly outputs?: number;
  readonly opset?: number;
  /** Rewrites the resolved params (to attach a fused epilogue, as the graph passes do). */
  readonly params?: (params: unknown) => unknown;
  /** Rewrites the resolved output types (a fused Transpose permutes the conv's output dims). */
  readonly outputTypes?: (types: readonly ValueType[]) => readonly ValueType[];
}

let shared: Promise<{ gpu: GpuDevice; cache: PipelineCache }> | undefined;

/** One SwiftShader (or real) device for the whole test file. */
export function testDevice(): Promise<{ gpu: GpuDevice; cache: PipelineCache }> {
  shared ??= acquireDevice({ allowSoftwareAdapter: true }).then((gpu) => ({ gpu, cache: new PipelineCache(gpu.device) }));
  return shared;
}

export async function releaseTestDevice(): Promise<void> {
  if (shared) (await shared).gpu.release();
  shared = undefined;
}

/** Seeded values uniform in [−2, 2). */
export function seededValues(count: number, seed: number): Float32Array {
  return new Prng(seed).fillRange(count, -2, 2);
}

function materialise(input: OpInput, seed: number): TensorData {
  const type = input.type ?? 'float32';
  if (input.data) return { type, dims: input.dims, data: input.data };
  const values = seededValues(elementCount(input.dims), seed);
  const data = type === 'float32' ? values : type === 'int32' ? Int32Array.from(values, (v) => Math.round(v * 10)) : undefined;
  if (!data) throw new Error(`give data for ${type} inputs`);
  return { type, dims: input.dims, data };
}

/**
 * Runs the case on both backends; `software` picks the kernel variants (undefined: the adapter's own), `kernels`
 * the tier (the specialised kernels unless asked: 'generic' checks the shape-generic ones).
 */
export async function gpuVersusCpu(c: OpCase, software?: boolean, kernels: 'specialized' | 'generic' = 'specialized'): Promise<{ relError: number; outputs: TensorData[] }> {
  const { gpu, cache } = await testDevice();
  const module = findOpModule(c.op, c.domain)!;
  const names = c.inputs.map((v, i) => (v ? `in${i}` : ''));
  const outNames = Array.from({ length: c.outputs ?? 1 }, (_, i) => `out${i}`);
  const node: Node = { index: 0, name: `test_${c.op}`, opType: c.op, domain: c.domain ?? '', inputs: names, outputs: outNames, attributes: new Map(Object.entries(c.attributes ?? {})) };
  const tensors = c.inputs.map((v, i) => (v ? materialise(v, 1000 + 7919 * i) : undefined));
  const resolved = module.resolve({
    node, opset: c.opset ?? 17,
    inputs: tensors.map((t) => (t ? { type: t.type, dims: t.dims } : undefined)),
    constants: tensors.map((t, i) => (t && c.inputs[i]!.constant ? t : undefined)),
  });
  const params = c.params ? c.params(resolved.params) : resolved.params;
  const outputTypes = c.outputTypes ? c.outputTypes(resolved.outputs) : resolved.outputs;
  const expected = module.cpu(params, tensors, outputTypes);
  const constants = new Map<string, TensorData>();
  const graphInputs: StaticGraph['inputs'][number][] = [];
  tensors.forEach((t, i) => {
    if (!t) return;
    if (c.inputs[i]!.constant) constants.set(names[i]!, t);
    else graphInputs.push({ name: names[i]!, type: { type: t.type, dims: t.dims } });
  });
  const step: PlannedStep = { node, module, params, inputs: names, outputs: outNames, outputTypes };
  const graph: StaticGraph = { inputs: graphInputs, outputs: outNames, steps: [step], constants, types: new Map() };
  const plan = await WebGpuPlan.compile(gpu, cache, graph, { profiling: false, kernels, software: software ?? gpu.isSoftware });
  try {
    const feeds = new Map(graphInputs.map((v) => [v.name, tensors[names.indexOf(v.name)]!]));
    const got = await plan.run(feeds, outNames);
    let relError = 0;
    const outputs: TensorData[] = [];
    outNames.forEach((name, k) => {
      const a = got.get(name)!;
      const b = expected[k]!;
      outputs.push(a);
      if (a.dims.join() !== b.dims.join() || a.data.length !== b.data.length) { relError = Infinity; return; }
      let maxDiff = 0;
      let maxRef = 0;
      for (let i = 0; i < b.data.length; i++) {
        const x = Number(a.data[i]!);
        const y = Number(b.data[i]!);
        if (Number.isNaN(x) !== Number.isNaN(y)) { maxDiff = Infinity; continue; }
        if (Number.isNaN(y)) continue;
        // Equal infinities (max over an all-padding window) agree; any other difference counts.
        const d = x === y ? 0 : Math.abs(x - y);
        if (!(d <= maxDiff)) maxDiff = d;
        if (Number.isFinite(y)) maxRef = Math.max(maxRef, Math.abs(y));
      }
      relError = Math.max(relError, maxRef === 0 ? maxDiff : maxDiff / maxRef);
    });
    return { relError, outputs };
  } finally {
    plan.dispose();
  }
}

/**
 * How the op's kernel lowers the case, without a device: 'dispatches', 'alias', or 'cpu' when it declines (the plan
 * then runs the CPU reference, which gpuVersusCpu cannot tell from a kernel). Checks that a new kernel really runs.
 */
export function loweringKind(c: OpCase, software: boolean, kernels: 'specialized' | 'generic'): 'dispatches' | 'alias' | 'cpu' {
  const lowered = lowerCase(c, software, kernels);
  return lowered === undefined ? 'cpu' : lowered.kind;
}

/** The WGSL texts the op's kernel lowers the case to (empty when it declines or aliases), to tell kernel variants apart. */
export function loweredShaders(c: OpCase, software: boolean, kernels: 'specialized' | 'generic'): string[] {
  const lowered = lowerCase(c, software, kernels);
  return lowered?.kind === 'dispatches' ? lowered.dispatches.map((d) => d.shader) : [];
}

/**
 * The case's dispatches with float32 values stored as `storage` (the fp16 kernels' text checks), and the types of
 * the values its input and output bindings refer to; no dispatches when the kernel declines or aliases.
 */
export function loweredWithStorage(c: OpCase, software: boolean, kernels: 'specialized' | 'generic', storage: Storage):
  { dispatches: readonly GpuDispatch[]; inputs: readonly (ValueType | undefined)[]; outputs: readonly ValueType[] } {
  const lowered: { inputs?: readonly (ValueType | undefined)[]; outputs?: readonly ValueType[] } = {};
  const l = lowerCase(c, software, kernels, storage, lowered);
  return { dispatches: l?.kind === 'dispatches' ? l.dispatches : [], inputs: lowered.inputs ?? [], outputs: lowered.outputs ?? [] };
}

function lowerCase(c: OpCase, software: boolean, kernels: 'specialized' | 'generic', storage?: Storage,
  types?: { inputs?: readonly (ValueType | undefined)[]; outputs?: readonly ValueType[] }): GpuLowering | undefined {
  const module = findOpModule(c.op, c.domain)!;
  const kernel = findGpuKernel(c.op, c.domain);
  if (!kernel) return undefined;
  const names = c.inputs.map((v, i) => (v ? `in${i}` : ''));
  const node: Node = { index: 0, name: `test_${c.op}`, opType: c.op, domain: c.domain ?? '', inputs: names, outputs: ['out0'], attributes: new Map(Object.entries(c.attributes ?? {})) };
  const tensors = c.inputs.map((v, i) => (v ? materialise(v, 1000 + 7919 * i) : undefined));
  const inputs = tensors.map((t) => (t ? { type: t.type, dims: t.dims } : undefined));
  const constants = tensors.map((t, i) => (t && c.inputs[i]!.constant ? t : undefined));
  const resolved = module.resolve({ node, opset: c.opset ?? 17, inputs, constants });
  const params = c.params ? c.params(resolved.params) : resolved.params;
  if (types) { types.inputs = inputs; types.outputs = resolved.outputs; }
  return kernel.lower({
    node, params, inputs, outputs: c.outputTypes ? c.outputTypes(resolved.outputs) : resolved.outputs, constants, maxWorkgroupsPerDimension: 65535, software,
    shape: kernels === 'generic' ? ShapeValues.uniform() : ShapeValues.literal(), storage,
  });
}
