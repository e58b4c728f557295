/** What the conv-absorbing and store/residual pass tests share: the optimised plan of a model, and its error against onnxruntime. */
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { InferenceSession, Tensor } from '../../src/index.js';
import { parseModel } from '../../src/parser/decode-model.js';
import { specializeGraph } from '../../src/graph/specialize.js';
import { optimizeGraph } from '../../src/graph/optimize.js';
import type { ConvParams } from '../../src/ops/conv/params.js';
import { maxRelativeError, seededUniform } from '../parity/parity.js';

/** The op types of the optimised plan at input `dims` (the one input's shape, or each input's by name), and its convs' parameters. */
export function plan(bytes: Uint8Array, dims: readonly number[] | Readonly<Record<string, readonly number[]>>): { opTypes: string[]; convs: ConvParams[] } {
  const model = parseModel(bytes);
  const shapes = Array.isArray(dims) ? { [model.graph.inputs[0]!.name]: dims as readonly number[] } : dims as Readonly<Record<string, readonly number[]>>;
  const g = optimizeGraph(specializeGraph(model, new Map(Object.entries(shapes).map(([name, d]) => [name, { type: 'float32' as const, dims: d }]))));
  return { opTypes: g.steps.map((s) => s.node.opType), convs: g.steps.filter((s) => s.node.opType === 'Conv').map((s) => s.params as ConvParams) };
}

/**
 * Max relative error of every output of ours (on `backend`) against onnxruntime-node, same seeded inputs; dims must
 * agree. `dims` is the one input's shape, or each input's by name.
 */
export async function errorAgainstOrt(bytes: Uint8Array, dims: readonly number[] | Readonly<Record<string, readonly number[]>>, backend: 'cpu' | 'webgpu' = 'cpu'): Promise<number> {
  const ours = await InferenceSession.create(bytes, { backend, webgpu: { allowSoftwareAdapter: true } });
  const peer = await ort.InferenceSession.create(bytes);
  try {
    const shapes = Array.isArray(dims) ? { [ours.inputNames[0]!]: dims as readonly number[] } : dims as Readonly<Record<string, readonly number[]>>;
    const feeds = Object.entries(shapes).map(([name, d], k) => [name, d, seededUniform(d.reduce((a, b) => a * b, 1), 13 + k, -2, 2)] as const);
    const got = await ours.run(Object.fromEntries(feeds.map(([name, d, x]) => [name, new Tensor('float32', x, d)])));
    const want = await peer.run(Object.fromEntries(feeds.map(([name, d, x]) => [name, new ort.Tensor('float32', x, [...d])])));
    return Math.max(...ours.outputNames.map((o) => {
      assert.deepEqual(got[o]!.dims, want[o]!.dims, `output ${o} dims`);
      return maxRelativeError(got[o]!.data as Float32Array, want[o]!.data as Float32Array);
    }));
  } finally {
    await ours.release();
    await peer.release();
  }
}
