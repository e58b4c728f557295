import type { ConvParams } from '../ops/conv/params.js';
import type { PoolParams } from '../ops/pool/cpu.js';
import type { GraphEditor } from './editor.js';

/**
 * AveragePool with kernel = stride, no pads and windows that tile the input exactly → 1×1 Conv becomes one k×k
 * Conv of stride k whose every tap holds W/(k_h·k_w): the mean of each window, projected. The pool's output is never
 * written. SCRFD's (and ResNet-D's) downsampling shortcuts are AveragePool(2, 2) → Conv 1×1.
 */
export function foldAveragePoolIntoConv(editor: GraphEditor): void {
  editor.steps.forEach((pool, i) => {
    if (!pool || pool.node.opType !== 'AveragePool') return;
    const q = pool.params as PoolParams;
    const [kh, kw] = q.kernel;
    const [, , h, w] = q.inDims;
    if (q.global || q.strides[0] !== kh || q.strides[1] !== kw || q.pads.some((v) => v !== 0) || q.dilations.some((d) => d !== 1)) return;
    // Exact tiling: no partial window at the edge, where ceil_mode and count_include_pad would change the divisor.
    if (h % kh !== 0 || w % kw !== 0 || q.outDims[2] !== h / kh || q.outDims[3] !== w / kw) return;
    const j = editor.soleConsumer(pool.outputs[0]!);
    const conv = j === undefined ? undefined : editor.steps[j];
    if (conv?.node.opType !== 'Conv' || conv.inputs[0] !== pool.outputs[0]) return;
    const p = conv.params as ConvParams;
    const unit = (v: readonly number[]): boolean => v.every((x) => x === 1);
    if (!unit(p.kernel) || !unit(p.strides) || !unit(p.dilations) || p.pads.some((v) => v !== 0) || p.padMode || p.padValues) return;
    const weight = editor.constants.get(conv.inputs[1]!);
    if (weight?.type !== 'float32') return;
    const wd = weight.data as Float32Array;
    const taps = kh * kw;
    const spread = new Float32Array(wd.length * taps);
    for (let k = 0; k < wd.length; k++) spread.fill(wd[k]! / taps, k * taps, (k + 1) * taps);
    const dims = p.rank === 4 ? [weight.dims[0]!, weight.dims[1]!, kh, kw] : [weight.dims[0]!, weight.dims[1]!, kw];
    const wName = editor.addConstant(`${conv.outputs[0]}::avgpool_folded_weight`, { type: 'float32', dims, data: spread });
    const params: ConvParams = { ...p, kernel: [kh, kw], strides: [kh, kw], inDims: q.inDims };
    editor.steps[j!] = { ...conv, params, inputs: [pool.inputs[0]!, wName, ...conv.inputs.slice(2)] };
    editor.steps[i] = null;
  });
}
