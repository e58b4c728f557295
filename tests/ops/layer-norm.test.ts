/**
 * LayerNormalization (opset 17) against onnxruntime-node on cpu and webgpu (float tolerance 1e-4 relative, see
 * ort-oracle.ts): every axis, epsilon, Scale and B of the normalised shape or broadcast to it, B left out, a large
 * mean, and the Mean and InvStdDev outputs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphError, InferenceSession, UnsupportedOpError } from '../../src/index.js';
import { f32, oracleModel, ramp } from './ort-oracle.js';
import { sweepBackends, type Cases } from './gpu-oracle.js';

const w = (name: string, dims: number[], scale = 0.13, offset = 0.2): ReturnType<typeof f32> => f32(name, dims, ramp(dims.reduce((a, b) => a * b, 1), scale, offset), true);

function cases(): Cases {
  const op = 'LayerNormalization';
  return [
    ['last axis (default)', { op, opset: 17, inputs: [f32('x', [2, 3, 8]), w('s', [8]), w('b', [8])] }],
    ['axis 1', { op, opset: 17, attrs: { axis: { i: 1 } }, inputs: [f32('x', [2, 3, 4]), w('s', [3, 4]), w('b', [3, 4])] }],
    ['axis 0', { op, opset: 17, attrs: { axis: { i: 0 } }, inputs: [f32('x', [2, 3]), w('s', [2, 3]), w('b', [2, 3])] }],
    ['axis -2', { op, opset: 17, attrs: { axis: { i: -2 } }, inputs: [f32('x', [2, 3, 4]), w('s', [3, 4]), w('b', [3, 4])] }],
    ['no B', { op, opset: 17, inputs: [f32('x', [3, 5]), w('s', [5])] }],
    ['epsilon', { op, opset: 17, attrs: { epsilon: { f: 0.5 } }, inputs: [f32('x', [2, 4]), w('s', [4]), w('b', [4])] }],
    ['broadcast Scale and B', { op, opset: 17, attrs: { axis: { i: 1 } }, inputs: [f32('x', [2, 3, 4]), w('s', [1, 4]), w('b', [3, 1])] }],
    ['scalar-like Scale', { op, opset: 17, inputs: [f32('x', [2, 6]), w('s', [1]), w('b', [6])] }],
    ['large mean', { op, opset: 17, inputs: [f32('x', [2, 4], [1000, 1001, 1002, 1003, -5e4, -5e4 + 1, -5e4 + 2, -5e4 + 4]), w('s', [4]), w('b', [4])] }],
    ['constant row', { op, opset: 17, inputs: [f32('x', [1, 4], [3, 3, 3, 3]), w('s', [4]), w('b', [4])] }],
    ['a row of 384', { op, opset: 17, inputs: [f32('x', [2, 384], ramp(768, 0.07)), w('s', [384]), w('b', [384])] }],
    ['Mean and InvStdDev', { op, opset: 17, outputs: 3, attrs: { axis: { i: 1 } }, inputs: [f32('x', [2, 3, 4]), w('s', [3, 4]), w('b', [3, 4])] }],
    ['Mean only', { op, opset: 17, outputs: 2, inputs: [f32('x', [3, 5]), w('s', [5])] }],
    ['dynamic Scale', { op, opset: 17, inputs: [f32('x', [2, 4]), f32('s', [4]), f32('b', [4])] }],
  ];
}

describe('LayerNormalization', () => {
  it('matches onnxruntime on cpu and webgpu', async () => {
    await sweepBackends(cases());
  });

  it('refuses a Scale that does not broadcast (GraphError) and a non-float32 stash_type (UnsupportedOpError) at load', async () => {
    const bad = oracleModel({ op: 'LayerNormalization', opset: 17, inputs: [f32('x', [2, 4]), w('s', [3])] });
    await assert.rejects(InferenceSession.create(bad, { backend: 'cpu' }), GraphError);
    const stash = oracleModel({ op: 'LayerNormalization', opset: 17, attrs: { stash_type: { i: 11 } }, inputs: [f32('x', [2, 4]), w('s', [4])] });
    await assert.rejects(InferenceSession.create(stash, { backend: 'cpu' }), UnsupportedOpError);
  });
});
