import type { ConvParams } from '../ops/conv/params.js';
import { nearestUpsampleFactors, type ResizeParams } from '../ops/resize/cpu.js';
import type { GraphEditor } from './editor.js';

/**
 * A conv whose residual (a fused Add) is a nearest Resize read only there reads the Resize's input instead, at each
 * output pixel's nearest coarse pixel (Epilogue.residualUpsample), and the Resize's step goes. Only where the
 * Resize's own coordinate and rounding rules map output (y, x) to (⌊y/fy⌋, ⌊x/fx⌋) for every coordinate
 * (nearestUpsampleFactors checks each one), so the sum is the same numbers. The FPN top-down path of SCRFD and
 * det_10g is lateral 1×1 conv + Resize(nearest, ×2) of the coarser level.
 */
export function fuseResizeIntoResidual(editor: GraphEditor): void {
  editor.steps.forEach((conv, j) => {
    if (!conv || conv.node.opType !== 'Conv') return;
    const p = conv.params as ConvParams;
    const residual = conv.inputs[3];
    if (!p.epilogue.residual || p.epilogue.residualUpsample || !residual) return;
    const i = editor.producer(residual);
    // Read only as the residual: a conv that also convolves the upsampled map (y = Conv(up) + up) still needs it.
    if (i === undefined || editor.soleConsumer(residual) !== j || conv.inputs.indexOf(residual) !== 3) return;
    const resize = editor.steps[i]!;
    if (resize.node.opType !== 'Resize' && resize.node.opType !== 'Upsample') return;
    const r = resize.params as ResizeParams;
    const factors = nearestUpsampleFactors(r);
    const [n, m, ho, wo] = p.outDims;
    if (!factors || !resize.inputs[0] || r.outDims.join() !== [n, m, ho, wo].join()) return;
    const residualUpsample = { factorY: factors[0], factorX: factors[1], inH: r.inDims[2]!, inW: r.inDims[3]!, outH: ho, outW: wo };
    const inputs = [...conv.inputs];
    inputs[3] = resize.inputs[0];
    editor.steps[j] = { ...conv, inputs, params: { ...p, epilogue: { ...p.epilogue, residualUpsample } } };
    editor.steps[i] = null;
  });
}
