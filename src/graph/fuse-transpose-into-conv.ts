import type { ConvParams } from '../ops/conv/params.js';
import { stridesOf } from '../ops/kernel/tensor-util.js';
import type { TransposeParams } from '../ops/transpose/cpu.js';
import type { GraphEditor } from './editor.js';

/**
 * Conv → Transpose becomes one Conv that stores each element at its transposed position (ConvParams.storeStrides),
 * when the permutation keeps the conv's two pixel axes adjacent and in order: then output pixel p of a plane moves
 * as one index, b·sB + ch·sC + p·sP. Exact: the same numbers, written where the Transpose would have moved them.
 * SCRFD's nine heads end Conv → Transpose(2, 3, 0, 1) → Reshape, so each writes its [H·W, C] rows directly and the
 * Reshape stays a view.
 */
export function fuseTransposeIntoConv(editor: GraphEditor): void {
  editor.steps.forEach((t, j) => {
    if (!t || t.node.opType !== 'Transpose' || !t.inputs[0]) return;
    const i = editor.producer(t.inputs[0]);
    if (i === undefined || editor.soleConsumer(t.inputs[0]) !== j) return;
    const conv = editor.steps[i]!;
    if (conv.node.opType !== 'Conv') return;
    const p = conv.params as ConvParams;
    if (p.rank !== 4 || p.storeStrides) return;
    const { perm, outDims } = t.params as TransposeParams;
    const at = (axis: number): number => perm.indexOf(axis);
    if (at(3) !== at(2) + 1) return;
    const strides = stridesOf(outDims);
    const storeStrides = { batch: strides[at(0)]!, channel: strides[at(1)]!, pixel: strides[at(3)]! };
    editor.steps[i] = { ...conv, params: { ...p, storeStrides }, outputs: t.outputs, outputTypes: t.outputTypes };
    editor.steps[j] = null;
  });
}
