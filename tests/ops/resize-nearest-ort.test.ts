/**
 * A nearest Resize picks the same input pixels as onnxruntime under every coordinate and rounding mode, including
 * scales whose source coordinates sit at an exact .5 in float32 but just off it in float64 (a 0.6 scale). Nearest
 * copies values, so the outputs must be equal, not merely close.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { InferenceSession, Tensor } from '../../src/index.js';
import { DT, buildModel, node, tensor, valueInfo } from '../parser/onnx-builder.js';

const COORDINATE_MODES = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'];
const NEAREST_MODES = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];
/** [input width, scale or output size]: down- and upsampling, and the .5-tie scales 0.6, 1.75 and 2.5. */
const CASES: { width: number; scale?: number; size?: number }[] = [
  { width: 7, scale: 0.6 }, { width: 4, scale: 1.75 }, { width: 5, scale: 2 }, { width: 6, scale: 2.5 }, { width: 10, scale: 0.3 },
  { width: 7, size: 4 }, { width: 3, size: 8 }, { width: 9, size: 5 }, { width: 11, size: 7 }, { width: 13, size: 6 }, { width: 5, size: 3 }, { width: 6, size: 10 },
];

function resizeModel(coordinateMode: string, nearestMode: string, width: number, scale?: number, size?: number): Uint8Array {
  return buildModel({
    opsets: { '': 11 },
    inputs: [valueInfo('x', DT.FLOAT, [1, 1, 2, width])],
    outputs: [valueInfo('y', DT.FLOAT, undefined)],
    initializers: [
      tensor('roi', 'float32', [0], []),
      tensor('scales', 'float32', scale === undefined ? [0] : [4], scale === undefined ? [] : [1, 1, 1, scale]),
      ...(size === undefined ? [] : [tensor('sizes', 'int64', [4], [1, 1, 2, size])]),
    ],
    nodes: [node('Resize', ['x', 'roi', 'scales', ...(size === undefined ? [] : ['sizes'])], ['y'], {
      mode: { s: 'nearest' }, coordinate_transformation_mode: { s: coordinateMode }, nearest_mode: { s: nearestMode },
    })],
  });
}

describe('nearest Resize against onnxruntime', () => {
  it('reads the same input pixels under every coordinate mode × nearest mode', async () => {
    const mismatches: string[] = [];
    for (const cm of COORDINATE_MODES) for (const nm of NEAREST_MODES) for (const { width, scale, size } of CASES) {
      const bytes = resizeModel(cm, nm, width, scale, size);
      const x = Float32Array.from({ length: 2 * width }, (_, i) => i);
      const ours = await InferenceSession.create(bytes, { backend: 'cpu' });
      const peer = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
      const got = [...(await ours.run({ x: new Tensor('float32', x, [1, 1, 2, width]) })).y!.data as Float32Array];
      const want = [...(await peer.run({ x: new ort.Tensor('float32', x, [1, 1, 2, width]) })).y!.data as Float32Array];
      await ours.release();
      await peer.release();
      if (got.join() !== want.join()) mismatches.push(`${cm}/${nm} width ${width} ${scale === undefined ? `size ${size}` : `scale ${scale}`}: ours ${got} ort ${want}`);
    }
    assert.deepEqual(mismatches, []);
  });
});
