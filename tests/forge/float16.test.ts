/**
 * `toFloat16Model` on small graphs built here: the keep_io_types layout on the parts real exports use (IR 3 files
 * listing initializers as inputs, value_float Constants, Resize scales, a Cast to FLOAT mid-graph, an output that
 * other nodes read), checked by onnxruntime (which type-checks every node at load) and by our engine; and its errors.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { GraphError, ModelFormatError } from '../../src/core/errors.js';
import { parseModel } from '../../src/parser/decode-model.js';
import { InferenceSession } from '../../src/session/session.js';
import { toFloat16Model } from '../../models/forge/float16.js';
import { Prng } from '../../models/forge/prng.js';
import { DT, buildModel, node, tensor, valueInfo } from '../parser/onnx-builder.js';
import { maxRelativeError } from '../parity/parity.js';

const prng = new Prng(0xf16);
const weights = Array.from(prng.fillRange(3 * 2 * 3 * 3, -0.5, 0.5));
const bias = Array.from(prng.fillRange(3, -0.5, 0.5));
const input = prng.fillRange(2 * 5 * 5, -2, 2);

/** x → Conv → ·0.5 (value_float) → Resize ×2 nearest (scales from value_floats) → Cast(FLOAT) → Relu = y; z = y + y. */
function exportLike(): Uint8Array {
  return buildModel({
    irVersion: 3,
    nodes: [
      node('Conv', ['x', 'w', 'b'], ['c'], { pads: { ints: [1, 1, 1, 1] } }),
      node('Constant', [], ['half'], { value_float: { f: 0.5 } }),
      node('Mul', ['c', 'half'], ['m']),
      node('Constant', [], ['scales'], { value_floats: { floats: [1, 1, 2, 2] } }),
      node('Resize', ['m', '', 'scales'], ['r'], { mode: { s: 'nearest' } }),
      node('Cast', ['r'], ['rc'], { to: { i: DT.FLOAT } }),
      node('Relu', ['rc'], ['y']),
      node('Add', ['y', 'y'], ['z']),
    ],
    inputs: [valueInfo('x', DT.FLOAT, [1, 2, 5, 5]), valueInfo('w', DT.FLOAT, [3, 2, 3, 3]), valueInfo('b', DT.FLOAT, [3])],
    outputs: [valueInfo('y', DT.FLOAT, [1, 3, 10, 10]), valueInfo('z', DT.FLOAT, [1, 3, 10, 10])],
    initializers: [tensor('w', 'float32', [3, 2, 3, 3], weights), tensor('b', 'float32', [3], bias, 'typed-field')],
    valueInfo: [valueInfo('c', DT.FLOAT, undefined)],
  });
}

describe('toFloat16Model', () => {
  it('writes the keep_io_types layout, which onnxruntime loads and runs, and our engine runs within its bound', async () => {
    const float32 = exportLike();
    const conversion = toFloat16Model(float32);
    assert.equal(conversion.initializers, 2);
    assert.equal(conversion.casts, 3, 'one Cast after x, one before each of y and z');
    const model = parseModel(conversion.bytes);
    assert.deepEqual(model.graph.inputs.map((v) => `${v.name}:${v.type}`), ['x:float32']);
    assert.deepEqual([...model.graph.initializers].map(([k, t]) => `${k}:${t.type}`), ['w:float16', 'b:float16']);
    assert.deepEqual(model.graph.nodes.filter((n) => n.opType === 'Constant').map((n) => [...n.attributes].map(([k, a]) => `${k}:${a.kind === 'tensor' ? a.value.type : a.kind}`).join()), ['value:float16', 'value_floats:floats']);
    assert.equal(model.graph.valueInfo.get('c')?.type, 'float16');

    const feeds = { x: new ort.Tensor('float32', input, [1, 2, 5, 5]) };
    const full = await (await ort.InferenceSession.create(float32)).run(feeds);
    const half = await (await ort.InferenceSession.create(conversion.bytes)).run(feeds);
    const session = await InferenceSession.create(conversion.bytes, { backend: 'cpu' });
    const ours = await session.run({ x: { type: 'float32', dims: [1, 2, 5, 5], data: input } });
    await session.release();
    for (const name of ['y', 'z']) {
      assert.equal(half[name]!.type, 'float32');
      const h = half[name]!.data as Float32Array;
      const y = ours[name]!.data as Float32Array;
      // Input, weights and (on onnxruntime) each of the 4 intermediates are rounded to float16, 2⁻¹¹ relative each:
      // 5·2⁻¹¹ ≈ 2.4e-3 at most in sum. Measured: onnxruntime's float16 run vs float32 1.5e-4, ours vs it 4.4e-4.
      assert.ok(maxRelativeError(h, full[name]!.data as Float32Array) <= 2.5e-3, `${name}: onnxruntime float16 vs float32`);
      assert.ok(maxRelativeError(y, h) <= 2.5e-3, `${name}: ours vs onnxruntime on the float16 file`);
      assert.ok(maxRelativeError(y, full[name]!.data as Float32Array) > 0, `${name}: the float16 file is not the float32 one`);
    }
  });

  it('refuses what it cannot convert, with typed errors', () => {
    assert.throws(() => toFloat16Model(Uint8Array.of(0xff, 0xff, 0xff)), ModelFormatError);
    const resize = (scalesFrom: 'shared' | 'computed'): Uint8Array => buildModel({
      nodes: [
        ...(scalesFrom === 'computed' ? [node('Concat', ['s2', 's2'], ['s'], { axis: { i: 0 } })] : []),
        node('Resize', ['x', '', 's'], ['r'], { mode: { s: 'nearest' } }),
        node('Mul', ['r', scalesFrom === 'shared' ? 's' : 's2'], ['y']),
      ],
      inputs: [valueInfo('x', DT.FLOAT, [4])], outputs: [valueInfo('y', DT.FLOAT, [8])],
      initializers: scalesFrom === 'shared' ? [tensor('s', 'float32', [1], [2])] : [tensor('s2', 'float32', [1], [2])],
    });
    assert.throws(() => toFloat16Model(resize('shared')), (e: unknown) => e instanceof GraphError && /float32-only input and a float16 one/.test(e.message));
    assert.throws(() => toFloat16Model(resize('computed')), (e: unknown) => e instanceof GraphError && /computed in the graph/.test(e.message));
  });
});
