/**
 * A reflect Pad feeding a Conv folds into the Conv's pad mode (no padded copy), and the result still matches
 * onnxruntime-node on the unfolded model; other Pads stay.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { InferenceSession, Tensor } from '../../src/index.js';
import { parseModel } from '../../src/parser/decode-model.js';
import { specializeGraph } from '../../src/graph/specialize.js';
import { optimizeGraph } from '../../src/graph/optimize.js';
import type { ConvParams } from '../../src/ops/conv/params.js';
import { DT, buildModel, node, tensor, valueInfo } from '../parser/onnx-builder.js';
import { PARITY_BOUND, seededUniform } from '../parity/parity.js';

const DIMS = [1, 3, 9, 8];

function model(mode: string, pads: number[], kernel: number): Uint8Array {
  return buildModel({
    opsets: { '': 11 },
    inputs: [valueInfo('x', DT.FLOAT, DIMS)],
    outputs: [valueInfo('y', DT.FLOAT, undefined)],
    initializers: [
      tensor('pads', 'int64', [8], pads),
      tensor('w', 'float32', [5, 3, kernel, kernel], [...seededUniform(5 * 3 * kernel * kernel, 7, -0.5, 0.5)]),
      tensor('b', 'float32', [5], [...seededUniform(5, 8, -0.1, 0.1)]),
    ],
    nodes: [
      node('Pad', ['x', 'pads'], ['padded'], { mode: { s: mode } }),
      node('Conv', ['padded', 'w', 'b'], ['y'], { kernel_shape: { ints: [kernel, kernel] } }),
    ],
  });
}

function steps(bytes: Uint8Array): { opTypes: string[]; conv: ConvParams } {
  const g = optimizeGraph(specializeGraph(parseModel(bytes), new Map([['x', { type: 'float32' as const, dims: DIMS }]])));
  return { opTypes: g.steps.map((s) => s.node.opType), conv: g.steps.find((s) => s.node.opType === 'Conv')!.params as ConvParams };
}

async function relativeErrorAgainstOrt(bytes: Uint8Array): Promise<number> {
  const x = seededUniform(DIMS.reduce((a, b) => a * b, 1), 3, -1, 1);
  const got = (await (await InferenceSession.create(bytes, { backend: 'cpu' })).run({ x: new Tensor('float32', x, DIMS) })).y!.data as Float32Array;
  const want = (await (await ort.InferenceSession.create(bytes)).run({ x: new ort.Tensor('float32', x, DIMS) })).y!.data as Float32Array;
  let diff = 0;
  let scale = 0;
  want.forEach((v, i) => { diff = Math.max(diff, Math.abs(got[i]! - v)); scale = Math.max(scale, Math.abs(v)); });
  return diff / scale;
}

describe('reflect Pad into Conv', () => {
  for (const [pads, kernel] of [[[0, 0, 1, 1, 0, 0, 1, 1], 3], [[0, 0, 3, 2, 0, 0, 1, 3], 7]] as const) {
    it(`folds pads ${JSON.stringify(pads)} before a ${kernel}×${kernel} conv, within 1e-4 of onnxruntime`, async () => {
      const bytes = model('reflect', [...pads], kernel);
      const { opTypes, conv } = steps(bytes);
      assert.deepEqual(opTypes, ['Conv']);
      assert.equal(conv.padMode, 'reflect');
      assert.deepEqual(conv.pads, [pads[2], pads[3], pads[6], pads[7]]);
      // The project's fp32 bound; both sides sum the same products in different orders.
      const err = await relativeErrorAgainstOrt(bytes);
      assert.ok(err <= PARITY_BOUND, `relative error ${err}`);
    });
  }

  it('leaves constant and edge Pads as they are', () => {
    assert.deepEqual(steps(model('constant', [0, 0, 1, 1, 0, 0, 1, 1], 3)).opTypes, ['Pad', 'Conv']);
    assert.deepEqual(steps(model('edge', [0, 0, 1, 1, 0, 0, 1, 1], 3)).opTypes, ['Pad', 'Conv']);
  });
});
