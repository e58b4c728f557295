/**
 * Float16 data in model files: Cast to and from FLOAT16, float16 initializers, Constant values, graph inputs and
 * outputs, on every backend after `widenFloat16`; onnxruntime-node (which casts for real) is the oracle. bfloat16 and
 * float16 that reaches an op without the pass are refused with UnsupportedOpError.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { UnsupportedOpError } from '../../src/core/errors.js';
import { float16Bits, float16Value, narrowToFloat16Bits } from '../../src/core/float16.js';
import { hasFloat16, widenFloat16 } from '../../src/graph/widen-float16.js';
import { specializeGraph } from '../../src/graph/specialize.js';
import { optimizeGraph } from '../../src/graph/optimize.js';
import { lowerGraph } from '../../src/backends/webgpu/lowering.js';
import { parseModel } from '../../src/parser/decode-model.js';
import { InferenceSession } from '../../src/session/session.js';
import { Prng } from '../../models/forge/prng.js';
import { DT, buildModel, node, valueInfo } from '../parser/onnx-builder.js';

process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Values that probe every branch of float32 → float16 rounding, then seeded ones over float16's whole range. */
function probeValues(): Float32Array {
  const edges = [0, -0, 1, -1, 65504, 65519, 65519.996, 65520, 65536, 1e6, -65520, Infinity, -Infinity, NaN,
    2 ** -14, 2 ** -14 * (1 - 2 ** -11), 2 ** -24, 2 ** -25, 2 ** -25 * 1.0001, 3 * 2 ** -25, 2 ** -26, 1e-9, -3 * 2 ** -25, 0.1, 1 / 3];
  // Ties: halfway between two neighbouring float16 values, for even and odd lower neighbours, normal and subnormal.
  for (const h of [0x3c00, 0x3c01, 0x0001, 0x0002, 0x03ff, 0x7bfe, 0x0400, 0x57ff]) edges.push((float16Value(h) + float16Value(h + 1)) / 2);
  const prng = new Prng(1616);
  const values = Float32Array.from({ length: 4096 }, (_, i) => (i % 2 ? -1 : 1) * 2 ** (prng.uniform() * 46 - 28));
  return Float32Array.from([...edges, ...values]);
}

/** x (float32) → Cast(FLOAT16) → y (float16), the layout of a float16 file's input cast. */
function castToHalfModel(n: number): Uint8Array {
  return buildModel({
    nodes: [node('Cast', ['x'], ['y'], { to: { i: DT.FLOAT16 } })],
    inputs: [valueInfo('x', DT.FLOAT, [n])], outputs: [valueInfo('y', DT.FLOAT16, [n])],
  });
}

/**
 * float16 in, float16 out, one op per output so IEEE semantics fix every bit: s = x + c (c a float16 initializer),
 * p = x · k (k a float16 Constant), q = x + z (z from ConstantOfShape with a float16 value).
 */
function halfArithmeticModel(c: Uint16Array, k: Uint16Array, z: number): Uint8Array {
  const half = (name: string, bits: Uint16Array, dims = [bits.length]) => ({ name, dims, dataType: DT.FLOAT16, rawData: new Uint8Array(bits.buffer.slice(0)) });
  const n = c.length;
  return buildModel({
    nodes: [
      node('Constant', [], ['k'], { value: { t: half('k', k) } }),
      node('ConstantOfShape', ['shape'], ['z'], { value: { t: half('z', Uint16Array.of(z), [1]) } }),
      node('Add', ['x', 'c'], ['s']), node('Mul', ['x', 'k'], ['p']), node('Add', ['x', 'z'], ['q']),
    ],
    inputs: [valueInfo('x', DT.FLOAT16, [n])],
    outputs: ['s', 'p', 'q'].map((name) => valueInfo(name, DT.FLOAT16, [n])),
    initializers: [half('c', c), { name: 'shape', dims: [1], dataType: DT.INT64, int64Data: [n] }],
  });
}

const bitsOf = (t: { data: unknown }): Uint16Array => t.data as Uint16Array;
const nanAware = (bits: Uint16Array): number[] => [...bits].map((b) => (Number.isNaN(float16Value(b)) ? -1 : b));

describe('float16 conversions', () => {
  it('float16Bits rounds float32 as onnxruntime\'s Cast to FLOAT16 does (ties to even, ±∞ past 65519.99, subnormals)', async () => {
    const x = probeValues();
    const ortSession = await ort.InferenceSession.create(castToHalfModel(x.length));
    const expected = bitsOf((await ortSession.run({ x: new ort.Tensor('float32', x, [x.length]) }))['y']!);
    // NaN payloads may differ; a NaN must stay a NaN.
    assert.deepEqual(nanAware(narrowToFloat16Bits(x)), nanAware(expected));
    // float64 values are rounded once, from their own value: just above a tie goes up, though float32 would make it a tie.
    const tie = (float16Value(0x3c00) + float16Value(0x3c01)) / 2;
    assert.equal(float16Bits(tie + 2 ** -40), 0x3c01);
    assert.equal(float16Bits(tie), 0x3c00);
    assert.equal(float16Bits(65519.99999), 0x7bff);
    for (let h = 0; h < 0x10000; h++) {
      const v = float16Value(h);
      if (!Number.isNaN(v)) assert.equal(float16Bits(v), h, `bits ${h.toString(16)} round-trip`);
    }
  });
});

for (const backend of ['cpu', 'webgpu'] as const) {
  describe(`float16 model data on the ${backend} backend`, () => {
    const options = backend === 'webgpu' ? { backend, webgpu: { allowSoftwareAdapter: true } } as const : { backend } as const;

    it('a Cast to FLOAT16 keeps the float16 value, bit for bit, and a float16 output comes back as bits', async () => {
      const x = probeValues();
      const model = castToHalfModel(x.length);
      const ortSession = await ort.InferenceSession.create(model);
      const expected = bitsOf((await ortSession.run({ x: new ort.Tensor('float32', x, [x.length]) }))['y']!);
      const session = await InferenceSession.create(model, options);
      try {
        const y = (await session.run({ x: { type: 'float32', dims: [x.length], data: x } }))['y']!;
        assert.equal(y.type, 'float16');
        assert.deepEqual(nanAware(bitsOf(y)), nanAware(expected));
        if (backend === 'webgpu') {
          // The rounding ran in WGSL, not in the CPU fallback; only the narrowing to bits for the output is a CPU step.
          const graph = optimizeGraph(specializeGraph(widenFloat16(parseModel(model)), new Map([['x', { type: 'float32', dims: [x.length] }]])));
          const { placement } = lowerGraph(graph, 'specialized', true, 65535);
          assert.deepEqual(graph.steps.map((s, i) => `${s.node.opType}:${placement[i]}`), ['RoundToFloat16:gpu', 'Cast:cpu']);
        }
      } finally {
        await session.release();
      }
    });

    it('float16 initializers, Constant values, inputs and outputs give onnxruntime\'s float16 results exactly', async () => {
      const prng = new Prng(7);
      const n = 257;
      const c = narrowToFloat16Bits(prng.fillRange(n, -4, 4));
      const k = narrowToFloat16Bits(prng.fillRange(n, -300, 300));
      const x = narrowToFloat16Bits(prng.fillRange(n, -4, 4));
      const model = halfArithmeticModel(c, k, float16Bits(0.3));
      const ortSession = await ort.InferenceSession.create(model);
      const expected = await ortSession.run({ x: new ort.Tensor('float16', x, [n]) });
      const session = await InferenceSession.create(model, options);
      try {
        assert.deepEqual(session.inputMetadata.map((m) => m.type), ['float16']);
        const ours = await session.run({ x: { type: 'float16', dims: [n], data: x } });
        // A float16 op's result is its exact result rounded to float16; ours is rounded to float32 first, then to
        // float16, which gives the same bits for + and · since float32's 24 bits are at least 2·11 + 2. Exact equality.
        for (const name of ['s', 'p', 'q']) {
          assert.equal(ours[name]!.type, 'float16');
          assert.deepEqual([...bitsOf(ours[name]!)], [...bitsOf(expected[name]!)], name);
        }
      } finally {
        await session.release();
      }
    });
  });
}

describe('declared output types after widening', () => {
  it('a float16 initializer that is a graph output comes back float16 as declared (it came back widened to float32)', async () => {
    const c = Uint16Array.from([float16Bits(1), float16Bits(-2.5), float16Bits(65504)]);
    const model = buildModel({
      nodes: [node('Relu', ['x'], ['y'])],
      inputs: [valueInfo('x', DT.FLOAT, [3])],
      outputs: [valueInfo('y', DT.FLOAT, [3]), valueInfo('c', DT.FLOAT16, [3])],
      initializers: [{ name: 'c', dims: [3], dataType: DT.FLOAT16, rawData: new Uint8Array(c.buffer) }],
    });
    const expected = (await (await ort.InferenceSession.create(model)).run({ x: new ort.Tensor('float32', new Float32Array(3), [3]) }))['c']!;
    assert.equal(expected.type, 'float16');
    const session = await InferenceSession.create(model, { backend: 'cpu' });
    try {
      assert.deepEqual(session.outputMetadata.map((m) => m.type), ['float32', 'float16']);
      const out = await session.run({ x: { type: 'float32', dims: [3], data: new Float32Array(3) } });
      assert.equal(out['c']!.type, 'float16');
      assert.deepEqual([...bitsOf(out['c']!)], [...bitsOf(expected)]);
      assert.equal(out['y']!.type, 'float32');
    } finally {
      await session.release();
    }
  });
});

describe('what stays refused', () => {
  it('without widenFloat16 an op that meets float16 data refuses it; with it the same model specialises', () => {
    const bits = narrowToFloat16Bits(Float32Array.of(1.5, -2));
    const half = (name: string) => ({ name, dims: [2], dataType: DT.FLOAT16, rawData: new Uint8Array(bits.buffer.slice(0)) });
    const model = parseModel(buildModel({
      nodes: [node('Mul', ['a', 'b'], ['ab']), node('Cast', ['ab'], ['ab32'], { to: { i: DT.FLOAT } }), node('Add', ['x', 'ab32'], ['y'])],
      inputs: [valueInfo('x', DT.FLOAT, [2])], outputs: [valueInfo('y', DT.FLOAT, [2])],
      initializers: [half('a'), half('b')],
    }));
    const types = new Map([['x', { type: 'float32' as const, dims: [2] }]]);
    assert.ok(hasFloat16(model));
    assert.throws(() => specializeGraph(model, types), (e: unknown) => e instanceof UnsupportedOpError && /float16/.test(e.message));
    const widened = widenFloat16(model);
    assert.ok(!hasFloat16(widened));
    assert.deepEqual([...specializeGraph(widened, types).constants.get('ab32')!.data], [2.25, 4]);
  });

  it('an op whose float32 input meets a float16 weight refuses it (Conv bias, Gemm B, BatchNormalization and InstanceNormalization scale)', () => {
    const half = (name: string, dims: number[]) => ({ name, dims, dataType: DT.FLOAT16, rawData: new Uint8Array(narrowToFloat16Bits(new Float32Array(dims.reduce((a, d) => a * d, 1)).fill(0.5)).buffer) });
    const f32 = (name: string, dims: number[]) => ({ name, dims, dataType: DT.FLOAT, rawData: new Uint8Array(new Float32Array(dims.reduce((a, d) => a * d, 1)).fill(0.5).buffer) });
    const cases = [
      { op: node('Conv', ['x', 'w', 'b'], ['y']), x: [1, 2, 3, 3], inits: [f32('w', [2, 2, 1, 1]), half('b', [2])] },
      { op: node('Gemm', ['x', 'w'], ['y']), x: [2, 2], inits: [half('w', [2, 2])] },
      { op: node('BatchNormalization', ['x', 's', 'b', 'm', 'v'], ['y']), x: [1, 2, 3, 3], inits: [half('s', [2]), f32('b', [2]), f32('m', [2]), f32('v', [2])] },
      { op: node('InstanceNormalization', ['x', 's', 'b'], ['y']), x: [1, 2, 3, 3], inits: [half('s', [2]), f32('b', [2])] },
    ];
    for (const c of cases) {
      const model = parseModel(buildModel({ nodes: [c.op], inputs: [valueInfo('x', DT.FLOAT, c.x)], outputs: [valueInfo('y', DT.FLOAT, undefined)], initializers: c.inits }));
      const types = new Map([['x', { type: 'float32' as const, dims: c.x }]]);
      assert.throws(() => specializeGraph(model, types), (e: unknown) => e instanceof UnsupportedOpError && /float16/.test(e.message), c.op.opType!);
      assert.equal(specializeGraph(widenFloat16(model), types).steps.length, 1, c.op.opType!);
    }
  });

  it("a file's own RoundToFloat16 node is an unsupported op: the engine's op answers only in its private domain", async () => {
    const model = buildModel({
      nodes: [node('RoundToFloat16', ['x'], ['y'])],
      inputs: [valueInfo('x', DT.FLOAT, [4])], outputs: [valueInfo('y', DT.FLOAT, [4])],
    });
    await assert.rejects(InferenceSession.create(model, { backend: 'cpu' }), (e: unknown) => e instanceof UnsupportedOpError && /RoundToFloat16/.test(e.message));
  });

  it('bfloat16 is refused with a message that names it', async () => {
    const toBfloat16 = buildModel({
      nodes: [node('Cast', ['x'], ['y'], { to: { i: 16 } })],
      inputs: [valueInfo('x', DT.FLOAT, [2])], outputs: [valueInfo('y', 16, [2])],
    });
    await assert.rejects(InferenceSession.create(toBfloat16, { backend: 'cpu' }), (e: unknown) => e instanceof UnsupportedOpError && /bfloat16/.test(e.message));
    const bfloat16Input = buildModel({
      nodes: [node('Relu', ['x'], ['y'])],
      inputs: [valueInfo('x', 16, [2])], outputs: [valueInfo('y', 16, [2])],
    });
    await assert.rejects(InferenceSession.create(bfloat16Input, { backend: 'cpu' }), (e: unknown) => e instanceof UnsupportedOpError && /bfloat16/.test(e.message));
  });
});
