/**
 * A graph input that also has an initializer (IR 4 and later): the initializer is the input's default, a feed
 * overrides it, and in the plan a run that feeds it uses no graph pass has folded the default in as a constant
 * (tests/runtime/overridable-plan.test.ts: the plan of runs that feed none). Checked against onnxruntime-node: unfed on
 * the same file (onnxruntime-node's inputNames leave such inputs out and its run drops their feeds), fed on the same
 * graph with the initializer removed, where the value is a plain input.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { InferenceSession, InputError, Tensor } from '../../src/index.js';
import { DT, buildModel, node, tensor, valueInfo } from '../parser/onnx-builder.js';
import { refused } from '../robustness/refused.js';

const B_DEFAULT = [10, 20];
const SCALE_DEFAULT = [1.5, -2];

/**
 * Y = X + B * 2 (a constant-folding candidate once B is a constant) and Z = BatchNormalization(Conv(X4, W), scale)
 * (a BN fold into the Conv once scale is one). With `overridable`, B and scale are inputs with initializers.
 */
function model(overridable: boolean, irVersion = 8): Uint8Array {
  const defaults = [tensor('B', 'float32', [2], B_DEFAULT), tensor('scale', 'float32', [2], SCALE_DEFAULT)];
  return buildModel({
    irVersion,
    nodes: [
      node('Mul', ['B', 'two'], ['C']), node('Add', ['X', 'C'], ['Y']),
      node('Conv', ['X4', 'W'], ['conv']),
      node('BatchNormalization', ['conv', 'scale', 'bias', 'mean', 'var'], ['Z'], { epsilon: { f: 1e-5 } }),
    ],
    inputs: [valueInfo('X', DT.FLOAT, [2]), valueInfo('B', DT.FLOAT, [2]), valueInfo('X4', DT.FLOAT, [1, 1, 2, 2]), valueInfo('scale', DT.FLOAT, [2])],
    outputs: [valueInfo('Y', DT.FLOAT, [2]), valueInfo('Z', DT.FLOAT, [1, 2, 2, 2])],
    initializers: [
      ...(overridable ? defaults : []),
      tensor('two', 'float32', [1], [2]),
      tensor('W', 'float32', [2, 1, 1, 1], [3, -1]),
      tensor('bias', 'float32', [2], [0.5, 1]),
      tensor('mean', 'float32', [2], [0.25, -0.5]),
      tensor('var', 'float32', [2], [4, 0.25]),
    ],
  });
}

const X = [1, 2];
const X4 = [1, -2, 3, 0.5];

async function ortOutputs(bytes: Uint8Array, feeds: Record<string, number[]>, dims: Record<string, number[]>): Promise<Record<string, number[]>> {
  const session = await ort.InferenceSession.create(bytes);
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [name, values] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor('float32', Float32Array.from(values), dims[name]!);
  const out = await session.run(ortFeeds);
  await session.release();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...(v.data as Float32Array)]]));
}

const DIMS = { X: [2], X4: [1, 1, 2, 2], B: [2], scale: [2] };

function close(actual: Float32Array, expected: readonly number[], what: string): void {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) <= 1e-5 * (1 + Math.abs(expected[i]!)), `${what}[${i}]: ${v} vs ${expected[i]}`));
}

describe('an input with an initializer (its default)', () => {
  it('is left out of inputNames, as onnxruntime-node does', async () => {
    const bytes = model(true);
    const ortSession = await ort.InferenceSession.create(bytes);
    const session = await InferenceSession.create(bytes, { backend: 'cpu' });
    assert.deepEqual([...session.inputNames], [...ortSession.inputNames]);
    await ortSession.release();
    await session.release();
  });

  it('not fed, runs on the initializer', async () => {
    const bytes = model(true);
    const expected = await ortOutputs(bytes, { X, X4 }, DIMS);
    const session = await InferenceSession.create(bytes, { backend: 'cpu' });
    const out = await session.run({ X: new Tensor('float32', Float32Array.from(X), [2]), X4: new Tensor('float32', Float32Array.from(X4), [1, 1, 2, 2]) });
    close(out.Y!.data as Float32Array, expected.Y!, 'Y');
    close(out.Z!.data as Float32Array, expected.Z!, 'Z');
    await session.release();
  });

  it('fed, runs on the feed: no graph pass folded the default in', async () => {
    const B = [-7, 0.5];
    const scale = [0.25, 3];
    const expected = await ortOutputs(model(false), { X, X4, B, scale }, DIMS);
    const session = await InferenceSession.create(model(true), { backend: 'cpu' });
    const f = (values: number[], dims: number[]): Tensor => new Tensor('float32', Float32Array.from(values), dims);
    const feeds = { X: f(X, [2]), X4: f(X4, [1, 1, 2, 2]) };
    const fed = await session.run({ ...feeds, B: f(B, [2]), scale: f(scale, [2]) });
    close(fed.Y!.data as Float32Array, expected.Y!, 'Y fed');
    close(fed.Z!.data as Float32Array, expected.Z!, 'Z fed');
    // The next run without them is back on the defaults.
    const unfed = await session.run(feeds);
    const expectedUnfed = await ortOutputs(model(true), { X, X4 }, DIMS);
    close(unfed.Y!.data as Float32Array, expectedUnfed.Y!, 'Y unfed');
    await session.release();
  });

  it('fed with the wrong shape is an InputError naming it', async () => {
    const session = await InferenceSession.create(model(true), { backend: 'cpu' });
    const feeds = { X: new Tensor('float32', Float32Array.from(X), [2]), X4: new Tensor('float32', Float32Array.from(X4), [1, 1, 2, 2]) };
    const error = await refused(session.run({ ...feeds, B: new Tensor('float32', new Float32Array(3), [3]) }), InputError, /does not match/);
    assert.equal(error.inputName, 'B');
    await session.release();
  });

  it('fed with the wrong type is the InputError any input gives', async () => {
    const session = await InferenceSession.create(model(true), { backend: 'cpu' });
    const feeds = { X: new Tensor('float32', Float32Array.from(X), [2]), X4: new Tensor('float32', Float32Array.from(X4), [1, 1, 2, 2]) };
    const wrongType = await refused(session.run({ ...feeds, B: new Tensor('int64', new BigInt64Array(2), [2]) }), InputError, /type int64, the model expects float32/);
    assert.equal(wrongType.inputName, 'B');
    // The same message as for a real input fed the wrong type.
    const realInput = await refused(session.run({ ...feeds, X: new Tensor('int64', new BigInt64Array(2), [2]) }), InputError, /type int64, the model expects float32/);
    assert.equal(realInput.inputName, 'X');
    await refused(session.run({ ...feeds, Bee: feeds.X }), InputError, /'Bee' is not a model input \(inputs: X, X4; overridable, with a default: B, scale\)/);
    await session.release();
  });

  it('before IR 4 is a constant (every initializer was listed as an input then)', async () => {
    const session = await InferenceSession.create(model(true, 3), { backend: 'cpu' });
    const feeds = { X: new Tensor('float32', Float32Array.from(X), [2]), X4: new Tensor('float32', Float32Array.from(X4), [1, 1, 2, 2]) };
    await refused(session.run({ ...feeds, B: new Tensor('float32', new Float32Array(2), [2]) }), InputError, /'B' is not a model input \(inputs: X, X4\)/);
    await session.release();
  });

  it('from IR 4 on is overridable (onnxruntime: CanOverrideInitializer is ir_version >= 4)', async () => {
    const session = await InferenceSession.create(model(true, 4), { backend: 'cpu' });
    const feeds = { X: new Tensor('float32', Float32Array.from(X), [2]), X4: new Tensor('float32', Float32Array.from(X4), [1, 1, 2, 2]) };
    const out = await session.run({ ...feeds, B: new Tensor('float32', Float32Array.from([1, 1]), [2]) });
    close(out.Y!.data as Float32Array, [3, 4], 'Y = X + B * 2');
    await session.release();
  });
});
