/**
 * The written-out instance normalisation of INSwapper's residual units (ReduceMean, Sub, Mul, ReduceMean, Add ε,
 * Sqrt, Div, Mul, then γ·x + β from a Gemm on a second input, and a Relu) becomes one InstanceNormalization step,
 * and the fused graph still matches onnxruntime-node on the unfused model. Where an intermediate value is read
 * outside the pattern, nothing is fused.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { InferenceSession, Tensor } from '../../src/index.js';
import { parseModel } from '../../src/parser/decode-model.js';
import { specializeGraph } from '../../src/graph/specialize.js';
import { optimizeGraph } from '../../src/graph/optimize.js';
import type { InstanceNormParams } from '../../src/ops/instance-norm/cpu.js';
import { DT, buildModel, node, onnx, tensor, valueInfo } from '../parser/onnx-builder.js';
import { PARITY_BOUND, seededUniform } from '../parity/parity.js';

const [N, C, H, W] = [2, 4, 5, 6];
const LATENT = 8;
const ints1 = (name: string, v: number) => tensor(name, 'int64', [1], [v]);

/** The pattern as make_inswapper.py writes it (opset 11), with γ/β per sample; `leak` also outputs the centred value. */
function model(options: { relu: boolean; leak?: boolean }): Uint8Array {
  const outputs = [valueInfo('out', DT.FLOAT, [N, C, H, W])];
  if (options.leak) outputs.push(valueInfo('centred', DT.FLOAT, [N, C, H, W]));
  return buildModel({
    opsets: { '': 11 },
    inputs: [valueInfo('y', DT.FLOAT, [N, C, H, W]), valueInfo('source', DT.FLOAT, [N, LATENT])],
    outputs,
    initializers: [
      tensor('fcW', 'float32', [2 * C, LATENT], [...seededUniform(2 * C * LATENT, 3, -0.5, 0.5)]),
      tensor('fcB', 'float32', [2 * C], [...new Array<number>(C).fill(1), ...new Array<number>(C).fill(0)]),
      tensor('s0', 'int64', [1], [0]), tensor('sC', 'int64', [1], [C]), tensor('s2C', 'int64', [1], [2 * C]), tensor('ax1', 'int64', [1], [1]),
      tensor('eps', 'float32', [], [1e-8]), tensor('one', 'float32', [], [1]),
    ],
    nodes: [
      node('Gemm', ['source', 'fcW', 'fcB'], ['s'], { transB: { i: 1 } }),
      node('Unsqueeze', ['s'], ['s2'], { axes: { ints: [2] } }),
      node('Unsqueeze', ['s2'], ['s3'], { axes: { ints: [3] } }),
      node('Slice', ['s3', 's0', 'sC', 'ax1'], ['gamma']),
      node('Slice', ['s3', 'sC', 's2C', 'ax1'], ['beta']),
      node('ReduceMean', ['y'], ['mean'], { axes: { ints: [2, 3] }, keepdims: { i: 1 } }),
      node('Sub', ['y', 'mean'], ['centred']),
      node('Mul', ['centred', 'centred'], ['sq']),
      node('ReduceMean', ['sq'], ['var'], { axes: { ints: [2, 3] }, keepdims: { i: 1 } }),
      node('Add', ['var', 'eps'], ['varEps']),
      node('Sqrt', ['varEps'], ['sd']),
      node('Div', ['one', 'sd'], ['inv']),
      node('Mul', ['centred', 'inv'], ['normed']),
      node('Mul', ['gamma', 'normed'], ['scaled']),
      node('Add', ['scaled', 'beta'], options.relu ? ['shifted'] : ['out']),
      ...(options.relu ? [node('Relu', ['shifted'], ['out'])] : []),
    ],
  });
}

/**
 * `units` instance norms in a row on a batch of one, each with γ/β from its own Gemm on `source` (INSwapper's
 * residual stack in miniature): the Gemms merge into one and every norm reads its columns of it.
 */
function stack(units: number): Uint8Array {
  const nodes = [];
  const initializers = [ints1('s0', 0), ints1('sC', C), ints1('s2C', 2 * C), ints1('ax1', 1), tensor('eps', 'float32', [], [1e-8]), tensor('one', 'float32', [], [1])];
  let x = 'y';
  for (let u = 0; u < units; u++) {
    const p = (name: string): string => `${name}_${u}`;
    initializers.push(tensor(p('fcW'), 'float32', [2 * C, LATENT], [...seededUniform(2 * C * LATENT, 20 + u, -0.5, 0.5)]));
    initializers.push(tensor(p('fcB'), 'float32', [2 * C], [...seededUniform(2 * C, 40 + u, 0.5, 1.5)]));
    nodes.push(
      node('Gemm', ['source', p('fcW'), p('fcB')], [p('s')], { transB: { i: 1 } }),
      node('Unsqueeze', [p('s')], [p('s2')], { axes: { ints: [2] } }),
      node('Unsqueeze', [p('s2')], [p('s3')], { axes: { ints: [3] } }),
      node('Slice', [p('s3'), 's0', 'sC', 'ax1'], [p('gamma')]),
      node('Slice', [p('s3'), 'sC', 's2C', 'ax1'], [p('beta')]),
      node('ReduceMean', [x], [p('mean')], { axes: { ints: [2, 3] }, keepdims: { i: 1 } }),
      node('Sub', [x, p('mean')], [p('centred')]),
      node('Mul', [p('centred'), p('centred')], [p('sq')]),
      node('ReduceMean', [p('sq')], [p('var')], { axes: { ints: [2, 3] }, keepdims: { i: 1 } }),
      node('Add', [p('var'), 'eps'], [p('varEps')]),
      node('Sqrt', [p('varEps')], [p('sd')]),
      node('Div', ['one', p('sd')], [p('inv')]),
      node('Mul', [p('centred'), p('inv')], [p('normed')]),
      node('Mul', [p('gamma'), p('normed')], [p('scaled')]),
      node('Add', [p('scaled'), p('beta')], [u === units - 1 ? 'out' : p('shifted')]),
    );
    if (u < units - 1) nodes.push(node('Relu', [p('shifted')], [p('act')]));
    x = p('act');
  }
  return buildModel({
    opsets: { '': 11 },
    inputs: [valueInfo('y', DT.FLOAT, [1, C, H, W]), valueInfo('source', DT.FLOAT, [1, LATENT])],
    outputs: [valueInfo('out', DT.FLOAT, [1, C, H, W])],
    initializers,
    nodes,
  });
}

const feeds = { y: seededUniform(N * C * H * W, 11, -2, 3), source: seededUniform(N * LATENT, 12, -1, 1) };

function fusedSteps(bytes: Uint8Array, n = N): { opTypes: string[]; params: InstanceNormParams[] } {
  const m = parseModel(bytes);
  const g = optimizeGraph(specializeGraph(m, new Map([['y', { type: 'float32', dims: [n, C, H, W] }], ['source', { type: 'float32', dims: [n, LATENT] }]])));
  return {
    opTypes: g.steps.map((s) => s.node.opType),
    params: g.steps.filter((s) => s.node.opType === 'InstanceNormalization').map((s) => s.params as InstanceNormParams),
  };
}

/** The largest relative error of the outputs named, ours against onnxruntime-node's. */
async function relativeErrorAgainstOrt(bytes: Uint8Array, n = N, outputs: readonly string[] = ['out']): Promise<number> {
  const y = feeds.y.subarray(0, n * C * H * W);
  const source = feeds.source.subarray(0, n * LATENT);
  const ours = await InferenceSession.create(bytes, { backend: 'cpu' });
  const gotAll = await ours.run({ y: new Tensor('float32', y, [n, C, H, W]), source: new Tensor('float32', source, [n, LATENT]) });
  const ref = await ort.InferenceSession.create(bytes);
  const wantAll = await ref.run({ y: new ort.Tensor('float32', y, [n, C, H, W]), source: new ort.Tensor('float32', source, [n, LATENT]) });
  return Math.max(...outputs.map((o) => {
    const got = gotAll[o]!.data as Float32Array;
    const want = wantAll[o]!.data as Float32Array;
    let diff = 0;
    let scale = 0;
    want.forEach((v, i) => { diff = Math.max(diff, Math.abs(got[i]! - v)); scale = Math.max(scale, Math.abs(v)); });
    return diff / scale;
  }));
}

describe('written-out instance normalisation', () => {
  for (const relu of [true, false]) {
    it(`fuses into one step with per-sample γ/β${relu ? ' and the Relu' : ''}, within 1e-4 of onnxruntime`, async () => {
      const bytes = model({ relu });
      const { opTypes, params } = fusedSteps(bytes);
      assert.deepEqual(opTypes.filter((t) => ['ReduceMean', 'Sub', 'Sqrt', 'Div', 'Mul', 'Relu'].includes(t)), []);
      assert.equal(params.length, 1);
      assert.deepEqual({ ...params[0]!, epsilon: Math.fround(params[0]!.epsilon) }, { epsilon: Math.fround(1e-8), batch: N, channels: C, plane: H * W, affine: 'sample', gammaOffset: 0, betaOffset: 0, relu });
      // The project's fp32 bound: float64 plane statistics on our side, float32 op by op on onnxruntime's.
      const err = await relativeErrorAgainstOrt(bytes);
      assert.ok(err <= PARITY_BOUND, `relative error ${err}`);
    });
  }

  it('is left alone when an intermediate is read outside the pattern', async () => {
    const bytes = model({ relu: true, leak: true });
    const { opTypes } = fusedSteps(bytes);
    assert.ok(!opTypes.includes('InstanceNormalization'));
    assert.equal(opTypes.filter((t) => t === 'ReduceMean').length, 2);
    const err = await relativeErrorAgainstOrt(bytes);
    assert.ok(err <= PARITY_BOUND, `relative error ${err}`);
  });

  it('on a batch of one, reads γ/β through the views and merges the per-unit Gemms into one', async () => {
    const bytes = stack(3);
    const { opTypes, params } = fusedSteps(bytes, 1);
    assert.deepEqual(opTypes, ['Gemm', 'InstanceNormalization', 'InstanceNormalization', 'InstanceNormalization']);
    // Unit u's γ starts at column 2C·u of the merged projection, its β C columns later.
    assert.deepEqual(params.map((p) => [p.gammaOffset, p.betaOffset, p.relu]), [[0, C, true], [2 * C, 3 * C, true], [4 * C, 5 * C, false]]);
    const err = await relativeErrorAgainstOrt(bytes, 1);
    assert.ok(err <= PARITY_BOUND, `relative error ${err}`);
  });

  it('names the merged projection so that it takes no value of the file (one named as the merge would name it)', async () => {
    // `s_0#merged` = Relu(y), an output of its own, then stack(2): the merged Gemm must not write over it.
    const proto = onnx.ModelProto.decode(stack(2));
    proto.graph!.node!.unshift(node('Relu', ['y'], ['s_0#merged']));
    proto.graph!.output!.push(valueInfo('s_0#merged', DT.FLOAT, undefined));
    const bytes = onnx.ModelProto.encode(proto).finish();
    assert.deepEqual(fusedSteps(bytes, 1).opTypes, ['Relu', 'Gemm', 'InstanceNormalization', 'InstanceNormalization']);
    const err = await relativeErrorAgainstOrt(bytes, 1, ['out', 's_0#merged']);
    assert.ok(err <= PARITY_BOUND, `relative error ${err}`);
  });

  it('keeps the Slices and Gemms of a batch of two (γ/β rows are not one contiguous run)', () => {
    const { opTypes } = fusedSteps(model({ relu: true }));
    assert.equal(opTypes.filter((t) => t === 'Slice').length, 2);
    assert.equal(opTypes.filter((t) => t === 'Gemm').length, 1);
  });
});
