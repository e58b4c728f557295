/**
 * Initializers stay in file order, unused ones included: InsightFace's INSwapper reads its `emap` matrix as the
 * file's last initializer (`graph.initializer[-1]`), which no node consumes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lastInitializer } from '../../src/core/ir.js';
import { parseModel } from '../../src/parser/decode-model.js';
import { InferenceSession } from '../../src/session/session.js';
import { buildModel, DT, node, tensor, valueInfo } from './onnx-builder.js';

/** Y = X + b; `z_first` (unused) comes first, `a_emap` (unused, 2×2) last: names chosen so sorting would reorder them. */
function model(extra: ReturnType<typeof tensor>[] = []): Uint8Array {
  return buildModel({
    inputs: [valueInfo('X', DT.FLOAT, [1, 2])],
    outputs: [valueInfo('Y', DT.FLOAT, [1, 2])],
    initializers: [
      tensor('z_first', 'float32', [1], [9]),
      tensor('b', 'float32', [1, 2], [1, 2]),
      tensor('m_mid', 'float32', [3], [1, 2, 3], 'typed-field'),
      tensor('a_emap', 'float32', [2, 2], [1, 0, 0, 1]),
      ...extra,
    ],
    nodes: [node('Add', ['X', 'b'], ['Y'])],
  });
}

test('the IR keeps every initializer, unused ones included, in file order', () => {
  const graph = parseModel(model()).graph;
  assert.deepEqual([...graph.initializers.keys()], ['z_first', 'b', 'm_mid', 'a_emap']);
  const last = lastInitializer(graph);
  assert.equal(last?.name, 'a_emap');
  assert.deepEqual(last?.tensor.dims, [2, 2]);
  assert.deepEqual(Array.from(last!.tensor.data as Float32Array), [1, 0, 0, 1]);
});

test('a repeated initializer name takes its last position and value, so the last entry is the file\'s last', () => {
  const graph = parseModel(model([tensor('z_first', 'float32', [2], [5, 6])])).graph;
  assert.deepEqual([...graph.initializers.keys()], ['b', 'm_mid', 'a_emap', 'z_first']);
  assert.deepEqual(Array.from(lastInitializer(graph)!.tensor.data as Float32Array), [5, 6]);
});

test('a graph without initializers has no last initializer', () => {
  const bytes = buildModel({
    inputs: [valueInfo('X', DT.FLOAT, [1, 2])], outputs: [valueInfo('Y', DT.FLOAT, [1, 2])], nodes: [node('Relu', ['X'], ['Y'])],
  });
  assert.equal(lastInitializer(parseModel(bytes).graph), undefined);
});

test('a session\'s model still holds the unused initializers after compiling (graph optimisation does not drop them)', async () => {
  const session = await InferenceSession.create(model(), { backend: 'cpu' });
  try {
    assert.equal(lastInitializer(session.model.graph)?.name, 'a_emap');
    const out = await session.run({ X: { type: 'float32', dims: [1, 2], data: new Float32Array([10, 20]) } });
    assert.deepEqual(Array.from(out['Y']!.data as Float32Array), [11, 22]);
  } finally {
    await session.release();
  }
});
