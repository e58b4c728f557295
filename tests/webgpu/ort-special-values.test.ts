/**
 * NaN, infinities, zeros and negatives through the WGSL kernels, against onnxruntime-node: WGSL leaves max, min,
 * clamp, exp, log and pow of such values to the implementation (SwiftShader turned Relu(NaN) into 0, exp(NaN) into
 * inf, log(0) into -88, log(-2.5) into log(2.5) and pow(0, -1) into 1.7e38), where onnxruntime gives NaN, -inf and
 * inf. Both kernel tiers and fused conv epilogues are checked. A NaN must sit where onnxruntime's is, an infinity
 * must be the same infinity; finite values agree within 1e-4 of the output's largest magnitude.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { compareWithOrt, oneNode, releaseEdgeDevice, type Feed } from './ort-edge-check.js';
import { DT, buildModel, node, tensor, valueInfo, type AttrValue } from '../parser/onnx-builder.js';

const TOLERANCE = 1e-4;
const f32 = (name: string, values: number[], dims = [values.length]) => tensor(name, 'float32', dims, values);
const vals = (...v: number[]): Feed => ({ type: 'float32', dims: [v.length], data: Float32Array.from(v) });
const SPECIALS = [NaN, 1.5, -2.5, Infinity, -Infinity, 0, -0, 100, -100, 0.25];
const ATTRS: Record<string, Record<string, AttrValue>> = { LeakyRelu: { alpha: { f: 0.1 } }, HardSigmoid: { alpha: { f: 0.3 }, beta: { f: 0.5 } }, Elu: { alpha: { f: 0.7 } } };

after(releaseEdgeDevice);

/** Fails with every backend's detail unless the chosen backends agree with onnxruntime. */
async function expectOrt(bytes: Uint8Array, feeds: Record<string, Feed>, cpuToo = true): Promise<void> {
  const r = await compareWithOrt(bytes, feeds);
  const worst = Math.max(r.specialized, r.generic, r.hardware, cpuToo ? r.cpu : 0);
  assert.ok(worst <= TOLERANCE, `relative error cpu ${r.cpu} specialised ${r.specialized} generic ${r.generic} hardware variants ${r.hardware} (bound ${TOLERANCE})\n${r.detail}`);
}

describe('special float values on WebGPU against onnxruntime', () => {
  for (const op of ['Relu', 'Sigmoid', 'Tanh', 'LeakyRelu', 'HardSigmoid', 'HardSwish', 'Elu', 'Exp', 'Log', 'Abs', 'Neg', 'Sqrt', 'Reciprocal', 'Floor', 'Ceil', 'Softplus']) {
    it(`${op} of NaN, ±inf, ±0 and negatives`, async () => {
      await expectOrt(oneNode(op, [[SPECIALS.length]], ATTRS[op] ?? {}), { x0: vals(...SPECIALS) });
    });
  }

  it('Clip of NaN stays NaN', async () => {
    await expectOrt(oneNode('Clip', [[SPECIALS.length], 'lo', 'hi'], {}, [f32('lo', [0], []), f32('hi', [6], [])]), { x0: vals(...SPECIALS) });
  });

  // A 1×1 conv of weight 1 carries the special values into each activation the graph passes fuse into its epilogue.
  for (const [op, extra, inits] of [['Relu', [], []], ['Clip', ['lo', 'hi'], [f32('lo', [0], []), f32('hi', [6], [])]], ['Sigmoid', [], []], ['Tanh', [], []],
    ['LeakyRelu', [], []], ['HardSigmoid', [], []], ['HardSwish', [], []], ['Elu', [], []]] as const) {
    it(`Conv + ${op} (a fused epilogue) of NaN and ±inf`, async () => {
      const bytes = buildModel({
        opsets: { '': 17 }, inputs: [valueInfo('x', DT.FLOAT, [1, 1, 2, 5])], outputs: [valueInfo('y0', DT.FLOAT, undefined)],
        initializers: [f32('W', [1], [1, 1, 1, 1]), f32('B', [0], [1]), ...inits],
        nodes: [node('Conv', ['x', 'W', 'B'], ['c']), node(op, ['c', ...extra], ['y0'], ATTRS[op] ?? {})],
      });
      await expectOrt(bytes, { x: { ...vals(...SPECIALS), dims: [1, 1, 2, 5] } });
    });
  }

  for (const op of ['Max', 'Min']) {
    it(`${op} with a NaN on either side is NaN`, async () => {
      await expectOrt(oneNode(op, [[4], [4]]), { x0: vals(NaN, 1, NaN, -1), x1: vals(1, NaN, NaN, 2) });
    });
  }

  it('Max of three inputs (a chain of the NaN-aware max)', async () => {
    await expectOrt(oneNode('Max', [[5], [5], [5]]), { x0: vals(NaN, 1, 2, -1, 0), x1: vals(1, NaN, 3, 2, -5), x2: vals(0, 0, NaN, 7, -6) });
  });

  it('Pow: zero bases to negative powers are ±inf, negative bases to integral powers are signed', async () => {
    await expectOrt(oneNode('Pow', [[10], [10]]), {
      x0: vals(0, -0, -0, 0, -2, -2, -8, 2, -1, 0), x1: vals(-1, -1, -2, 0, 3, 2, 0.5, 200, 1e10, 2),
    });
  });

  // The CPU reference computes pow(1, NaN) with Math.pow (NaN; onnxruntime gives 1, as C does): the GPU only here.
  it('Pow: pow(x, 0) and pow(1, y) are 1 even for NaN, other NaNs give NaN', async () => {
    await expectOrt(oneNode('Pow', [[4], [4]]), { x0: vals(NaN, 1, NaN, 2), x1: vals(0, NaN, 2, NaN) }, false);
  });

  it('ReduceLogSum of negative and zero sums is NaN and -inf', async () => {
    const x: Feed = { type: 'float32', dims: [3, 4], data: Float32Array.of(1, 2, 3, 4, -1, -2, 0.5, 0.25, 1, -1, 0, 0) };
    await expectOrt(oneNode('ReduceLogSum', [[3, 4], 'a'], {}, [tensor('a', 'int64', [1], [1])], 18), { x0: x });
  });

  it('ReduceLogSumExp of large magnitudes', async () => {
    const x: Feed = { type: 'float32', dims: [2, 3], data: Float32Array.of(100, 200, -300, -1000, -2000, -3000) };
    await expectOrt(oneNode('ReduceLogSumExp', [[2, 3], 'a'], { keepdims: { i: 0 } }, [tensor('a', 'int64', [1], [1])], 18), { x0: x });
  });

  // ONNX leaves out-of-range float → integer casts undefined; onnxruntime (x86) gives INT32_MIN for every one to
  // int32 and wraps negatives to uint32, where WGSL saturates and a JS Int32Array store wraps. Both backends follow
  // onnxruntime.
  const CAST_VALUES = [2.7, -2.7, 0.5, -0.5, 3e9, -3e9, NaN, Infinity, -Infinity, 2147483520, -2147483648, 2147483648, 5e18, -5e18, 1e19, -0.9,
    4294967040, 1e10, -1e10, 123456789, 4294967296];
  for (const [name, to] of [['int32', DT.INT32], ['uint32', 12]] as const) {
    it(`Cast float32 → ${name}: truncation, and onnxruntime's value out of range`, async () => {
      const bytes = buildModel({
        opsets: { '': 17 }, inputs: [valueInfo('x0', DT.FLOAT, [CAST_VALUES.length])], outputs: [valueInfo('y0', to, undefined)],
        nodes: [node('Cast', ['x0'], ['y0'], { to: { i: to } })],
      });
      await expectOrt(bytes, { x0: vals(...CAST_VALUES) });
    });
  }
});
