import type { BatchNormParams } from '../ops/batch-norm/cpu.js';
import type { ConvParams } from '../ops/conv/params.js';
import type { PlannedStep } from './specialize.js';
import type { GraphEditor } from './editor.js';

/**
 * Conv → BatchNormalization becomes one Conv with scaled weights and shifted bias:
 * W'[m] = W[m]·a[m], B'[m] = (B[m] − mean[m])·a[m] + bias[m], a = scale / sqrt(var + ε).
 */
export function foldBatchNormIntoConv(editor: GraphEditor): void {
  editor.steps.forEach((step, i) => {
    if (!step || step.node.opType !== 'Conv') return;
    const convParams = step.params as ConvParams;
    if (convParams.epilogue.kind !== 'none' || convParams.epilogue.residual) return;
    const out = step.outputs[0]!;
    const j = editor.soleConsumer(out);
    if (j === undefined) return;
    const bn = editor.steps[j]!;
    if (bn.node.opType !== 'BatchNormalization' || bn.inputs[0] !== out) return;
    const [scale, bias, mean, variance] = bn.inputs.slice(1, 5).map((n) => editor.constants.get(n));
    const weight = editor.constants.get(step.inputs[1]!);
    const convBias = step.inputs[2] ? editor.constants.get(step.inputs[2]) : undefined;
    if (!scale || !bias || !mean || !variance || !weight || (step.inputs[2] && !convBias)) return;
    const m = convParams.outDims[1];
    const { epsilon } = bn.params as BatchNormParams;
    const w = weight.data as Float32Array;
    const perOut = w.length / m;
    const newW = new Float32Array(w.length);
    const newB = new Float32Array(m);
    const [s, b, mu, v] = [scale, bias, mean, variance].map((t) => t.data as Float32Array) as [Float32Array, Float32Array, Float32Array, Float32Array];
    const cb = convBias?.data as Float32Array | undefined;
    for (let o = 0; o < m; o++) {
      const a = s[o]! / Math.sqrt(v[o]! + epsilon);
      for (let k = 0; k < perOut; k++) newW[o * perOut + k] = w[o * perOut + k]! * a;
      newB[o] = ((cb ? cb[o]! : 0) - mu[o]!) * a + b[o]!;
    }
    const base = `${bn.outputs[0]}::bn_folded`;
    const wName = editor.addConstant(`${base}_weight`, { type: 'float32', dims: weight.dims, data: newW });
    const bName = editor.addConstant(`${base}_bias`, { type: 'float32', dims: [m], data: newB });
    const fused: PlannedStep = { ...step, inputs: [step.inputs[0]!, wName, bName], outputs: [bn.outputs[0]!], outputTypes: bn.outputTypes };
    editor.steps[i] = null;
    editor.steps[j] = fused;
  });
}
