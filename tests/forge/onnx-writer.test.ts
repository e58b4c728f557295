import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { GraphError } from '../../src/core/errors.js';
import { parseModel } from '../../src/parser/decode-model.js';
import { toNumbers, type Model } from '../../src/core/ir.js';
import { OnnxGraphBuilder, attr, encodeModel } from '../../models/forge/onnx-writer.js';
import { Prng } from '../../models/forge/prng.js';
import { SCRFD_2_5G, buildScrfd } from '../../models/forge/scrfd.js';
import { sharedDir } from '../parity/parity.js';

const META = { irVersion: 6, opsetVersion: 11, producerName: 'test', producerVersion: '0' };

/** X[N,4] → Reshape(Mul(Add(X, bias), scale), [-1, 2]); bias and scale from the seeded PRNG. */
function smallGraph(): { graph: OnnxGraphBuilder; bias: Float32Array; scale: Float32Array } {
  const graph = new OnnxGraphBuilder('small');
  const prng = new Prng(3);
  const bias = prng.fill(4, 1);
  const scale = prng.fill(1, 1, 2);
  graph.addInput('x', 'float32', ['N', 4]);
  graph.addInitializer('bias', 'float32', [4], bias);
  graph.addInitializer('scale', 'float32', [], scale);
  graph.addInitializer('shape', 'int64', [2], new BigInt64Array([-1n, 2n]));
  graph.addNode({ name: 'add', opType: 'Add', inputs: ['x', 'bias'], outputs: ['a'] });
  graph.addNode({ name: 'mul', opType: 'Mul', inputs: ['a', 'scale'], outputs: ['m'] });
  graph.addNode({ name: 'reshape', opType: 'Reshape', inputs: ['m', 'shape'], outputs: ['y'] });
  graph.addValueInfo('a', 'float32');
  graph.addOutput('y', 'float32', [null, 2]);
  return { graph, bias, scale };
}

describe('ONNX writer', () => {
  it('round-trips through our parser: dims (numeric, symbolic, unknown), initializers, metadata', () => {
    const { graph, bias } = smallGraph();
    const model = parseModel(encodeModel(graph, { ...META, docString: 'doc' }));
    assert.equal(model.irVersion, 6);
    assert.equal(model.opsetImports.get(''), 11);
    assert.deepEqual(model.graph.inputs, [{ name: 'x', type: 'float32', shape: ['N', 4] }]);
    assert.deepEqual(model.graph.outputs, [{ name: 'y', type: 'float32', shape: [null, 2] }]);
    assert.deepEqual(model.graph.valueInfo.get('a'), { name: 'a', type: 'float32', shape: undefined });
    assert.deepEqual(Array.from(model.graph.initializers.get('bias')!.data as Float32Array), Array.from(bias));
    assert.deepEqual(model.graph.initializers.get('scale')!.dims, []);
    assert.deepEqual(toNumbers(model.graph.initializers.get('shape')!), [-1, 2]);
    assert.deepEqual(model.graph.nodes.map((n) => `${n.name}:${n.opType}`), ['add:Add', 'mul:Mul', 'reshape:Reshape']);
  });

  it('writes every attribute kind with its type (sorted by name)', () => {
    const graph = new OnnxGraphBuilder('attrs');
    graph.addInput('x', 'float32', [1]);
    graph.addNode({
      name: 'n', opType: 'Identity', inputs: ['x'], outputs: ['y'],
      attributes: { z_int: attr.int(-3), a_ints: attr.ints([1, -2, 2 ** 40]), m_float: attr.float(-0.75), f_floats: attr.floats([0.5, 2]), s: attr.string('nearest') },
    });
    graph.addOutput('y', 'float32', [1]);
    const node = parseModel(encodeModel(graph, META)).graph.nodes[0]!;
    assert.deepEqual([...node.attributes.keys()], ['a_ints', 'f_floats', 'm_float', 's', 'z_int']);
    assert.deepEqual(node.attributes.get('z_int'), { kind: 'int', value: -3 });
    assert.deepEqual(node.attributes.get('a_ints'), { kind: 'ints', value: [1, -2, 2 ** 40] });
    assert.deepEqual(node.attributes.get('m_float'), { kind: 'float', value: -0.75 });
    assert.deepEqual(node.attributes.get('f_floats'), { kind: 'floats', value: [0.5, 2] });
    assert.deepEqual(node.attributes.get('s'), { kind: 'string', value: 'nearest' });
  });

  it('onnxruntime-node runs what it writes (raw_data byte order, int64 shapes, symbolic batch)', async () => {
    const { graph, bias, scale } = smallGraph();
    const session = await ort.InferenceSession.create(encodeModel(graph, META));
    const x = new Float32Array([1, 2, 3, 4, -1, -2, -3, -4]);
    const y = (await session.run({ x: new ort.Tensor('float32', x, [2, 4]) })).y!;
    assert.deepEqual(y.dims, [4, 2]);
    // Same float32 operations in the same order as onnxruntime's Add then Mul: exact equality expected.
    const expected = Array.from(x, (v, i) => Math.fround(Math.fround(v + bias[i % 4]!) * scale[0]!));
    assert.deepEqual(Array.from(y.data as Float32Array), expected);
    await session.release();
  });

  it('refuses inconsistent graphs with GraphError', () => {
    const g = new OnnxGraphBuilder('bad');
    g.addInitializer('w', 'float32', [2], new Float32Array(2));
    assert.throws(() => g.addInitializer('w', 'float32', [2], new Float32Array(2)), GraphError);
    assert.throws(() => g.addInitializer('v', 'float32', [3], new Float32Array(2)), GraphError);
    assert.throws(() => g.addInitializer('i', 'int64', [2], new Float32Array(2) as unknown as BigInt64Array), GraphError);
    g.addNode({ name: 'n', opType: 'Relu', inputs: ['missing'], outputs: ['y'] });
    g.addOutput('y', 'float32', [2]);
    assert.throws(() => encodeModel(g, META), (e: unknown) => e instanceof GraphError && /missing/.test(e.message));
  });

  it('is deterministic: the same calls give the same bytes', () => {
    assert.deepEqual(encodeModel(smallGraph().graph, META), encodeModel(smallGraph().graph, META));
  });
});

describe('SCRFD builder against the real scrfd_2.5g_bnkps.onnx', () => {
  // Configured as SCRFD-2.5G, the det_10g builder must reproduce the real sibling's graph: the same exporter
  // made both files (models.md §2.1), so this pins det_10g's export pattern to a real file.
  const real = parseModel(readFileSync(path.join(sharedDir, 'models/scrfd_2.5g_bnkps.onnx')));
  const ours = parseModel(encodeModel(buildScrfd(SCRFD_2_5G, new Prng(1)), META));
  const nodeSignature = (m: Model) => m.graph.nodes.map((n) => ({ name: n.name, op: n.opType, inputs: n.inputs, outputs: n.outputs, attributes: [...n.attributes] }));

  it('has the same nodes: names, op types, wiring and attributes, in order', () => {
    assert.deepEqual(nodeSignature(ours), nodeSignature(real));
  });

  it('has the same inputs, outputs and value_info names', () => {
    assert.deepEqual(ours.graph.inputs, real.graph.inputs);
    assert.deepEqual(ours.graph.outputs, real.graph.outputs);
    assert.deepEqual([...ours.graph.valueInfo.keys()], [...real.graph.valueInfo.keys()]);
  });

  it('has the same initializers (names, order, types, shapes) and the same shape constants', () => {
    const shapes = (m: Model) => [...m.graph.initializers].map(([name, t]) => `${name}:${t.type}[${t.dims.join(',')}]`);
    assert.deepEqual(shapes(ours), shapes(real));
    for (const [name, t] of real.graph.initializers) {
      if (t.type === 'int64' || t.data.length === 0) assert.deepEqual(toNumbers(ours.graph.initializers.get(name)!), toNumbers(t), name);
    }
  });
});
