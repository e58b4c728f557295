/**
 * Zero-size tensors through the WebGPU plan, against onnxruntime-node: a step whose outputs are all empty runs no
 * kernel (its kernels' index arithmetic would divide by the zero dim, or bind a buffer smaller than their element),
 * and kernels reading an empty input still give the right non-empty output. Both tiers and the hardware variants.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { compareWithOrt, releaseEdgeDevice, seeded } from './ort-edge-check.js';
import { DT, buildModel, node, tensor, valueInfo, type AttrValue } from '../parser/onnx-builder.js';

after(releaseEdgeDevice);

const i64 = (name: string, values: number[], dims = [values.length]) => tensor(name, 'int64', dims, values);

function model(op: string, inputs: number[][], attrs: Record<string, AttrValue>, inits: ReturnType<typeof tensor>[] = [], extra: string[] = [], opset = 17): Uint8Array {
  return buildModel({
    opsets: { '': opset }, inputs: inputs.map((d, i) => valueInfo(`x${i}`, DT.FLOAT, d)), outputs: [valueInfo('y0', DT.FLOAT, undefined)], initializers: inits,
    nodes: [node(op, [...inputs.map((_, i) => `x${i}`), ...extra], ['y0'], attrs)],
  });
}

const CASES: [string, number[][], string, Record<string, AttrValue>, ReturnType<typeof tensor>[]?, string[]?, number?][] = [
  // These four failed before: a shader-creation error (Transpose, Resize, MatMul) or a binding too small (Conv).
  ['Transpose of a [0, 3, 2]', [[0, 3, 2]], 'Transpose', { perm: { ints: [2, 1, 0] } }],
  ['MatMul with no rows', [[0, 5], [5, 4]], 'MatMul', {}],
  ['Conv of a zero batch', [[0, 2, 4, 4]], 'Conv', {}, [tensor('W', 'float32', [3, 2, 1, 1], [1, 2, 3, 4, 5, 6])], ['W']],
  ['Resize of a zero batch', [[0, 2, 2, 2]], 'Resize', { mode: { s: 'nearest' } }, [tensor('roi', 'float32', [0], []), tensor('sc', 'float32', [4], [1, 1, 2, 2])], ['roi', 'sc'], 13],
  // Empty inputs to non-empty outputs still run their kernels.
  ['MatMul with K = 0 (zeros)', [[2, 40, 0], [0, 36]], 'MatMul', {}],
  ['Gemm with K = 0 and a bias', [[5, 0], [0, 7]], 'Gemm', {}, [tensor('C', 'float32', [7], [1, 2, 3, 4, 5, 6, 7])], ['C']],
  ['Pad of an empty tensor to a full one', [[0, 3]], 'Pad', {}, [i64('p', [1, 0, 1, 0]), tensor('v', 'float32', [], [2.5])], ['p', 'v']],
  ['ReduceSum over an empty axis', [[300, 0]], 'ReduceSum', { keepdims: { i: 1 } }, [i64('a', [1])], ['a']],
  ['Concat with an empty input', [[2, 0, 3], [2, 4, 3]], 'Concat', { axis: { i: 1 } }],
  ['Slice to nothing', [[4, 5]], 'Slice', {}, [i64('s', [3]), i64('e', [1]), i64('a', [0])], ['s', 'e', 'a']],
];

describe('empty tensors on WebGPU against onnxruntime', () => {
  for (const [name, inputs, op, attrs, inits, extra, opset] of CASES) {
    it(name, async () => {
      const feeds = Object.fromEntries(inputs.map((d, i) => [`x${i}`, seeded(d, 3 + i)]));
      const r = await compareWithOrt(model(op, inputs, attrs, inits, extra, opset), feeds);
      // Empty outputs, zeros and copies: exactly equal.
      assert.deepEqual([r.cpu, r.specialized, r.generic, r.hardware], [0, 0, 0, 0], r.detail);
    });
  }
});
