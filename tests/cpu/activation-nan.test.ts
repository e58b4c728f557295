/**
 * NaN and ±Infinity fed through the activations: a standalone node gives what onnxruntime-node gives, and the same
 * as the activation fused into a Conv's epilogue, so a NaN in the input stays visible in the output.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InferenceSession, Tensor } from '../../src/index.js';
import { buildModel, DT, node, tensor, valueInfo } from '../parser/onnx-builder.js';
import { ours, reference, type SingleNode } from './single-node.js';

const special = Float32Array.from([Number.NaN, Infinity, -Infinity, -1, 0, 2, Number.NaN, -0.5]);

/** Element by element: any NaN matches any NaN, infinities exactly, finite values to a few float32 ulps. */
function sameValues(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < actual.length; i++) {
    const [a, e] = [actual[i]!, expected[i]!];
    const close = Number.isFinite(e) ? Math.abs(a - e) <= 1e-6 * Math.max(1, Math.abs(e)) : a === e;
    assert.ok(Number.isNaN(e) ? Number.isNaN(a) : close, `${what}[${i}]: ${a}, expected ${e}`);
  }
}

for (const op of ['Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'HardSigmoid']) {
  test(`${op} of NaN and ±Infinity matches onnxruntime`, async () => {
    const c: SingleNode = { op, dims: [1, 8], opset: 13, data: special };
    sameValues((await ours(c)).data, (await reference(c)).data, op);
  });
}

test('Relu after a Conv (fused) and on its own agree on NaN', async () => {
  // A 1×1 conv with weight 1 copies x; the Relu after it is fused into the conv's epilogue.
  const bytes = (fused: boolean): Uint8Array => buildModel({
    nodes: fused
      ? [node('Conv', ['x', 'w'], ['c'], { kernel_shape: { ints: [1, 1] } }), node('Relu', ['c'], ['y'])]
      : [node('Relu', ['x'], ['y'])],
    inputs: [valueInfo('x', DT.FLOAT, [1, 1, 2, 4])],
    outputs: [valueInfo('y', DT.FLOAT, undefined)],
    initializers: fused ? [tensor('w', 'float32', [1, 1, 1, 1], [1])] : [],
  });
  const outputs: Float32Array[] = [];
  for (const fused of [true, false]) {
    const session = await InferenceSession.create(bytes(fused), { backend: 'cpu' });
    outputs.push((await session.run({ x: new Tensor('float32', special, [1, 1, 2, 4]) }))['y']!.data as Float32Array);
    await session.release();
  }
  sameValues(outputs[1]!, outputs[0]!, 'standalone vs fused Relu');
  assert.ok(Number.isNaN(outputs[1]![0]!));
});
