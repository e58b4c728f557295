/** What the conv-absorbing and store/residual pass tests share: the optimised plan of a model, and its error against onnxruntime. */
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { InferenceSession, Tensor } from '../../src/index.js';
import { parseModel } from '../../src/parser/decode-model.js';
import { specializeGraph } from '../../src/graph/specialize.js';
import { optimizeGraph } from '../../src/graph/optimize.js';
import type { ConvParams } from '../../src/ops/conv/params.js';
import { maxRelativeError, seededUniform } from '../parity/parity.js';

/** The op types of the optimised plan at input `dims`, and its convs' parameters. */
export function plan(bytes: Uint8Array, dims: readonly number[]): { opTypes: string[]; convs: ConvParams[] } {
  const model = parseModel(bytes);
  const g = optimizeGraph(specializeGraph(model, new Map([[model.graph.inputs[0]!.name, { type: 'float32' as const, dims }]])));
  return { opTypes: g.steps.map((s) => s.node.opType), convs: g.steps.filter((s) => s.node.opType === 'Conv').map((s) => s.params as ConvParams) };
}

/** Max relative error of every output of ours (on `backend`) against onnxruntime-node, same seeded input; dims must agree. */
export async function errorAgainstOrt(bytes: Uint8Array, dims: readonly number[], backend: 'cpu' | 'webgpu' = 'cpu'): Promise<number> {
  const x = seededUniform(dims.reduce((a, b) => a * b, 1), 13, -2, 2);
  const ours = await InferenceSession.create(bytes, { backend, webgpu: { allowSoftwareAdapter: true } });
  const peer = await ort.InferenceSession.create(bytes);
  try {
    const name = ours.inputNames[0]!;
    const got = await ours.run({ [name]: new Tensor('float32', x, dims) });
    const want = await peer.run({ [name]: new ort.Tensor('float32', x, [...dims]) });
    return Math.max(...ours.outputNames.map((o) => {
      assert.deepEqual(got[o]!.dims, want[o]!.dims, `output ${o} dims`);
      return maxRelativeError(got[o]!.data as Float32Array, want[o]!.data as Float32Array);
    }));
  } finally {
    await ours.release();
    await peer.release();
  }
}
