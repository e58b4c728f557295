/**
 * ArgMax and ArgMin against onnxruntime-node on cpu and webgpu (int64 indices equal; see ort-oracle.ts): axis,
 * keepdims, ties with and without select_last_index, integer inputs. They run the CPU reference on webgpu too (the
 * family's CPU-only mark: int64 output).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphError, InferenceSession } from '../../src/index.js';
import { f32, oracleModel, type OracleInput } from './ort-oracle.js';
import { sweepBackends, type Cases } from './gpu-oracle.js';

const ties = [1, 3, 3, 0, -2, -2, 5, 5, 5, 0, 0, 0];

function cases(): Cases {
  const out: Cases = [];
  for (const op of ['ArgMax', 'ArgMin']) {
    const o = { outTypes: ['int64'] as const };
    for (const axis of [0, 1, 2, -1]) for (const keepdims of [0, 1]) {
      out.push([`${op} axis ${axis} keepdims ${keepdims}`, { op, opset: 13, ...o, attrs: { axis: { i: axis }, keepdims: { i: keepdims } }, inputs: [f32('x', [2, 3, 4])] }]);
    }
    out.push([`${op} default axis`, { op, opset: 11, ...o, inputs: [f32('x', [3, 4])] }]);
    for (const last of [0, 1]) out.push([`${op} ties select_last_index ${last}`, { op, opset: 13, ...o, attrs: { axis: { i: 1 }, select_last_index: { i: last } }, inputs: [f32('x', [4, 3], ties)] }]);
    const ints: OracleInput = { name: 'x', type: 'int32', dims: [3, 4], values: ties };
    out.push([`${op} int32 ties last`, { op, opset: 13, ...o, attrs: { select_last_index: { i: 1 } }, inputs: [ints] }]);
    out.push([`${op} ±∞`, { op, opset: 13, ...o, attrs: { axis: { i: 0 } }, inputs: [f32('x', [3, 2], [Infinity, -Infinity, 0, 1, -Infinity, Infinity])] }]);
  }
  return out;
}

describe('ArgMax / ArgMin', () => {
  it('match onnxruntime on cpu and webgpu', async () => {
    const all = cases();
    await sweepBackends(all, [], all.map(([n]) => n));
  });

  it('refuse select_last_index before opset 12 (GraphError) at load', async () => {
    const m = oracleModel({ op: 'ArgMax', opset: 11, outTypes: ['int64'], attrs: { select_last_index: { i: 1 } }, inputs: [f32('x', [2, 3])] });
    await assert.rejects(InferenceSession.create(m, { backend: 'cpu' }), GraphError);
  });
});
