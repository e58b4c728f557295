import { UnsupportedOpError } from '../../core/errors.js';
import { roundToFloat16 } from '../../core/float16.js';
import { nodeLabel } from '../../core/ir.js';
import { ENGINE_DOMAIN, type OpModule } from '../kernel/op-module.js';

/**
 * The engine's own op for a Cast to FLOAT16 in a float16 model that `widenFloat16` has widened: the output is float32
 * holding the input rounded to the nearest float16 value (ties to even, overflow to ±∞), so the value at the cast is
 * what a float16 engine holds there while every later op runs its float32 kernel. Made only by that pass.
 */
export const roundToFloat16Op: OpModule<Record<string, never>> = {
  opTypes: ['RoundToFloat16'],
  domain: ENGINE_DOMAIN,
  resolve(ctx) {
    const x = ctx.inputs[0]!;
    if (x.type === 'float16' || x.type === 'bfloat16') throw new UnsupportedOpError('RoundToFloat16', nodeLabel(ctx.node), `type ${x.type} (it rounds wider values)`);
    return { params: {}, outputs: [{ type: 'float32', dims: x.dims }] };
  },
  cpu(_params, inputs, outputs) {
    const x = inputs[0]!.data;
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = roundToFloat16(Number(x[i]!));
    return [{ type: 'float32', dims: outputs[0]!.dims, data: out }];
  },
};
