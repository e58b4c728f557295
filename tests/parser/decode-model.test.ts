/** The parser's IR for small models built here field by field with onnx-proto's encoder. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseModel } from '../../src/parser/decode-model.js';
import { GraphError, InputError, InsightGpuError, ModelFormatError } from '../../src/core/errors.js';
import type { Attribute, TensorData } from '../../src/core/ir.js';
import { buildModel, DT, node, tensor, valueInfo, type ModelSpec } from './onnx-builder.js';

/** One model exercising every initializer form, attribute kind, opset import and dim kind the parser handles. */
const SPEC: ModelSpec = {
  irVersion: 7,
  opsets: { '': 13, 'ai.onnx': 13, 'test.domain': 2 },
  inputs: [
    valueInfo('X', DT.FLOAT, ['batch', 3, null, 5]),
    // IR < 4 style: an initializer also listed as an input is a constant, not a real input.
    valueInfo('w_raw', DT.FLOAT, [2, 3]),
  ],
  outputs: [valueInfo('Y', DT.FLOAT, ['batch', 'n'])],
  valueInfo: [valueInfo('A', DT.FLOAT, [1, 2])],
  initializers: [
    tensor('w_raw', 'float32', [2, 3], [1, 2, 3, 4, 5, 6], 'raw'),
    tensor('w_floats', 'float32', [3], [0.5, -1, 2], 'typed-field'),
    tensor('i_int64s', 'int64', [2], [7, -9], 'typed-field'),
    tensor('i_raw', 'int64', [2], [2 ** 40, -3], 'raw'),
    { name: 's_scalar', dims: [], dataType: DT.FLOAT, floatData: [42] },
  ],
  nodes: [
    // Listed before its producer: the parser must sort topologically.
    node('Custom', ['A', '', 'w_floats'], ['Y'], {
      f: { f: 0.25 }, i: { i: -3 }, s: { s: 'nearest' }, floats: { floats: [1.5, -2] }, ints: { ints: [1, 2, 3] },
      strings: { strings: ['a', 'bc'] }, t: { t: tensor('t', 'int64', [3], [1, 2, 3]) },
    }, { name: 'custom_1', domain: 'test.domain' }),
    node('Add', ['X', 'w_raw'], ['A'], {}, { name: 'add_0' }),
  ],
};

function values(t: TensorData): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

describe('parseModel: IR contents', () => {
  const bytes = buildModel(SPEC);
  const model = parseModel(bytes);
  const { graph } = model;

  test('model header and opset imports (ai.onnx folds into the default domain)', () => {
    assert.equal(model.irVersion, 7);
    assert.equal(model.producerName, 'insightgpu-tests');
    assert.deepEqual([...model.opsetImports].sort(), [['', 13], ['test.domain', 2]]);
  });

  test('inputs exclude initializers; symbolic, fixed and unknown dims', () => {
    assert.deepEqual(graph.inputs, [{ name: 'X', type: 'float32', shape: ['batch', 3, null, 5] }]);
    assert.deepEqual(graph.outputs, [{ name: 'Y', type: 'float32', shape: ['batch', 'n'] }]);
    assert.deepEqual(graph.valueInfo.get('A'), { name: 'A', type: 'float32', shape: [1, 2] });
  });

  test('initializers from raw_data, float_data and int64_data', () => {
    const get = (name: string): TensorData => graph.initializers.get(name)!;
    assert.equal(get('w_raw').type, 'float32');
    assert.deepEqual(get('w_raw').dims, [2, 3]);
    assert.deepEqual(values(get('w_raw')), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(values(get('w_floats')), [0.5, -1, 2]);
    assert.ok(get('i_int64s').data instanceof BigInt64Array);
    assert.deepEqual(values(get('i_int64s')), [7, -9]);
    assert.deepEqual(values(get('i_raw')), [2 ** 40, -3]);
    assert.deepEqual(get('s_scalar').dims, []);
    assert.deepEqual(values(get('s_scalar')), [42]);
  });

  test('nodes are sorted topologically and keep names, domains and omitted inputs', () => {
    assert.deepEqual(graph.nodes.map((n) => n.name), ['add_0', 'custom_1']);
    assert.deepEqual(graph.nodes.map((n) => n.index), [0, 1]);
    const custom = graph.nodes[1]!;
    assert.equal(custom.domain, 'test.domain');
    assert.deepEqual(custom.inputs, ['A', '', 'w_floats']);
    assert.deepEqual(custom.outputs, ['Y']);
  });

  test('attributes of every kind', () => {
    const attrs = graph.nodes[1]!.attributes;
    const plain = (a: Attribute | undefined): unknown => (a?.kind === 'tensor' ? { kind: a.kind, dims: a.value.dims, values: values(a.value) } : a);
    assert.deepEqual(plain(attrs.get('f')), { kind: 'float', value: 0.25 });
    assert.deepEqual(plain(attrs.get('i')), { kind: 'int', value: -3 });
    assert.deepEqual(plain(attrs.get('s')), { kind: 'string', value: 'nearest' });
    assert.deepEqual(plain(attrs.get('floats')), { kind: 'floats', value: [1.5, -2] });
    assert.deepEqual(plain(attrs.get('ints')), { kind: 'ints', value: [1, 2, 3] });
    assert.deepEqual(plain(attrs.get('strings')), { kind: 'strings', value: ['a', 'bc'] });
    assert.deepEqual(plain(attrs.get('t')), { kind: 'tensor', dims: [3], values: [1, 2, 3] });
  });
});

// 8 values: copied at parse; 20 000 (80 KB): copied when first read, after shape-only work (lazyTensor).
for (const count of [8, 20000]) describe(`parseModel: raw_data of ${count} floats is viewed in place when aligned, copied when not`, () => {
  const weights = Array.from({ length: count }, (_, i) => [1.5, -2.25, 3.125, 4, 5, 6, 7, 8][i % 8]! + Math.floor(i / 8));
  const file = buildModel({
    nodes: [node('Add', ['X', 'w'], ['Y'])],
    inputs: [valueInfo('X', DT.FLOAT, [count])],
    outputs: [valueInfo('Y', DT.FLOAT, [count])],
    initializers: [tensor('w', 'float32', [count], weights, 'raw')],
  });
  const pattern = new Uint8Array(Float32Array.from(weights).buffer);
  const offset = Buffer.from(file).indexOf(Buffer.from(pattern));

  /** The file placed at `shift` bytes into a fresh buffer, so the weights' absolute offset is offset + shift. */
  function placed(shift: number): Uint8Array {
    const buffer = new Uint8Array(file.length + shift);
    buffer.set(file, shift);
    return buffer.subarray(shift);
  }

  test('the weights sit once in the file', () => {
    assert.ok(offset > 0);
  });

  for (let shift = 0; shift < 4; shift++) {
    test(`file at byte offset ${shift}`, () => {
      const bytes = placed(shift);
      const w = parseModel(bytes).graph.initializers.get('w')!;
      assert.deepEqual(values(w), weights);
      if ((offset + shift) % 4 === 0) {
        assert.ok(w.data.buffer === bytes.buffer, 'an aligned raw_data initializer must be a view over the model bytes');
        assert.equal(w.data.byteOffset, offset + shift);
      } else {
        assert.ok(w.data.buffer !== bytes.buffer, 'an unaligned one must be an aligned copy');
        assert.equal(w.data.byteOffset % 4, 0);
      }
    });
  }
});

describe('parseModel: malformed contents are ModelFormatError / GraphError', () => {
  const base: ModelSpec = {
    nodes: [node('Relu', ['X'], ['Y'])],
    inputs: [valueInfo('X', DT.FLOAT, [2])],
    outputs: [valueInfo('Y', DT.FLOAT, [2])],
  };
  const cases: [string, ModelSpec, new (...args: never[]) => InsightGpuError, RegExp][] = [
    ['raw_data of the wrong length', { ...base, initializers: [{ name: 'w', dims: [4], dataType: DT.FLOAT, rawData: new Uint8Array(12) }] }, ModelFormatError, /raw_data holds 12 bytes/],
    ['float_data of the wrong length', { ...base, initializers: [{ name: 'w', dims: [4], dataType: DT.FLOAT, floatData: [1, 2] }] }, ModelFormatError, /float_data/],
    ['a string initializer', { ...base, initializers: [{ name: 'w', dims: [1], dataType: DT.STRING, stringData: [new Uint8Array(1)] }] }, ModelFormatError, /STRING/],
    ['external data', { ...base, initializers: [{ name: 'w', dims: [1], dataType: DT.FLOAT, dataLocation: 1, externalData: [{ key: 'location', value: 'w.bin' }] }] }, ModelFormatError, /external/],
    ['a negative dim', { ...base, initializers: [{ name: 'w', dims: [-2], dataType: DT.FLOAT, floatData: [] }] }, ModelFormatError, /invalid dim -2/],
    ['an unnamed initializer', { ...base, initializers: [{ dims: [1], dataType: DT.FLOAT, floatData: [1] }] }, ModelFormatError, /no name/],
    ['a node without op_type', { ...base, nodes: [node('', ['X'], ['Y'])] }, ModelFormatError, /op_type/],
    ['a value produced twice', { ...base, nodes: [node('Relu', ['X'], ['Y'], {}, { name: 'r1' }), node('Relu', ['X'], ['Y'], {}, { name: 'r2' })] }, GraphError, /produced more than once/],
    ['a cycle', { ...base, nodes: [node('Add', ['X', 'B'], ['Y']), node('Relu', ['Y'], ['B'])] }, GraphError, /cycle/],
    ['an output nobody produces', { ...base, outputs: [valueInfo('Z', DT.FLOAT, [2])] }, GraphError, /'Z' is produced by no node/],
    ['no outputs', { ...base, outputs: [] }, GraphError, /no outputs/],
    ['an input declared twice', { ...base, inputs: [valueInfo('X', DT.FLOAT, [2]), valueInfo('X', DT.FLOAT, [3])] }, GraphError, /'X' is declared more than once/],
    ['a sequence-typed input', { ...base, inputs: [{ name: 'X', type: { sequenceType: { elemType: { tensorType: { elemType: DT.FLOAT } } } } }] }, GraphError, /'X' is a sequence/],
    ['a string-typed input', { ...base, inputs: [valueInfo('X', DT.STRING, [2])] }, GraphError, /STRING/],
  ];
  for (const [what, spec, type, pattern] of cases) {
    test(what, () => {
      assert.throws(() => parseModel(buildModel(spec)), (e: unknown) => e instanceof type && pattern.test((e as Error).message));
    });
  }

  test('bytes without a graph', () => {
    assert.throws(() => parseModel(Uint8Array.of(0x08, 0x07)), (e: unknown) => e instanceof ModelFormatError && /no graph/.test(e.message));
  });
});

describe('parseModel: copyWeights', () => {
  test('every tensor has an aligned buffer of its own, with the values of the views it replaces', async () => {
    const { readFileSync } = await import('node:fs');
    const bytes = new Uint8Array(readFileSync(new URL('../../../shared/swap/inswapper_w128_seed1.onnx', import.meta.url)));
    const viewed = parseModel(bytes.slice());
    const owned = parseModel(bytes, { copyWeights: true });
    bytes.fill(0xff);
    for (const [name, t] of owned.graph.initializers) {
      // Exactly its tensor (not a window on a copy of the file, which would keep the whole file alive).
      assert.ok(t.data.byteOffset === 0 && t.data.byteLength === t.data.buffer.byteLength, name);
      assert.deepEqual(t.data, viewed.graph.initializers.get(name)!.data, name);
    }
    for (const n of owned.graph.nodes) for (const a of n.attributes.values()) if (a.kind === 'tensor') assert.notEqual(a.value.data.buffer, bytes.buffer);
  });

  test('options that are not ParseOptions are an InputError, not silently views into the bytes', () => {
    const bytes = buildModel({
      nodes: [node('Add', ['x', 'w'], ['y'])], inputs: [valueInfo('x', DT.FLOAT, [2])], outputs: [valueInfo('y', DT.FLOAT, [2])],
      initializers: [tensor('w', 'float32', [2], [1, 2])],
    });
    const badOptions: unknown[] = [{ copyweights: true }, { copyWeights: 'yes' }, null, 'copy'];
    for (const options of badOptions) {
      assert.throws(() => parseModel(bytes, options as { copyWeights?: boolean }), (e: unknown) => e instanceof InputError && /parseModel option/.test(e.message), JSON.stringify(options));
    }
    assert.throws(() => parseModel(bytes, { copyweights: true } as { copyWeights?: boolean }), /did you mean copyWeights\?/);
    // Unset options and an undefined value still parse.
    assert.equal(parseModel(bytes, { copyWeights: undefined }).graph.initializers.size, 1);
  });
});
