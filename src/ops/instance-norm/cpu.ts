import { GraphError, UnsupportedOpError } from '../../core/errors.js';
import { elementCount, nodeLabel } from '../../core/ir.js';
import { attrFloat } from '../kernel/attributes.js';
import { makeTensor } from '../kernel/tensor-util.js';
import type { OpModule } from '../kernel/op-module.js';

/**
 * Instance normalisation: each (sample, channel) plane is centred on its mean and scaled by
 * 1/sqrt(mean of squared deviations + ε), then y = γ·ŷ + β, optionally followed by a ReLU.
 * ONNX's InstanceNormalization has γ and β per channel. Graph fusion (graph/fuse-instance-norm.ts) also builds it
 * from the written-out form that style-transfer exports use, where γ and β are per sample and channel (computed
 * from another input at run time) and a ReLU may follow.
 */
export interface InstanceNormParams {
  readonly epsilon: number;
  readonly batch: number;
  readonly channels: number;
  /** Elements of one plane (the product of the spatial dims). */
  readonly plane: number;
  /** 'channel': γ and β hold C values; 'sample': N·C values, indexed by n·C + c. */
  readonly affine: 'channel' | 'sample';
  /**
   * Where γ and β start in their inputs, in elements: graph passes point them into a larger tensor (a slice of
   * one projection that computes every unit's γ and β at once) instead of copying the slice out.
   */
  readonly gammaOffset: number;
  readonly betaOffset: number;
  readonly relu: boolean;
}

export const instanceNorm: OpModule<InstanceNormParams> = {
  opTypes: ['InstanceNormalization'],
  resolve(ctx) {
    const { node } = ctx;
    const [x, scale, bias] = ctx.inputs;
    if (!x || !scale || !bias) throw new GraphError('needs input, scale and B', nodeLabel(node), node.opType);
    const other = [x, scale, bias].find((t) => t.type !== 'float32');
    if (other) throw new UnsupportedOpError(node.opType, nodeLabel(node), `type ${other.type}`);
    if (x.dims.length < 3) throw new GraphError(`input rank ${x.dims.length}: needs N, C and at least one spatial dim`, nodeLabel(node), node.opType);
    const [batch, channels] = [x.dims[0]!, x.dims[1]!];
    for (const [what, t] of [['scale', scale], ['B', bias]] as const) {
      if (t.dims.length !== 1 || t.dims[0] !== channels) throw new GraphError(`${what} has shape ${JSON.stringify(t.dims)}, expected [${channels}]`, nodeLabel(node), node.opType);
    }
    return {
      params: { epsilon: attrFloat(node, 'epsilon', 1e-5), batch, channels, plane: elementCount(x.dims.slice(2)), affine: 'channel', gammaOffset: 0, betaOffset: 0, relu: false },
      outputs: [{ type: 'float32', dims: x.dims }],
    };
  },
  cpu(params, inputs, outputs) {
    const x = inputs[0]!.data as Float32Array;
    const gamma = inputs[1]!.data as Float32Array;
    const beta = inputs[2]!.data as Float32Array;
    const out = makeTensor('float32', outputs[0]!.dims);
    const y = out.data as Float32Array;
    const { batch, channels, plane } = params;
    for (let p = 0; p < batch * channels; p++) {
      const base = p * plane;
      // Float64 sums: the plane's statistics carry no float32 accumulation error.
      let sum = 0;
      for (let i = base; i < base + plane; i++) sum += x[i]!;
      const mean = Math.fround(sum / plane);
      let squares = 0;
      for (let i = base; i < base + plane; i++) { const d = Math.fround(x[i]! - mean); squares += d * d; }
      const inv = Math.fround(1 / Math.sqrt(Math.fround(squares / plane) + params.epsilon));
      const a = params.affine === 'sample' ? p : p % channels;
      const g = gamma[params.gammaOffset + a]!;
      const b = beta[params.betaOffset + a]!;
      for (let i = base; i < base + plane; i++) {
        const v = g * Math.fround(Math.fround(x[i]! - mean) * inv) + b;
        y[i] = params.relu && v < 0 ? 0 : v;
      }
    }
    return [out];
  },
};
