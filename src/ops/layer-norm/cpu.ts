import { GraphError, UnsupportedOpError } from '../../core/errors.js';
import { nodeLabel } from '../../core/ir.js';
import { attrFloat, attrInt, normalizeAxis } from '../kernel/attributes.js';
import { makeTensor, stridesOf } from '../kernel/tensor-util.js';
import type { OpModule } from '../kernel/op-module.js';

/**
 * LayerNormalization (opset 17) as `rows` × `n`: each row (everything from `axis` on) is normalised by its mean and
 * variance, then scaled and shifted. `scaleAt`/`biasAt` give, per position in a row, the element of Scale/B it reads
 * (they broadcast to the normalised shape); `biasAt` is undefined without B. Outputs 1 and 2, when asked for, are
 * each row's mean and 1/√(variance + epsilon).
 */
export interface LayerNormParams {
  readonly rows: number;
  readonly n: number;
  readonly epsilon: number;
  readonly scaleAt: Int32Array;
  readonly biasAt: Int32Array | undefined;
}

/** Per row position, the element of a tensor of `dims` broadcast (right-aligned, unidirectionally) to `normalized`. */
function broadcastTable(what: string, dims: readonly number[], normalized: readonly number[], fail: (why: string) => never): Int32Array {
  if (dims.length > normalized.length) fail(`${what} of shape ${JSON.stringify(dims)} has more axes than the normalised shape ${JSON.stringify(normalized)}`);
  const padded = [...new Array<number>(normalized.length - dims.length).fill(1), ...dims];
  padded.forEach((d, a) => { if (d !== 1 && d !== normalized[a]) fail(`${what} of shape ${JSON.stringify(dims)} does not broadcast to ${JSON.stringify(normalized)}`); });
  const strides = stridesOf(padded).map((s, a) => (padded[a] === 1 ? 0 : s));
  const n = normalized.reduce((a, d) => a * d, 1);
  const table = new Int32Array(n);
  const outStrides = stridesOf(normalized);
  for (let i = 0; i < n; i++) {
    let at = 0;
    for (let a = 0; a < normalized.length; a++) at += Math.floor(i / outStrides[a]!) % normalized[a]! * strides[a]!;
    table[i] = at;
  }
  return table;
}

export const layerNorm: OpModule<LayerNormParams> = {
  opTypes: ['LayerNormalization'],
  resolve(ctx) {
    const { node } = ctx;
    const fail = (why: string): never => { throw new GraphError(why, nodeLabel(node), 'LayerNormalization'); };
    const x = ctx.inputs[0]!;
    const scale = ctx.inputs[1];
    if (x.type !== 'float32') throw new UnsupportedOpError('LayerNormalization', nodeLabel(node), `type ${x.type}`);
    if (scale === undefined) fail('the Scale input is missing');
    if (attrInt(node, 'stash_type', 1) !== 1) throw new UnsupportedOpError('LayerNormalization', nodeLabel(node), 'stash_type other than float32');
    const axis = normalizeAxis(node, attrInt(node, 'axis', -1), x.dims.length);
    const normalized = x.dims.slice(axis);
    const bias = ctx.inputs[2];
    for (const t of [scale!, bias]) if (t !== undefined && t.type !== 'float32') fail(`Scale and B must be float32 like X, got ${t.type}`);
    const params: LayerNormParams = {
      rows: x.dims.slice(0, axis).reduce((a, d) => a * d, 1),
      n: normalized.reduce((a, d) => a * d, 1),
      epsilon: attrFloat(node, 'epsilon', 1e-5),
      scaleAt: broadcastTable('Scale', scale!.dims, normalized, fail),
      biasAt: bias === undefined ? undefined : broadcastTable('B', bias.dims, normalized, fail),
    };
    // Mean and InvStdDev (training outputs, asked for by some exports) keep the leading axes, 1 for the normalised ones.
    const statDims = x.dims.map((d, a) => (a < axis ? d : 1));
    const stats = node.outputs.slice(1, 3).map(() => ({ type: 'float32' as const, dims: statDims }));
    return { params, outputs: [{ type: x.type, dims: x.dims }, ...stats] };
  },
  cpu(p, inputs, outputs) {
    const x = inputs[0]!.data as Float32Array;
    const scale = inputs[1]!.data as Float32Array;
    const bias = inputs[2]?.data as Float32Array | undefined;
    const out = makeTensor(outputs[0]!.type, outputs[0]!.dims);
    const y = out.data as Float32Array;
    const stats = outputs.slice(1).map((o) => makeTensor(o.type, o.dims));
    const means = stats[0]?.data as Float32Array | undefined;
    const invs = stats[1]?.data as Float32Array | undefined;
    for (let r = 0; r < p.rows; r++) {
      const base = r * p.n;
      let mean = 0;
      for (let k = 0; k < p.n; k++) mean += x[base + k]!;
      mean /= p.n;
      // Variance from deviations (not E[x²] − mean²), which cancels badly for rows with a large mean.
      let variance = 0;
      for (let k = 0; k < p.n; k++) { const d = x[base + k]! - mean; variance += d * d; }
      variance /= p.n;
      const inv = 1 / Math.sqrt(variance + p.epsilon);
      if (means !== undefined) means[r] = mean;
      if (invs !== undefined) invs[r] = inv;
      for (let k = 0; k < p.n; k++) {
        y[base + k] = (x[base + k]! - mean) * inv * scale[p.scaleAt[k]!]! + (bias === undefined || p.biasAt === undefined ? 0 : bias[p.biasAt[k]!]!);
      }
    }
    return [out, ...stats];
  },
};
