/**
 * A conv whose weight is computed at run time (here Mul(w, s), both graph inputs) must use that run's weight on every
 * path: the CPU fast paths keep re-laid-out copies of constant weights, and a computed weight's pooled buffer is
 * refilled between runs, so a copy kept for it would serve the previous run's values. Each case is one path's shape
 * (Winograd, direct 3×3, im2col GEMM, 1×1, depthwise), run three times with different scales and compared with
 * onnxruntime-node. Tolerance: max|a−b| / max|b| ≤ 1e-5 (float32 sums in another order; a stale weight is off by
 * ~50%).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { InferenceSession, Tensor } from '../../src/index.js';
import { buildModel, DT, node, valueInfo } from '../parser/onnx-builder.js';
import { maxRelativeError, seededUniform } from '../parity/parity.js';
import { markConstantWeight, weightLayout } from '../../src/ops/conv/constant-weights.js';

const TOLERANCE = 1e-5;

interface Case { readonly name: string; readonly c: number; readonly m: number; readonly k: number; readonly stride: number; readonly group: number }

const cases: Case[] = [
  { name: 'stride-1 3×3 (Winograd)', c: 8, m: 8, k: 3, stride: 1, group: 1 },
  { name: 'stride-2 3×3 (direct)', c: 8, m: 8, k: 3, stride: 2, group: 1 },
  { name: '5×5 (im2col GEMM)', c: 4, m: 8, k: 5, stride: 1, group: 1 },
  { name: '1×1', c: 8, m: 12, k: 1, stride: 1, group: 1 },
  { name: '3×3 depthwise', c: 8, m: 8, k: 3, stride: 1, group: 8 },
];

describe('conv with a weight computed at run time (cpu)', () => {
  for (const t of cases) {
    it(t.name, async () => {
      const wDims = [t.m, t.c / t.group, t.k, t.k];
      const xDims = [1, t.c, 12, 12];
      const pad = (t.k - 1) / 2;
      const bytes = buildModel({
        nodes: [
          node('Mul', ['w', 's'], ['ws'], {}),
          node('Conv', ['x', 'ws'], ['y'], { kernel_shape: { ints: [t.k, t.k] }, strides: { ints: [t.stride, t.stride] }, pads: { ints: [pad, pad, pad, pad] }, group: { i: t.group } }),
        ],
        inputs: [valueInfo('x', DT.FLOAT, xDims), valueInfo('w', DT.FLOAT, wDims), valueInfo('s', DT.FLOAT, [1])],
        outputs: [valueInfo('y', DT.FLOAT, undefined)],
        initializers: [],
        opsets: { '': 13 },
      });
      const x = seededUniform(xDims.reduce((a, b) => a * b, 1), 1, -1, 1);
      const w = seededUniform(wDims.reduce((a, b) => a * b, 1), 2, -1, 1);
      const session = await InferenceSession.create(bytes, { backend: 'cpu' });
      const oracle = await ort.InferenceSession.create(bytes);
      try {
        for (const scale of [1, 2, -0.5]) {
          const s = Float32Array.of(scale);
          const got = (await session.run({ x: new Tensor('float32', x, xDims), w: new Tensor('float32', w, wDims), s: new Tensor('float32', s, [1]) }))['y']!;
          const want = (await oracle.run({ x: new ort.Tensor('float32', x, xDims), w: new ort.Tensor('float32', w, wDims), s: new ort.Tensor('float32', s, [1]) }))['y']!;
          const err = maxRelativeError(got.data as Float32Array, want.data as Float32Array);
          assert.ok(err <= TOLERANCE, `scale ${scale}: relative error ${err} > ${TOLERANCE}`);
        }
      } finally {
        await session.release();
        await oracle.release();
      }
    });
  }
});

describe('weightLayout', () => {
  it('keeps a layout for a marked constant, and makes a fresh one per call otherwise', () => {
    const cache = new WeakMap<Float32Array, Float32Array>();
    const make = (w: Float32Array) => () => Float32Array.from(w, (v) => 2 * v);
    const runtime = Float32Array.of(1, 2, 3);
    const first = weightLayout(cache, runtime, () => true, make(runtime));
    runtime[0] = 10;
    const second = weightLayout(cache, runtime, () => true, make(runtime));
    assert.notEqual(first, second);
    assert.deepEqual([...second], [20, 4, 6]);
    const constant = Float32Array.of(1, 2, 3);
    markConstantWeight(constant);
    const kept = weightLayout(cache, constant, () => true, make(constant));
    assert.equal(weightLayout(cache, constant, () => true, make(constant)), kept);
    // A kept layout that does not fit the call (another shape read from the same array) is remade and replaced.
    const refit = weightLayout(cache, constant, () => false, make(constant));
    assert.notEqual(refit, kept);
    assert.equal(weightLayout(cache, constant, (k) => k === refit, make(constant)), refit);
  });
});
