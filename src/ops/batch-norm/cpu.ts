import { GraphError, UnsupportedOpError } from '../../core/errors.js';
import { elementCount, nodeLabel } from '../../core/ir.js';
import { attrFloat, attrInt } from '../kernel/attributes.js';
import { makeTensor } from '../kernel/tensor-util.js';
import type { OpModule } from '../kernel/op-module.js';

/** Inference-mode BatchNormalization: y = (x − mean)/sqrt(var + ε)·scale + bias, per channel (axis 1). */
export interface BatchNormParams {
  readonly epsilon: number;
  readonly channels: number;
  readonly plane: number;
}

export const batchNorm: OpModule<BatchNormParams> = {
  opTypes: ['BatchNormalization'],
  resolve(ctx) {
    const { node } = ctx;
    const x = ctx.inputs[0]!;
    if (ctx.inputs.length < 5 || ctx.inputs.slice(1, 5).some((v) => v === undefined)) {
      throw new GraphError('needs X, scale, B, mean and var', nodeLabel(node), node.opType);
    }
    if (attrInt(node, 'training_mode', 0) === 1 || node.outputs.filter((o) => o !== '').length > 1) {
      throw new UnsupportedOpError(node.opType, nodeLabel(node), 'training mode (running statistics outputs)');
    }
    const other = ctx.inputs.slice(0, 5).find((t) => t !== undefined && t.type !== 'float32');
    if (other) throw new UnsupportedOpError(node.opType, nodeLabel(node), `type ${other.type}`);
    const channels = x.dims.length > 1 ? x.dims[1]! : 1;
    for (let i = 1; i < 5; i++) {
      if (elementCount(ctx.inputs[i]!.dims) !== channels) {
        throw new GraphError(`input ${i} has shape ${JSON.stringify(ctx.inputs[i]!.dims)}, expected ${channels} values`, nodeLabel(node), node.opType);
      }
    }
    const plane = elementCount(x.dims.slice(2));
    return { params: { epsilon: attrFloat(node, 'epsilon', 1e-5), channels, plane }, outputs: [{ type: 'float32', dims: x.dims }] };
  },
  cpu(params, inputs, outputs) {
    const [x, scale, bias, mean, variance] = inputs.map((t) => t!.data as Float32Array) as Float32Array[];
    const out = makeTensor('float32', outputs[0]!.dims);
    const y = out.data as Float32Array;
    const { channels, plane } = params;
    const batches = x!.length / (channels * plane);
    for (let c = 0; c < channels; c++) {
      // Match onnxruntime: compute a float32 per-channel multiplier and shift, then y = x·a + b.
      const a = Math.fround(scale![c]! / Math.fround(Math.sqrt(Math.fround(variance![c]! + params.epsilon))));
      const b = Math.fround(bias![c]! - Math.fround(mean![c]! * a));
      for (let n = 0; n < batches; n++) {
        const base = (n * channels + c) * plane;
        for (let i = base; i < base + plane; i++) y[i] = x![i]! * a + b;
      }
    }
    return [out];
  },
};
