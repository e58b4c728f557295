import { elementCount } from '../core/ir.js';
import type { ConvParams } from '../ops/conv/params.js';
import type { GraphEditor } from './editor.js';

/**
 * Conv → Mul by a constant that is one number or one per output channel ([M], [M,1,1], [1,M,1,1]) becomes one Conv
 * with W'[o] = W[o]·s[o] and B'[o] = B[o]·s[o]. SCRFD scales each level's box distances so (by its stride, a
 * power of two, where the fold is bit-exact). Only a conv with no activation or residual joined yet: those would
 * sit between the conv and the scale.
 */
export function foldScaleIntoConv(editor: GraphEditor): void {
  editor.steps.forEach((mul, j) => {
    if (!mul || mul.node.opType !== 'Mul' || mul.inputs.length !== 2) return;
    for (const side of [0, 1]) {
      const convOut = mul.inputs[side]!;
      const scale = editor.constants.get(mul.inputs[1 - side]!);
      const i = editor.producer(convOut);
      if (i === undefined || !scale || scale.type !== 'float32') continue;
      const conv = editor.steps[i]!;
      if (conv.node.opType !== 'Conv' || editor.soleConsumer(convOut) !== j) continue;
      const p = conv.params as ConvParams;
      if (p.epilogue.kind !== 'none' || p.epilogue.residual || conv.inputs.length > 3) continue;
      const m = p.outDims[1];
      const n = elementCount(scale.dims);
      const outRank = conv.outputTypes[0]!.dims.length;
      // One number, or M laid out along the channel axis (dims of 1 elsewhere, not more than the output's rank).
      const channelAxis = scale.dims.length - (outRank - 1);
      const perChannel = n === m && scale.dims.length <= outRank && scale.dims.every((d, k) => (k === channelAxis ? d === m : d === 1));
      if (n !== 1 && !perChannel) continue;
      if (mul.outputTypes[0]!.dims.join() !== conv.outputTypes[0]!.dims.join()) continue;
      const weight = editor.constants.get(conv.inputs[1]!);
      const biasName = conv.inputs[2];
      const bias = biasName ? editor.constants.get(biasName) : undefined;
      if (weight?.type !== 'float32' || (biasName && bias?.type !== 'float32')) continue;
      const s = scale.data as Float32Array;
      const w = weight.data as Float32Array;
      const perOut = w.length / m;
      const newW = new Float32Array(w.length);
      for (let o = 0; o < m; o++) for (let k = 0; k < perOut; k++) newW[o * perOut + k] = w[o * perOut + k]! * s[n === 1 ? 0 : o]!;
      const base = `${mul.outputs[0]}::scale_folded`;
      const inputs = [conv.inputs[0]!, editor.addConstant(`${base}_weight`, { type: 'float32', dims: weight.dims, data: newW })];
      if (bias) {
        const b = bias.data as Float32Array;
        inputs.push(editor.addConstant(`${base}_bias`, { type: 'float32', dims: bias.dims, data: Float32Array.from(b, (v, o) => v * s[n === 1 ? 0 : o]!) }));
      }
      editor.steps[i] = null;
      editor.steps[j] = { ...conv, inputs, outputs: [mul.outputs[0]!], outputTypes: mul.outputTypes };
      return;
    }
  });
}
