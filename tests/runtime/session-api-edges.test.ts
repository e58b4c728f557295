/**
 * InferenceSession's public API used the way a demanding caller uses it: feeds whose buffers change after the
 * Tensor is built, runTogether given something that is not a list of runs, typed-array subclasses, value names that
 * are Object.prototype keys. Each must give the right result or a typed error, never a silent wrong result or a
 * bare TypeError.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { InferenceSession } from '../../src/session/session.js';
import { GpuTensor, Tensor } from '../../src/core/tensor.js';
import { buildModel, DT, node, valueInfo } from '../parser/onnx-builder.js';
import { refused } from '../robustness/refused.js';

const cpu = { backend: 'cpu' } as const;

/** Y = Relu(X) over an N×3 float input. */
const reluModel = buildModel({
  nodes: [node('Relu', ['X'], ['Y'])],
  inputs: [valueInfo('X', DT.FLOAT, ['N', 3])],
  outputs: [valueInfo('Y', DT.FLOAT, ['N', 3])],
});

describe('a feed whose buffer changed after its Tensor was built', () => {
  test('a transferred (detached) buffer is an InputError, not a run on zeros', async () => {
    const session = await InferenceSession.create(reluModel, cpu);
    const data = new Float32Array([1, -2, 3]);
    const x = new Tensor('float32', data, [1, 3]);
    structuredClone(data.buffer, { transfer: [data.buffer] });
    await refused(session.run({ X: x }), InputError, /need 3 elements, its data now has 0/);
    // The session still runs a good feed afterwards.
    assert.deepEqual([...(await session.run({ X: new Tensor('float32', [1, -2, 3], [1, 3]) }))['Y']!.data], [1, 0, 3]);
  });

  test('a resizable buffer shrunk below the dims is an InputError, not a read past its end', async () => {
    const session = await InferenceSession.create(reluModel, cpu);
    // Resizable buffers (ES2024) are newer than the lib this project compiles against.
    const Resizable = ArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => ArrayBuffer & { resize(length: number): void };
    const buffer = new Resizable(12, { maxByteLength: 24 });
    const data = new Float32Array(buffer);
    data.set([1, -2, 3]);
    const x = new Tensor('float32', data, [1, 3]);
    buffer.resize(4);
    await refused(session.run({ X: x }), InputError, /need 3 elements, its data now has 1/);
  });
});

describe('runTogether given something that is not a list of runs', () => {
  test('a non-array, a null entry or an entry without a session is an InputError naming the run', async () => {
    const session = await InferenceSession.create(reluModel, cpu);
    const feeds = { X: new Tensor('float32', [1, -2, 3], [1, 3]) };
    await refused(InferenceSession.runTogether({ session, feeds } as unknown as []), InputError, /takes an array/);
    await refused(InferenceSession.runTogether([{ session, feeds }, null as unknown as { session: InferenceSession; feeds: typeof feeds }]), InputError, /run 1 is null/);
    await refused(InferenceSession.runTogether([{ feeds } as unknown as { session: InferenceSession; feeds: typeof feeds }]), InputError, /run 0 has no InferenceSession/);
    // A good list still runs.
    const [out] = await InferenceSession.runTogether([{ session, feeds }]);
    assert.deepEqual([...out!['Y']!.data], [1, 0, 3]);
  });
});

describe('value names that are Object.prototype keys', () => {
  test("an output named '__proto__' is in the result as an own key", async () => {
    const bytes = buildModel({ nodes: [node('Relu', ['X'], ['__proto__'])], inputs: [valueInfo('X', DT.FLOAT, [1, 3])], outputs: [valueInfo('__proto__', DT.FLOAT, [1, 3])] });
    const session = await InferenceSession.create(bytes, cpu);
    const out = await session.run({ X: new Tensor('float32', [1, -2, 3], [1, 3]) });
    assert.deepEqual(Object.keys(out), ['__proto__']);
    const y = Object.getOwnPropertyDescriptor(out, '__proto__')?.value as Tensor | undefined;
    assert.ok(y instanceof Tensor);
    assert.deepEqual([...y.data], [1, 0, 3]);
    // The result is still an ordinary object.
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
  });

  test("an unfed input named 'toString' or 'constructor' is a missing feed (and a missing precompile shape)", async () => {
    for (const name of ['toString', 'constructor']) {
      const bytes = buildModel({ nodes: [node('Relu', [name], ['Y'])], inputs: [valueInfo(name, DT.FLOAT, ['N', 3])], outputs: [valueInfo('Y', DT.FLOAT, ['N', 3])] });
      const session = await InferenceSession.create(bytes, cpu);
      await refused(session.run({}), InputError, /missing feed/);
      await refused(session.precompile({}), InputError, /missing shape/);
      const out = await session.run({ [name]: new Tensor('float32', [1, -2, 3], [1, 3]) });
      assert.deepEqual([...out['Y']!.data], [1, 0, 3]);
    }
  });
});

describe('typed-array subclasses as tensor data', () => {
  test("Node's Buffer is uint8 data, viewed as a plain Uint8Array over the same memory", async () => {
    const bytes = Buffer.from([0, 1, 2, 3, 4, 5, 6, 7]);
    const view = bytes.subarray(2, 5);
    const t = new Tensor('uint8', view, [3]);
    assert.equal(t.data.constructor, Uint8Array);
    assert.deepEqual([...t.data], [2, 3, 4]);
    bytes[3] = 42;
    assert.equal(t.data[1], 42);
    // An output that is the feed comes back as its own copy (Buffer's slice would have shared the memory).
    const model = buildModel({ nodes: [], inputs: [valueInfo('X', DT.UINT8, [3])], outputs: [valueInfo('X', DT.UINT8, [3])] });
    const session = await InferenceSession.create(model, cpu);
    const out = (await session.run({ X: t }))['X']!;
    assert.deepEqual([...out.data], [2, 42, 4]);
    bytes[3] = 7;
    assert.equal(out.data[1], 42);
  });

  test('a Float32Array subclass is float32 data; a subclass of another type is still refused', () => {
    class Samples extends Float32Array {}
    const t = new Tensor('float32', new Samples([1, 2]));
    assert.deepEqual([...t.data], [1, 2]);
    assert.throws(() => new Tensor('int32', new Samples(2) as unknown as Int32Array), (e: unknown) => e instanceof InputError && /needs a Int32Array, got Samples/.test(e.message));
  });
});

describe("a session's names and metadata", () => {
  test('are frozen: a caller cannot push a name that breaks every later run', async () => {
    const session = await InferenceSession.create(reluModel, cpu);
    assert.throws(() => (session.outputNames as string[]).push('Z'), TypeError);
    assert.throws(() => (session.inputNames as string[]).push('Z'), TypeError);
    assert.throws(() => (session.inputMetadata[0]!.shape as (number | string)[]).push(5), TypeError);
    assert.throws(() => { (session.outputMetadata[0] as { name: string }).name = 'Z'; }, TypeError);
    assert.deepEqual(session.outputNames, ['Y']);
    assert.deepEqual(session.inputMetadata[0]!.shape, ['N', 3]);
    const out = await session.run({ X: new Tensor('float32', [1, -2, 3], [1, 3]) });
    assert.deepEqual(Object.keys(out), ['Y']);
  });
});

describe('precompile options', () => {
  test('a misspelt name, a value of the wrong kind or null is an InputError on every backend', async () => {
    const session = await InferenceSession.create(reluModel, cpu);
    const shapes = { X: [2, 3] };
    await refused(session.precompile(shapes, { specialised: true } as { specialized?: boolean }), InputError, /precompile option specialised: .*did you mean specialized\?/);
    await refused(session.precompile(shapes, { specialized: 'yes' } as unknown as { specialized?: boolean }), InputError, /precompile option specialized: "yes" is not true or false/);
    await refused(session.precompile(shapes, null as unknown as { specialized?: boolean }), InputError, /options object, got null/);
    await session.precompile(shapes, { specialized: true });
  });
});

describe('tensor type names and GPU tensor arguments', () => {
  test("Object.prototype keys ('toString', 'constructor', '__proto__') are unknown tensor types, not TypeErrors", () => {
    for (const type of ['toString', 'constructor', '__proto__']) {
      const unknownType = (e: unknown): boolean => e instanceof InputError && e.message.includes(`unknown tensor type '${type}'`);
      assert.throws(() => new Tensor(type as 'float32', [1, 2]), unknownType, type);
      assert.throws(() => new Tensor(type as 'float32', new Float32Array(2)), unknownType, type);
      assert.throws(() => new GpuTensor(type as 'float32', [4], { size: 16 } as GPUBuffer), unknownType, type);
    }
  });

  test('GpuTensor dims that are no array and a missing buffer are InputErrors', () => {
    assert.throws(() => new GpuTensor('float32', 4 as unknown as number[], { size: 16 } as GPUBuffer), (e: unknown) => e instanceof InputError && /dims must be an array/.test(e.message));
    assert.throws(() => new GpuTensor('float32', [4], null as unknown as GPUBuffer), (e: unknown) => e instanceof InputError && /needs a GPUBuffer, got null/.test(e.message));
    assert.equal(new GpuTensor('float32', [4], { size: 16 } as GPUBuffer).byteLength, 16);
  });
});

describe('a plain { type, data, dims } feed that is no valid tensor', () => {
  test('names the input it was fed as', async () => {
    const bytes = buildModel({
      nodes: [node('Add', ['A', 'B'], ['Y'])],
      inputs: [valueInfo('A', DT.FLOAT, [1, 3]), valueInfo('B', DT.FLOAT, [1, 3])],
      outputs: [valueInfo('Y', DT.FLOAT, [1, 3])],
    });
    const session = await InferenceSession.create(bytes, cpu);
    const a = new Tensor('float32', [1, 2, 3], [1, 3]);
    const cases: { type: string; data: unknown; dims: unknown }[] = [
      { type: 'float32', data: new Float32Array(3), dims: [2, 3] },
      { type: 'float', data: new Float32Array(3), dims: [1, 3] },
      { type: 'float32', data: new Float64Array(3), dims: [1, 3] },
    ];
    for (const b of cases) {
      await assert.rejects(session.run({ A: a, B: b as unknown as Tensor }), (e: unknown) => e instanceof InputError && e.inputName === 'B' && e.message.startsWith("bad input 'B': "), JSON.stringify(b.type));
    }
  });
});

describe('fetches', () => {
  test('an empty array is an InputError, as in onnxruntime, not a run that returns nothing', async () => {
    const session = await InferenceSession.create(reluModel, cpu);
    const feeds = { X: new Tensor('float32', new Float32Array([1, -2, 3]), [1, 3]) };
    await refused(session.run(feeds, []), InputError, /fetches is an empty array/);
    await refused(InferenceSession.runTogether([{ session, feeds, fetches: [] }]), InputError, /fetches is an empty array/);
    // Left out, every output; the session is unharmed by the refusal.
    assert.deepEqual(Object.keys(await session.run(feeds)), ['Y']);
    await session.release();
  });
});
