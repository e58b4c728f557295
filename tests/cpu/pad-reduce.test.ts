/**
 * The Pad and Reduce* CPU references against onnxruntime-node on single-node models: the variants the ONNX node
 * tests do not reach (reflect and edge on every side up to dim − 1, crops, wrap and axes at opset 19, the opset-2
 * attribute form, every reduction kind over inner, outer and split axes, noop_with_empty_axes at opset 18), and the
 * typed errors of malformed nodes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GraphError, UnsupportedOpError } from '../../src/core/errors.js';
import { InferenceSession } from '../../src/index.js';
import { buildModel, DT, node, valueInfo } from '../parser/onnx-builder.js';
import { seededUniform } from '../parity/parity.js';
import { model, ours, reference, type SingleNode } from './single-node.js';

const i64 = (...values: number[]) => ({ type: 'int64' as const, values });
const f32 = (...values: number[]) => ({ type: 'float32' as const, values, dims: [] });

const PAD_CASES: Record<string, SingleNode> = {
  'reflect, every side up to dim − 1': { op: 'Pad', attributes: { mode: { s: 'reflect' } }, dims: [1, 2, 5, 6], extra: [i64(0, 0, 4, 1, 0, 0, 2, 5)], opset: 11 },
  'edge, rank 3': { op: 'Pad', attributes: { mode: { s: 'edge' } }, dims: [3, 4, 5], extra: [i64(1, 0, 2, 0, 2, 7)], opset: 13 },
  'constant value, negative pads crop': { op: 'Pad', dims: [2, 5, 6], extra: [i64(1, -2, 3, 0, 1, -4), f32(0.75)], opset: 13 },
  'constant, no value input (zeros)': { op: 'Pad', dims: [4, 3], extra: [i64(2, 0, 1, 3)], opset: 11 },
  'opset 2 attributes': { op: 'Pad', attributes: { pads: { ints: [0, 1, 2, 0] }, value: { f: -1.5 } }, dims: [3, 4], opset: 2 },
  'wrap over axes [-1, 1] (opset 19)': { op: 'Pad', attributes: { mode: { s: 'wrap' } }, dims: [2, 3, 4], extra: [i64(3, 1, 2, 2), undefined, i64(-1, 1)], opset: 19 },
  'reflect with axes (opset 18)': { op: 'Pad', attributes: { mode: { s: 'reflect' } }, dims: [2, 3, 4], extra: [i64(3, 1, 2, 0), undefined, i64(2, 0)], opset: 18 },
};

const KINDS = ['Sum', 'Mean', 'Max', 'Min', 'Prod', 'SumSquare', 'L1', 'L2', 'LogSum', 'LogSumExp'] as const;
/** Positive inputs for the logs, near 1 for products (so 60-element products stay in range). */
function dataFor(kind: (typeof KINDS)[number], count: number): Float32Array {
  const u = seededUniform(count, 31 + count, -1, 1);
  if (kind === 'LogSum') return u.map((v) => v + 1.5);
  if (kind === 'Prod') return u.map((v) => 1 + v / 10);
  return u.map((v) => 3 * v);
}

const REDUCE_CASES: Record<string, SingleNode> = {};
for (const kind of KINDS) {
  const op = `Reduce${kind}`;
  const dims = [2, 3, 4, 5];
  const data = dataFor(kind, 120);
  // Opset 13 (axes an attribute, except ReduceSum) and 18 (axes an input for all).
  const axesAt13 = (axes: number[]): Partial<SingleNode> => (kind === 'Sum' ? { extra: [i64(...axes)] } : { attributes: { axes: { ints: axes } } });
  REDUCE_CASES[`${op} inner axes [2, 3], keepdims`] = { op, dims, data, opset: 13, ...axesAt13([2, 3]) };
  const split = axesAt13([0, 2]);
  REDUCE_CASES[`${op} split axes [0, 2], no keepdims`] = { op, dims, data, opset: 13, ...split, attributes: { ...split.attributes, keepdims: { i: 0 } } };
  REDUCE_CASES[`${op} all axes (none given)`] = { op, dims, data, opset: 13 };
  REDUCE_CASES[`${op} axes input [-3] (opset 18)`] = { op, dims, data, opset: 18, extra: [i64(-3)] };
  REDUCE_CASES[`${op} noop_with_empty_axes (opset 18)`] = { op, dims, data, opset: 18, attributes: { noop_with_empty_axes: { i: 1 } } };
}

describe('Pad and Reduce* match onnxruntime-node', () => {
  for (const [name, c] of Object.entries(PAD_CASES)) {
    test(`Pad ${name}`, async () => {
      const [a, b] = [await ours(c), await reference(c)];
      assert.deepEqual(a.dims, b.dims);
      // Exact: padding only copies elements (and writes the fill).
      assert.deepEqual(Array.from(a.data), Array.from(b.data));
    });
  }
  for (const [name, c] of Object.entries(REDUCE_CASES)) {
    test(name, async () => {
      const [a, b] = [await ours(c), await reference(c)];
      assert.deepEqual(a.dims, b.dims);
      let diff = 0;
      let scale = 0;
      for (let i = 0; i < b.data.length; i++) { diff = Math.max(diff, Math.abs(a.data[i]! - b.data[i]!)); scale = Math.max(scale, Math.abs(b.data[i]!)); }
      // 1e-5 of the output's range: ours sums in float64 and rounds once, onnxruntime sums at most 120 floats in
      // float32 (a few ulps, ~1e-6 relative); exp/log differ by an ulp or two.
      assert.ok(diff <= 1e-5 * scale, `max |diff| ${diff} against max |ref| ${scale}`);
    });
  }
});

describe('Pad, Reduce* and the ops whose attributes became inputs refuse malformed nodes with typed errors', () => {
  const refuses = async (c: SingleNode, kind: typeof GraphError | typeof UnsupportedOpError, pattern: RegExp): Promise<void> => {
    await assert.rejects(InferenceSession.create(model(c), { backend: 'cpu' }), (e: unknown) => e instanceof kind && pattern.test(e.message));
  };
  test('pads of the wrong length', () => refuses({ op: 'Pad', dims: [2, 3], extra: [i64(1, 1)], opset: 13 }, GraphError, /2 pads for 2 axes/));
  test('pads that shrink an axis below zero', () => refuses({ op: 'Pad', dims: [2, 3], extra: [i64(0, -2, 0, -2)], opset: 13 }, GraphError, /invalid shape/));
  test('fractional pads', () => refuses({ op: 'Pad', dims: [2, 3], extra: [{ type: 'float32', values: [0, 0.5, 0, -0.5] }], opset: 13 }, GraphError, /not all integers/));
  test('an unknown mode', () => refuses({ op: 'Pad', attributes: { mode: { s: 'mirror' } }, dims: [2, 3], extra: [i64(0, 1, 0, 1)], opset: 13 }, UnsupportedOpError, /mode 'mirror'/));
  test('wrap before opset 19', () => refuses({ op: 'Pad', attributes: { mode: { s: 'wrap' } }, dims: [2, 3], extra: [i64(0, 1, 0, 1)], opset: 18 }, GraphError, /opset 19/));
  test('a non-scalar constant_value', () => refuses({ op: 'Pad', dims: [2, 3], extra: [i64(0, 1, 0, 1), { type: 'float32', values: [1, 2] }], opset: 13 }, GraphError, /scalar/));
  test('reflect of an empty axis', () => refuses({ op: 'Pad', attributes: { mode: { s: 'reflect' } }, dims: [0, 3], extra: [i64(1, 0, 1, 0)], opset: 13 }, GraphError, /empty axis/));
  test('an axes input before opset 18', () => refuses({ op: 'ReduceMean', dims: [2, 3], extra: [i64(1)], opset: 13 }, GraphError, /axes input needs opset 18/));
  // onnxruntime refuses these at load; read past, the attribute's meaning was lost (all axes reduced, no padding).
  test('an axes attribute at opset 18 (an input since)', () => refuses({ op: 'ReduceMean', attributes: { axes: { ints: [1] } }, dims: [2, 3], opset: 18 }, GraphError, /attribute 'axes' is an input from opset 18, the model has 18/));
  test('an axes attribute on ReduceSum at opset 13', () => refuses({ op: 'ReduceSum', attributes: { axes: { ints: [1] } }, dims: [2, 3], opset: 13 }, GraphError, /'axes' is an input from opset 13/));
  test('pads and value attributes at opset 11', () => refuses({ op: 'Pad', attributes: { pads: { ints: [0, 1, 0, 1] }, value: { f: 2 } }, dims: [2, 3], extra: [i64(0, 1, 0, 1)], opset: 11 }, GraphError, /attributes 'pads', 'value' are inputs from opset 11/));
  test('Clip min/max attributes at opset 11', () => refuses({ op: 'Clip', attributes: { min: { f: 0 }, max: { f: 1 } }, dims: [2, 3], opset: 13 }, GraphError, /'min', 'max' are inputs from opset 11, the model has 13/));
  test('Slice starts/ends attributes at opset 10', () => refuses({ op: 'Slice', attributes: { starts: { ints: [0] }, ends: { ints: [1] } }, dims: [2, 3], extra: [i64(0), i64(1)], opset: 13 }, GraphError, /'starts', 'ends' are inputs from opset 10/));
  test('an Unsqueeze axes attribute at opset 13', () => refuses({ op: 'Unsqueeze', attributes: { axes: { ints: [0] } }, dims: [2, 3], opset: 13 }, GraphError, /'axes' is an input from opset 13/));
  test('a pads input before opset 11', () => refuses({ op: 'Pad', dims: [2, 3], extra: [i64(0, 1, 0, 1)], opset: 10 }, GraphError, /inputs from opset 11/));
  test('a repeated reduction axis', () => refuses({ op: 'ReduceMean', attributes: { axes: { ints: [1, -1] } }, dims: [2, 3], opset: 13 }, GraphError, /repeated/));
  test('a reduction axis out of range', () => refuses({ op: 'ReduceMax', attributes: { axes: { ints: [2] } }, dims: [2, 3], opset: 13 }, GraphError, /out of range/));
  test('pads as a runtime input', async () => {
    const bytes = buildModel({
      nodes: [node('Pad', ['x', 'p'], ['y'])],
      inputs: [valueInfo('x', DT.FLOAT, [2, 3]), valueInfo('p', DT.INT64, [4])],
      outputs: [valueInfo('y', DT.FLOAT, undefined)],
      opsets: { '': 13 },
    });
    await assert.rejects(InferenceSession.create(bytes, { backend: 'cpu' }), (e: unknown) => e instanceof UnsupportedOpError && /pads must be known at load time/.test(e.message));
  });
});

describe('Reduce* edge cases of the CPU reference', () => {
  const run = async (c: SingleNode): Promise<number[]> => Array.from((await ours(c)).data);
  test('an empty reduced axis gives each kind its identity', async () => {
    const dims = [2, 0, 3];
    const at = (op: string) => run({ op, dims, data: new Float32Array(0), attributes: { axes: { ints: [1] } }, opset: 13 });
    assert.deepEqual(await at('ReduceSumSquare'), [0, 0, 0, 0, 0, 0]);
    assert.deepEqual(await at('ReduceProd'), [1, 1, 1, 1, 1, 1]);
    assert.deepEqual(await at('ReduceMax'), new Array(6).fill(-Infinity));
    assert.deepEqual(await at('ReduceMin'), new Array(6).fill(Infinity));
    assert.deepEqual(await at('ReduceLogSumExp'), new Array(6).fill(-Infinity));
  });
  test('LogSumExp of large values does not overflow', async () => {
    const got = await run({ op: 'ReduceLogSumExp', dims: [3], data: Float32Array.of(1000, 1000, 999), opset: 13 });
    // log(2e^1000 + e^999) = 1000 + log(2 + 1/e), rounded to float32 (ulp 6.1e-5 at 1000).
    assert.equal(got[0], Math.fround(1000 + Math.log(2 + Math.exp(-1))));
  });
  test('Max and Min propagate NaN', async () => {
    const data = Float32Array.of(1, NaN, 3, 4);
    assert.ok(Number.isNaN((await run({ op: 'ReduceMax', dims: [4], data, opset: 13 }))[0]));
    assert.ok(Number.isNaN((await run({ op: 'ReduceMin', dims: [4], data, opset: 13 }))[0]));
  });
});
