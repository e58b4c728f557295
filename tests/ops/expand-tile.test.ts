/**
 * Expand and Tile against onnxruntime-node on cpu and webgpu (float tolerance 1e-4 relative, integers equal; see
 * ort-oracle.ts): bidirectional broadcasting, rank growth, repeats of 0 and 1; a shape or repeats input known only
 * at run time is a typed refusal, since output shapes are fixed when a plan is made.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphError, InferenceSession, UnsupportedOpError } from '../../src/index.js';
import { f32, i64, oracleModel, type OracleInput } from './ort-oracle.js';
import { sweepBackends, type Cases } from './gpu-oracle.js';

const ints = (type: 'int32' | 'int64', dims: number[]): OracleInput => ({ name: 'x', type, dims, values: Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => i * 5 - 9) });

function cases(): Cases {
  return [
    ['Expand column to matrix', { op: 'Expand', opset: 13, inputs: [f32('x', [3, 1]), i64('s', [2], [3, 4])] }],
    ['Expand grows rank', { op: 'Expand', opset: 13, inputs: [f32('x', [3]), i64('s', [3], [2, 2, 3])] }],
    ['Expand bidirectional (1s in shape keep the input)', { op: 'Expand', opset: 13, inputs: [f32('x', [2, 1, 4]), i64('s', [3], [1, 3, 1])] }],
    ['Expand shorter shape', { op: 'Expand', opset: 8, inputs: [f32('x', [2, 3, 1]), i64('s', [1], [5])] }],
    ['Expand same shape', { op: 'Expand', opset: 13, inputs: [f32('x', [2, 3]), i64('s', [2], [2, 3])] }],
    ['Expand scalar', { op: 'Expand', opset: 13, inputs: [f32('x', [], [2.5]), i64('s', [2], [2, 2])] }],
    ['Expand to zero', { op: 'Expand', opset: 13, inputs: [f32('x', [1, 3]), i64('s', [2], [0, 3])] }],
    ['Expand int32', { op: 'Expand', opset: 13, inputs: [ints('int32', [1, 3]), i64('s', [2], [2, 3])] }],
    ['Expand int64', { op: 'Expand', opset: 13, inputs: [ints('int64', [3, 1]), i64('s', [2], [3, 2])] }],
    ['Tile 2-D', { op: 'Tile', opset: 13, inputs: [f32('x', [2, 3]), i64('r', [2], [2, 3])] }],
    ['Tile 3-D mixed', { op: 'Tile', opset: 6, inputs: [f32('x', [2, 1, 3]), i64('r', [3], [1, 4, 2])] }],
    ['Tile ones', { op: 'Tile', opset: 13, inputs: [f32('x', [2, 3]), i64('r', [2], [1, 1])] }],
    ['Tile zero', { op: 'Tile', opset: 13, inputs: [f32('x', [2, 3]), i64('r', [2], [0, 2])] }],
    ['Tile 1-D', { op: 'Tile', opset: 13, inputs: [f32('x', [3]), i64('r', [1], [3])] }],
    ['Tile int32', { op: 'Tile', opset: 13, inputs: [ints('int32', [2, 2]), i64('r', [2], [2, 1])] }],
    ['Tile int64', { op: 'Tile', opset: 13, inputs: [ints('int64', [2, 2]), i64('r', [2], [1, 2])] }],
  ];
}

describe('Expand / Tile', () => {
  it('match onnxruntime on cpu and webgpu', async () => {
    // int64 has no 32-bit WGSL word: it runs the CPU reference between GPU steps, on purpose.
    await sweepBackends(cases(), [], ['Expand int64', 'Tile int64']);
  });

  it('refuse a run-time shape or repeats (UnsupportedOpError) and bad ones (GraphError) at load', async () => {
    for (const op of ['Expand', 'Tile']) {
      const dynamic = oracleModel({ op, opset: 13, inputs: [f32('x', [2, 1]), i64('s', [2], [2, 2], false)] });
      await assert.rejects(InferenceSession.create(dynamic, { backend: 'cpu' }), (e: unknown) => e instanceof UnsupportedOpError && /known at load/.test(e.message), op);
    }
    const bad: [string, Parameters<typeof oracleModel>[0]][] = [
      ['Expand incompatible', { op: 'Expand', opset: 13, inputs: [f32('x', [2, 3]), i64('s', [2], [2, 4])] }],
      ['Tile wrong length', { op: 'Tile', opset: 13, inputs: [f32('x', [2, 3]), i64('r', [1], [2])] }],
      ['Tile negative', { op: 'Tile', opset: 13, inputs: [f32('x', [2, 3]), i64('r', [2], [1, -1])] }],
    ];
    for (const [name, c] of bad) await assert.rejects(InferenceSession.create(oracleModel(c), { backend: 'cpu' }), GraphError, name);
  });
});
