/**
 * Split against onnxruntime-node on cpu and webgpu (float tolerance 1e-4 relative, integers equal; see
 * ort-oracle.ts): `split` as an attribute before opset 13, as an input from 13, `num_outputs` from 18 with a smaller
 * last chunk, equal chunks when neither is given; a split input known only at run time is a typed refusal.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphError, InferenceSession, UnsupportedOpError } from '../../src/index.js';
import { f32, i64, oracleModel, type OracleInput } from './ort-oracle.js';
import { sweepBackends, type Cases } from './gpu-oracle.js';

const ints = (type: 'int32' | 'int64', dims: number[]): OracleInput => ({ name: 'x', type, dims, values: Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => i * 3 - 7) });

function cases(): Cases {
  return [
    ['opset 11 split attribute axis 1', { op: 'Split', opset: 11, outputs: 3, attrs: { axis: { i: 1 }, split: { ints: [1, 3, 2] } }, inputs: [f32('x', [2, 6, 3])] }],
    ['opset 11 equal, default axis', { op: 'Split', opset: 11, outputs: 2, inputs: [f32('x', [4, 3])] }],
    ['opset 11 negative axis', { op: 'Split', opset: 11, outputs: 3, attrs: { axis: { i: -1 } }, inputs: [f32('x', [2, 2, 6])] }],
    ['opset 13 split input', { op: 'Split', opset: 13, outputs: 2, attrs: { axis: { i: 2 } }, inputs: [f32('x', [1, 2, 5]), i64('s', [2], [2, 3])] }],
    ['opset 13 zero-size chunk', { op: 'Split', opset: 13, outputs: 3, inputs: [f32('x', [4, 2]), i64('s', [3], [1, 0, 3])] }],
    ['opset 13 equal, no split', { op: 'Split', opset: 13, outputs: 3, attrs: { axis: { i: 1 } }, inputs: [f32('x', [2, 9])] }],
    ['opset 18 num_outputs uneven', { op: 'Split', opset: 18, outputs: 3, attrs: { axis: { i: 1 }, num_outputs: { i: 3 } }, inputs: [f32('x', [2, 5, 2])] }],
    ['opset 18 num_outputs even', { op: 'Split', opset: 18, outputs: 2, attrs: { num_outputs: { i: 2 } }, inputs: [f32('x', [4, 3])] }],
    ['opset 18 split input', { op: 'Split', opset: 18, outputs: 2, inputs: [f32('x', [5]), i64('s', [2], [4, 1])] }],
    ['one output', { op: 'Split', opset: 13, outputs: 1, attrs: { axis: { i: 1 } }, inputs: [f32('x', [2, 3])] }],
    ['int32', { op: 'Split', opset: 13, outputs: 2, attrs: { axis: { i: 1 } }, inputs: [ints('int32', [3, 4])] }],
    ['int64', { op: 'Split', opset: 13, outputs: 2, inputs: [ints('int64', [4, 3]), i64('s', [2], [3, 1])] }],
  ];
}

describe('Split', () => {
  it('matches onnxruntime on cpu and webgpu', async () => {
    // int64 has no 32-bit WGSL word: its Split runs on the CPU reference between GPU steps, on purpose.
    await sweepBackends(cases(), [], ['int64']);
  });

  it('refuses a run-time split input (UnsupportedOpError) and inconsistent sizes (GraphError) at load', async () => {
    const dynamic = oracleModel({ op: 'Split', opset: 13, outputs: 2, inputs: [f32('x', [4]), i64('s', [2], [1, 3], false)] });
    await assert.rejects(InferenceSession.create(dynamic, { backend: 'cpu' }), (e: unknown) => e instanceof UnsupportedOpError && /known at load/.test(e.message));
    const bad: [string, Parameters<typeof oracleModel>[0]][] = [
      ['sum', { op: 'Split', opset: 13, outputs: 2, inputs: [f32('x', [4]), i64('s', [2], [1, 2])] }],
      ['uneven default', { op: 'Split', opset: 13, outputs: 3, inputs: [f32('x', [4])] }],
      ['attribute at 13', { op: 'Split', opset: 13, outputs: 2, attrs: { split: { ints: [2, 2] } }, inputs: [f32('x', [4])] }],
      ['num_outputs at 13', { op: 'Split', opset: 13, outputs: 2, attrs: { num_outputs: { i: 2 } }, inputs: [f32('x', [4])] }],
      ['num_outputs vs outputs', { op: 'Split', opset: 18, outputs: 2, attrs: { num_outputs: { i: 3 } }, inputs: [f32('x', [6])] }],
    ];
    for (const [name, c] of bad) await assert.rejects(InferenceSession.create(oracleModel(c), { backend: 'cpu' }), GraphError, name);
  });
});
