/**
 * Every registered op against onnxruntime-node on the CPU backend, one single-node model per case: attributes,
 * opset variants and edge shapes. Integer, bool and index outputs must be equal; float outputs within
 * FLOAT_TOLERANCE relative (see ort-oracle.ts). A case this engine cannot run must be a typed error at load
 * (UnsupportedOpError or GraphError), never a different result. Cases onnxruntime itself refuses while this engine
 * runs them are listed by name in each group, each with the reason.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DataType } from '../../src/index.js';
import { compareWithOrt, f32, i64, ramp, type OracleCase, type OracleInput } from './ort-oracle.js';

type Cases = [string, OracleCase][];
const I64MAX = 9223372036854775807n;
const I64MIN = -9223372036854775808n;
const CODE: Readonly<Record<string, number>> = { float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11, uint32: 12, uint64: 13 };
const input = (name: string, type: DataType, dims: number[], values: readonly (number | bigint)[], init = false): OracleInput => ({ name, type, dims, values, init });

/**
 * Runs every case; fails listing each that differs, each refusal not in `refusals`, and each case onnxruntime refuses
 * that is not in `ortRefuses`.
 */
async function sweep(cases: Cases, refusals: readonly string[] = [], ortRefuses: readonly string[] = []): Promise<void> {
  const problems: string[] = [];
  for (const [name, c] of cases) {
    const v = await compareWithOrt(c);
    if (v.kind === 'differs') problems.push(`${name}: ${v.why}`);
    else if (v.kind === 'refused' && !refusals.includes(name)) problems.push(`${name}: refused, ${v.why}`);
    else if (v.kind === 'ort-refuses' && !ortRefuses.includes(name)) problems.push(`${name}: ort refuses, ours runs (${v.why})`);
  }
  assert.deepEqual(problems, []);
}

function convCases(): Cases {
  const cases: Cases = [];
  const add = (n: string, c: OracleCase): void => { cases.push([n, c]); };
  for (const autoPad of ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID']) for (const [k, s, d] of [[3, 1, 1], [3, 2, 1], [2, 2, 1], [4, 3, 1], [3, 1, 2], [1, 3, 1], [2, 1, 1]] as const) {
    // onnxruntime's CPU Conv refuses SAME_* with dilations; ONNX allows it.
    if (d > 1 && autoPad.startsWith('SAME')) continue;
    add(`${autoPad} k${k} s${s} d${d}`, { op: 'Conv', opset: 11, attrs: { auto_pad: { s: autoPad }, strides: { ints: [s, s] }, dilations: { ints: [d, d] } }, inputs: [f32('x', [1, 2, 7, 6]), f32('w', [3, 2, k, k], undefined, true)] });
  }
  add('asymmetric pads + bias', { op: 'Conv', opset: 11, attrs: { pads: { ints: [0, 1, 2, 3] }, kernel_shape: { ints: [3, 3] } }, inputs: [f32('x', [1, 2, 5, 5]), f32('w', [2, 2, 3, 3], undefined, true), f32('b', [2], [0.5, -1], true)] });
  add('1xN', { op: 'Conv', opset: 11, attrs: { pads: { ints: [0, 2, 0, 2] } }, inputs: [f32('x', [1, 2, 5, 6]), f32('w', [2, 2, 1, 5], undefined, true)] });
  add('Nx1 stride > kernel', { op: 'Conv', opset: 11, attrs: { strides: { ints: [3, 4] } }, inputs: [f32('x', [1, 2, 9, 9]), f32('w', [2, 2, 2, 1], undefined, true)] });
  add('depthwise', { op: 'Conv', opset: 11, attrs: { group: { i: 4 }, pads: { ints: [1, 1, 1, 1] } }, inputs: [f32('x', [1, 4, 6, 6]), f32('w', [4, 1, 3, 3], undefined, true)] });
  add('depthwise stride 2', { op: 'Conv', opset: 11, attrs: { group: { i: 4 }, pads: { ints: [1, 1, 1, 1] }, strides: { ints: [2, 2] } }, inputs: [f32('x', [1, 4, 7, 7]), f32('w', [4, 1, 3, 3], undefined, true)] });
  add('depthwise multiplier 2', { op: 'Conv', opset: 11, attrs: { group: { i: 2 } }, inputs: [f32('x', [1, 2, 5, 5]), f32('w', [4, 1, 3, 3], undefined, true)] });
  add('group 2', { op: 'Conv', opset: 11, attrs: { group: { i: 2 }, pads: { ints: [1, 0, 1, 0] } }, inputs: [f32('x', [1, 4, 5, 5]), f32('w', [6, 2, 3, 3], undefined, true), f32('b', [6], undefined, true)] });
  add('1x1 stride 2 batch 2', { op: 'Conv', opset: 11, attrs: { strides: { ints: [2, 2] } }, inputs: [f32('x', [2, 3, 5, 5]), f32('w', [4, 3, 1, 1], undefined, true)] });
  add('1-D', { op: 'Conv', opset: 11, attrs: { pads: { ints: [1, 1] } }, inputs: [f32('x', [1, 2, 7]), f32('w', [3, 2, 3], undefined, true)] });
  add('3x3 8→16', { op: 'Conv', opset: 11, attrs: { pads: { ints: [1, 1, 1, 1] } }, inputs: [f32('x', [1, 8, 10, 10]), f32('w', [16, 8, 3, 3], undefined, true)] });
  add('dynamic weights', { op: 'Conv', opset: 11, inputs: [f32('x', [1, 2, 5, 5]), f32('w', [2, 2, 3, 3])] });
  add('SAME_UPPER even kernel', { op: 'Conv', opset: 11, attrs: { auto_pad: { s: 'SAME_UPPER' } }, inputs: [f32('x', [1, 1, 5, 5]), f32('w', [1, 1, 4, 4], undefined, true)] });
  add('SAME_LOWER even kernel', { op: 'Conv', opset: 11, attrs: { auto_pad: { s: 'SAME_LOWER' } }, inputs: [f32('x', [1, 1, 5, 5]), f32('w', [1, 1, 4, 4], undefined, true)] });
  add('3-D', { op: 'Conv', opset: 11, inputs: [f32('x', [1, 1, 3, 3, 3]), f32('w', [1, 1, 2, 2, 2], undefined, true)] });
  return cases;
}

function poolCases(): Cases {
  const cases: Cases = [];
  const add = (n: string, c: OracleCase): void => { cases.push([n, c]); };
  for (const op of ['MaxPool', 'AveragePool']) {
    for (const ceil of [0, 1]) for (const [k, s, p] of [[3, 2, 0], [3, 2, 1], [2, 2, 0], [3, 3, 1], [2, 3, 1], [3, 1, 1], [4, 3, 2]] as const) {
      for (const cip of op === 'AveragePool' ? [0, 1] : [0]) {
        add(`${op} ceil${ceil} k${k} s${s} p${p} cip${cip}`, { op, opset: 12, attrs: { kernel_shape: { ints: [k, k] }, strides: { ints: [s, s] }, pads: { ints: [p, p, p, p] }, ceil_mode: { i: ceil }, ...(op === 'AveragePool' ? { count_include_pad: { i: cip } } : {}) }, inputs: [f32('x', [1, 2, 7, 8])] });
      }
    }
    for (const ap of ['SAME_UPPER', 'SAME_LOWER', 'VALID']) add(`${op} ${ap}`, { op, opset: 12, attrs: { kernel_shape: { ints: [3, 2] }, strides: { ints: [2, 2] }, auto_pad: { s: ap } }, inputs: [f32('x', [1, 2, 7, 8])] });
    add(`${op} asymmetric pads`, { op, opset: 12, attrs: { kernel_shape: { ints: [3, 3] }, pads: { ints: [0, 1, 2, 2] } }, inputs: [f32('x', [1, 1, 5, 5])] });
    add(`${op} 1-D`, { op, opset: 12, attrs: { kernel_shape: { ints: [3] }, strides: { ints: [2] } }, inputs: [f32('x', [1, 2, 9])] });
    add(`${op} opset 7`, { op, opset: 7, attrs: { kernel_shape: { ints: [2, 2] } }, inputs: [f32('x', [1, 1, 4, 4])] });
  }
  add('MaxPool dilations', { op: 'MaxPool', opset: 12, attrs: { kernel_shape: { ints: [2, 2] }, dilations: { ints: [2, 2] } }, inputs: [f32('x', [1, 1, 6, 6])] });
  add('MaxPool dilations ceil', { op: 'MaxPool', opset: 12, attrs: { kernel_shape: { ints: [2, 2] }, dilations: { ints: [2, 2] }, strides: { ints: [2, 2] }, ceil_mode: { i: 1 } }, inputs: [f32('x', [1, 1, 7, 7])] });
  add('AveragePool dilations', { op: 'AveragePool', opset: 19, attrs: { kernel_shape: { ints: [2, 2] }, dilations: { ints: [2, 2] } }, inputs: [f32('x', [1, 1, 6, 6])] });
  add('MaxPool Indices output', { op: 'MaxPool', opset: 12, attrs: { kernel_shape: { ints: [2, 2] } }, inputs: [f32('x', [1, 1, 4, 4])], outputs: 2, outTypes: ['float32', 'int64'] });
  add('MaxPool storage_order', { op: 'MaxPool', opset: 12, attrs: { kernel_shape: { ints: [2, 2] }, storage_order: { i: 1 } }, inputs: [f32('x', [1, 1, 4, 4])] });
  add('MaxPool pads > kernel/2', { op: 'MaxPool', opset: 12, attrs: { kernel_shape: { ints: [2, 2] }, pads: { ints: [2, 2, 2, 2] } }, inputs: [f32('x', [1, 1, 4, 4])] });
  add('MaxPool int8', { op: 'MaxPool', opset: 12, attrs: { kernel_shape: { ints: [2, 2] } }, inputs: [input('x', 'int8', [1, 1, 4, 4], ramp(16).map(Math.round))] });
  // Attributes the op gained later than the model's opset: onnxruntime refuses the model, as this engine must.
  add('MaxPool ceil_mode at opset 8', { op: 'MaxPool', opset: 8, attrs: { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] }, ceil_mode: { i: 1 } }, inputs: [f32('x', [1, 1, 5, 5])] });
  add('MaxPool dilations at opset 8', { op: 'MaxPool', opset: 8, attrs: { kernel_shape: { ints: [2, 2] }, dilations: { ints: [2, 2] } }, inputs: [f32('x', [1, 1, 6, 6])] });
  add('AveragePool ceil_mode at opset 7', { op: 'AveragePool', opset: 7, attrs: { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] }, ceil_mode: { i: 1 } }, inputs: [f32('x', [1, 1, 5, 5])] });
  add('AveragePool dilations at opset 12', { op: 'AveragePool', opset: 12, attrs: { kernel_shape: { ints: [2, 2] }, dilations: { ints: [2, 2] } }, inputs: [f32('x', [1, 1, 6, 6])] });
  add('GlobalAveragePool', { op: 'GlobalAveragePool', opset: 11, inputs: [f32('x', [2, 3, 4, 5])] });
  add('GlobalAveragePool 1-D', { op: 'GlobalAveragePool', opset: 11, inputs: [f32('x', [2, 3, 4])] });
  add('GlobalMaxPool', { op: 'GlobalMaxPool', opset: 11, inputs: [f32('x', [2, 3, 4, 5])] });
  add('GlobalMaxPool 3-D', { op: 'GlobalMaxPool', opset: 11, inputs: [f32('x', [1, 2, 2, 3, 2])] });
  return cases;
}

function gemmCases(): Cases {
  const cases: Cases = [];
  const add = (n: string, c: OracleCase): void => { cases.push([n, c]); };
  for (const tA of [0, 1]) for (const tB of [0, 1]) for (const cDims of [[], [1], [4], [3, 1], [1, 4], [3, 4], null] as (number[] | null)[]) for (const cInit of [true, false]) {
    if (cDims === null && !cInit) continue;
    add(`Gemm tA${tA} tB${tB} C${JSON.stringify(cDims)}${cInit ? '' : ' fed'}`, { op: 'Gemm', opset: 13, attrs: { transA: { i: tA }, transB: { i: tB }, alpha: { f: 0.5 }, beta: { f: 2 } }, inputs: [f32('a', tA ? [5, 3] : [3, 5]), f32('b', tB ? [4, 5] : [5, 4], undefined, true), ...(cDims ? [f32('c', cDims, undefined, cInit)] : [])] });
  }
  add('Gemm fed B', { op: 'Gemm', opset: 11, inputs: [f32('a', [2, 3]), f32('b', [3, 2])] });
  for (const [a, b] of [[[3], [3]], [[3], [3, 4]], [[2, 3], [3]], [[2, 5, 3], [3, 4]], [[3, 4], [2, 4, 5]], [[2, 1, 2, 3], [3, 3, 2]], [[1, 2, 3], [4, 3, 2]], [[4], [2, 4, 3]], [[2, 3, 4], [4]]]) {
    add(`MatMul ${JSON.stringify(a)}x${JSON.stringify(b)}`, { op: 'MatMul', opset: 13, inputs: [f32('a', a!), f32('b', b!)] });
    add(`MatMul ${JSON.stringify(a)}x${JSON.stringify(b)} constant B`, { op: 'MatMul', opset: 13, inputs: [f32('a', a!), f32('b', b!, undefined, true)] });
  }
  add('MatMul int32', { op: 'MatMul', opset: 13, inputs: [input('a', 'int32', [2, 3], [1, 2, 3, 4, 5, 6]), input('b', 'int32', [3, 2], [1, -2, 3, 4, 5, 6])] });
  return cases;
}

function shapeCases(): Cases {
  const cases: Cases = [];
  const add = (n: string, c: OracleCase): void => { cases.push([n, c]); };
  for (const [shape, az, dims] of [[[0, -1], 0, [2, 3, 4]], [[-1], 0, [2, 3, 4]], [[0, 0, -1], 0, [2, 3, 4]], [[4, 0, 2], 0, [2, 3, 4]], [[0, 4], 1, [0, 3]], [[0, 4], 0, [0, 3]], [[2, -1, 0], 0, [2, 3, 4]], [[3, 0], 1, [2, 3, 0]], [[-1, 0], 0, [0, 3]]] as [number[], number, number[]][]) {
    add(`Reshape [${shape}] allowzero ${az} from [${dims}]`, { op: 'Reshape', opset: 14, attrs: { allowzero: { i: az } }, inputs: [f32('x', dims), i64('s', [shape.length], shape)] });
  }
  add('Reshape fed shape', { op: 'Reshape', opset: 13, inputs: [f32('x', [2, 3]), i64('s', [2], [3, 2], false)] });
  add('Reshape opset 5', { op: 'Reshape', opset: 5, inputs: [f32('x', [2, 3]), i64('s', [2], [-1, 2])] });
  for (const axis of [0, 1, 2, 3, -1, -3, -4]) add(`Flatten axis ${axis}`, { op: 'Flatten', opset: 13, attrs: { axis: { i: axis } }, inputs: [f32('x', [2, 3, 2])] });
  add('Flatten negative axis at opset 9', { op: 'Flatten', opset: 9, attrs: { axis: { i: -1 } }, inputs: [f32('x', [2, 3, 2])] });
  add('Reshape allowzero at opset 13', { op: 'Reshape', opset: 13, attrs: { allowzero: { i: 1 } }, inputs: [f32('x', [2, 3]), i64('s', [2], [3, 2])] });
  for (const [start, end] of [[undefined, undefined], [1, undefined], [-2, undefined], [0, -1], [-10, 10], [2, 1]] as (number | undefined)[][]) {
    add(`Shape start ${start} end ${end}`, { op: 'Shape', opset: 15, attrs: { ...(start === undefined ? {} : { start: { i: start } }), ...(end === undefined ? {} : { end: { i: end } }) }, inputs: [f32('x', [2, 3, 4])], outTypes: ['int64'] });
  }
  add('Shape start at opset 13', { op: 'Shape', opset: 13, attrs: { start: { i: 1 } }, inputs: [f32('x', [2, 3, 4])], outTypes: ['int64'] });
  add('Size', { op: 'Size', opset: 13, inputs: [f32('x', [2, 3, 4])], outTypes: ['int64'] });
  add('Size of an empty tensor', { op: 'Size', opset: 13, inputs: [f32('x', [2, 0])], outTypes: ['int64'] });
  add('Flatten default', { op: 'Flatten', opset: 13, inputs: [f32('x', [2, 3, 2, 2])] });
  add('Flatten 1-D axis 1', { op: 'Flatten', opset: 13, attrs: { axis: { i: 1 } }, inputs: [f32('x', [4])] });
  for (const axis of [0, 1, 2, -1, -3]) add(`Concat axis ${axis}`, { op: 'Concat', opset: 13, attrs: { axis: { i: axis } }, inputs: [f32('a', [2, 3, 2]), f32('b', [2, 3, 2], ramp(12, 0.5)), f32('c', [2, 3, 2], undefined, true)] });
  add('Concat empty part', { op: 'Concat', opset: 13, attrs: { axis: { i: 1 } }, inputs: [f32('a', [2, 0]), f32('b', [2, 3])] });
  add('Concat int64', { op: 'Concat', opset: 13, attrs: { axis: { i: 0 } }, inputs: [i64('a', [2], [1, 2], false), i64('b', [1], [3], false)] });
  add('Concat one input', { op: 'Concat', opset: 13, attrs: { axis: { i: 0 } }, inputs: [f32('a', [2, 2])] });
  const slice = (n: string, dims: number[], starts: (number | bigint)[], ends: (number | bigint)[], axes?: number[], steps?: number[]): void =>
    add(`Slice ${n}`, { op: 'Slice', opset: 13, inputs: [f32('x', dims), i64('st', [starts.length], starts), i64('en', [ends.length], ends), axes ? i64('ax', [axes.length], axes) : '', ...(steps ? [i64('sp', [steps.length], steps)] : [])] });
  slice('basic', [4, 5], [1, 1], [3, 4]);
  slice('negative axis', [4, 5], [1], [-1], [-1]);
  slice('negative steps', [4, 5], [-1, 4], [I64MIN, 0], [0, 1], [-1, -2]);
  slice('reverse all', [6], [I64MAX], [I64MIN], [0], [-1]);
  slice('step -3 end below', [7], [5], [-10], [0], [-3]);
  slice('INT64_MAX end', [4, 5], [1], [I64MAX], [1]);
  slice('INT64_MIN start', [4, 5], [I64MIN], [2], [0]);
  slice('start past end of axis', [4, 5], [10], [20], [0]);
  slice('both below', [4, 5], [-10], [-8], [1]);
  slice('start > end', [4, 5], [3], [1], [0]);
  slice('step 2', [7, 3], [0], [7], [0], [2]);
  slice('step 3 end past', [7, 3], [1], [100], [0], [3]);
  slice('step -1 start past', [5], [100], [-100], [0], [-1]);
  slice('step -1 end -1', [5], [3], [-1], [0], [-1]);
  slice('3-D mixed', [3, 4, 5], [0, -1, 1], [2, -5, 5], [2, 1, 0], [2, -1, 1]);
  add('Slice opset 1 attributes', { op: 'Slice', opset: 1, attrs: { starts: { ints: [1, 0] }, ends: { ints: [3, 1000] }, axes: { ints: [0, 1] } }, inputs: [f32('x', [4, 5])] });
  add('Slice opset 9 no axes', { op: 'Slice', opset: 9, attrs: { starts: { ints: [1, -2] }, ends: { ints: [3, 1000] } }, inputs: [f32('x', [4, 5])] });
  add('Slice fed starts', { op: 'Slice', opset: 13, inputs: [f32('x', [4, 5]), i64('st', [1], [1], false), i64('en', [1], [3])] });
  add('Slice int32 starts/ends', { op: 'Slice', opset: 13, inputs: [f32('x', [4, 5]), input('st', 'int32', [1], [1], true), input('en', 'int32', [1], [3], true)] });
  add('Squeeze attribute (11)', { op: 'Squeeze', opset: 11, attrs: { axes: { ints: [0, -1] } }, inputs: [f32('x', [1, 3, 1])] });
  add('Squeeze all (11)', { op: 'Squeeze', opset: 11, inputs: [f32('x', [1, 3, 1, 2])] });
  add('Squeeze input (13)', { op: 'Squeeze', opset: 13, inputs: [f32('x', [1, 3, 1]), i64('a', [1], [-1])] });
  add('Squeeze all (13)', { op: 'Squeeze', opset: 13, inputs: [f32('x', [1, 3, 1])] });
  add('Squeeze attribute at 13', { op: 'Squeeze', opset: 13, attrs: { axes: { ints: [0] } }, inputs: [f32('x', [1, 3, 1])] });
  add('Squeeze a non-1 axis', { op: 'Squeeze', opset: 13, inputs: [f32('x', [1, 3, 1]), i64('a', [1], [1])] });
  add('Unsqueeze attribute (11)', { op: 'Unsqueeze', opset: 11, attrs: { axes: { ints: [0, -1] } }, inputs: [f32('x', [3, 2])] });
  add('Unsqueeze unsorted attribute (11)', { op: 'Unsqueeze', opset: 11, attrs: { axes: { ints: [3, 0] } }, inputs: [f32('x', [3, 2])] });
  add('Unsqueeze input (13)', { op: 'Unsqueeze', opset: 13, inputs: [f32('x', [3, 2]), i64('a', [2], [-1, 1])] });
  add('Unsqueeze scalar', { op: 'Unsqueeze', opset: 13, inputs: [f32('x', [], [2.5]), i64('a', [1], [0])] });
  add('Unsqueeze duplicate axes', { op: 'Unsqueeze', opset: 13, inputs: [f32('x', [3]), i64('a', [2], [0, 0])] });
  add('Unsqueeze attribute at 13', { op: 'Unsqueeze', opset: 13, attrs: { axes: { ints: [0] } }, inputs: [f32('x', [3])] });
  add('Transpose no perm', { op: 'Transpose', opset: 13, inputs: [f32('x', [2, 3, 4])] });
  add('Transpose perm', { op: 'Transpose', opset: 13, attrs: { perm: { ints: [1, 2, 0] } }, inputs: [f32('x', [2, 3, 4])] });
  add('Transpose NCHW→NHWC', { op: 'Transpose', opset: 13, attrs: { perm: { ints: [0, 2, 3, 1] } }, inputs: [f32('x', [2, 3, 2, 2])] });
  add('Transpose int64', { op: 'Transpose', opset: 13, inputs: [i64('x', [2, 3], [1, 2, 3, 4, 5, 6], false)] });
  add('Transpose repeated perm', { op: 'Transpose', opset: 13, attrs: { perm: { ints: [0, 0] } }, inputs: [f32('x', [2, 3])] });
  add('Transpose 1-D', { op: 'Transpose', opset: 13, inputs: [f32('x', [5])] });
  add('Gather scalar index', { op: 'Gather', opset: 13, inputs: [f32('x', [3, 2]), i64('i', [], [-1], false)] });
  for (const axis of [0, 1, -1]) for (const [idims, ivals] of [[[], [1]], [[], [-1]], [[2], [0, -2]], [[2, 2], [-1, 0, 1, -3]]] as [number[], number[]][]) {
    for (const init of [true, false]) add(`Gather axis ${axis} indices ${JSON.stringify(idims)} [${ivals}]${init ? '' : ' fed'}`, { op: 'Gather', opset: 13, attrs: { axis: { i: axis } }, inputs: [f32('x', [3, 3]), i64('i', idims, ivals, init)] });
  }
  add('Gather int32 indices', { op: 'Gather', opset: 13, inputs: [f32('x', [3, 2]), input('i', 'int32', [2], [-1, 0])] });
  add('Gather int64 data', { op: 'Gather', opset: 13, inputs: [i64('x', [4], [5, 6, 7, 8], false), i64('i', [], [-2])] });
  add('Gather out of range', { op: 'Gather', opset: 13, inputs: [f32('x', [3, 2]), i64('i', [1], [3])] });
  add('Gather 3-D axis 1', { op: 'Gather', opset: 11, attrs: { axis: { i: 1 } }, inputs: [f32('x', [2, 3, 2]), i64('i', [2], [2, 0])] });
  return cases;
}

function elementwiseCases(): Cases {
  const cases: Cases = [];
  const add = (n: string, c: OracleCase): void => { cases.push([n, c]); };
  for (const mode of ['constant', 'reflect', 'edge']) for (const pads of [[0, 1, 0, 2], [1, 2, 1, 0], [0, -1, 0, 1], [1, 0, -1, 0], [0, 3, 0, 3]]) {
    add(`Pad ${mode} [${pads}]`, { op: 'Pad', opset: 13, attrs: { mode: { s: mode } }, inputs: [f32('x', [3, 4]), i64('p', [4], pads), ...(mode === 'constant' ? [f32('v', [], [1.5], true)] : [])] });
  }
  add('Pad 4-D reflect', { op: 'Pad', opset: 13, attrs: { mode: { s: 'reflect' } }, inputs: [f32('x', [1, 2, 3, 3]), i64('p', [8], [0, 0, 1, 2, 0, 0, 2, 1])] });
  add('Pad opset 2 attributes', { op: 'Pad', opset: 2, attrs: { pads: { ints: [0, 1, 1, 0] }, value: { f: 2 } }, inputs: [f32('x', [2, 3])] });
  add('Pad no value', { op: 'Pad', opset: 11, inputs: [f32('x', [2, 3]), i64('p', [4], [1, 1, 1, 1])] });
  add('Pad axes input', { op: 'Pad', opset: 18, inputs: [f32('x', [2, 3, 4]), i64('p', [4], [1, 2, 0, 1]), '', i64('a', [2], [-1, 0])] });
  add('Pad axes input reflect', { op: 'Pad', opset: 18, attrs: { mode: { s: 'reflect' } }, inputs: [f32('x', [2, 3, 4]), i64('p', [2], [1, 2]), '', i64('a', [1], [1])] });
  add('Pad int64', { op: 'Pad', opset: 13, inputs: [i64('x', [3], [1, 2, 3], false), i64('p', [2], [1, 2]), i64('v', [], [7])] });
  add('Pad empty axis', { op: 'Pad', opset: 13, inputs: [f32('x', [0, 2]), i64('p', [4], [1, 0, 1, 0])] });
  // wrap (opset 19) with a negative pad wraps what the crop leaves, as onnxruntime does. Begin pads wider than the
  // axis are left out: onnxruntime leaves zeros there, where numpy's periodic wrap (and this engine) keep wrapping.
  for (const [dims, pads] of [[[3, 4], [1, 2, 0, 3]], [[3, 4], [-1, 2, 0, -1]], [[1, 4], [0, -1, 0, 2]], [[1, 4], [0, 2, 0, -1]], [[1, 4], [0, -2, 0, 5]], [[1, 3], [0, 3, 0, 7]], [[2, 3], [1, 0, -1, 0]], [[2, 3], [0, -3, 0, 1]]] as number[][][]) {
    add(`Pad wrap [${pads}] on [${dims}]`, { op: 'Pad', opset: 19, attrs: { mode: { s: 'wrap' } }, inputs: [f32('x', dims!), i64('p', [4], pads!)] });
  }
  add('Pad wrap at 13', { op: 'Pad', opset: 13, attrs: { mode: { s: 'wrap' } }, inputs: [f32('x', [3, 4]), i64('p', [4], [0, 1, 0, 2])] });
  const cx = f32('x', [8], [-3, -1, -0.5, 0, 0.5, 1, 3, NaN]);
  add('Clip opset 6 attributes', { op: 'Clip', opset: 6, attrs: { min: { f: -1 }, max: { f: 0.7 } }, inputs: [cx] });
  add('Clip opset 6 defaults', { op: 'Clip', opset: 6, inputs: [cx] });
  add('Clip inputs', { op: 'Clip', opset: 11, inputs: [cx, f32('mn', [], [-1], true), f32('mx', [], [0.7], true)] });
  add('Clip max only', { op: 'Clip', opset: 11, inputs: [cx, '', f32('mx', [], [0.7], true)] });
  add('Clip min only', { op: 'Clip', opset: 11, inputs: [cx, f32('mn', [], [0.2], true)] });
  add('Clip neither', { op: 'Clip', opset: 11, inputs: [cx] });
  add('Clip min > max', { op: 'Clip', opset: 13, inputs: [cx, f32('mn', [], [1], true), f32('mx', [], [-1], true)] });
  add('Clip int32', { op: 'Clip', opset: 13, inputs: [input('x', 'int32', [4], [-5, 0, 5, 10]), input('mn', 'int32', [], [-1], true), input('mx', 'int32', [], [6], true)] });
  add('Clip min of shape [1]', { op: 'Clip', opset: 13, inputs: [cx, f32('mn', [1], [0], true)] });
  add('Clip fed min', { op: 'Clip', opset: 13, inputs: [cx, f32('mn', [], [0])] });
  add('Clip NaN min', { op: 'Clip', opset: 13, inputs: [cx, f32('mn', [], [NaN], true)] });
  for (const s of [[1], [3], [3, 1, 1], [1, 4], [2, 3, 1, 4], [4]]) add(`PRelu slope [${s}]`, { op: 'PRelu', opset: 9, inputs: [f32('x', [2, 3, 1, 4]), f32('s', s, undefined, true)] });
  add('PRelu fed slope', { op: 'PRelu', opset: 9, inputs: [f32('x', [2, 3]), f32('s', [3])] });
  add('PRelu opset 7 slope [3,1,1]', { op: 'PRelu', opset: 7, inputs: [f32('x', [1, 3, 2, 2]), f32('s', [3, 1, 1], undefined, true)] });
  const ax = f32('x', [10], [-100, -3, -1, -0.25, 0, 0.25, 1, 3, 100, NaN]);
  for (const op of ['Relu', 'Sigmoid', 'Tanh', 'LeakyRelu', 'HardSigmoid', 'Elu', 'Exp', 'Log', 'Abs', 'Neg', 'Sqrt', 'Reciprocal', 'Floor', 'Ceil', 'Softplus', 'HardSwish']) {
    add(op, { op, opset: op === 'HardSwish' ? 14 : 13, inputs: [ax] });
  }
  add('Softplus of large inputs', { op: 'Softplus', opset: 13, inputs: [f32('x', [4], [80, 100, 1000, -1000])] });
  add('LeakyRelu alpha', { op: 'LeakyRelu', opset: 13, attrs: { alpha: { f: 0.3 } }, inputs: [ax] });
  add('HardSigmoid alpha beta', { op: 'HardSigmoid', opset: 13, attrs: { alpha: { f: 0.5 }, beta: { f: 0.1 } }, inputs: [ax] });
  add('Elu alpha', { op: 'Elu', opset: 13, attrs: { alpha: { f: 2 } }, inputs: [ax] });
  add('Relu opset 6', { op: 'Relu', opset: 6, inputs: [ax] });
  add('Floor of -0.5, -0, 1e30', { op: 'Floor', opset: 13, inputs: [f32('x', [4], [-0.5, -0, 0.5, 1e30])] });
  for (const op of ['Abs', 'Neg', 'Relu']) add(`${op} int32`, { op, opset: 14, inputs: [input('x', 'int32', [3], [-2147483648, -1, 5])] });
  add('Abs int64', { op: 'Abs', opset: 13, inputs: [i64('x', [3], [-5, 0, 7], false)] });
  add('Neg int8', { op: 'Neg', opset: 13, inputs: [input('x', 'int8', [3], [-128, -1, 5])] });
  add('Abs uint8', { op: 'Abs', opset: 13, inputs: [input('x', 'uint8', [3], [0, 200, 5])] });
  add('Sqrt float64', { op: 'Sqrt', opset: 13, inputs: [input('x', 'float64', [3], [-1, 2, 4])] });
  // int64 beyond 2^53 and float64 beyond 2^53: exact, and Clip's missing bounds are the type's own range.
  const big = [-9007199254740993n, 9007199254740993n, I64MAX, -I64MAX, 5n];
  add('Clip int64 no bounds', { op: 'Clip', opset: 13, inputs: [i64('x', [5], big, false)] });
  add('Clip int64 min', { op: 'Clip', opset: 13, inputs: [i64('x', [5], big, false), i64('mn', [], [0])] });
  add('Clip uint64 no bounds', { op: 'Clip', opset: 13, inputs: [input('x', 'uint64', [2], [18446744073709551615n, 3n])] });
  add('Clip float64 no bounds', { op: 'Clip', opset: 13, inputs: [input('x', 'float64', [4], [-1e20, 1e300, 3, -Infinity])] });
  add('Clip float64 min', { op: 'Clip', opset: 13, inputs: [input('x', 'float64', [3], [-1e20, 1e300, 3]), input('mn', 'float64', [], [0.1], true)] });
  add('Clip int32 no bounds', { op: 'Clip', opset: 13, inputs: [input('x', 'int32', [2], [-2147483648, 2147483647])] });
  add('Clip int8 no bounds', { op: 'Clip', opset: 13, inputs: [input('x', 'int8', [3], [-128, 0, 127])] });
  add('Clip uint8 min', { op: 'Clip', opset: 13, inputs: [input('x', 'uint8', [3], [0, 100, 255]), input('mn', 'uint8', [], [10], true)] });
  add('Clip int64 bounds beyond 2^53', { op: 'Clip', opset: 13, inputs: [i64('x', [5], big, false), i64('mn', [], [-9007199254740993n]), i64('mx', [], [9007199254740993n])] });
  add('Clip int64 min > max beyond 2^53', { op: 'Clip', opset: 13, inputs: [i64('x', [5], big, false), i64('mn', [], [9007199254740995n]), i64('mx', [], [9007199254740993n])] });
  add('Pad int64 fill beyond 2^53', { op: 'Pad', opset: 13, inputs: [i64('x', [2], [9007199254740993n, 1n], false), i64('p', [2], [1, 1]), i64('v', [], [9007199254740993n])] });
  add('Abs int64 beyond 2^53', { op: 'Abs', opset: 13, inputs: [i64('x', [5], big, false)] });
  add('Neg int64 beyond 2^53', { op: 'Neg', opset: 13, inputs: [i64('x', [5], big, false)] });
  add('Identity int64', { op: 'Identity', opset: 13, inputs: [i64('x', [2], [1, 2], false)] });
  add('Dropout', { op: 'Dropout', opset: 13, inputs: [f32('x', [4])] });
  add('Dropout mask', { op: 'Dropout', opset: 13, inputs: [f32('x', [4])], outputs: 2, outTypes: ['float32', 'bool'] });
  add('Dropout opset 7 ratio', { op: 'Dropout', opset: 7, attrs: { ratio: { f: 0.3 } }, inputs: [f32('x', [4])] });
  add('Dropout training', { op: 'Dropout', opset: 13, inputs: [f32('x', [4]), f32('r', [], [0.5], true), input('t', 'bool', [], [1], true)] });
  return cases;
}

function binaryCases(): Cases {
  const cases: Cases = [];
  const add = (n: string, c: OracleCase): void => { cases.push([n, c]); };
  const a8 = [7, -7, 7, -7, 0, 5, -1, 100];
  const b8 = [2, 2, -2, -2, 3, 0, 3, 7];
  const comparisons = ['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual'];
  for (const op of ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean', ...comparisons]) {
    const out = (t: DataType): DataType[] => [comparisons.includes(op) ? 'bool' : t];
    const types: DataType[] = ['float32', 'float64', 'int32', 'int64', 'int8', 'uint8'];
    for (const t of types) {
      // ONNX types Sum and Mean for floats only, Pow for int32/int64 and floats: onnxruntime refuses the rest.
      if ((op === 'Sum' || op === 'Mean') && !t.startsWith('float')) continue;
      if (op === 'Pow' && (t === 'int8' || t === 'uint8')) continue;
      const abs = (v: number): number => (t === 'uint8' ? Math.abs(v) : v);
      if (op === 'Div' && !t.startsWith('float')) {
        add(`Div ${t}`, { op, opset: 14, inputs: [input('a', t, [7], a8.slice(0, 7).map(abs)), input('b', t, [7], [2, 2, -2, -2, 3, 3, 3].map(abs))], outTypes: out(t) });
      } else if (op === 'Pow' && !t.startsWith('float')) {
        add(`Pow ${t}`, { op, opset: 15, inputs: [input('a', t, [6], [2, -3, 0, 1, 5, -2]), input('b', t, [6], [3, 3, 0, 5, 2, 2])], outTypes: out(t) });
      } else {
        add(`${op} ${t}`, { op, opset: 14, inputs: [input('a', t, [8], a8.map(abs)), input('b', t, [8], b8.map(abs))], outTypes: out(t) });
      }
    }
    add(`${op} broadcast`, { op, opset: 14, inputs: [f32('a', [2, 1, 3], [1, 2, 3, -1, -2, 0.5]), f32('b', [4, 1], [0.5, 2, -1, 3], true)], outTypes: out('float32') });
    add(`${op} NaN`, { op, opset: 14, inputs: [f32('a', [4], [NaN, 1, NaN, 0]), f32('b', [4], [1, NaN, NaN, -0])], outTypes: out('float32') });
  }
  add('Pow of ±1 and infinities', { op: 'Pow', opset: 15, inputs: [f32('a', [6], [1, 1, -1, -1, 1, -1]), f32('b', [6], [NaN, Infinity, Infinity, -Infinity, -Infinity, NaN])] });
  add('Pow negative base', { op: 'Pow', opset: 15, inputs: [f32('a', [4], [-2, -2, 0, -8]), f32('b', [4], [0.5, 3, -1, 1 / 3])] });
  add('Pow float32 ^ int64', { op: 'Pow', opset: 15, inputs: [f32('a', [3], [2, -3, 0.5]), i64('b', [3], [3, 2, -1], false)] });
  add('Pow int64 ^ float32', { op: 'Pow', opset: 15, inputs: [i64('a', [3], [2, -3, 5], false), f32('b', [3], [3, 2, 0.5])] });
  add('Pow int32 negative exponents', { op: 'Pow', opset: 15, inputs: [input('a', 'int32', [3], [2, 1, -1]), input('b', 'int32', [3], [-1, -2, -3])] });
  add('Div int32 truncates', { op: 'Div', opset: 14, inputs: [input('a', 'int32', [4], [-7, 7, -1, -2147483648]), input('b', 'int32', [4], [2, -2, 3, -1])] });
  add('Div int64 beyond 2^53', { op: 'Div', opset: 14, inputs: [i64('a', [3], [-7, 9007199254740993n, -1], false), i64('b', [3], [2, 1, 3], false)] });
  add('Mul int64 wraps', { op: 'Mul', opset: 14, inputs: [i64('a', [2], [4294967297, 3037000500], false), i64('b', [2], [4294967297, 3037000500], false)] });
  add('Add int32 wraps', { op: 'Add', opset: 14, inputs: [input('a', 'int32', [2], [2147483647, -2147483648]), input('b', 'int32', [2], [1, -1])] });
  add('Mul int32 wraps', { op: 'Mul', opset: 14, inputs: [input('a', 'int32', [2], [65536, 123456789]), input('b', 'int32', [2], [65536, 1000])] });
  add('Add int64 beyond 2^53', { op: 'Add', opset: 14, inputs: [i64('a', [2], [9007199254740993n, 1], false), i64('b', [2], [2, 3], false)] });
  add('Sum of 3', { op: 'Sum', opset: 13, inputs: [f32('a', [2, 3]), f32('b', [3]), f32('c', [2, 1])] });
  add('Max of 3', { op: 'Max', opset: 13, inputs: [f32('a', [2, 3]), f32('b', [3]), f32('c', [2, 1])] });
  add('Mean of 1', { op: 'Mean', opset: 13, inputs: [f32('a', [2, 3])] });
  add('Equal bool', { op: 'Equal', opset: 13, inputs: [input('a', 'bool', [4], [0, 1, 0, 1]), input('b', 'bool', [4], [0, 0, 1, 1])], outTypes: ['bool'] });
  return cases;
}

function reduceCases(): Cases {
  const cases: Cases = [];
  const add = (n: string, c: OracleCase): void => { cases.push([n, c]); };
  for (const op of ['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceSumSquare', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp']) {
    for (const opset of [13, 18]) {
      const asInput = op === 'ReduceSum' ? opset >= 13 : opset >= 18;
      for (const axes of [undefined, [1], [-1, 0], [0, 2], []] as (number[] | undefined)[]) for (const keepdims of [0, 1]) for (const noop of asInput ? [0, 1] : [0]) {
        if (!asInput && axes !== undefined && axes.length === 0) continue;
        const positive = op === 'ReduceLogSum' || op === 'ReduceProd';
        const x = f32('x', [2, 3, 4], ramp(24).map((v) => (positive ? Math.abs(v) / 10 + 0.5 : v)));
        add(`${op} ${opset} axes ${JSON.stringify(axes)} keepdims ${keepdims} noop ${noop}`, { op, opset, attrs: { keepdims: { i: keepdims }, ...(asInput ? { noop_with_empty_axes: { i: noop } } : axes ? { axes: { ints: axes } } : {}) }, inputs: [x, ...(asInput && axes ? [i64('a', [axes.length], axes)] : [])] });
      }
    }
  }
  // Beyond 2^53 (onnxruntime's ReduceSum itself rounds an int64 sum there, so Sum is checked on small values).
  add('ReduceMax int64 beyond 2^53', { op: 'ReduceMax', opset: 13, attrs: { keepdims: { i: 0 } }, inputs: [i64('x', [2], [9007199254740993n, 9007199254740992n], false)] });
  add('ReduceMin int64 beyond 2^53', { op: 'ReduceMin', opset: 13, attrs: { keepdims: { i: 0 } }, inputs: [i64('x', [3], [-9007199254740993n, -9007199254740992n, 5n], false)] });
  add('ReduceL1 int64', { op: 'ReduceL1', opset: 13, inputs: [i64('x', [2, 2], [-3, 4, 5, -6], false)] });
  add('ReduceProd int64', { op: 'ReduceProd', opset: 13, attrs: { axes: { ints: [0] } }, inputs: [i64('x', [2, 2], [-3, 4, 5, -6], false)] });
  add('ReduceSumSquare int32', { op: 'ReduceSumSquare', opset: 13, inputs: [input('x', 'int32', [2], [-3, 4])] });
  add('ReduceSum int64', { op: 'ReduceSum', opset: 13, inputs: [i64('x', [2, 3], [1, 2, 3, 4, 5, 6], false), i64('a', [1], [1])] });
  add('ReduceMax int32', { op: 'ReduceMax', opset: 13, attrs: { axes: { ints: [0] } }, inputs: [input('x', 'int32', [2, 2], [1, -5, 3, 2])] });
  add('ReduceMean int32', { op: 'ReduceMean', opset: 13, attrs: { axes: { ints: [0] } }, inputs: [input('x', 'int32', [2, 2], [1, -5, 4, 2])] });
  add('ReduceSum over an empty axis', { op: 'ReduceSum', opset: 13, inputs: [f32('x', [2, 0]), i64('a', [1], [1])] });
  add('ReduceMax over an empty axis', { op: 'ReduceMax', opset: 13, attrs: { axes: { ints: [1] } }, inputs: [f32('x', [2, 0])] });
  add('ReduceMean of a scalar', { op: 'ReduceMean', opset: 13, inputs: [f32('x', [], [3])] });
  return cases;
}

function castCases(): Cases {
  const cases: Cases = [];
  const add = (n: string, c: OracleCase): void => { cases.push([n, c]); };
  // Float to integer is compared inside each target's range only: ONNX leaves NaN, ±Inf and out-of-range values
  // undefined, and onnxruntime gives whatever the host's conversion instruction does.
  const floats = [0, -0, 0.4, 0.5, 1.5, 2.5, -0.5, -1.5, -2.7, 127, -128, 126.9, -127.9];
  const wide = [255, 256, -129, 300, 65535, 32767.5, -32768, 1e9, -2e9];
  const specials = [Infinity, -Infinity, NaN, 1e-40, 3e38, 1e20, 16777217, 0.1];
  const inRange: Record<string, (v: number) => boolean> = {
    int8: (v) => v > -129 && v < 128, uint8: (v) => v > -1 && v < 256, int16: (v) => v > -32769 && v < 32768, uint16: (v) => v > -1 && v < 65536,
    int32: (v) => v > -2147483649 && v < 2147483648, uint32: (v) => v > -1 && v < 4294967296, int64: (v) => Math.abs(v) < 9e18, uint64: (v) => v > -1 && v < 1.8e19,
  };
  for (const to of ['float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool', 'float16']) {
    const values = [...floats, ...wide, ...specials].filter((v) => inRange[to]?.(v) ?? true);
    add(`Cast float32 → ${to}`, { op: 'Cast', opset: 13, attrs: { to: { i: CODE[to]! } }, inputs: [f32('x', [values.length], values)], outTypes: [to as DataType] });
  }
  const ints = [0, 1, -1, 127, 128, 255, 256, -129, 65536, 2147483647, -2147483648];
  const arrays = { int32: Int32Array, int8: Int8Array, uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array, uint32: Uint32Array };
  for (const from of Object.keys(arrays) as (keyof typeof arrays)[]) for (const to of ['float32', 'int8', 'uint8', 'int32', 'int64', 'bool', 'uint16', 'float16']) {
    const values = ints.map((v) => Number(arrays[from].of(v)[0]));
    add(`Cast ${from} → ${to}`, { op: 'Cast', opset: 13, attrs: { to: { i: CODE[to]! } }, inputs: [input('x', from, [values.length], values)], outTypes: [to as DataType] });
  }
  const bigs = [0n, 1n, -1n, 2147483648n, 4294967297n, 9007199254740993n, -9007199254740993n, I64MAX, I64MIN, 16777217n, 65537n];
  for (const to of ['float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool']) {
    add(`Cast int64 → ${to}`, { op: 'Cast', opset: 13, attrs: { to: { i: CODE[to]! } }, inputs: [i64('x', [bigs.length], bigs, false)], outTypes: [to as DataType] });
  }
  add('Cast float64 → float32', { op: 'Cast', opset: 13, attrs: { to: { i: 1 } }, inputs: [input('x', 'float64', [3], [1e300, 0.1, 16777217])], outTypes: ['float32'] });
  add('Cast bool → float32', { op: 'Cast', opset: 13, attrs: { to: { i: 1 } }, inputs: [input('x', 'bool', [2], [0, 1])], outTypes: ['float32'] });
  // CastLike (opset 15): Cast to the element type of input 1, whose values are never read.
  for (const [from, like] of [['float32', 'int32'], ['float32', 'int64'], ['float32', 'uint8'], ['float32', 'float16'], ['int64', 'float32'], ['int32', 'bool'], ['float32', 'float32']] as [DataType, DataType][]) {
    const values = from === 'float32' ? [0, -0.5, 1.5, 2.7, -2.7, 100, 200.2] : [0, 1, -1, 7, 65537, -3, 255];
    const x = from === 'int64' ? i64('x', [7], values, false) : input('x', from, [7], values);
    add(`CastLike ${from} like ${like}`, { op: 'CastLike', opset: 15, inputs: [x, input('t', like, [1], [0])], outTypes: [like] });
    add(`CastLike ${from} like a constant ${like}`, { op: 'CastLike', opset: 19, inputs: [x, input('t', like, [0], [], true)], outTypes: [like] });
  }
  add('CastLike at opset 13', { op: 'CastLike', opset: 13, inputs: [f32('x', [2]), input('t', 'int32', [1], [0])], outTypes: ['int32'] });
  add('Cast opset 6', { op: 'Cast', opset: 6, attrs: { to: { i: 7 } }, inputs: [f32('x', [2], [1.7, -1.7])], outTypes: ['int64'] });
  return cases;
}

function normalizationCases(): Cases {
  const cases: Cases = [];
  const add = (n: string, c: OracleCase): void => { cases.push([n, c]); };
  const stats = (init: boolean): OracleInput[] => [f32('s', [3], [1, 2, -1], init), f32('b', [3], [0, 1, 2], init), f32('m', [3], [0.5, -1, 0], init), f32('v', [3], [1, 0, 4], init)];
  for (const eps of [1e-5, 0.5]) {
    add(`BatchNormalization epsilon ${eps}`, { op: 'BatchNormalization', opset: 15, attrs: { epsilon: { f: eps } }, inputs: [f32('x', [2, 3, 2, 2]), ...stats(true)] });
    add(`BatchNormalization epsilon ${eps} fed`, { op: 'BatchNormalization', opset: 15, attrs: { epsilon: { f: eps } }, inputs: [f32('x', [2, 3, 2, 2]), ...stats(false)] });
    add(`InstanceNormalization epsilon ${eps}`, { op: 'InstanceNormalization', opset: 6, attrs: { epsilon: { f: eps } }, inputs: [f32('x', [2, 3, 2, 3]), f32('s', [3], [1, 2, -1], true), f32('b', [3], [0, 1, 2], true)] });
  }
  add('BatchNormalization 2-D', { op: 'BatchNormalization', opset: 15, inputs: [f32('x', [4, 3]), ...stats(true)] });
  add('BatchNormalization 3-D opset 9', { op: 'BatchNormalization', opset: 9, inputs: [f32('x', [1, 3, 4]), ...stats(true)] });
  add('BatchNormalization training', { op: 'BatchNormalization', opset: 15, attrs: { training_mode: { i: 1 } }, inputs: [f32('x', [2, 3]), ...stats(true)] });
  add('InstanceNormalization 1-D', { op: 'InstanceNormalization', opset: 6, inputs: [f32('x', [2, 3, 5]), f32('s', [3], [1, 2, -1], true), f32('b', [3], [0, 1, 2], true)] });
  add('InstanceNormalization constant plane', { op: 'InstanceNormalization', opset: 6, inputs: [f32('x', [1, 1, 4], [2, 2, 2, 2]), f32('s', [1], [1], true), f32('b', [1], [0.5], true)] });
  add('InstanceNormalization fed scale', { op: 'InstanceNormalization', opset: 6, inputs: [f32('x', [1, 2, 4]), f32('s', [2], [1, 2]), f32('b', [2], [0.5, 1])] });
  return cases;
}

function resizeCases(): Cases {
  const cases: Cases = [];
  const add = (n: string, c: OracleCase): void => { cases.push([n, c]); };
  const shapes: { h: number; w: number; scales?: [number, number]; sizes?: [number, number] }[] = [
    { h: 3, w: 4, scales: [2, 2] }, { h: 4, w: 5, scales: [0.5, 0.6] }, { h: 3, w: 3, scales: [1.75, 2.5] }, { h: 5, w: 4, sizes: [1, 3] },
    { h: 2, w: 7, sizes: [5, 3] }, { h: 4, w: 4, scales: [1, 3] }, { h: 1, w: 4, sizes: [1, 9] }, { h: 5, w: 3, scales: [0.7, 1.4] },
  ];
  for (const opset of [11, 13, 18]) for (const cm of ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric']) for (const { h, w, scales, sizes } of shapes) {
    add(`linear ${opset} ${cm} ${h}x${w} ${scales ? `scales ${scales}` : `sizes ${sizes}`}`, {
      op: 'Resize', opset, attrs: { mode: { s: 'linear' }, coordinate_transformation_mode: { s: cm } },
      inputs: [f32('x', [1, 2, h, w]), f32('roi', [0], [], true), f32('sc', scales ? [4] : [0], scales ? [1, 1, ...scales] : [], true), ...(sizes ? [i64('sz', [4], [1, 2, ...sizes])] : [])],
    });
  }
  add('linear 3-D', { op: 'Resize', opset: 13, attrs: { mode: { s: 'linear' } }, inputs: [f32('x', [2, 3, 4]), f32('roi', [0], [], true), f32('sc', [3], [1, 1, 2], true)] });
  add('linear 1-D', { op: 'Resize', opset: 13, attrs: { mode: { s: 'linear' } }, inputs: [f32('x', [5]), '', f32('sc', [1], [1.5], true)] });
  add('linear exclude_outside', { op: 'Resize', opset: 13, attrs: { mode: { s: 'linear' }, exclude_outside: { i: 1 } }, inputs: [f32('x', [1, 1, 3, 3]), '', f32('sc', [4], [1, 1, 2, 2], true)] });
  add('linear cubic_coeff_a', { op: 'Resize', opset: 13, attrs: { mode: { s: 'linear' }, cubic_coeff_a: { f: -0.5 } }, inputs: [f32('x', [1, 1, 3, 3]), '', f32('sc', [4], [1, 1, 2, 2], true)] });
  add('cubic', { op: 'Resize', opset: 13, attrs: { mode: { s: 'cubic' } }, inputs: [f32('x', [1, 1, 3, 3]), '', f32('sc', [4], [1, 1, 2, 2], true)] });
  add('tf_crop_and_resize', { op: 'Resize', opset: 13, attrs: { mode: { s: 'linear' }, coordinate_transformation_mode: { s: 'tf_crop_and_resize' }, extrapolation_value: { f: -7 } }, inputs: [f32('x', [1, 1, 3, 3]), f32('roi', [8], [0, 0, 0.1, 0.2, 1, 1, 0.9, 1.1], true), f32('sc', [4], [1, 1, 2, 2], true)] });
  add('linear antialias', { op: 'Resize', opset: 18, attrs: { mode: { s: 'linear' }, antialias: { i: 1 } }, inputs: [f32('x', [1, 1, 6, 6]), '', f32('sc', [4], [1, 1, 0.5, 0.5], true)] });
  add('axes attribute', { op: 'Resize', opset: 18, attrs: { mode: { s: 'linear' }, axes: { ints: [2, 3] } }, inputs: [f32('x', [1, 1, 3, 3]), '', f32('sc', [2], [2, 2], true)] });
  add('keep_aspect_ratio_policy', { op: 'Resize', opset: 18, attrs: { mode: { s: 'nearest' }, keep_aspect_ratio_policy: { s: 'not_larger' } }, inputs: [f32('x', [1, 1, 3, 4]), '', '', i64('sz', [4], [1, 1, 6, 6])] });
  add('Upsample 9 linear', { op: 'Upsample', opset: 9, attrs: { mode: { s: 'linear' } }, inputs: [f32('x', [1, 1, 3, 3]), f32('sc', [4], [1, 1, 2, 1.5], true)] });
  add('Upsample 7 nearest', { op: 'Upsample', opset: 7, attrs: { mode: { s: 'nearest' }, scales: { floats: [1, 1, 2, 3] } }, inputs: [f32('x', [1, 1, 3, 3])] });
  add('Resize 10 linear', { op: 'Resize', opset: 10, attrs: { mode: { s: 'linear' } }, inputs: [f32('x', [1, 1, 3, 3]), f32('sc', [4], [1, 1, 2, 1.5], true)] });
  add('Resize 10 nearest', { op: 'Resize', opset: 10, attrs: { mode: { s: 'nearest' } }, inputs: [f32('x', [1, 1, 3, 3]), f32('sc', [4], [1, 1, 0.6, 1.5], true)] });
  return cases;
}

/** Shapes large enough for the CPU fast paths (SIMD Winograd, 3×3, depthwise and pointwise convs, tiled GEMM, pools). */
function fastPathCases(): Cases {
  const cases: Cases = [];
  const add = (n: string, c: OracleCase): void => { cases.push([n, c]); };
  const conv = (n: string, x: number[], w: number[], attrs: OracleCase['attrs'], bias = true): void =>
    add(n, { op: 'Conv', opset: 11, attrs, inputs: [f32('x', x), f32('w', w, ramp(w.reduce((a, b) => a * b, 1), 0.02), true), ...(bias ? [f32('b', [w[0]!], undefined, true)] : [])] });
  for (const [pads, tag] of [[[1, 1, 1, 1], 'pads 1'], [[0, 1, 2, 0], 'asymmetric pads'], [[0, 0, 0, 0], 'no pads']] as [number[], string][]) {
    conv(`Winograd 3x3 ${tag}`, [2, 5, 9, 11], [6, 5, 3, 3], { pads: { ints: pads } });
    conv(`3x3 stride 2 ${tag}`, [1, 4, 11, 10], [5, 4, 3, 3], { pads: { ints: pads }, strides: { ints: [2, 2] } });
    conv(`depthwise 3x3 ${tag}`, [2, 6, 9, 8], [6, 1, 3, 3], { pads: { ints: pads }, group: { i: 6 } });
    conv(`depthwise 3x3 stride 2 ${tag}`, [1, 5, 10, 9], [5, 1, 3, 3], { pads: { ints: pads }, group: { i: 5 }, strides: { ints: [2, 2] } });
  }
  for (const ap of ['SAME_UPPER', 'SAME_LOWER']) {
    conv(`Winograd 3x3 ${ap}`, [1, 4, 8, 7], [4, 4, 3, 3], { auto_pad: { s: ap } }, false);
    conv(`3x3 stride 2 ${ap}`, [1, 3, 10, 9], [4, 3, 3, 3], { auto_pad: { s: ap }, strides: { ints: [2, 2] } });
    conv(`depthwise stride 2 ${ap}`, [1, 4, 10, 9], [4, 1, 3, 3], { auto_pad: { s: ap }, group: { i: 4 }, strides: { ints: [2, 2] } });
  }
  conv('pointwise 16→24 on 20×20', [1, 16, 20, 20], [24, 16, 1, 1], {});
  conv('pointwise 7→5 on 30×30, batch 2', [2, 7, 30, 30], [5, 7, 1, 1], {}, false);
  add('MaxPool 3x3 s2 p1 on 17×18', { op: 'MaxPool', opset: 12, attrs: { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] } }, inputs: [f32('x', [1, 3, 17, 18])] });
  add('MaxPool 2x2 s2 ceil on 17×17', { op: 'MaxPool', opset: 12, attrs: { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] }, ceil_mode: { i: 1 } }, inputs: [f32('x', [2, 2, 17, 17])] });
  add('MaxPool 3x3 s1 asymmetric pads', { op: 'MaxPool', opset: 12, attrs: { kernel_shape: { ints: [3, 3] }, pads: { ints: [0, 2, 1, 0] } }, inputs: [f32('x', [1, 2, 12, 13])] });
  add('GlobalAveragePool 40×40', { op: 'GlobalAveragePool', opset: 11, inputs: [f32('x', [1, 5, 40, 40])] });
  add('Gemm 33×70 · (45×70)ᵀ + C[45]', { op: 'Gemm', opset: 13, attrs: { transB: { i: 1 } }, inputs: [f32('a', [33, 70]), f32('b', [45, 70], ramp(3150, 0.02), true), f32('c', [45], undefined, true)] });
  add('Gemm 40×64 · 64×72, alpha, C[40,1]', { op: 'Gemm', opset: 13, attrs: { alpha: { f: 0.25 }, beta: { f: -1 } }, inputs: [f32('a', [40, 64]), f32('b', [64, 72], ramp(4608, 0.02), true), f32('c', [40, 1], undefined, true)] });
  add('MatMul 3×17×33 · 33×29', { op: 'MatMul', opset: 13, inputs: [f32('a', [3, 17, 33]), f32('b', [33, 29], ramp(957, 0.02), true)] });
  add('MatMul 2×1×9×40 · 3×40×12 fed', { op: 'MatMul', opset: 13, inputs: [f32('a', [2, 1, 9, 40]), f32('b', [3, 40, 12])] });
  return cases;
}

/** The data-movement and comparison ops over every element type onnxruntime's CPU provider has them for. */
function typeCases(): Cases {
  const cases: Cases = [];
  const add = (n: string, c: OracleCase): void => { cases.push([n, c]); };
  for (const t of ['bool', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float64'] as DataType[]) {
    const values = t === 'bool' ? [1, 0, 1, 1, 0, 0] : [1, 2, 3, 4, 5, 6];
    const x = input('x', t, [2, 3], values);
    const y = input('x2', t, [2, 3], [...values].reverse());
    add(`Transpose ${t}`, { op: 'Transpose', opset: 13, inputs: [x] });
    add(`Reshape ${t}`, { op: 'Reshape', opset: 13, inputs: [x, i64('s', [1], [-1])] });
    add(`Flatten ${t}`, { op: 'Flatten', opset: 13, inputs: [x] });
    add(`Unsqueeze ${t}`, { op: 'Unsqueeze', opset: 13, inputs: [x, i64('a', [1], [0])] });
    add(`Concat ${t}`, { op: 'Concat', opset: 13, attrs: { axis: { i: 1 } }, inputs: [x, y] });
    add(`Slice ${t}`, { op: 'Slice', opset: 13, inputs: [x, i64('st', [1], [2]), i64('en', [1], [-100]), i64('ax', [1], [1]), i64('sp', [1], [-1])] });
    add(`Gather ${t}`, { op: 'Gather', opset: 13, attrs: { axis: { i: 1 } }, inputs: [x, i64('i', [2], [-1, 0])] });
    add(`Identity ${t}`, { op: 'Identity', opset: 13, inputs: [x] });
    add(`Cast ${t} → float32`, { op: 'Cast', opset: 13, attrs: { to: { i: 1 } }, inputs: [x], outTypes: ['float32'] });
    add(`Equal ${t}`, { op: 'Equal', opset: 13, inputs: [x, y], outTypes: ['bool'] });
    if (t === 'bool') continue;
    add(`Less ${t}`, { op: 'Less', opset: 13, inputs: [x, y], outTypes: ['bool'] });
    if (t === 'int16' || t === 'uint16') continue;
    add(`Pad ${t}`, { op: 'Pad', opset: 13, inputs: [x, i64('p', [4], [0, 1, 1, 0])] });
    add(`Pad edge ${t}`, { op: 'Pad', opset: 13, attrs: { mode: { s: 'edge' } }, inputs: [x, i64('p', [4], [0, 1, 1, 0])] });
    add(`Max ${t}`, { op: 'Max', opset: 13, inputs: [x, y] });
    if (t !== 'uint32' && t !== 'uint64') add(`ReduceMax ${t}`, { op: 'ReduceMax', opset: 13, attrs: { axes: { ints: [1] } }, inputs: [x] });
  }
  return cases;
}

describe('ops against onnxruntime (CPU backend)', () => {
  it('Conv: auto_pad, pads, strides, dilations, groups, kernel shapes', async () => {
    await sweep(convCases(), ['3-D']);
  });
  it('MaxPool / AveragePool / global pools', async () => {
    await sweep(poolCases(), ['MaxPool Indices output', 'MaxPool storage_order', 'MaxPool int8', 'GlobalMaxPool 3-D'],
      // onnxruntime requires pads < kernel; the padding cells only ever lose to real ones.
      ['MaxPool pads > kernel/2']);
  });
  it('Gemm and MatMul', async () => {
    await sweep(gemmCases(), ['MatMul int32']);
  });
  it('Reshape, Flatten, Concat, Slice, Squeeze, Unsqueeze, Transpose, Gather', async () => {
    await sweep(shapeCases(), ['Reshape fed shape', 'Slice fed starts']);
  });
  it('Pad, Clip, PRelu, activations, Identity, Dropout', async () => {
    await sweep(elementwiseCases(), ['Pad wrap at 13', 'Clip fed min', 'Dropout training']);
  });
  it('arithmetic and comparison ops over float and integer types', async () => {
    // Mean float64: onnxruntime's CPU provider has no double Mean kernel.
    await sweep(binaryCases(), [], ['Mean float64']);
  });
  it('Reduce* over axes attribute and input, keepdims, noop_with_empty_axes', async () => {
    await sweep(reduceCases(), ['ReduceMean int32']);
  });
  it('Cast between every supported type', async () => {
    await sweep(castCases());
  });
  it('BatchNormalization and InstanceNormalization', async () => {
    await sweep(normalizationCases());
  });
  it('data movement and comparisons over every element type', async () => {
    await sweep(typeCases());
  });
  it('the CPU fast paths (SIMD convs, tiled GEMM, pools) on larger shapes', async () => {
    await sweep(fastPathCases());
  });
  it('Resize linear under every coordinate mode; unsupported modes refused at load', async () => {
    await sweep(resizeCases(), ['cubic', 'tf_crop_and_resize', 'linear antialias', 'axes attribute', 'keep_aspect_ratio_policy'],
      // onnxruntime refuses a 1-D linear Resize and exclude_outside outside cubic; neither changes a linear result.
      ['linear 1-D', 'linear exclude_outside']);
  });
});
