/**
 * A real model file rewritten as `torch.onnx.export(..., keep_initializers_as_inputs=True)` writes it: every
 * initializer also listed as a graph input (after the real inputs), so from IR 4 on each weight is an input with a
 * default that a feed may override.
 */
import * as ort from 'onnxruntime-node';
import { onnx } from '../parser/onnx-builder.js';
import type { InferenceSession } from '../../src/index.js';
import type { ExecutionPlan } from '../../src/backends/plan.js';

/** `bytes` with every initializer added to the graph's inputs, typed and shaped as the initializer; IR version kept. */
export function keepInitializersAsInputs(bytes: Uint8Array): Uint8Array {
  const proto = onnx.ModelProto.decode(bytes);
  const graph = proto.graph!;
  const listed = new Set((graph.input ?? []).map((v) => v.name));
  for (const init of graph.initializer ?? []) {
    if (listed.has(init.name)) continue;
    (graph.input ??= []).push({ name: init.name, type: { tensorType: { elemType: init.dataType, shape: { dim: (init.dims ?? []).map((d) => ({ dimValue: d })) } } } });
  }
  return onnx.ModelProto.encode(proto).finish();
}

/** The file with these initializers removed, so onnxruntime-node (whose run drops feeds of overridable inputs) takes them as plain inputs. */
export function asPlainInputs(bytes: Uint8Array, names: readonly string[]): Uint8Array {
  const proto = onnx.ModelProto.decode(bytes);
  proto.graph!.initializer = (proto.graph!.initializer ?? []).filter((t) => !names.includes(t.name ?? ''));
  return onnx.ModelProto.encode(proto).finish();
}

/** onnxruntime-node's outputs for these float32 feeds, by name. */
export async function ortOutputs(bytes: Uint8Array, feeds: Record<string, [Float32Array, number[]]>): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, [data, dims]]) => [k, new ort.Tensor('float32', data, dims)])));
  await session.release();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
}

/** onnxruntime-node's `fc1` (the heads' output) for these float32 feeds. */
export async function ortRun(bytes: Uint8Array, feeds: Record<string, [Float32Array, number[]]>): Promise<Float32Array> {
  return (await ortOutputs(bytes, feeds))['fc1']!;
}

/** Records every plan the session's backend compiles from now on, and which of them were disposed. */
export function watchPlans(session: InferenceSession): { readonly made: ExecutionPlan[]; readonly disposed: Set<ExecutionPlan> } {
  const made: ExecutionPlan[] = [];
  const disposed = new Set<ExecutionPlan>();
  const backend = session.backend as { compile: typeof session.backend.compile };
  const compile = backend.compile.bind(session.backend);
  backend.compile = async (graph, options) => {
    const plan = await compile(graph, options);
    const dispose = plan.dispose.bind(plan);
    plan.dispose = () => { disposed.add(plan); dispose(); };
    made.push(plan);
    return plan;
  };
  return { made, disposed };
}
