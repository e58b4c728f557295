/**
 * Linear Resize on the cpu backend against onnxruntime-node, in the coordinate modes INSwapper and the detectors
 * use (pytorch_half_pixel, half_pixel, align_corners, asymmetric), at opset 11 (roi input) and 13, from scales and
 * from sizes, upscaling and downscaling, including pytorch_half_pixel's special case of a length-1 output.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ours, reference, type SingleNode } from './single-node.js';

const roi = { type: 'float32' as const, values: [] };
const scales = (...values: number[]) => ({ type: 'float32' as const, values });
const sizes = (...values: number[]) => ({ type: 'int64' as const, values });
const linear = (mode: string) => ({ mode: { s: 'linear' }, coordinate_transformation_mode: { s: mode } });

const CASES: Record<string, SingleNode> = {
  'pytorch_half_pixel ×2 (INSwapper, opset 11)': { op: 'Resize', attributes: linear('pytorch_half_pixel'), dims: [1, 3, 5, 6], extra: [roi, scales(1, 1, 2, 2)], opset: 11 },
  'pytorch_half_pixel to sizes with a length-1 axis': { op: 'Resize', attributes: linear('pytorch_half_pixel'), dims: [1, 2, 4, 5], extra: [roi, scales(), sizes(1, 2, 1, 7)], opset: 11 },
  'pytorch_half_pixel downscale': { op: 'Resize', attributes: linear('pytorch_half_pixel'), dims: [1, 2, 9, 8], extra: [roi, scales(1, 1, 0.5, 0.75)], opset: 13 },
  'half_pixel ×1.5, ×2.5': { op: 'Resize', attributes: linear('half_pixel'), dims: [2, 2, 4, 6], extra: [roi, scales(1, 1, 1.5, 2.5)], opset: 13 },
  'half_pixel downscale': { op: 'Resize', attributes: linear('half_pixel'), dims: [1, 1, 10, 7], extra: [roi, scales(1, 1, 0.6, 0.5)], opset: 11 },
  'align_corners ×2, ×3': { op: 'Resize', attributes: linear('align_corners'), dims: [1, 2, 4, 5], extra: [roi, scales(1, 1, 2, 3)], opset: 11 },
  'align_corners to smaller sizes': { op: 'Resize', attributes: linear('align_corners'), dims: [1, 1, 7, 9], extra: [roi, scales(), sizes(1, 1, 3, 4)], opset: 13 },
  'asymmetric ×2': { op: 'Resize', attributes: linear('asymmetric'), dims: [1, 3, 3, 4], extra: [roi, scales(1, 1, 2, 2)], opset: 11 },
};

describe('linear Resize matches onnxruntime-node', () => {
  for (const [name, c] of Object.entries(CASES)) {
    test(name, async () => {
      const [a, b] = [await ours(c), await reference(c)];
      assert.deepEqual(a.dims, b.dims);
      let diff = 0;
      let scale = 0;
      for (let i = 0; i < b.data.length; i++) { diff = Math.max(diff, Math.abs(a.data[i]! - b.data[i]!)); scale = Math.max(scale, Math.abs(b.data[i]!)); }
      // 1e-6 of the range: each output is a two-tap lerp per axis; ours weighs in float64, onnxruntime in float32
      // (a few ulps of 1.2e-7).
      assert.ok(diff <= 1e-6 * scale, `max |diff| ${diff} against max |ref| ${scale}`);
    });
  }
});
