/**
 * Shape specialisation of the real dynamic-input SCRFD-2.5G: for each input size the shape sub-graph feeding Resize
 * folds away and every head gets static dims, rows = (H/s)·(W/s)·2 anchors for strides 8, 16, 32.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseModel } from '../../src/parser/decode-model.js';
import { specializeGraph } from '../../src/graph/specialize.js';

const MODEL = join(process.env['INSIGHTGPU_MODELS_DIR'] ?? join(import.meta.dirname, '../../../shared/models'), 'scrfd_2.5g_bnkps.onnx');
const SIZES: readonly [number, number][] = [[640, 640], [320, 320], [480, 640], [96, 160]];
const STRIDES = [8, 16, 32];
/** Per anchor: 1 score, 4 box distances, 10 keypoint coordinates. */
const HEAD_WIDTHS = [1, 4, 10];
const SHAPE_OPS = new Set(['Shape', 'Gather', 'Unsqueeze', 'Slice', 'Concat', 'Cast', 'Constant', 'ConstantOfShape']);

describe('specializeGraph on scrfd_2.5g_bnkps.onnx', () => {
  assert.ok(existsSync(MODEL), `missing ${MODEL} (set INSIGHTGPU_MODELS_DIR)`);
  const model = parseModel(readFileSync(MODEL));
  const input = model.graph.inputs[0]!;

  test('the input is dynamic in H and W', () => {
    assert.equal(model.graph.inputs.length, 1);
    assert.equal(typeof input.shape?.[2], 'string');
    assert.equal(typeof input.shape?.[3], 'string');
  });

  for (const [h, w] of SIZES) {
    test(`${h}×${w}`, () => {
      const graph = specializeGraph(model, new Map([[input.name, { type: 'float32', dims: [1, 3, h, w] }]]));
      const expected = STRIDES.flatMap((s) => HEAD_WIDTHS.map((width) => `${(h / s) * (w / s) * 2}x${width}`)).sort();
      const actual = graph.outputs.map((o) => graph.types.get(o)!.dims.join('x')).sort();
      assert.deepEqual(actual, expected);
      // Every shape computation folded into constants: only compute ops remain for the backend.
      const left = graph.steps.filter((s) => SHAPE_OPS.has(s.node.opType)).map((s) => s.node.opType);
      assert.deepEqual(left, []);
      const resizes = graph.steps.filter((s) => s.node.opType === 'Resize');
      assert.equal(resizes.length, 2);
      for (const r of resizes) {
        const [out] = r.outputTypes;
        assert.ok(out!.dims.every((d) => Number.isInteger(d) && d > 0), `Resize output ${JSON.stringify(out!.dims)}`);
      }
    });
  }
});
