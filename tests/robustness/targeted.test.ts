/**
 * Bad input, case by case: each must be refused with the right typed error carrying its context, never a
 * TypeError/RangeError or an oversized allocation.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { GraphError, InputError, InsightGpuError, ModelFormatError, ResourceLimitError, UnsupportedOpError } from '../../src/core/errors.js';
import { MAX_TENSOR_ELEMENTS } from '../../src/core/dtype.js';
import { InferenceSession } from '../../src/session/session.js';
import { Tensor } from '../../src/core/tensor.js';
import { buildModel, DT, node, tensor, valueInfo } from '../parser/onnx-builder.js';
import { createRng } from './mutate.js';
import { refused } from './refused.js';

const cpu = { backend: 'cpu' } as const;

/** Y = Relu(X) over a 1×2×4×4 float input: the smallest valid model, for the feed checks. */
const reluModel = buildModel({
  nodes: [node('Relu', ['X'], ['Y'], {}, { name: 'relu_1' })],
  inputs: [valueInfo('X', DT.FLOAT, [1, 2, 4, 4])],
  outputs: [valueInfo('Y', DT.FLOAT, [1, 2, 4, 4])],
});

describe('bytes that are not an ONNX model', () => {
  test('empty bytes', async () => {
    await refused(InferenceSession.create(new Uint8Array(0), cpu), ModelFormatError, /empty/);
  });

  test('a PNG image', async () => {
    const png = '/work/shared/images/Tom_Hanks_54745.png';
    // The shared photo when present, else a PNG signature and IHDR chunk written here.
    const bytes = existsSync(png) ? readFileSync(png)
      : Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 112, 0, 0, 0, 112, 8, 2, 0, 0, 0);
    await refused(InferenceSession.create(bytes, cpu), ModelFormatError);
  });

  test('text and random bytes', async () => {
    const text = new TextEncoder().encode('# insightgpu\nThis is a README, not a model.\n'.repeat(20));
    await refused(InferenceSession.create(text, cpu), ModelFormatError);
    const rng = createRng(99);
    for (let i = 0; i < 50; i++) {
      const bytes = Uint8Array.from({ length: 1 + Math.floor(rng() * 400) }, () => Math.floor(rng() * 256));
      await refused(InferenceSession.create(bytes, cpu), InsightGpuError);
    }
  });

  test('a model truncated at every byte', async () => {
    for (let end = 0; end < reluModel.length; end++) {
      try {
        await InferenceSession.create(reluModel.subarray(0, end), cpu);
      } catch (error) {
        assert.ok(error instanceof InsightGpuError, `truncated at ${end}: ${String(error)}`);
      }
    }
  });
});

describe('graphs the engine cannot run', () => {
  test('an unsupported op names the op type and the node', async () => {
    const bytes = buildModel({
      nodes: [node('Relu', ['X'], ['A']), node('NonMaxSuppression', ['A'], ['Y'], {}, { name: 'nms_7' })],
      inputs: [valueInfo('X', DT.FLOAT, [1, 2, 4, 4])],
      outputs: [valueInfo('Y', DT.INT64, undefined)],
    });
    const error = await refused(InferenceSession.create(bytes, cpu), UnsupportedOpError, /NonMaxSuppression.*nms_7/);
    assert.equal(error.opType, 'NonMaxSuppression');
    assert.equal(error.nodeName, 'nms_7');
  });

  test('an op of a custom domain is unsupported, with its domain', async () => {
    const bytes = buildModel({
      nodes: [node('Relu', ['X'], ['Y'], {}, { name: 'ms_relu', domain: 'com.microsoft' })],
      inputs: [valueInfo('X', DT.FLOAT, [1, 2, 4, 4])],
      outputs: [valueInfo('Y', DT.FLOAT, [1, 2, 4, 4])],
      opsets: { '': 13, 'com.microsoft': 1 },
    });
    const error = await refused(InferenceSession.create(bytes, cpu), UnsupportedOpError, /ms_relu/);
    assert.equal(error.opType, 'com.microsoft.Relu');
  });

  test('an unsupported op in a model with dynamic input shapes is refused at create, not at the first run', async () => {
    const bytes = buildModel({
      nodes: [node('Relu', ['X'], ['A']), node('NonMaxSuppression', ['A'], ['Y'], {}, { name: 'nms_dyn' })],
      inputs: [valueInfo('X', DT.FLOAT, ['N', 2, 'H', 'W'])],
      outputs: [valueInfo('Y', DT.INT64, undefined)],
    });
    const error = await refused(InferenceSession.create(bytes, cpu), UnsupportedOpError, /NonMaxSuppression.*nms_dyn/);
    assert.equal(error.nodeName, 'nms_dyn');
  });

  test('fromModel given something that is not a parsed model says what it takes', async () => {
    await refused(InferenceSession.fromModel(reluModel as never, cpu), InputError, /parseModel/);
    await refused(InferenceSession.fromModel({} as never, cpu), InputError, /parseModel/);
  });

  test('a missing initializer names the value and the node', async () => {
    const bytes = buildModel({
      nodes: [node('Conv', ['X', 'conv_w'], ['Y'], { kernel_shape: { ints: [3, 3] } }, { name: 'conv_1' })],
      inputs: [valueInfo('X', DT.FLOAT, [1, 2, 8, 8])],
      outputs: [valueInfo('Y', DT.FLOAT, undefined)],
    });
    const error = await refused(InferenceSession.create(bytes, cpu), GraphError, /conv_w/);
    assert.equal(error.nodeName, 'conv_1');
  });
});

describe('feeds that do not match the model', () => {
  const x = new Tensor('float32', new Float32Array(32), [1, 2, 4, 4]);

  test('wrong name, missing feed, wrong dtype, wrong rank, wrong dim', async () => {
    const session = await InferenceSession.create(reluModel, cpu);
    await refused(session.run({ X: x, Z: x }), InputError, /'Z' is not a model input/);
    await refused(session.run({}), InputError, /missing feed/);
    await refused(session.run({ X: new Tensor('int32', new Int32Array(32), [1, 2, 4, 4]) }), InputError, /int32.*float32/);
    await refused(session.run({ X: new Tensor('float32', new Float32Array(32), [2, 4, 4]) }), InputError, /rank/);
    await refused(session.run({ X: new Tensor('float32', new Float32Array(32), [1, 4, 2, 4]) }), InputError, /does not match/);
    await refused(session.run({ X: { type: 'float32', dims: [1, 2, 4, 4], data: new Float32Array(5) } }), InputError);
    await refused(session.run({ X: x }, ['nope']), InputError, /not a model output/);
    // The session is still usable after refusals.
    const out = await session.run({ X: x });
    assert.deepEqual(out['Y']!.dims, [1, 2, 4, 4]);
  });

  test('precompile shapes that are no shapes are InputErrors', async () => {
    const bytes = buildModel({ nodes: [node('Relu', ['X'], ['Y'])], inputs: [valueInfo('X', DT.FLOAT, ['N', 3])], outputs: [valueInfo('Y', DT.FLOAT, ['N', 3])] });
    const session = await InferenceSession.create(bytes, cpu);
    await refused(session.precompile({ X: [-1, 3] }), InputError, /non-negative integers/);
    await refused(session.precompile({ X: [1.5, 3] }), InputError, /non-negative integers/);
    await refused(session.precompile(null as never), InputError, /object of input shapes/);
    await session.precompile({ X: [2, 3] });
  });

  test('a tensor whose data and dims disagree is refused when it is built', () => {
    assert.throws(() => new Tensor('float32', new Float32Array(3), [2, 2]), InputError);
    assert.throws(() => new Tensor('float32', new Float32Array(4), [2, -2]), InputError);
    assert.throws(() => new Tensor('float32', new Int32Array(4), [4]), InputError);
  });
});

describe('outputs belong to the caller', () => {
  const x = (): Tensor => new Tensor('float32', Float32Array.from([-1, 2, -3, 4]), [1, 4]);
  const io = { inputs: [valueInfo('X', DT.FLOAT, [1, 4])] };

  test('writing into an output that is a constant (initializer or folded) leaves the next run unchanged', async () => {
    const bytes = buildModel({
      ...io,
      nodes: [node('Relu', ['X'], ['Y']), node('Shape', ['X'], ['S'])],
      outputs: [valueInfo('Y', DT.FLOAT, [1, 4]), valueInfo('c', DT.FLOAT, [2]), valueInfo('S', DT.INT64, [2])],
      initializers: [tensor('c', 'float32', [2], [5, 6])],
    });
    const session = await InferenceSession.create(bytes, cpu);
    const first = await session.run({ X: x() });
    (first['c']!.data as Float32Array).fill(99);
    (first['S']!.data as BigInt64Array).fill(99n);
    const second = await session.run({ X: x() });
    assert.deepEqual([...second['c']!.data], [5, 6]);
    assert.deepEqual([...second['S']!.data], [1n, 4n]);
  });

  test('an output that is the input, a view of it, or another output is its own copy', async () => {
    const bytes = buildModel({
      ...io,
      nodes: [node('Reshape', ['X', 'shape'], ['R']), node('Relu', ['X'], ['Y']), node('Identity', ['Y'], ['Z'])],
      outputs: [valueInfo('X', DT.FLOAT, [1, 4]), valueInfo('R', DT.FLOAT, [2, 2]), valueInfo('Y', DT.FLOAT, [1, 4]), valueInfo('Z', DT.FLOAT, [1, 4])],
      initializers: [tensor('shape', 'int64', [2], [2, 2])],
    });
    const session = await InferenceSession.create(bytes, cpu);
    const feed = x();
    const out = await session.run({ X: feed });
    // The caller refills its input array for the next frame: the outputs it holds keep their values.
    (feed.data as Float32Array).fill(7);
    assert.deepEqual([...out['X']!.data], [-1, 2, -3, 4]);
    assert.deepEqual([...out['R']!.data], [-1, 2, -3, 4]);
    (out['Y']!.data as Float32Array).fill(0);
    assert.deepEqual([...out['Z']!.data], [0, 2, 0, 4]);
  });
});

describe('the bytes given to create', () => {
  const file = '../shared/models/tiny_genderage.onnx';
  const feed = (): Record<string, Tensor> => ({ data: new Tensor('float32', Float32Array.from({ length: 3 * 96 * 96 }, (_, i) => Math.sin(i)), [1, 3, 96, 96]) });

  test('overwriting or transferring the buffer after create leaves the session\'s weights intact', { skip: !existsSync(file) }, async () => {
    const reference = await InferenceSession.create(readFileSync(file), cpu);
    const expected = [...(await reference.run(feed()))['fc1']!.data];
    for (const spoil of [(b: Buffer) => b.fill(0), (b: Buffer) => structuredClone(b.buffer, { transfer: [b.buffer] })]) {
      const bytes = readFileSync(file);
      const session = await InferenceSession.create(bytes, cpu);
      spoil(bytes);
      assert.deepEqual([...(await session.run(feed()))['fc1']!.data], expected);
      await session.release();
    }
    await reference.release();
  });
});

describe('declared shapes in the metadata', () => {
  test('an input of unknown rank is told apart from a scalar (rank undefined against 0)', async () => {
    const bytes = buildModel({
      nodes: [node('Add', ['X', 'S'], ['Y'])],
      // X declares no shape (any rank); S is a scalar; Y has a symbolic and an unknown dim.
      inputs: [valueInfo('X', DT.FLOAT, undefined), valueInfo('S', DT.FLOAT, [])],
      outputs: [valueInfo('Y', DT.FLOAT, ['n', null])],
    });
    const session = await InferenceSession.create(bytes, cpu);
    const [x, s] = session.inputMetadata;
    assert.equal(x!.rank, undefined);
    assert.deepEqual(x!.shape, [], 'shape stays [] as in onnxruntime');
    assert.equal(s!.rank, 0);
    assert.deepEqual(s!.shape, []);
    assert.equal(session.outputMetadata[0]!.rank, 2);
    assert.deepEqual(session.outputMetadata[0]!.shape, ['n', '']);
    // A feed of any rank is taken for X.
    const out = await session.run({ X: new Tensor('float32', new Float32Array([1, 2, 3, 4]), [2, 2]), S: new Tensor('float32', new Float32Array([10]), []) });
    assert.deepEqual([...out['Y']!.data], [11, 12, 13, 14]);
    await session.release();
  });
});

describe('declared output types', () => {
  test('an output declared of another element type than the graph computes is a GraphError naming it and both types', async () => {
    const cases = [
      // A float32 Relu declared int64, a Shape (int64) declared float, an int64 initializer declared float16.
      { nodes: [node('Relu', ['X'], ['Y'], {}, { name: 'relu_1' })], out: valueInfo('Y', DT.INT64, [1, 4]), pattern: /node 'relu_1' \(Relu\).*'Y' is declared int64, but the graph computes it as float32/ },
      { nodes: [node('Shape', ['X'], ['Y'], {}, { name: 'shape_1' })], out: valueInfo('Y', DT.FLOAT, [2]), pattern: /'Y' is declared float32, but the graph computes it as int64/ },
      { nodes: [], out: valueInfo('C', DT.FLOAT16, [2]), pattern: /'C' is declared float16, but the graph computes it as int64/ },
    ];
    for (const c of cases) {
      const bytes = buildModel({
        nodes: c.nodes, inputs: [valueInfo('X', DT.FLOAT, [1, 4])], outputs: [c.out], initializers: [tensor('C', 'int64', [2], [1, 2])],
      });
      await refused(InferenceSession.create(bytes, cpu), GraphError, c.pattern);
    }
  });

  test('a dynamic-batch model is checked at create too; other dynamic dims with the first shape, before anything runs', async () => {
    const model = (dims: (number | string)[]): Uint8Array => buildModel({
      nodes: [node('Relu', ['X'], ['Y'])], inputs: [valueInfo('X', DT.FLOAT, dims)], outputs: [valueInfo('Y', DT.INT64, dims)],
    });
    await refused(InferenceSession.create(model(['n', 4]), cpu), GraphError, /'Y' is declared int64, but the graph computes it as float32/);
    const session = await InferenceSession.create(model([1, 'w']), cpu);
    await refused(session.run({ X: new Tensor('float32', new Float32Array(8), [1, 8]) }), GraphError, /'Y' is declared int64, but the graph computes it as float32/);
    await session.release();
    // A dynamic-batch model whose types match loads and runs at any batch.
    const fine = buildModel({ nodes: [node('Relu', ['X'], ['Y'])], inputs: [valueInfo('X', DT.FLOAT, ['n', 4])], outputs: [valueInfo('Y', DT.FLOAT, ['n', 4])] });
    const ok = await InferenceSession.create(fine, cpu);
    assert.deepEqual([...(await ok.run({ X: new Tensor('float32', new Float32Array([-1, 2, -3, 4, 5, -6, 7, -8]), [2, 4]) }))['Y']!.data], [0, 2, 0, 4, 5, 0, 7, 0]);
    await ok.release();
  });
});

describe('tensors built from the wrong things', () => {
  test('data, dims and element values of the wrong kind are InputErrors, not TypeError/RangeError', async () => {
    assert.throws(() => new Tensor('int64', [1.5]), (e: unknown) => e instanceof InputError && /1\.5/.test(e.message));
    assert.throws(() => new Tensor('int64', [Number.NaN]), InputError);
    assert.throws(() => new Tensor('float32', ['a'] as unknown as number[]), (e: unknown) => e instanceof InputError && /element 0/.test(e.message));
    assert.throws(() => new Tensor('float32', null as unknown as Float32Array), (e: unknown) => e instanceof InputError && /null/.test(e.message));
    assert.throws(() => new Tensor('float32', undefined as unknown as Float32Array), InputError);
    assert.throws(() => new Tensor('float32', new Float32Array(4), 4 as unknown as number[]), (e: unknown) => e instanceof InputError && /dims must be an array/.test(e.message));
    // onnxruntime's Tensor(data, dims) order: the message says the type name comes first.
    assert.throws(() => new Tensor(new Float32Array(4) as unknown as 'float32', [4] as unknown as Float32Array), (e: unknown) => e instanceof InputError && /type name comes first/.test(e.message));
    // What stays accepted: plain numbers, bigints and booleans.
    assert.deepEqual([...new Tensor('int64', [3, 4]).data], [3n, 4n]);
    assert.deepEqual([...new Tensor('bool', [true, false, 1] as unknown as number[]).data], [1, 0, 1]);
    // The same checks reach session.run through a plain feed object.
    const session = await InferenceSession.create(reluModel, cpu);
    await refused(session.run({ X: { type: 'float32', data: null, dims: [1, 2, 4, 4] } as never }), InputError, /null/);
    await refused(session.run({ X: { type: 'float32', data: new Float32Array(32), dims: 32 } as never }), InputError, /dims must be an array/);
  });
});

describe('absurd sizes stop at the allocation bound', () => {
  const huge = 1 << 20; // huge² = 2^40 elements, far above MAX_TENSOR_ELEMENTS (2^28)

  test('an initializer whose dims need more than MAX_TENSOR_ELEMENTS', async () => {
    const bytes = buildModel({
      nodes: [node('Add', ['X', 'big'], ['Y'])],
      inputs: [valueInfo('X', DT.FLOAT, [1])],
      outputs: [valueInfo('Y', DT.FLOAT, undefined)],
      initializers: [{ name: 'big', dims: [huge, huge], dataType: DT.FLOAT, rawData: new Uint8Array(16) }],
    });
    const error = await refused(InferenceSession.create(bytes, cpu), ResourceLimitError);
    assert.equal(error.limit, MAX_TENSOR_ELEMENTS);
    assert.ok(error.requested > MAX_TENSOR_ELEMENTS);
  });

  test('a declared input of absurd size cannot be fed (the data would have to exist)', async () => {
    const bytes = buildModel({ nodes: [node('Relu', ['X'], ['Y'])], inputs: [valueInfo('X', DT.FLOAT, [huge, huge])], outputs: [valueInfo('Y', DT.FLOAT, undefined)] });
    await refused(InferenceSession.create(bytes, cpu), ResourceLimitError);
  });

  test('ConstantOfShape, Resize sizes and Reshape targets that ask for too much', async () => {
    const constantOfShape = buildModel({
      nodes: [node('ConstantOfShape', ['shape'], ['C']), node('Add', ['X', 'C'], ['Y'])],
      inputs: [valueInfo('X', DT.FLOAT, [1])],
      outputs: [valueInfo('Y', DT.FLOAT, undefined)],
      initializers: [tensor('shape', 'int64', [3], [huge, huge, 4])],
    });
    await refused(InferenceSession.create(constantOfShape, cpu), ResourceLimitError);

    const resize = buildModel({
      nodes: [node('Resize', ['X', '', '', 'sizes'], ['Y'], { mode: { s: 'nearest' } }, { name: 'up' })],
      inputs: [valueInfo('X', DT.FLOAT, [1, 1, 4, 4])],
      outputs: [valueInfo('Y', DT.FLOAT, undefined)],
      initializers: [tensor('sizes', 'int64', [4], [1, 1, huge, huge])],
    });
    await refused(InferenceSession.create(resize, cpu), ResourceLimitError, /up/);

    const scales = buildModel({
      nodes: [node('Resize', ['X', '', 'scales'], ['Y'], { mode: { s: 'linear' } })],
      inputs: [valueInfo('X', DT.FLOAT, [1, 1, 4, 4])],
      outputs: [valueInfo('Y', DT.FLOAT, undefined)],
      initializers: [tensor('scales', 'float32', [4], [1, 1, 1e30, 1e30])],
    });
    await refused(InferenceSession.create(scales, cpu), InsightGpuError);
  });
});

describe('bad values inside otherwise valid graphs', () => {
  test('Reshape to negative or inconsistent dims', async () => {
    for (const target of [[-2, 16], [3, 5], [-1, -1], [0, 0, 0, 0, 0], [2 ** 40, 2]]) {
      const bytes = buildModel({
        nodes: [node('Reshape', ['X', 'shape'], ['Y'], {}, { name: 'reshape_1' })],
        inputs: [valueInfo('X', DT.FLOAT, [2, 16])],
        outputs: [valueInfo('Y', DT.FLOAT, undefined)],
        initializers: [tensor('shape', 'int64', [target.length], target)],
      });
      await refused(InferenceSession.create(bytes, cpu), GraphError, /reshape_1/);
    }
  });

  test('Gather with constant and with runtime indices out of range', async () => {
    const constant = buildModel({
      nodes: [node('Gather', ['X', 'idx'], ['Y'], { axis: { i: 1 } }, { name: 'gather_c' })],
      inputs: [valueInfo('X', DT.FLOAT, [2, 3])],
      outputs: [valueInfo('Y', DT.FLOAT, undefined)],
      initializers: [tensor('idx', 'int64', [2], [0, 7])],
    });
    const session = await InferenceSession.create(constant, cpu);
    await refused(session.run({ X: new Tensor('float32', new Float32Array(6), [2, 3]) }), GraphError, /gather_c.*out of range/);

    const dynamic = buildModel({
      nodes: [node('Gather', ['X', 'I'], ['Y'], {}, { name: 'gather_d' })],
      inputs: [valueInfo('X', DT.FLOAT, [4, 3]), valueInfo('I', DT.INT64, [2])],
      outputs: [valueInfo('Y', DT.FLOAT, undefined)],
    });
    const s2 = await InferenceSession.create(dynamic, cpu);
    const x = new Tensor('float32', new Float32Array(12), [4, 3]);
    await refused(s2.run({ X: x, I: new Tensor('int64', BigInt64Array.of(1n, -5n), [2]) }), GraphError, /gather_d/);
    await refused(s2.run({ X: x, I: new Tensor('int64', BigInt64Array.of(1n, 1n << 62n), [2]) }), GraphError, /gather_d/);
    const ok = await s2.run({ X: x, I: new Tensor('int64', BigInt64Array.of(3n, -4n), [2]) });
    assert.deepEqual(ok['Y']!.dims, [2, 3]);
  });

  test('Slice, Transpose, Concat and Conv attributes that do not fit the input', async () => {
    const cases: [string, Uint8Array][] = [
      ['transpose', buildModel({ nodes: [node('Transpose', ['X'], ['Y'], { perm: { ints: [0, 0, 1] } })], inputs: [valueInfo('X', DT.FLOAT, [2, 3, 4])], outputs: [valueInfo('Y', DT.FLOAT, undefined)] })],
      ['concat', buildModel({ nodes: [node('Concat', ['X', 'X'], ['Y'], { axis: { i: 5 } })], inputs: [valueInfo('X', DT.FLOAT, [2, 3])], outputs: [valueInfo('Y', DT.FLOAT, undefined)] })],
      ['slice', buildModel({
        nodes: [node('Slice', ['X', 's', 'e', 'a'], ['Y'])], inputs: [valueInfo('X', DT.FLOAT, [2, 3])], outputs: [valueInfo('Y', DT.FLOAT, undefined)],
        initializers: [tensor('s', 'int64', [1], [0]), tensor('e', 'int64', [1], [2]), tensor('a', 'int64', [1], [9])],
      })],
      ['conv', buildModel({
        nodes: [node('Conv', ['X', 'W'], ['Y'], { strides: { ints: [0, 1] } })], inputs: [valueInfo('X', DT.FLOAT, [1, 1, 4, 4])], outputs: [valueInfo('Y', DT.FLOAT, undefined)],
        initializers: [tensor('W', 'float32', [1, 1, 3, 3], new Array(9).fill(1))],
      })],
      ['conv-group', buildModel({
        nodes: [node('Conv', ['X', 'W'], ['Y'], { group: { i: 0 } })], inputs: [valueInfo('X', DT.FLOAT, [1, 2, 4, 4])], outputs: [valueInfo('Y', DT.FLOAT, undefined)],
        initializers: [tensor('W', 'float32', [2, 1, 3, 3], new Array(18).fill(1))],
      })],
    ];
    for (const [what, bytes] of cases) {
      let caught: unknown;
      try { await InferenceSession.create(bytes, cpu); } catch (error) { caught = error; }
      assert.ok(caught instanceof GraphError, `${what}: expected GraphError, got ${String(caught)}`);
    }
  });
});
