/**
 * Softmax and LogSoftmax against onnxruntime-node on cpu and webgpu (float tolerance 1e-4 relative, see
 * ort-oracle.ts): opset < 13 coerces the input to 2-D at `axis` (default 1), opset ≥ 13 normalises along `axis`
 * (default −1); large inputs stay finite (max subtracted); rows of all −∞, a NaN or +∞ are NaN throughout.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphError, InferenceSession, UnsupportedOpError } from '../../src/index.js';
import { f32, oracleModel, ramp } from './ort-oracle.js';
import { sweepBackends, type Cases } from './gpu-oracle.js';

const NEG = -Infinity;

function cases(): Cases {
  const out: Cases = [];
  for (const op of ['Softmax', 'LogSoftmax']) {
    for (const opset of [11, 13]) {
      out.push([`${op} ${opset} default axis 3-D`, { op, opset, inputs: [f32('x', [2, 3, 4])] }]);
      for (const axis of [0, 1, 2, -1, -3]) out.push([`${op} ${opset} axis ${axis}`, { op, opset, attrs: { axis: { i: axis } }, inputs: [f32('x', [2, 3, 4])] }]);
      out.push([`${op} ${opset} 4-D axis 1`, { op, opset, attrs: { axis: { i: 1 } }, inputs: [f32('x', [1, 3, 2, 5])] }]);
      out.push([`${op} ${opset} 1-D`, { op, opset, attrs: { axis: { i: 0 } }, inputs: [f32('x', [7])] }]);
      out.push([`${op} ${opset} large values`, { op, opset, inputs: [f32('x', [2, 3], [1000, 1001, 1002, -1e30, 3e38, 0])] }]);
      out.push([`${op} ${opset} −∞ rows and entries`, { op, opset, inputs: [f32('x', [4, 3], [NEG, NEG, NEG, 1, NEG, 2, NaN, 0, 1, Infinity, 1, 2])] }]);
      out.push([`${op} ${opset} a row of 300`, { op, opset, inputs: [f32('x', [2, 300], ramp(600, 0.11))] }]);
      out.push([`${op} ${opset} empty`, { op, opset, inputs: [f32('x', [0, 3], [])] }]);
    }
    out.push([`${op} 1`, { op, opset: 1, attrs: { axis: { i: 2 } }, inputs: [f32('x', [2, 3, 4])] }]);
  }
  return out;
}

describe('Softmax / LogSoftmax', () => {
  it('match onnxruntime on cpu and webgpu', async () => {
    await sweepBackends(cases());
  });

  it('the opset decides the rows: coerced to 2-D before 13, along the axis from 13', async () => {
    // The same input and axis give different results under the two rules; each must be its own rule's.
    const x = [0, 1, 2, 3, 4, 5];
    const run = async (opset: number): Promise<number[]> => {
      const s = await InferenceSession.create(oracleModel({ op: 'Softmax', opset, attrs: { axis: { i: 0 } }, inputs: [f32('x', [2, 3], x)] }), { backend: 'cpu' });
      try {
        return [...(await s.run({ x: { type: 'float32', dims: [2, 3], data: Float32Array.from(x) } }))['y0']!.data as Float32Array];
      } finally {
        await s.release();
      }
    };
    const whole = x.map((v) => Math.exp(v) / x.reduce((a, w) => a + Math.exp(w), 0));
    const columns = x.map((v, i) => Math.exp(v) / (Math.exp(x[i % 3]!) + Math.exp(x[i % 3 + 3]!)));
    (await run(11)).forEach((v, i) => assert.ok(Math.abs(v - whole[i]!) <= 1e-6, `opset 11 [${i}]`));
    (await run(13)).forEach((v, i) => assert.ok(Math.abs(v - columns[i]!) <= 1e-6, `opset 13 [${i}]`));
  });

  it('refuse an axis out of range (GraphError) and an integer input (UnsupportedOpError) at load', async () => {
    await assert.rejects(InferenceSession.create(oracleModel({ op: 'Softmax', opset: 13, attrs: { axis: { i: 2 } }, inputs: [f32('x', [2, 3])] }), { backend: 'cpu' }), GraphError);
    const ints = oracleModel({ op: 'Softmax', opset: 13, inputs: [{ name: 'x', type: 'int32', dims: [2], values: [1, 2] }] });
    await assert.rejects(InferenceSession.create(ints, { backend: 'cpu' }), UnsupportedOpError);
  });
});
