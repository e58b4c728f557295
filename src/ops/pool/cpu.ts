import { UnsupportedOpError } from '../../core/errors.js';
import { nodeLabel } from '../../core/ir.js';
import { attrInt, attrInts, refuseLaterAttributes } from '../kernel/attributes.js';
import { resolveWindow } from '../conv/params.js';
import { makeOutputTensor } from '../kernel/tensor-util.js';
import type { OpModule } from '../kernel/op-module.js';
import { maxPoolFast, maxPoolFastFits } from './cpu-max-fast.js';
import { globalAverage, globalAverageFits } from './cpu-global-average.js';
import type { PoolParams } from './params.js';

export type { PoolParams };

export const pool: OpModule<PoolParams> = {
  opTypes: ['MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool'],
  resolve(ctx) {
    const { node } = ctx;
    const x = ctx.inputs[0]!;
    const rank = x.dims.length;
    if (rank !== 3 && rank !== 4) throw new UnsupportedOpError(node.opType, nodeLabel(node), `rank-${rank} input (only 1-D and 2-D pooling)`);
    if (x.type !== 'float32') throw new UnsupportedOpError(node.opType, nodeLabel(node), `type ${x.type}`);
    if (node.opType === 'MaxPool' && node.outputs.length > 1 && node.outputs[1] !== '') {
      throw new UnsupportedOpError(node.opType, nodeLabel(node), 'the Indices output');
    }
    if (node.opType === 'MaxPool' && attrInt(node, 'storage_order', 0) !== 0) {
      throw new UnsupportedOpError(node.opType, nodeLabel(node), 'storage_order 1');
    }
    if (node.opType === 'MaxPool') {
      refuseLaterAttributes(node, ctx.opset, 8, ['storage_order']);
      refuseLaterAttributes(node, ctx.opset, 10, ['ceil_mode', 'dilations']);
    } else if (node.opType === 'AveragePool') {
      refuseLaterAttributes(node, ctx.opset, 7, ['count_include_pad']);
      refuseLaterAttributes(node, ctx.opset, 10, ['ceil_mode']);
      refuseLaterAttributes(node, ctx.opset, 19, ['dilations']);
    }
    const global = node.opType.startsWith('Global');
    const kind = node.opType.includes('Max') ? 'max' : 'average';
    const spatial = x.dims.slice(2);
    const h = rank === 4 ? x.dims[2]! : 1;
    const w = x.dims[rank - 1]!;
    const inDims: [number, number, number, number] = [x.dims[0]!, x.dims[1]!, h, w];
    let params: PoolParams;
    if (global) {
      params = { kind, global, kernel: [h, w], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], countIncludePad: false, inDims, outDims: [inDims[0], inDims[1], 1, 1], rank };
    } else {
      const kernelShape = attrInts(node, 'kernel_shape');
      if (!kernelShape || kernelShape.length !== spatial.length) {
        throw new UnsupportedOpError(node.opType, nodeLabel(node), 'missing or mismatched kernel_shape');
      }
      const win = resolveWindow(node, spatial, kernelShape);
      params = {
        kind, global, kernel: win.kernel, strides: win.strides, dilations: win.dilations, pads: win.pads,
        countIncludePad: attrInt(node, 'count_include_pad', 0) === 1, inDims, outDims: [inDims[0], inDims[1], win.out[0], win.out[1]], rank,
      };
    }
    const [n, c, ho, wo] = params.outDims;
    return { params, outputs: [{ type: 'float32', dims: rank === 4 ? [n, c, ho, wo] : [n, c, wo] }] };
  },
  cpu(p, inputs, outputs) {
    const x = inputs[0]!.data as Float32Array;
    // Both the fast paths and the reference write every output element.
    const out = makeOutputTensor('float32', outputs[0]!.dims);
    const y = out.data as Float32Array;
    if (maxPoolFastFits(p)) {
      maxPoolFast(p, x, y);
      return [out];
    }
    if (globalAverageFits(p)) {
      globalAverage(p, x, y);
      return [out];
    }
    poolReference(p, x, y);
    return [out];
  },
};

/** The window loop every pooling kind falls back to (and the fast paths are tested against). */
export function poolReference(p: PoolParams, x: Float32Array, y: Float32Array): void {
  const [n, c, h, w] = p.inDims;
  const [, , ho, wo] = p.outDims;
  const [kh, kw] = p.kernel;
  const [sh, sw] = p.strides;
  const [dh, dw] = p.dilations;
  const [pt, pl, pb, pr] = p.pads;
  const isMax = p.kind === 'max';
  for (let plane = 0; plane < n * c; plane++) {
    const base = plane * h * w;
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        let acc = isMax ? -Infinity : 0;
        let count = 0;
        const y0 = oy * sh - pt;
        const x0 = ox * sw - pl;
        for (let ky = 0; ky < kh; ky++) {
          const iy = y0 + ky * dh;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = x0 + kx * dw;
            if (ix < 0 || ix >= w) continue;
            const v = x[base + iy * w + ix]!;
            if (isMax) { if (v > acc || Number.isNaN(v)) acc = v; } else acc += v;
            count++;
          }
        }
        if (!isMax) {
          let divisor = count;
          if (p.countIncludePad) {
            // The window clipped to the padded extent (ceil_mode windows may reach beyond it).
            const yEnd = Math.min(y0 + (kh - 1) * dh + 1, h + pb);
            const xEnd = Math.min(x0 + (kw - 1) * dw + 1, w + pr);
            divisor = (Math.ceil((yEnd - y0) / dh)) * (Math.ceil((xEnd - x0) / dw));
          }
          acc = divisor > 0 ? acc / divisor : 0;
        }
        y[(plane * ho + oy) * wo + ox] = acc;
      }
    }
  }
}
